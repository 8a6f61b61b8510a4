// A customer pays by card (issue 15): the owner connects Stripe (here the
// localstripe emulator, whose Stripe.js draws plain card inputs), sends an
// invoice; in another browser the customer opens the emailed link, pays
// with the emulator's test card and sees "paid" once Stripe's webhook has
// recorded it; the owner's invoice list shows it paid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, hydrated, uniqueEmail, signUpViaApi, newestMail, confirmAddress, BASE_URL } from './support.mjs';

const STRIPE = process.env.LEDGERLOCK_E2E_STRIPE ?? 'http://127.0.0.1:8420';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function api(page, endpoint, form) {
  const response = await page.request.post(`/api/${endpoint}`, {
    form,
    headers: { accept: 'application/json' },
  });
  assert.equal(response.status(), 200, `${endpoint}: ${await response.text()}`);
  return response.json();
}

test('a customer pays an emailed invoice by card and the owner sees it paid', async () => {
  const owner = await openPage(browser);
  const ownerEmail = uniqueEmail();
  await signUpViaApi(owner.page, ownerEmail);
  await confirmAddress(owner.page, ownerEmail);
  const webhookSecret = `whsec_e2e${Date.now()}`;
  await api(owner.page, 'organization/save_payments', {
    publishable_key: 'pk_test_e2e', secret_key: `sk_test_e2e${Date.now()}`, webhook_secret: webhookSecret,
  });
  const registered = await owner.page.request.post(`${STRIPE}/_config/webhooks/e2e${Date.now()}`, {
    form: { url: `${BASE_URL.replace('localhost', '127.0.0.1')}/webhooks/stripe`, secret: webhookSecret },
  });
  assert.ok(registered.ok(), 'the emulator takes the webhook');

  const customerEmail = uniqueEmail();
  const customer = await api(owner.page, 'customers/save', {
    name: 'Ωmega Trading', emails: customerEmail, currency: 'EUR', payment_terms_days: '14',
  });
  const draft = await owner.page.request.post('/api/invoices/save_draft', {
    data: {
      id: null,
      form: {
        customer_id: customer, currency: 'EUR', issue_date: '', due_date: '', price_mode: 'Exclusive',
        lines: [{ description: 'Desk', quantity: '1', unit_price: '250' }],
      },
    },
    headers: { accept: 'application/json' },
  });
  const id = await draft.json();
  const number = await api(owner.page, 'invoices/issue', { id });
  await api(owner.page, 'invoices/send', { id, recipients: customerEmail });

  // The customer: another browser, only the mail.
  const mail = await newestMail(customerEmail, number);
  const link = mail.match(/https?:\/\/\S+\/portal\/d\/[A-Za-z0-9_-]{43}/)[0];
  const { page, context } = await openPage(browser);
  await page.goto(link);
  await page.getByRole('link', { name: 'Pay by card' }).click();
  await page.getByRole('heading', { name: 'Pay by card' }).waitFor();
  assert.equal(await page.getByTestId('pay-balance').textContent(), 'EUR 250.00');
  // The emulator's Stripe.js draws these inputs where Stripe's frame would be.
  const card = page.locator('#card');
  await card.getByPlaceholder('number').fill('4242424242424242');
  await card.getByPlaceholder('exp_month').fill('12');
  await card.getByPlaceholder('exp_year').fill('34');
  await card.getByPlaceholder('cvc').fill('123');
  await card.getByPlaceholder('postal_code').fill('10115');
  await page.getByRole('button', { name: 'Pay' }).click();
  await page.locator('#pay-status[data-state="paid"]').waitFor({ timeout: 20_000 });

  await page.goto(link);
  await page.locator('.portal-status').filter({ hasText: 'Paid' }).waitFor();
  assert.match(await newestMail(customerEmail, 'Receipt'), new RegExp(number));
  await context.close();

  // The owner's list shows it paid.
  await owner.page.goto('/app/invoices');
  await hydrated(owner.page);
  const row = owner.page.getByTestId('invoice-row').filter({ hasText: number });
  await row.filter({ hasText: 'Paid' }).waitFor();
  await owner.context.close();
});
