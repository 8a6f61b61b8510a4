// Shared helpers: one Chromium, a fresh context per test, and the app's URL.
import { afterEach } from 'node:test';
import { chromium } from 'playwright-core';

export const BASE_URL = process.env.LEDGERLOCK_E2E_URL ?? 'http://localhost:3100';
export const PASSWORD = 'correct horse battery staple';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

// Chromium logs every 4xx answer to a fetch as a console error; tests that
// show the user an error message (a wrong code, a session that ended) expect
// those. Anything else in the console fails the test.
const SERVER_REFUSAL = /Failed to load resource: the server responded with a status of 4\d\d/;

/**
 * A page that records console errors, warnings and uncaught exceptions.
 * Closing its context fails the test if any were recorded (answers with a 4xx
 * status excepted), so every test checks the console without asking.
 */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({ baseURL: BASE_URL, ...options });
  const page = await context.newPage();
  const problems = [];
  const unexpected = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      const text = `${message.type()}: ${message.text()}`;
      problems.push(text);
      if (!SERVER_REFUSAL.test(text)) unexpected.push(text);
    }
  });
  page.on('pageerror', (error) => {
    problems.push(`pageerror: ${error.message}`);
    unexpected.push(`pageerror: ${error.message}`);
  });
  const trace = traceRequests(page);
  openPages.add({ page, trace, problems });
  const close = context.close.bind(context);
  context.close = async (...args) => {
    for (const open of openPages) if (open.page === page) openPages.delete(open);
    await close(...args);
    if (unexpected.length > 0) {
      throw new Error(`the browser console was not clean:\n${unexpected.join('\n')}`);
    }
  };
  return { context, page, problems };
}

/** Pages whose test has not closed them yet: after a test, only a failed one's. */
const openPages = new Set();

/** The page's requests: their method, path, status and time, and those still unanswered. */
function traceRequests(page) {
  const started = Date.now();
  const events = [];
  const pending = new Map();
  const path = (request) => (request.url?.() ?? '').replace(/^https?:\/\/[^/]+/, '');
  const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  page.on('request', (request) => pending.set(request, at()));
  page.on('requestfinished', async (request) => {
    pending.delete(request);
    const response = await request.response().catch(() => null);
    events.push(`${at()} ${request.method()} ${path(request)} -> ${response?.status() ?? '?'}`);
  });
  page.on('requestfailed', (request) => {
    pending.delete(request);
    events.push(`${at()} ${request.method()} ${path(request)} failed: ${request.failure()?.errorText}`);
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) events.push(`${at()} navigated to ${frame.url()}`);
  });
  return { events, pending, path };
}

// A failed test leaves its page open: say where it stood, so an intermittent
// failure can be read from one run's output (CI keeps nothing else).
afterEach(async () => {
  for (const { page, trace, problems } of openPages) {
    const lines = [`the page of the failed test: ${page.url()}`];
    try {
      const state = await page.evaluate(() => ({
        hydrated: document.body?.dataset.hydrated ?? 'no',
        text: document.body?.innerText ?? '',
      }));
      lines.push(`hydrated: ${state.hydrated}`, `text: ${state.text.replace(/\s+/g, ' ').slice(0, 1500)}`);
    } catch (error) {
      lines.push(`(the page could not be read: ${error.message})`);
    }
    lines.push('requests:', ...trace.events.slice(-40).map((event) => `  ${event}`));
    for (const [request, since] of trace.pending) {
      lines.push(`  unanswered since ${since}: ${request.method()} ${trace.path(request)}`);
    }
    if (problems.length > 0) lines.push('console:', ...problems.map((problem) => `  ${problem}`));
    console.error(lines.join('\n'));
  }
  openPages.clear();
});

/** How long a page of the release build may take to hydrate. */
export const HYDRATION_TIMEOUT_MS = 10_000;

/** Waits until the WASM has hydrated the page. */
export async function hydrated(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: HYDRATION_TIMEOUT_MS });
}

export function uniqueEmail() {
  return `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Creates an account through the API, as another browser would have. */
export async function signUpViaApi(page, email, organization = 'Acme Trading') {
  const response = await page.request.post('/api/auth/sign_up', {
    form: { name: 'Ana López', email, password: PASSWORD, organization },
    headers: { accept: 'application/json' },
  });
  if (response.status() !== 200) {
    throw new Error(`sign-up failed: ${response.status()} ${await response.text()}`);
  }
}

/** Signs in through the form and waits for the dashboard. */
export async function signInViaForm(page, email, password = PASSWORD) {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('**/app');
}

/** The newest message to `to` whose Subject contains `subject`, decoded, waiting for it. */
export async function newestMail(to, subject) {
  const { readdir, readFile, stat } = await import('node:fs/promises');
  const dir = process.env.LEDGERLOCK_E2E_OUTBOX;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.eml'));
    const messages = [];
    for (const name of names) {
      const path = `${dir}/${name}`;
      const text = decodeQuotedPrintable(await readFile(path, 'utf8'));
      const subjectLine = text.split(/\r?\n/).find((line) => line.startsWith('Subject:')) ?? '';
      if (text.includes(`To: ${to}`) && subjectLine.includes(subject)) {
        messages.push({ text, modified: (await stat(path)).mtimeMs });
      }
    }
    if (messages.length > 0) {
      return messages.sort((a, b) => b.modified - a.modified)[0].text;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail to ${to} about ${subject}`);
}

function decodeQuotedPrintable(text) {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/** An RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret, as an app would show it. */
export async function totpCode(base32Secret, offsetSeconds = 0) {
  const { createHmac } = await import('node:crypto');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of base32Secret.replace(/=+$/, '')) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor((Date.now() / 1000 + offsetSeconds) / 30)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const value = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/** Confirms `email`'s address by opening the emailed link, as its owner would. */
export async function confirmAddress(page, email) {
  const confirmation = await newestMail(email, 'confirm your email address');
  const link = confirmation.match(/https?:\/\/\S+\/confirm-email\?token=[A-Za-z0-9_-]+/)[0];
  await page.goto(link);
  await hydrated(page);
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await page.getByTestId('email-confirmed').waitFor();
}
