// Passkeys in a real browser, with Chromium's virtual authenticator (the
// DevTools protocol's WebAuthn domain) standing in for a phone or laptop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, hydrated, uniqueEmail, signUpViaApi, PASSWORD,
} from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A platform authenticator that stores discoverable credentials and verifies its user. */
async function addAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

test('enrol a passkey, sign out, and sign in with the passkey alone', async () => {
  const { context, page, problems } = await openPage(browser);
  const { cdp, authenticatorId } = await addAuthenticator(context, page);
  const email = uniqueEmail();
  await signUpViaApi(page, email);

  await page.goto('/app/account');
  await hydrated(page);
  // A name is required, checked before the browser is asked.
  await page.getByTestId('add-passkey').click();
  await page.locator('#passkey-name-error').filter({ hasText: 'Enter a name' }).waitFor();
  await page.getByLabel('Name for a new passkey').fill('This laptop');
  await page.getByTestId('add-passkey').click();
  await page.getByTestId('passkey').filter({ hasText: 'This laptop' }).waitFor();
  assert.equal(await page.getByTestId('recovery-codes').locator('li').count(), 10);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable passkey');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForURL('**/app');
  assert.equal(await page.getByTestId('organization-name').textContent(), 'Acme Trading');

  // After a password, the passkey is the second step.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('**/sign-in/verify?next=/app');
  await hydrated(page);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  // ("**/app" would match the verify page's own "?next=/app".)
  await page.waitForURL((url) => url.pathname === '/app');

  // The account page shows when it was last used.
  await page.goto('/app/account');
  await hydrated(page);
  await page.getByTestId('passkey').filter({ hasText: 'Last used' }).waitFor();

  assert.deepEqual(problems, []);
  await context.close();
});

test('a cancelled passkey prompt is explained, and nothing is signed in', async () => {
  const { context, page } = await openPage(browser);
  const { cdp, authenticatorId } = await addAuthenticator(context, page);
  // The device refuses to verify its user (as when the prompt is dismissed).
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.locator('.passkey-button .field-error').filter({ hasText: /passkey/i }).waitFor({ timeout: 60_000 });
  assert.match(page.url(), /\/sign-in/);
  await context.close();
});
