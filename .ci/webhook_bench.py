#!/usr/bin/env python3
"""Stripe webhook figures for `make bench` (issue 15).

Pays one document through the card page's calls against localstripe (as
the browser would), then delivers signed `payment_intent.succeeded` events
for that intent to `/webhooks/stripe`: one at a time for the latency
(p50/p99), then many at once for the throughput of distinct events. Every
event has its own id, so each is verified, stored and handled under the
organization's lock (the first records the payment, the others find it
recorded).

usage: webhook_bench.py BASE STRIPE LINK_PATH WEBHOOK_SECRET [SEQUENTIAL] [TOTAL] [AT_ONCE]
"""
import hashlib
import hmac
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def call(url, body=None, headers=None, method=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    if body is not None and 'content-type' not in {k.lower() for k in request.headers}:
        request.add_header('content-type', 'application/json')
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read()


def main():
    base, stripe, link, secret = sys.argv[1:5]
    sequential = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    total = int(sys.argv[6]) if len(sys.argv) > 6 else 3000
    at_once = int(sys.argv[7]) if len(sys.argv) > 7 else 8

    _, started = call(f'{base}{link}/pay/start', {})
    started = json.loads(started)
    client_secret = started['client_secret']
    setup = client_secret.split('_secret_')[0]
    call(f'{stripe}/v1/setup_intents/{setup}/confirm', {
        'key': 'pk_test_bench', 'use_stripe_sdk': True, 'client_secret': client_secret,
        'payment_method_data': {'type': 'card', 'card': {
            'number': '4242424242424242', 'exp_month': '12', 'exp_year': '2034', 'cvc': '123'}},
    })
    call(f'{base}{link}/pay/confirm', {'attempt': started['attempt'], 'amount': ''})
    _, listed = call(f'{stripe}/v1/payment_intents?limit=100', headers={'authorization': 'Bearer sk_test_bench'})
    intent = next(pi for pi in json.loads(listed)['data']
                  if pi.get('metadata', {}).get('ledgerlock_attempt') == started['attempt'])

    def deliver(n):
        payload = json.dumps({'id': f'evt_bench_{n}_{time.time_ns()}', 'object': 'event',
                              'type': 'payment_intent.succeeded', 'data': {'object': intent}}).encode()
        stamp = int(time.time())
        signature = hmac.new(secret.encode(), f'{stamp}.'.encode() + payload, hashlib.sha256).hexdigest()
        begun = time.perf_counter()
        status, _ = call(f'{base}/webhooks/stripe', payload,
                         {'stripe-signature': f't={stamp},v1={signature}', 'content-type': 'application/json'})
        assert status == 200, status
        return (time.perf_counter() - begun) * 1000

    times = sorted(deliver(n) for n in range(sequential))
    p50 = times[len(times) // 2]
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    begun = time.perf_counter()
    with ThreadPoolExecutor(at_once) as pool:
        list(pool.map(deliver, range(sequential, sequential + total)))
    seconds = time.perf_counter() - begun
    print(f'Stripe webhook (signed, verified, stored once): p50 {p50:.1f} ms, p99 {p99:.1f} ms '
          f'of {sequential} one at a time; {total} distinct events {at_once} at once: '
          f'{total / seconds:.0f} events/s')


if __name__ == '__main__':
    main()
