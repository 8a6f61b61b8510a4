#!/usr/bin/env bash
# Builds what `make run` serves: the server binary and the site beside it
# (hydration WASM + JS, stylesheet, public assets), driving cargo,
# wasm-bindgen and wasm-opt directly.
#
#   .ci/build.sh release   the build `make run` serves and `make test` tests
#   .ci/build.sh dist      the fully optimised one (`make bench`, packaging)
#   .ci/build.sh debug     a quick unoptimised one for poking at by hand
#
# Output: target/<profile>/ledgerlock, target/<profile>/hash.txt and
# target/site/ (the server finds `../site` beside its binary). File names
# in target/site/pkg carry a content hash, so the server can cache them for
# a year; hash.txt is how Leptos' <HydrationScripts> learns the names.
#
# cargo-leptos does the same for `cargo leptos watch` during development;
# this script is what the Makefile uses, so nobody has to compile
# cargo-leptos to run or test the app.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

profile="${1:-release}"
case "$profile" in
  release) server_profile=release wasm_profile=wasm-release optimise=-O1 ;;
  dist) server_profile=dist wasm_profile=wasm-dist optimise=-O1 ;;
  debug) server_profile=dev wasm_profile=dev optimise= ;;
  *) echo "build.sh: unknown profile '$profile' (release, dist or debug)" >&2; exit 2 ;;
esac
server_dir="target/$([ "$server_profile" = dev ] && echo debug || echo "$server_profile")"
wasm_dir="target/wasm32-unknown-unknown/$([ "$wasm_profile" = dev ] && echo debug || echo "$wasm_profile")"

step() { printf '\n== build (%s): %s\n' "$profile" "$*"; }
elapsed() { printf '   done in %d s\n' $(( $(date +%s) - $1 )); }

