#!/usr/bin/env bash
# Installs what building and testing Ledgerlock needs, skipping what is there.
#   .ci/tools.sh build   the wasm32 target, cargo-leptos, wasm-bindgen-cli, wasm-opt
#   .ci/tools.sh test    the above, plus Chromium, PostgreSQL and the end-to-end npm packages
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-build}"
export PATH="$HOME/.cargo/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.11
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  # Its locked dependencies need a newer rustc than some stable toolchains
  # have; the nightly toolchain on the build machines is the fallback.
  cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION" \
    || cargo +nightly install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION"
fi

# wasm-bindgen-cli must match the wasm-bindgen library in Cargo.lock exactly.
bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $bindgen_version\$"; then
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

command -v wasm-opt >/dev/null || apt_install binaryen

if [ "$mode" = test ]; then
  command -v chromium >/dev/null || apt_install chromium
  command -v pg_ctlcluster >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
    || apt_install postgresql
  command -v node >/dev/null || apt_install nodejs npm
  if [ ! -d end2end/node_modules/playwright-core ]; then
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
