#!/usr/bin/env bash
# `make images`: the images of our two servers, built here without any image registry (docs/interop.md,
# "Docker"). Needs a Docker engine and debootstrap (root); runs `make wheel` and the TypeScript build
# itself when an image has to be rebuilt.
#   avp-interop/base:bookworm-<hash>   Debian bookworm minbase from debootstrap, with this machine's apt mirror
#   avp-interop/python-server:dev      the release wheel and its server dependencies (downloaded by pip on
#                                      this host, installed offline in the image), Debian's python3
#   avp-interop/typescript-server:dev  dist/ and the production node_modules of the host build, and the
#                                      host's Node binary (better-sqlite3 is compiled for exactly that Node)
# Every image carries the hash of its inputs (label avp.inputs) and is rebuilt only when it changes.
# Usage: tools/docker-images.sh [python-server] [typescript-server]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
TS=${TS:-interop/implementations/typescript}
STAGE=target/docker
SUITE=bookworm
# the legacy builder: the engine here has no BuildKit
export DOCKER_BUILDKIT=0

hash_of() { sha256sum | cut -c1-16; }
# the avp.inputs label of image $1, empty when the image does not exist
built_hash() { docker image inspect -f '{{index .Config.Labels "avp.inputs"}}' "$1" 2>/dev/null || true; }
# names and contents of the files under $@ that git tracks or would track (no build outputs)
source_hash() {
  git ls-files -z --cached --others --exclude-standard -- "$@" | LC_ALL=C sort -z \
    | while IFS= read -r -d "" f; do if [ -f "$f" ]; then sha256sum "$f"; fi; done | hash_of
}
say() { echo "images: $*" >&2; }

base_image() {
  local recipe="debootstrap --variant=minbase $SUITE"
  local tag="avp-interop/base:$SUITE-$(echo "$recipe" | hash_of)"
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    # this machine's own Debian mirror (never a host name written here)
    local mirror
    mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
    [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
    local root="$STAGE/rootfs"
    rm -rf "$root" && mkdir -p "$root"
    say "debootstrap $SUITE from $mirror (once per machine)"
    debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$STAGE/debootstrap.log" 2>&1 \
      || { tail -20 "$STAGE/debootstrap.log" >&2; exit 1; }
    # apt's lists and caches are not needed at run time
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -c . | docker import -c "LABEL avp.inputs=$(echo "$recipe" | hash_of)" - "$tag" >/dev/null
    rm -rf "$root"
  fi
  echo "$tag"
}

# build image $1 from interop/docker/$2.Dockerfile and the staged context $3, labelled with its inputs
# hash $4 and its version $5
build() {
  local image=$1 dockerfile=interop/docker/$2.Dockerfile context=$3 inputs=$4 version=$5
  cp "$dockerfile" "$context/Dockerfile"
  say "building $image ($version)"
  docker build --network host --build-arg "BASE=$base" --build-arg "VERSION=$version" \
    --label "avp.inputs=$inputs" -t "$image" "$context" >"$STAGE/build-$2.log" 2>&1 \
    || { tail -30 "$STAGE/build-$2.log" >&2; exit 1; }
  docker image prune -f --filter "label=avp.inputs" >/dev/null
}

python_server() {
  local image=avp-interop/python-server:dev
  # what the release wheel is built from (a wheel build is not byte-reproducible, its sources are)
  local inputs
  inputs=$( { echo "$base"; sha256sum interop/docker/python-server.Dockerfile;
              source_hash crates bindings Cargo.toml Cargo.lock pyproject.toml README.md; } | hash_of)
  if [ "$(built_hash $image)" = "$inputs" ]; then say "$image is up to date"; return; fi
  say "make wheel (the release wheel the image installs)"
  make --no-print-directory wheel >"$STAGE/wheel.log" 2>&1 || { tail -20 "$STAGE/wheel.log" >&2; exit 1; }
  # the wheel of this machine, not the musllinux one of `make wheels`
  local wheel
  wheel=$(ls -t dist/avp-*manylinux*x86_64.whl | head -1)
  local context=$STAGE/python-server
  rm -rf "$context" && mkdir -p "$context/wheels"
  # pip on this host (its index and certificates) fetches the server extra for the image's CPython 3.11
  # and glibc 2.36; the image installs from this folder only
  "$PY" -m pip download --quiet --only-binary=:all: --implementation cp --python-version 3.11 \
    --platform manylinux2014_x86_64 --platform manylinux_2_36_x86_64 -d "$context/wheels" "$wheel[server]"
  local version
  version=$(basename "$wheel" | cut -d- -f2)
  build $image python-server "$context" "$inputs" "$version"
}

typescript_server() {
  local image=avp-interop/typescript-server:dev node
  node=$(command -v node)
  local inputs
  inputs=$( { echo "$base"; sha256sum "$node" interop/docker/typescript-server.Dockerfile;
              source_hash "$TS/src" "$TS/package.json" "$TS/package-lock.json" "$TS/tsconfig.json"; } | hash_of)
  if [ "$(built_hash $image)" = "$inputs" ]; then say "$image is up to date"; return; fi
  say "building $TS (npm ci when needed, tsc)"
  (cd "$TS" && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; } && npm run --silent build)
  local context=$STAGE/typescript-server
  rm -rf "$context" && mkdir -p "$context/app" "$context/node"
  cp "$node" "$context/node/node"
  cp -r "$TS/dist" "$TS/package.json" "$TS/package-lock.json" "$TS/node_modules" "$context/app/"
  rm -rf "$context/app/dist/test"
  # the host build's node_modules (better-sqlite3 compiled for this Node) without dev dependencies
  (cd "$context/app" && npm prune --omit=dev --no-audit --no-fund --silent)
  local version
  version=$(node -p "require('./$TS/package.json').version")
  build $image typescript-server "$context" "$inputs" "$version"
}

mkdir -p "$STAGE"
# one build at a time (the runner may ask for both images at once)
exec 9>"$STAGE/.lock"
flock 9
base=$(base_image)
for name in "${@:-python-server typescript-server}"; do
  for one in $name; do
    case $one in
      python-server) python_server ;;
      typescript-server) typescript_server ;;
      *) echo "images: unknown image '$one' (python-server, typescript-server)" >&2; exit 2 ;;
    esac
  done
done
docker images --filter "reference=avp-interop/*" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
