// A team in two browsers: the owner invites a member, the member accepts
// and works, the owner limits them to one customer (their lists shrink at
// once), then removes them (their next click lands on the sign-in page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, hydrated, uniqueEmail, signUpViaApi, newestMail, PASSWORD } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function addCustomer(page, name) {
  const response = await page.request.post('/api/customers/save', {
    form: { name, currency: 'EUR' },
    headers: { accept: 'application/json' },
  });
  assert.equal(response.status(), 200, await response.text());
}

async function customerNames(page) {
  await page.getByTestId('customers').waitFor();
  return page.getByTestId('customers').locator('tbody tr td:first-child').allTextContents();
}

test('invite, work, limit and remove a member', async () => {
  const owner = await openPage(browser);
  const ownerEmail = uniqueEmail();
  await signUpViaApi(owner.page, ownerEmail);

  // Until the owner confirms their address, every page says so and the
  // invitation is refused.
  await owner.page.goto('/app');
  await hydrated(owner.page);
  await owner.page.getByTestId('confirm-email-notice').waitFor();
  const confirmation = await newestMail(ownerEmail, 'confirm your email address');
  const confirmLink = confirmation.match(/https?:\/\/\S+\/confirm-email\?token=[A-Za-z0-9_-]+/)[0];
  await owner.page.goto(confirmLink);
  await hydrated(owner.page);
  await owner.page.getByRole('button', { name: 'Confirm my email address' }).click();
  await owner.page.getByTestId('email-confirmed').waitFor();
  await owner.page.goto('/app');
  await hydrated(owner.page);
  assert.equal(await owner.page.getByTestId('confirm-email-notice').count(), 0);

  await addCustomer(owner.page, 'Alpha GmbH');
  await addCustomer(owner.page, 'Beta Ltd');

  const memberEmail = uniqueEmail();
  await owner.page.goto('/app/team');
  await hydrated(owner.page);
  await owner.page.locator('#invite-email').fill(memberEmail);
  await owner.page.locator('#invite-role').selectOption({ label: 'Sales' });
  await owner.page.getByRole('button', { name: 'Send invitation' }).click();
  await owner.page.getByRole('status').filter({ hasText: `Invitation sent to ${memberEmail}` }).waitFor();
  await owner.page.getByTestId('invitations').getByText(memberEmail).waitFor();

  // The member, in a browser of their own, follows the emailed link.
  const member = await openPage(browser);
  const mail = await newestMail(memberEmail, 'invited to join');
  const link = mail.match(/https?:\/\/\S+\/invitation\?token=[A-Za-z0-9_-]+/)[0];
  await member.page.goto(link);
  await hydrated(member.page);
  await member.page.getByRole('heading', { name: 'Join Acme Trading' }).waitFor();
  await member.page.getByLabel('Your name').fill('Bo Berg');
  await member.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await member.page.getByRole('button', { name: 'Create account and join' }).click();
  await member.page.waitForURL((url) => url.pathname === '/app');
  await hydrated(member.page);
  await member.page.locator('.role').filter({ hasText: 'Sales' }).waitFor();
  // Sales sees no team or audit pages, and no payment buttons.
  assert.equal(await member.page.getByRole('link', { name: 'Team' }).count(), 0);
  assert.equal(await member.page.getByRole('link', { name: 'Audit log' }).count(), 0);

  // The member works: adds a customer of their own.
  await member.page.getByRole('link', { name: 'Customers' }).click();
  await member.page.waitForURL((url) => url.pathname === '/app/customers');
  await hydrated(member.page);
  await member.page.locator('#customer-name').fill('Gamma Oy');
  await member.page.getByRole('button', { name: 'Add customer' }).click();
  await member.page.getByTestId('customers').getByText('Gamma Oy').waitFor();
  assert.deepEqual(await customerNames(member.page), ['Alpha GmbH', 'Beta Ltd', 'Gamma Oy']);

  // The owner limits the member to Alpha.
  await owner.page.reload();
  await hydrated(owner.page);
  const row = owner.page.locator(`tr[data-member="${memberEmail}"]`);
  await row.getByRole('button', { name: 'Edit' }).click();
  const editor = owner.page.getByTestId('limit-editor');
  await editor.getByLabel('Only these customers').check();
  await editor.getByLabel('Alpha GmbH').check();
  await editor.getByRole('button', { name: 'Save customers' }).click();
  await row.locator('.limit').filter({ hasText: 'Alpha GmbH' }).waitFor();

  // The member's next look at the list shows Alpha alone. The member's
  // rights changed, so the shell loads the page afresh: at the address
  // clicked, not the one left (the reload once came back to the invoices).
  await member.page.getByRole('link', { name: 'Invoices' }).click();
  await member.page.waitForURL((url) => url.pathname === '/app/invoices');
  await member.page.getByRole('link', { name: 'Customers' }).click();
  await member.page.waitForURL((url) => url.pathname === '/app/customers');
  await member.page.getByTestId('customers').getByText('Alpha GmbH').waitFor();
  assert.deepEqual(await customerNames(member.page), ['Alpha GmbH']);

  // The owner removes the member; the member's next click lands on sign-in.
  await row.getByRole('button', { name: 'Remove' }).click();
  await row.getByRole('button', { name: 'Confirm removal' }).click();
  await row.waitFor({ state: 'detached' });
  await member.page.getByRole('link', { name: 'Invoices' }).click();
  await member.page.waitForURL((url) => url.pathname === '/sign-in');
  assert.match(member.page.url(), /next=/);

  assert.deepEqual(owner.problems, []);
  // The removed member's tab is told it is signed out (401), or that its
  // session now acts as another account (409: it reloads).
  assert.deepEqual(member.problems.filter((problem) => !/\b40[19]\b/.test(problem)), []);
  await owner.context.close();
  await member.context.close();
});
