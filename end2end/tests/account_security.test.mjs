// Account security in a real browser: forgotten password through the
// outbox, ending another browser's session, and the live strength meter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, openPage, hydrated, uniqueEmail, signUpViaApi, signInViaForm, newestMail, PASSWORD,
} from './support.mjs';

const NEW_PASSWORD = 'velvet thunder orchard 1987 kite';
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a forgotten password is reset through the emailed link', async () => {
  const { context, page, problems } = await openPage(browser);
  const email = uniqueEmail();
  await signUpViaApi(page, email);
  await context.clearCookies();

  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.waitForURL('**/forgot-password');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByTestId('reset-sent').waitFor();

  const message = await newestMail(email, 'reset your password');
  const link = message.match(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/)[0];
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.waitForURL('**/sign-in?reset=1');
  // The sign-in page's code may still be loading (a lazy route).
  await page.getByRole('status').waitFor();

  await signInViaForm(page, email, NEW_PASSWORD);
  assert.deepEqual(problems, []);

  // The link worked once.
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel('New password').fill('another fresh passphrase 77');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByRole('alert').filter({ hasText: 'already been used' }).waitFor();
  await context.close();
});

test('a session ended on the sessions page is signed out in the other browser', async () => {
  const email = uniqueEmail();
  const laptop = await openPage(browser);
  const phone = await openPage(browser);
  await signUpViaApi(laptop.page, email);
  await signInViaForm(phone.page, email);

  await laptop.page.goto('/app/sessions');
  await hydrated(laptop.page);
  const rows = laptop.page.getByTestId('sessions').locator('tbody tr');
  assert.equal(await rows.count(), 2);
  assert.equal(await laptop.page.getByText('This device').count(), 1);
  await rows
    .filter({ hasNotText: 'This device' })
    .getByRole('button', { name: 'Sign out' })
    .click();
  await laptop.page.waitForFunction(
    () => document.querySelectorAll('[data-testid="sessions"] tbody tr').length === 1,
  );

  await phone.page.goto('/app');
  await phone.page.waitForURL('**/sign-in?next=/app');
  assert.deepEqual(laptop.problems, []);
  await laptop.context.close();
  await phone.context.close();
});

test('the strength meter follows the password as it is typed', async () => {
  const { context, page, problems } = await openPage(browser);
  await page.goto('/sign-up');
  await hydrated(page);
  await page.getByLabel('Organization name').fill('Brightwater Analytics');
  const password = page.getByLabel('Password', { exact: true });
  const meter = page.getByTestId('password-meter');
  // The verdict comes from the server once typing pauses.
  const verdict = (text) => meter.locator('.strength-verdict', { hasText: text }).waitFor();

  await password.pressSequentially('password');
  await verdict(/at least 12/);
  assert.equal(await meter.locator('.strength-label').textContent(), 'Very weak');

  await password.fill('');
  await password.pressSequentially('brightwater analytics 2026');
  await verdict(/organization/);

  await password.fill('');
  await password.pressSequentially(NEW_PASSWORD);
  await verdict('Meets the password policy.');
  assert.ok(Number(await meter.locator('meter').getAttribute('value')) >= 3);
  assert.equal(await meter.getAttribute('aria-busy'), 'false');

  await password.fill('');
  await meter.locator('.strength-verdict').waitFor({ state: 'detached' });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a slow verdict for an older password never shows against the newer one', async () => {
  const { context, page } = await openPage(browser);
  await page.goto('/sign-up');
  await hydrated(page);
  // The server's answer about the weak password arrives last.
  let held = 0;
  await page.route('**/api/auth/password_strength', async (route) => {
    const body = route.request().postData() ?? '';
    if (body.includes('password=password1234&')) {
      held += 1;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    await route.continue();
  });
  const password = page.getByLabel('Password', { exact: true });
  const meter = page.getByTestId('password-meter');

  await password.fill('password1234');
  await page.waitForTimeout(400); // past the pause: that verdict is asked for
  await password.fill(NEW_PASSWORD);
  await meter.locator('.strength-verdict', { hasText: 'Meets the password policy.' }).waitFor();
  await page.waitForTimeout(2_500); // the held answer has arrived by now
  assert.equal(held, 1, 'the weak password was asked about once');
  assert.equal(await meter.locator('.strength-verdict').textContent(), 'Meets the password policy.');
  await context.close();
});

test('a form left open in a tab writes nothing into the account signed in meanwhile in another', async () => {
  const { context, page } = await openPage(browser);
  await signUpViaApi(page, uniqueEmail(), 'Alpha Works');
  const other = await context.newPage();
  await other.goto('/app/customers');
  await hydrated(other);

  await page.goto('/app');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await signUpViaApi(page, uniqueEmail(), 'Beta Goods');

  // The tab still showing Alpha Works saves a customer: refused, and the
  // tab reloads as the account now signed in.
  await other.locator('#customer-name').fill('Left Open Tab Ltd');
  await other.getByLabel('Payment terms (days)').fill('14');
  await other.getByRole('button', { name: 'Add customer' }).click();
  await other.locator('.app-header .organization', { hasText: 'Beta Goods' }).waitFor();
  await hydrated(other);
  assert.equal(await other.getByText('Left Open Tab Ltd').count(), 0);
  const books = await page.request.post('/api/customers/list', { headers: { accept: 'application/json' } });
  assert.equal(books.status(), 200);
  assert.ok(!(await books.text()).includes('Left Open Tab'), 'the customer landed in the other account');

  // Reloaded, the tab works as Beta Goods.
  await other.locator('#customer-name').fill('Beta Customer Oy');
  await other.getByLabel('Payment terms (days)').fill('14');
  await other.getByRole('button', { name: 'Add customer' }).click();
  await other.getByText('Beta Customer Oy').first().waitFor();
  await context.close();
});

test('a tab left open follows the account signed in meanwhile, never showing one over another', async () => {
  const { context, page, problems } = await openPage(browser);
  await signUpViaApi(page, uniqueEmail(), 'Alpha Works');
  const other = await context.newPage();
  await other.goto('/app/customers');
  await hydrated(other);
  assert.equal(await other.locator('.app-header .organization').textContent(), 'Alpha Works');

  // In the first tab: sign out, and someone else signs in in this browser.
  await page.goto('/app');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/sign-in');
  await signUpViaApi(page, uniqueEmail(), 'Beta Goods');

  // The tab left open: its next click shows the new account, header and page
  // alike. The dashboard's code arrives late, as over a slow link: the
  // refusal comes back while the route still loads and the address bar
  // still shows the page left, and the tab must go where the click went
  // (it reloaded the customer list instead, one CI run in three).
  await other.route('**/pkg/split_home_pages_*', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  const reload = other.waitForRequest((request) => request.isNavigationRequest());
  await other.getByRole('link', { name: 'Dashboard' }).click();
  assert.equal(new URL((await reload).url()).pathname, '/app', 'the page loads where the click went');
  await other.getByTestId('organization-name').filter({ hasText: 'Beta Goods' }).waitFor();
  await other.locator('.app-header .organization', { hasText: 'Beta Goods' }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});
