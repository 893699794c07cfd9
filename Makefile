# One entry point for contributors and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
TS_SERVER := interop/implementations/typescript
NODE_VERIFIER := interop/verifiers/node

.PHONY: help setup build-native build-ts interop test lint test-rust test-python test-node vectors-check bench wheel clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

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

test-rust: ## cargo test (unit, known-answer and vector tests of the crate)
	cargo test --workspace --locked

test-python: ## pytest (crypto vs cryptography, server, SDK, CLI, interop)
	$(BIN)/python -m pytest

test-node: ## node --test for the TypeScript server, actor and vector verifier
	@for d in $(TS_SERVER) $(NODE_VERIFIER); do \
	  if [ -f $$d/package.json ]; then (cd $$d && npm test) || exit 1; fi; \
	done

vectors-check: ## regenerate vectors in memory and lint them; fails on drift
	$(BIN)/avp vectors check

test: setup lint test-rust vectors-check test-python test-node ## set up and run every check CI runs

bench: setup ## crypto and load benchmarks (ratios against peers measured in the same run)
	$(BIN)/python benchmarks/crypto.py
	$(BIN)/python benchmarks/load.py

# maturin finds zig through `python -m ziglang` of the first python on PATH: put the venv's first.
wheel: $(VENV)/.deps ## release wheel: abi3, manylinux-compatible through zig (no Docker)
	$(BIN)/pip install --quiet "ziglang==0.17.0"
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/maturin build --release --zig --out dist

clean: ## remove build outputs
	rm -rf target dist $(VENV) $(TS_SERVER)/node_modules $(TS_SERVER)/dist $(NODE_VERIFIER)/node_modules
