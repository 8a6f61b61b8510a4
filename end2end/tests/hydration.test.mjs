// Every page of the build `make run` serves hydrates within 10 s with a clean
// console: a release client that never hydrated once shipped unnoticed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, hydrated, uniqueEmail, signUpViaApi, HYDRATION_TIMEOUT_MS } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const SIGNED_OUT = ['/', '/sign-up', '/sign-in', '/forgot-password', '/reset-password?token=x', '/confirm-email?token=x', '/invitation?token=x', '/no-such-page'];
const SIGNED_IN = [
  '/app',
  '/app/sessions',
  '/app/security',
  '/app/account',
  '/app/organization',
  '/app/invoices',
  '/app/invoices/new',
  '/app/customers',
  '/app/products',
  '/app/audit',
  '/app/team',
  '/app/team/roles',
  '/app/team/access',
];

async function visitAll(page, problems, paths) {
  for (const path of paths) {
    const started = Date.now();
    const before = problems.length;
    await page.goto(path);
    await hydrated(page).catch(() => {
      throw new Error(`${path} did not hydrate within ${HYDRATION_TIMEOUT_MS} ms`);
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < HYDRATION_TIMEOUT_MS, `${path} hydrated after ${elapsed} ms`);
    // Name the page whose console was not clean (the check on closing the
    // context would not say which).
    await page.waitForLoadState('networkidle');
    const fresh = problems.slice(before).filter((problem) => !/status of 4\d\d/.test(problem));
    assert.deepEqual(fresh, [], `${path} logged to the console`);
  }
}

test('every page hydrates within 10 s with a clean console, signed out and signed in', async () => {
  const { context, page, problems } = await openPage(browser);
  await visitAll(page, problems, SIGNED_OUT);

  await signUpViaApi(page, uniqueEmail());
  await visitAll(page, problems, SIGNED_IN);
  await context.close();
});

test('the served client is the release pipeline: hashed, long-cached, and smaller than a debug build', async () => {
  const { context, page } = await openPage(browser);
  const response = await page.goto('/');
  const html = await response.text();
  const wasm = html.match(/href="(\/pkg\/ledgerlock\.[0-9a-f]+\.wasm)"/);
  assert.ok(wasm, 'the page preloads a content-hashed WASM file');
  const asset = await page.request.get(wasm[1]);
  assert.equal(asset.status(), 200);
  assert.match(asset.headers()['cache-control'] ?? '', /immutable/);
  const bytes = (await asset.body()).length;
  // A debug client is well over 20 MB; the release one a few.
  assert.ok(bytes < 12_000_000, `the WASM is ${bytes} bytes: not a release build`);
  await context.close();
});

test('a page\'s head announces every WASM file it loads, nested lazy routes included', async () => {
  // Files the head does not name are only found once the code before them
  // has loaded and run: on a slow link, round trips one after another.
  const { context, page } = await openPage(browser);
  await signUpViaApi(page, uniqueEmail(), 'Preload Ltd');
  for (const path of ['/app', '/app/invoices', '/app/invoices/new', '/app/team']) {
    const fetched = new Set();
    const record = (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('.wasm')) fetched.add(url.pathname);
    };
    page.on('request', record);
    const response = await page.goto(path);
    const html = await response.text();
    await hydrated(page);
    page.off('request', record);
    const announced = new Set(
      [...html.matchAll(/<link[^>]*rel="preload"[^>]*>/g)]
        .map((link) => link[0].match(/href="([^"]+\.wasm)"/)?.[1])
        .filter(Boolean),
    );
    assert.ok(fetched.size > 1, `${path}: the page loads its route's files (${[...fetched]})`);
    const unannounced = [...fetched].filter((file) => !announced.has(file));
    assert.deepEqual(unannounced, [], `${path}: fetched without a preload in the head`);
  }
  await context.close();
});