# Three jobs side by side: the tools (apt, npm, the glue generator), the
# browser client and the server. On 2 cores each fills the single-threaded
# stretches of the others (the application crate and the server crate
# each end on one core for minutes on a fresh build).
# The two cargo builds use different profiles, so different directories
# under target/ and no lock between them. Each line of output is prefixed
# with its job's name.
job_names=()
job_pids=()
job() { # name command...
  local name="$1"
  shift
  (
    started=$(date +%s)
    "$@" 2>&1 | sed -u "s/^/[$name] /"
    printf '[%s] done in %d s\n' "$name" $(( $(date +%s) - started ))
  ) &
  job_names+=("$name")
  job_pids+=("$!")
}
wait_for_job() { # name
  local i
  for i in "${!job_names[@]}"; do
    [ "${job_names[$i]}" = "$1" ] || continue
    if ! wait "${job_pids[$i]}"; then
      echo "build.sh: $1 failed (its output is above, prefixed [$1])" >&2
      kill "${job_pids[@]}" 2>/dev/null || true
      exit 1
    fi
    return
  done
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  bash .ci/tools.sh target
fi

# The server is the longest chain, so it gets the cores first; the client
# and the tools run at a lower priority and take what it leaves (one core
# while the application and server crates compile, each on a single core
# for minutes). A fresh build is bound by the cores all the same: 48
# CPU-minutes in all on 2 cores (README, Quick start).
step "tools, the browser client ($wasm_profile) and the server ($server_profile), side by side"
job server cargo build --profile "$server_profile" -p ledgerlock --bin ledgerlock
job client nice -n 15 cargo build --profile "$wasm_profile" --target wasm32-unknown-unknown -p ledgerlock-frontend --lib
job tools nice -n 19 bash .ci/tools.sh "${LEDGERLOCK_TOOLS:-build}"
wait_for_job tools
wait_for_job client

# The rest depends only on that WASM, the stylesheet, public/ and this
# script: when none changed since the last build of this profile, keep the
# site as it is (a second `make run` then takes seconds).
stamp_file="target/site-$profile.stamp"
stamp="$(cat "$wasm_dir/ledgerlock_frontend.wasm" style/main.css .ci/build.sh | sha256sum | cut -c1-40) $(find public -type f -exec sha256sum {} + | sort | sha256sum | cut -c1-40)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -f "target/site-$profile.hash.txt" ] && [ -d target/site/pkg ] \
  && [ "$(cat target/site.profile 2>/dev/null)" = "$profile" ]; then
  step "the site: unchanged since the last $profile build"
else
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# One name ties the split files together (the loader imports the glue by
# it, the main module the loader): a hash of what they are made from.
name=$(cat "$wasm_dir/ledgerlock_frontend.wasm" .ci/build.sh | sha256sum | cut -c1-20)
step "split at the lazy routes, then wasm-bindgen: JavaScript glue"
target/tools/ledgerlock-bindgen "$wasm_dir/ledgerlock_frontend.wasm" "$work" "$name"

if [ -n "$optimise" ]; then
  # binaryen from npm (.ci/package.json): Debian's binaryen 108 breaks the
  # reference-types table that current rustc and wasm-bindgen emit. The
  # features are the ones rustc enables for wasm32-unknown-unknown. -O1, as
  # measured (README): -Oz takes five times as long for a larger gzip.
  # Each module on its own, after the split (the splitter needs the
  # linker's relocations, which wasm-opt drops); exports keep their names.
  step "wasm-opt $optimise (binaryen $(node .ci/node_modules/binaryen/bin/wasm-opt --version 2>/dev/null | awk '{ print $3 }'))"
  started=$(date +%s)
  before=$(cat "$work"/*.wasm | wc -c)
  export optimise
  ls "$work"/*.wasm | xargs -P 2 -I{} sh -c '
    node .ci/node_modules/binaryen/bin/wasm-opt "$optimise" \
      --enable-reference-types --enable-bulk-memory --enable-sign-ext \
      --enable-nontrapping-float-to-int --enable-mutable-globals --enable-multivalue \
      "{}" -o "{}.opt" && mv "{}.opt" "{}"'
  after=$(cat "$work"/*.wasm | wc -c)
  printf '   %d KB -> %d KB raw, all modules' $((before / 1024)) $((after / 1024))
  elapsed "$started"
fi

step "the site: target/site"
hash_of() { sha256sum "$1" | cut -c1-20; }
gz_kb() { echo $(( $(gzip -9 -c "$@" | wc -c) / 1024 )); }
rm -rf target/site
mkdir -p target/site/pkg
cp -R public/. target/site/
# Every file name carries its content's hash (served as immutable): the
# loader and the manifest are rewritten to the chunks' hashed names (whole
# quoted names, so chunk_1 never matches chunk_10).
loader="$work/__wasm_split.$name.js"
manifest="$work/__wasm_split_manifest.json"
chunks=0
for chunk in "$work"/split_*.wasm "$work"/chunk_*.wasm; do
  [ -e "$chunk" ] || continue
  stem=$(basename "$chunk" .wasm)
  hash=$(hash_of "$chunk")
  cp "$chunk" "target/site/pkg/$stem.$hash.wasm"
  sed -i "s|\"./$stem.wasm\"|\"./$stem.$hash.wasm\"|g" "$loader"
  sed -i "s|\"$stem\"|\"$stem.$hash\"|g" "$manifest"
  chunks=$((chunks + 1))
done
wasm_hash=$(hash_of "$work/ledgerlock_bg.wasm")
manifest_hash=$(hash_of "$manifest")
css_hash=$(hash_of style/main.css)
cp "$work/ledgerlock.$name.js" "target/site/pkg/ledgerlock.$name.js"
cp "$loader" "target/site/pkg/__wasm_split.$name.js"
cp "$manifest" "target/site/pkg/__wasm_split_manifest.$manifest_hash.json"
cp "$work/ledgerlock_bg.wasm" "target/site/pkg/ledgerlock.$wasm_hash.wasm"
cp style/main.css "target/site/pkg/ledgerlock.$css_hash.css"
wasm_bytes=$(stat -c %s "target/site/pkg/ledgerlock.$wasm_hash.wasm")
printf '   main WASM %d KB raw, %d KB gzipped; %d chunks, %d KB gzipped in all\n' $((wasm_bytes / 1024)) \
  "$(gz_kb "target/site/pkg/ledgerlock.$wasm_hash.wasm")" "$chunks" \
  "$( [ "$chunks" = 0 ] && echo 0 || cat target/site/pkg/split_*.wasm target/site/pkg/chunk_*.wasm 2>/dev/null | gz_kb)"
# Each file also compressed once, at the highest levels, beside it
# (server/src/router.rs serves these to browsers that accept them). Without
# Debian's brotli (tools.sh installs it) only gzip is made: the server then
# compresses brotli per request, as before.
brotli_too=$(command -v brotli >/dev/null && echo yes || echo no)
[ "$brotli_too" = yes ] || echo "   brotli is missing: serving gzip files and brotli made per request"
export brotli_too
find target/site/pkg -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.json' \) -print0 \
  | xargs -0 -P 2 -I{} sh -c 'gzip -9 -k -f "{}" && { [ "$brotli_too" = no ] || brotli -q 11 -k -f "{}"; }'
printf 'js: %s\nwasm: %s\ncss: %s\nsplit: %s\nmanifest: %s\n' "$name" "$wasm_hash" "$css_hash" "$name" "$manifest_hash" \
  >"target/site-$profile.hash.txt"
echo "$profile" >target/site.profile
echo "$stamp" >"$stamp_file"
fi

step "waiting for the server build"
wait_for_job server
cp "target/site-$profile.hash.txt" "$server_dir/hash.txt"

step "ready: $server_dir/ledgerlock serves target/site"
