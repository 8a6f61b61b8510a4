// Time to interactive on a slow connection (issue 16), printed by
// `make bench`: Chromium with an empty cache over an emulated link of
// 1.6 Mbit/s down, 750 kbit/s up and 150 ms round trips (Lighthouse's
// "slow 4G"), from navigation start to the page's `data-hydrated` flag (set
// once the WASM has hydrated it: every control works from then on).
//
//   node end2end/bench/interactive.mjs http://127.0.0.1:3200
//
// Prints one line per page: the time, and the bytes that crossed the
// emulated link (compressed, as sent) and decoded.
import { chromium } from 'playwright-core';

const base = process.argv[2];
if (!base) {
  console.error('usage: interactive.mjs <base url>');
  process.exit(2);
}
const PASSWORD = 'velvet thunder orchard 1987 kite';
const SLOW_4G = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

async function timeToInteractive(path, signedIn) {
  const context = await browser.newContext({ baseURL: base });
  try {
    if (signedIn) {
      const email = `tti-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
      const answer = await context.request.post('/api/auth/sign_up', {
        form: { name: 'Bench', email, password: PASSWORD, organization: 'Bench Ltd' },
        headers: { accept: 'application/json' },
      });
      if (answer.status() !== 200) throw new Error(`sign-up: ${answer.status()}`);
    }
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
    let sent = 0;
    const sizes = new Map();
    cdp.on('Network.dataReceived', (event) => {
      sizes.set(event.requestId, (sizes.get(event.requestId) ?? 0) + event.dataLength);
    });
    cdp.on('Network.loadingFinished', (event) => { sent += event.encodedDataLength; });
    const started = Date.now();
    await page.goto(path, { waitUntil: 'commit' });
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 120_000 });
    const elapsed = Date.now() - started;
    const decoded = [...sizes.values()].reduce((sum, n) => sum + n, 0);
    console.log(`time to interactive, ${path}: ${(elapsed / 1000).toFixed(2)} s `
      + `(${Math.round(sent / 1024)} KB over the link, ${Math.round(decoded / 1024)} KB decoded)`);
  } finally {
    await context.close();
  }
}

try {
  await timeToInteractive('/sign-in', false);
  await timeToInteractive('/app', true);
  await timeToInteractive('/app/invoices', true);
} finally {
  await browser.close();
}
