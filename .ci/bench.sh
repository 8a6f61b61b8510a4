#!/usr/bin/env bash
# Prints the figures the README keeps, from one run on this machine.
# Expects the dist build (make bench builds it first: .ci/build.sh dist).
set -euo pipefail
cd "$(dirname "$0")/.."
# Chromium, PostgreSQL and playwright-core (the time-to-interactive figures).
bash .ci/tools.sh test >/dev/null
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

app_port=3200
bare_port=3201
duration="${BENCH_SECONDS:-10}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 2000); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.005
  done
  echo "bench: $1 never answered" >&2
  exit 1
}
rps() { # url
  wrk -t2 -c32 -d"${duration}s" --latency "$1" | awk '/Requests\/sec/ { print $2 }'
}

echo "== Ledgerlock benchmark: $(date -u +%Y-%m-%d) on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# The split client: its main module and what each page loads before it is
# interactive.
python3 .ci/wasm_sizes.py target/site target/dist/hash.txt

start=$(date +%s%N)
# The sign-in rate limit would otherwise cap the load below.
LEDGERLOCK_ADDR="127.0.0.1:$app_port" LEDGERLOCK_DATA_DIR="$work/data" LEDGERLOCK_LOG=warn \
  LEDGERLOCK_AUTH_RATE_PER_MINUTE=1000000 LEDGERLOCK_SIGN_UPS_PER_CLIENT_PER_HOUR=1000000 \
  ./target/dist/ledgerlock serve >"$work/server.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$app_port/readyz"
ready=$(date +%s%N)
printf 'cold start to ready (fresh SQLite, migrations included): %d ms\n' $(((ready - start) / 1000000))

curl -fs "http://127.0.0.1:$app_port/" >"$work/landing.html"
cargo build --profile dist --quiet -p ledgerlock --example bare_landing --example password_hash
./target/dist/examples/bare_landing "127.0.0.1:$bare_port" "$work/landing.html" &
pids+=($!)
wait_for "http://127.0.0.1:$bare_port/"

app_rps=$(rps "http://127.0.0.1:$app_port/")
bare_rps=$(rps "http://127.0.0.1:$bare_port/")
awk -v app="$app_rps" -v bare="$bare_rps" 'BEGIN {
  printf "signed-out landing page: %.0f req/s; bare axum, same bytes: %.0f req/s; ratio %.2f\n", app, bare, app / bare
}'

printf 'one password hash (argon2id m=19 MiB, t=2, p=1), median of 15: %s ms\n' "$(./target/dist/examples/password_hash)"

# A signed-in page's latency, alone and while 20 sign-ins run at once.
base="http://127.0.0.1:$app_port"
email="bench-$(date +%s)@example.com"
password="velvet thunder orchard 1987 kite"
cookie="$(curl -fs -D - -o /dev/null -X POST "$base/api/auth/sign_up" -H 'accept: application/json' \
  --data-urlencode "name=Bench" --data-urlencode "email=$email" --data-urlencode "password=$password" \
  --data-urlencode "organization=Bench Ltd" | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2 }')"
p99() { # url
  wrk -t2 -c8 -d"${duration}s" --latency -H "Cookie: $cookie" "$1" | awk '$1 == "99%" { print $2 }'
}
quiet_p99=$(p99 "$base/app")
touch "$work/signing-in"
for _ in $(seq 1 20); do
  (
    while [ -f "$work/signing-in" ]; do
      curl -s -o /dev/null -X POST "$base/api/auth/sign_in" -H 'accept: application/json' \
        --data-urlencode "email=$email" --data-urlencode "password=$password"
    done
  ) &
  pids+=($!)
done
loaded_p99=$(p99 "$base/app")
rm -f "$work/signing-in"
printf 'signed-in dashboard p99: %s alone, %s while 20 concurrent sign-ins run\n' "$quiet_p99" "$loaded_p99"

# Time to interactive in Chromium over an emulated slow link.
node end2end/bench/interactive.mjs "$base"

# Invoicing at scale, on SQLite and on PostgreSQL: a generated organization
# (`ledgerlock demo-data`), then server-side timings of its services and a
# streamed CSV export through HTTP with the server's peak memory.
invoices="${BENCH_INVOICES:-1000000}"
customers="${BENCH_CUSTOMERS:-100000}"
invoicing_bench() { # name database-url port
  local name="$1" url="$2" port="$3" dir="$work/$1"
  mkdir -p "$dir"
  serve() {
    LEDGERLOCK_ADDR="127.0.0.1:$port" LEDGERLOCK_DATA_DIR="$dir" LEDGERLOCK_DATABASE_URL="$url" LEDGERLOCK_LOG=warn \
      LEDGERLOCK_OUTBOX_DIR="$dir/outbox" LEDGERLOCK_AUTH_RATE_PER_MINUTE=1000000 \
      LEDGERLOCK_STRIPE_API_URL="$stripe" LEDGERLOCK_STRIPE_JS_URL="$stripe/js.stripe.com/v3/" \
      ./target/dist/ledgerlock serve >>"$dir/server.log" 2>&1 &
    server=$!
    pids+=("$server")
    wait_for "http://127.0.0.1:$port/readyz"
  }
  local server
  serve
  local owner="demo-$name-$(date +%s)@example.com"
  local session
  session="$(curl -fs -D - -o /dev/null -X POST "http://127.0.0.1:$port/api/auth/sign_up" -H 'accept: application/json' \
    --data-urlencode "name=Demo" --data-urlencode "email=$owner" --data-urlencode "password=$password" \
    --data-urlencode "organization=Demo Trading" | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2 }')"
  /usr/bin/time -f %e -o "$dir/generated" env LEDGERLOCK_DATA_DIR="$dir" LEDGERLOCK_DATABASE_URL="$url" LEDGERLOCK_LOG=warn \
    ./target/dist/ledgerlock demo-data --owner "$owner" --customers "$customers" --invoices "$invoices"
  echo "== $name: $invoices invoices, $customers customers (generated in $(cat "$dir/generated") s)"
  # A restart on the full database: process start to /readyz answering.
  kill "$server"
  wait "$server" 2>/dev/null || true
  local restarted
  restarted=$(date +%s%N)
  serve
  printf 'cold start to ready with this database: %d ms\n' $(( ($(date +%s%N) - restarted) / 1000000 ))
  ./target/dist/examples/invoicing_bench "$url" "$owner"
  local before seconds peak
  before=$(date +%s%N)
  curl -fs -o "$dir/export.csv" -H "Cookie: $session" "http://127.0.0.1:$port/app/export/invoices.csv"
  seconds=$(( $(date +%s%N) - before ))
  peak=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$server/status")
  rows=$(( $(wc -l <"$dir/export.csv") - 1 ))
  awk -v rows="$rows" -v ns="$seconds" -v peak="$peak" 'BEGIN {
    printf "CSV export: %d rows in %.1f s (%.0f rows/s); server peak memory %d MB\n", rows, ns / 1e9, rows / (ns / 1e9), peak
  }'
  portal_bench "http://127.0.0.1:$port" "$session" "$dir/outbox" "$owner"
  kill "$server" 2>/dev/null || true
}

