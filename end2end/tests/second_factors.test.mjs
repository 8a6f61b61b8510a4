// Two-step verification in a real browser: set up an authenticator app
// (codes computed here, as the app would), then sign in with it, and with a
// recovery code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, hydrated, uniqueEmail, signUpViaApi, totpCode, PASSWORD,
} from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function passwordStep(page, email) {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('**/sign-in/verify?next=/app');
}

test('an owner turns on an authenticator app, then signs in with it and with a recovery code', async () => {
  const { context, page, problems } = await openPage(browser);
  const email = uniqueEmail();
  await signUpViaApi(page, email);

  await page.goto('/app/account');
  await hydrated(page);
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = await page.getByTestId('totp-secret').textContent();
  assert.ok(await page.locator('.qr svg').isVisible(), 'the QR code is drawn');
  await page.getByLabel('Code from the app').fill(await totpCode(secret));
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
  const codes = page.getByTestId('recovery-codes').locator('li');
  await codes.first().waitFor();
  assert.equal(await codes.count(), 10);
  const recoveryCode = (await codes.nth(0).textContent()).trim();
  await page.getByTestId('totp-on').waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');

  // The enrolment used the current step: the app's next code is still in the window.
  await passwordStep(page, email);
  await hydrated(page);
  await page.getByLabel('Code').fill(await totpCode(secret, 30));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL((url) => url.pathname === '/app');
  assert.equal(await page.getByTestId('organization-name').textContent(), 'Acme Trading');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await passwordStep(page, email);
  await hydrated(page);
  await page.getByLabel('Code').fill(recoveryCode);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL((url) => url.pathname === '/app');

  assert.deepEqual(problems, []);
  await context.close();
});

test('a wrong code is refused beside the field', async () => {
  const { context, page } = await openPage(browser);
  const email = uniqueEmail();
  await signUpViaApi(page, email);
  const started = await page.request.post('/api/second_factor/totp/start', { headers: { accept: 'application/json' } });
  const { secret } = await started.json();
  const confirmed = await page.request.post('/api/second_factor/totp/confirm', {
    form: { code: await totpCode(secret) },
    headers: { accept: 'application/json' },
  });
  assert.equal(confirmed.status(), 200);
  await context.clearCookies();

  await passwordStep(page, email);
  await hydrated(page);
  await page.getByLabel('Code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('#field-code-error').filter({ hasText: 'not valid' }).waitFor();
  assert.match(page.url(), /\/sign-in\/verify/);
  await context.close();
});
