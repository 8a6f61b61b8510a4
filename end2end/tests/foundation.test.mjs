// The first vertical slice: sign up, dashboard, reload, sign out, sign in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, hydrated, uniqueEmail, PASSWORD } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a new owner signs up, stays signed in across a reload, and signs out', async () => {
  const { context, page, problems } = await openPage(browser);
  const email = uniqueEmail();

  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.waitForURL('**/sign-up');

  await page.getByLabel('Your name').fill('Ana López');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Organization name').fill('Acme Trading');
  await page.getByRole('button', { name: 'Create account' }).click();

  await page.waitForURL('**/app');
  assert.equal(await page.getByTestId('organization-name').textContent(), 'Acme Trading');
  assert.equal(await page.getByTestId('member-count').textContent(), '1');
  assert.match(await page.getByTestId('session-started').textContent(), /UTC$/);

  await page.reload();
  await hydrated(page);
  assert.equal(await page.getByTestId('organization-name').textContent(), 'Acme Trading');
  assert.ok(await page.getByText('Ana López').isVisible());

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await page.goto('/app');
  await page.waitForURL('**/sign-in?next=/app');

  assert.deepEqual(problems, [], 'the browser console stays clean');
  await context.close();
});

test('the sign-up form is interactive: errors appear beside the field without leaving the page', async () => {
  const { context, page } = await openPage(browser);
  await page.goto('/sign-up');
  await hydrated(page);
  await page.getByLabel('Your name').fill('Ana');
  await page.getByLabel('Email').fill(uniqueEmail());
  await page.getByLabel('Password', { exact: true }).fill('too short');
  await page.getByLabel('Organization name').fill('Acme');
  await page.getByRole('button', { name: 'Create account' }).click();

  const error = page.locator('#field-password-error');
  await error.waitFor({ state: 'visible' });
  assert.equal(await error.textContent(), 'Use at least 12 characters.');
  assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.match(page.url(), /\/sign-up$/, 'the page did not navigate');
  await context.close();
});

test('signing in returns to the page that asked for it', async () => {
  const { context, page, problems } = await openPage(browser);
  const email = uniqueEmail();
  // Create the account through the API, as another browser would have.
  const created = await page.request.post('/api/auth/sign_up', {
    form: { name: 'Bo', email, password: PASSWORD, organization: 'Bo & Co' },
    headers: { accept: 'application/json' },
  });
  assert.equal(created.status(), 200);
  await context.clearCookies();

  await page.goto('/app');
  await page.waitForURL('**/sign-in?next=/app');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'incorrect' }).waitFor();

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('**/app');
  assert.equal(await page.getByTestId('organization-name').textContent(), 'Bo & Co');
  // The refused attempt logs a 401 fetch; nothing else may appear.
  assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
  await context.close();
});
