# Ledgerlock. `make run` serves the app; `make test` runs every check CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)
# Colour codes in cargo-leptos' output make CI logs hard to read.
export CARGO_TERM_COLOR := never
export RUST_BACKTRACE := 0

.PHONY: run build release test lint fmt test-sqlite test-postgres e2e bench tools tools-test

## Build a release and serve it on http://127.0.0.1:3000 with SQLite under ./data.
run: release
	LEDGERLOCK_DATA_DIR=$${LEDGERLOCK_DATA_DIR:-data} ./target/release/ledgerlock serve

release: tools
	cargo leptos build --release

build: tools
	cargo leptos build

## Everything CI checks: format, lints, unit and integration tests on SQLite
## and PostgreSQL, then end-to-end tests in headless Chromium.
test: tools-test lint test-sqlite test-postgres e2e

tools:
	bash .ci/tools.sh build

tools-test:
	bash .ci/tools.sh test

lint:
	cargo fmt --all --check
	cargo clippy -p ledgerlock -p ledgerlock-app --all-targets -- -D warnings
	cargo clippy -p ledgerlock-frontend --target wasm32-unknown-unknown -- -D warnings

fmt:
	cargo fmt --all

## Unit tests of the domain, app and server, and the integration suite on SQLite.
test-sqlite:
	LEDGERLOCK_TEST_DATABASE=sqlite cargo test -p ledgerlock-app -p ledgerlock

## The same integration suite on a local PostgreSQL cluster (started if needed).
test-postgres:
	url="$$(bash .ci/postgres.sh)"; \
	LEDGERLOCK_TEST_DATABASE=postgres LEDGERLOCK_TEST_POSTGRES_URL="$$url" \
	  cargo test -p ledgerlock --test integration

e2e: build
	bash .ci/e2e.sh target/debug/ledgerlock

bench: release
	bash .ci/bench.sh
