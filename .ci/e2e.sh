#!/usr/bin/env bash
# Runs the end-to-end suite against a freshly started server with an empty
# SQLite database, with the defaults `make run` uses (its site is found beside
# the binary). Usage: .ci/e2e.sh path/to/ledgerlock
# The browser uses "localhost": passkeys need a domain name, and that is the
# default public URL of a loopback listener. Every test comes from 127.0.0.1,
# so the per-address sign-in rate limit (covered by the integration tests) is
# raised here.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-target/release/ledgerlock}"
port="${LEDGERLOCK_E2E_PORT:-3100}"
data="$(mktemp -d)"
log="$data/server.log"

stripe="$(bash .ci/localstripe.sh)"
LEDGERLOCK_ADDR="127.0.0.1:$port" LEDGERLOCK_DATA_DIR="$data" \
  LEDGERLOCK_STRIPE_API_URL="$stripe" LEDGERLOCK_STRIPE_JS_URL="$stripe/js.stripe.com/v3/" \
  LEDGERLOCK_OUTBOX_DIR="$data/outbox" \
  LEDGERLOCK_AUTH_RATE_PER_MINUTE=1000 LEDGERLOCK_SIGN_UPS_PER_CLIENT_PER_HOUR=100000 \
  "$binary" >"$log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "e2e: the server exited during startup:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.2
done

status=0
(cd end2end && LEDGERLOCK_E2E_URL="http://localhost:$port" LEDGERLOCK_E2E_OUTBOX="$data/outbox" \
  LEDGERLOCK_E2E_STRIPE="$stripe" \
  npm test --silent) || status=$?
if [ "$status" != 0 ]; then
  # Every warning and error of the run (a failing test may be long past the
  # last lines), then the last lines.
  echo "e2e: the server's warnings and errors during the run" >&2
  grep -E 'WARN|ERROR' "$log" >&2 || echo "(none)" >&2
  echo "e2e: the server log's last 50 lines" >&2
  tail -n 50 "$log" >&2
fi
exit "$status"
