#!/usr/bin/env bash
# Installs what building and testing Ledgerlock needs, skipping what is there.
#   .ci/tools.sh build   the wasm32 target, the glue generator (.ci/bindgen), binaryen (npm)
#   .ci/tools.sh test    the above, plus Chromium, PostgreSQL and the end-to-end npm packages
#   .ci/tools.sh target  only the wasm32 target (what the lints and the builds need first)
# .ci/build.sh runs `build` (or `test`) beside the cargo builds.
# cargo-leptos is not needed: .ci/build.sh drives cargo, wasm-bindgen and
# wasm-opt itself (cargo-leptos stays an option for `cargo leptos watch`).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-build}"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '== tools: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
[ "$mode" = target ] && exit 0

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Debian packages first, all in one apt run in the background: downloading
# them overlaps with compiling the glue generator below.
packages=()
command -v node >/dev/null || packages+=(nodejs npm)
# The PDF fonts' fallback chain (app/src/ssr/pdf/fonts.rs): Noto for the
# world's scripts, Symbola for emoji. Without them a PDF still renders, with
# [U+XXXX] in place of each character that DejaVu Sans (built in) lacks.
fonts=(fonts-noto-core fonts-noto-cjk fonts-symbola)
if [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] \
  || [ ! -f /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf ] \
  || [ ! -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ]; then
  packages+=("${fonts[@]}")
fi
if [ "$mode" = test ]; then
  command -v chromium >/dev/null || packages+=(chromium)
  # pdftotext reads the PDFs back in the integration tests.
  command -v pdftotext >/dev/null || packages+=(poppler-utils)
  # zbarimg reads the EPC QR code back from a rendered PDF.
  command -v zbarimg >/dev/null || packages+=(zbar-tools)
  command -v pg_ctlcluster >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
    || packages+=(postgresql)
fi
# The site's files are served precompressed (.ci/build.sh).
command -v brotli >/dev/null || packages+=(brotli)
apt_pid=
apt_log="$(mktemp)"
if [ "${#packages[@]}" -gt 0 ]; then
  say "apt-get install ${packages[*]} (in the background)"
  apt_install "${packages[@]}" >"$apt_log" 2>&1 &
  apt_pid=$!
fi

# The JavaScript glue's generator: wasm-bindgen's library in a small
# workspace crate (.ci/bindgen), so Cargo.lock keeps it at the version the
# client links, in its own profile and target directory (no lock shared
# with the builds beside it). Seconds when it is up to date.
say "cargo build -p ledgerlock-bindgen (the JavaScript glue's generator)"
cargo build --profile tools -p ledgerlock-bindgen --quiet

if [ -n "$apt_pid" ]; then
  if ! wait "$apt_pid"; then
    cat "$apt_log" >&2
    # Serving needs node (for wasm-opt); the fonts are welcome but optional
    # there. Testing needs everything.
    if [ "$mode" = test ] || ! command -v node >/dev/null; then
      say "apt-get install failed" >&2
      exit 1
    fi
    say "could not install the PDF fonts (${fonts[*]}); PDFs show [U+XXXX] for scripts DejaVu Sans lacks"
  fi
  say "apt-get install done"
fi
rm -f "$apt_log"

# A current binaryen for wasm-opt (Debian's 108 breaks today's WebAssembly).
if [ ! -x .ci/node_modules/binaryen/bin/wasm-opt ]; then
  say "npm ci in .ci (binaryen's wasm-opt)"
  (cd .ci && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$mode" = test ] && [ ! -d end2end/node_modules/playwright-core ]; then
  say "npm ci in end2end (playwright-core)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

# The Stripe emulator the payment tests talk to (issue 15), pinned, in its
# own virtual environment.
if [ "$mode" = test ]; then
  bash .ci/localstripe.sh --install
fi