# Sending and the customer's page in the big organization: the owner
# confirms their address (as the emailed link would), sends an issued
# invoice 20 times (one recipient each) timing each from the request to its
# message in the outbox, then loads the recipient's page with wrk.
# The first group of PATTERN in every message of OUTBOX, oldest message
# first, decoded (mail bodies are quoted-printable: `=3D`, soft line breaks).
outbox_find() { # outbox pattern
  python3 - "$1" "$2" <<'PY'
import email, email.policy, pathlib, re, sys
outbox, pattern = sys.argv[1], re.compile(sys.argv[2])
for path in sorted(pathlib.Path(outbox).glob('*.eml'), key=lambda p: p.stat().st_mtime):
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    for part in message.walk():
        if part.get_content_type() == 'text/plain':
            for found in pattern.finditer(part.get_content()):
                print(found.group(1))
PY
}

portal_bench() { # base session outbox owner
  local base="$1" session="$2" outbox="$3" owner="$4"
  local token id
  token="$(outbox_find "$outbox" 'confirm-email\?token=([A-Za-z0-9_-]+)' | head -n 1)"
  curl -fs -o /dev/null -X POST "$base/api/auth/confirm_email" -H 'accept: application/json' --data-urlencode "token=$token"
  id="$(curl -fs -X POST "$base/api/invoices/list" -H 'accept: application/json' -H 'content-type: application/json' \
    -H "Cookie: $session" -d '{"filter":{"status":"Unpaid"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0]["id"])')"
  local times=() before count
  for n in $(seq 1 20); do
    count=$(ls "$outbox" | wc -l)
    before=$(date +%s%N)
    curl -fs -o /dev/null -X POST "$base/api/invoices/send" -H 'accept: application/json' -H "Cookie: $session" \
      --data-urlencode "id=$id" --data-urlencode "recipients=customer-$n@example.com"
    while [ "$(ls "$outbox" | wc -l)" -le "$count" ]; do sleep 0.002; done
    times+=($(( ($(date +%s%N) - before) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END {
    printf "Send to message in the outbox (PDF rendered, queued, written): p50 %d ms, max %d ms of %d\n", t[int((NR + 1) / 2)], t[NR], NR
  }'
  local link
  link="$(outbox_find "$outbox" '(/portal/d/[A-Za-z0-9_-]{43})' | tail -n 1)"
  wrk -t2 -c8 -d"${duration}s" --latency "$base$link" | awk '
    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } /Requests\/sec/ { rps = $2 }
    END { printf "portal document page (a recipient'"'"'s link): p50 %s, p99 %s, %.0f req/s\n", p50, p99, rps }'
  # Card payments: connect Stripe (the emulator), pay the link's document,
  # then time the webhook.
  # The step-up (demo data took longer than its 10 minutes) renews the
  # session's id: keep the new cookie.
  local renewed
  renewed="$(curl -fs -D - -o /dev/null -X POST "$base/api/auth/confirm_identity" -H 'accept: application/json' \
    -H "Cookie: $session" --data-urlencode "password=$password" | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2 }')"
  session="${renewed:-$session}"
  local webhook_secret="whsec_bench$(date +%s)"
  curl -fs -o /dev/null -X POST "$base/api/organization/save_payments" -H 'accept: application/json' -H "Cookie: $session" \
    --data-urlencode "publishable_key=pk_test_bench" --data-urlencode "secret_key=sk_test_bench" \
    --data-urlencode "webhook_secret=$webhook_secret"
  python3 .ci/webhook_bench.py "$base" "$stripe" "$link" "$webhook_secret"
}
stripe="$(bash .ci/localstripe.sh)"
cargo build --profile dist --quiet -p ledgerlock --example invoicing_bench
command -v /usr/bin/time >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
invoicing_bench sqlite "sqlite://$work/bench.db?mode=rwc" 3202
admin_url="$(bash .ci/postgres.sh)"
bench_db="ledgerlock_bench_$(date +%s)"
psql "$admin_url" -qc "CREATE DATABASE $bench_db" >/dev/null
invoicing_bench postgres "${admin_url%/*}/$bench_db" 3203
psql "$admin_url" -qc "DROP DATABASE $bench_db" >/dev/null || true
