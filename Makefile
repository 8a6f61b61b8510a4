# Ledgerlock. `make run` serves the app; `make test` runs every check CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)
export CARGO_TERM_COLOR := never
export RUST_BACKTRACE := 0

.PHONY: run release dist debug test lint features-check fmt test-sqlite test-postgres e2e bench tools tools-test wasm-target

## Build the release and serve it on http://127.0.0.1:3000 with SQLite under ./data.
run: release
	@echo "== serving http://localhost:3000 (Ctrl-C stops it)"
	LEDGERLOCK_DATA_DIR=$${LEDGERLOCK_DATA_DIR:-data} ./target/release/ledgerlock serve

## The build `make run` serves and `make test` tests: target/release/ledgerlock + target/site.
release: wasm-target
	bash .ci/build.sh release

## The fully optimised build (`make bench`, packaging): target/dist/ledgerlock + target/site.
dist: wasm-target
	bash .ci/build.sh dist

debug: wasm-target
	bash .ci/build.sh debug

## Everything CI checks: format, lints, unit and integration tests on SQLite
## and PostgreSQL, then end-to-end tests in headless Chromium, all against
## the release build `make run` serves (tests share its compiled crates).
## The lints run beside the release build: on 2 cores each fills the other's
## single-threaded stretches (each job's output is printed when it ends).
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target lint release LEDGERLOCK_TOOLS=test
	$(MAKE) --no-print-directory test-sqlite test-postgres e2e

## The tools are installed by .ci/build.sh beside the cargo builds; these
## targets install them on their own.
tools:
	bash .ci/tools.sh build

tools-test:
	bash .ci/tools.sh test

wasm-target:
	bash .ci/tools.sh target

## Lints check in their own target directory, so they never wait for (or
## block) a build's lock on target/.
lint: features-check wasm-target
	cargo fmt --all --check
	CARGO_TARGET_DIR=target/lint cargo clippy -p ledgerlock -p ledgerlock-app -p ledgerlock-bindgen --all-targets -- -D warnings
	CARGO_TARGET_DIR=target/lint cargo clippy -p ledgerlock-frontend --target wasm32-unknown-unknown -- -D warnings

## `cargo build` and `cargo test` must resolve every crate the server uses with
## the same features, or the tests would build (and test) another binary.
features-check:
	@mkdir -p target
	@cargo tree -p ledgerlock -e no-dev -f '{p} {f}' --prefix none | sort -u >target/features-build.txt
	@cargo tree -p ledgerlock -p ledgerlock-app -f '{p} {f}' --prefix none | sort -u >target/features-test.txt
	@if comm -23 target/features-build.txt target/features-test.txt | grep .; then \
	  echo "features-check: the crates above resolve differently under cargo test;" \
	       "name their features in server/Cargo.toml (see the comment there)" >&2; exit 1; fi

fmt:
	cargo fmt --all

## Unit tests of the domain, app and server, and the integration suite on SQLite.
test-sqlite:
	LEDGERLOCK_TEST_STRIPE_URL="$$(bash .ci/localstripe.sh)" LEDGERLOCK_TEST_DATABASE=sqlite \
	  cargo test --release -p ledgerlock-app -p ledgerlock

## The same integration suite on a local PostgreSQL cluster (started if needed).
test-postgres:
	url="$$(bash .ci/postgres.sh)"; stripe="$$(bash .ci/localstripe.sh)"; \
	LEDGERLOCK_TEST_DATABASE=postgres LEDGERLOCK_TEST_POSTGRES_URL="$$url" LEDGERLOCK_TEST_STRIPE_URL="$$stripe" \
	  cargo test --release -p ledgerlock --test integration

## End-to-end tests in Chromium against target/release/ledgerlock and its site.
e2e: release
	bash .ci/e2e.sh target/release/ledgerlock

## Figures for the README (about 30 min at full size on 2 cores), then the
## table of issue 16's targets beside them, misses marked.
bench: dist
	bash .ci/bench.sh | tee target/bench.log
	python3 .ci/bench_table.py target/bench.log
