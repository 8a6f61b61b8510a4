#!/usr/bin/env bash
# Starts localstripe (a Stripe emulator published on PyPI, pinned in
# .ci/requirements-test.txt, installed into .ci/venv when missing) on
# loopback if it is not answering yet, and prints its base URL. The tests
# and `make bench` point Ledgerlock's Stripe API and Stripe.js settings at
# it. Fails loudly: a missing emulator is an error, never a skip.
#   .ci/localstripe.sh            install if needed, start, print the URL
#   .ci/localstripe.sh --install  only install
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .ci/venv/bin/localstripe ]; then
  echo "== tools: pip install localstripe (a Stripe emulator) into .ci/venv" >&2
  python3 -m venv .ci/venv
  .ci/venv/bin/pip install --quiet --disable-pip-version-check -r .ci/requirements-test.txt >&2
fi
[ "${1:-}" = --install ] && exit 0
port="${LEDGERLOCK_LOCALSTRIPE_PORT:-8420}"
url="http://127.0.0.1:$port"
if ! curl -fs "$url/js.stripe.com/v3/" >/dev/null 2>&1; then
  nohup .ci/venv/bin/localstripe --port "$port" --from-scratch >"${TMPDIR:-/tmp}/localstripe-$port.log" 2>&1 &
  for _ in $(seq 1 100); do
    curl -fs "$url/js.stripe.com/v3/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  if ! curl -fs "$url/js.stripe.com/v3/" >/dev/null 2>&1; then
    echo "localstripe.sh: localstripe did not start on $url:" >&2
    cat "${TMPDIR:-/tmp}/localstripe-$port.log" >&2
    exit 1
  fi
fi
echo "$url"
