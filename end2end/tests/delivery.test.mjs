// Customers receive their documents: an owner sends an issued invoice from
// its page; in a second browser with no account, the customer opens the
// link from the mail, checks the fingerprint, downloads the PDF and reports
// the invoice, then opens all of its documents with an emailed code; the
// owner sees the views and the report, and issues and sends in one click.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, hydrated, uniqueEmail, signUpViaApi, newestMail, confirmAddress } from './support.mjs';

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

test('an owner sends, the customer opens, downloads and reports', async () => {
  const owner = await openPage(browser);
  const ownerEmail = uniqueEmail();
  await signUpViaApi(owner.page, ownerEmail);
  // Only a confirmed address sends mail in the organization's name.
  await confirmAddress(owner.page, ownerEmail);
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

  await owner.page.goto(`/app/invoices/${id}`);
  await hydrated(owner.page);
  assert.equal(await owner.page.locator('#send-recipients').inputValue(), customerEmail);
  await owner.page.getByTestId('send').click();
  await owner.page.getByTestId('delivery-row').filter({ hasText: 'sent' }).waitFor();

  // The customer: another browser, no account, only the mail.
  const mail = await newestMail(customerEmail, number);
  const link = mail.match(/https?:\/\/\S+\/portal\/d\/[A-Za-z0-9_-]{43}/)[0];
  const fingerprint = mail.match(/Fingerprint: ([0-9a-f]{16})/)[1];
  const customerSide = await openPage(browser);
  const { page } = customerSide;
  await page.goto(link);
  await page.getByRole('heading', { name: `Invoice ${number}` }).waitFor();
  assert.match(await page.locator('.portal-fingerprint').textContent(), new RegExp(fingerprint));
  assert.match(await page.locator('.portal-totals').textContent(), /EUR 250\.00/);
  const [pdf] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download the PDF' }).click(),
  ]);
  assert.equal(pdf.suggestedFilename(), `${number}.pdf`);

  await page.getByRole('link', { name: 'Report it' }).click();
  await page.getByRole('heading', { name: 'Report a suspicious document' }).waitFor();
  assert.equal(await page.getByLabel('Fingerprint or document number').inputValue(), fingerprint);
  await page.getByLabel("I didn't expect this invoice").check();
  await page.getByRole('button', { name: 'Send the report' }).click();
  await page.getByRole('heading', { name: 'Thank you' }).waitFor();

  // All of the customer's documents, after a code sent to the address.
  await page.goto(link);
  await page.getByRole('button', { name: 'All my documents from Acme Trading' }).click();
  await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
  const codeMail = await newestMail(customerEmail, 'Your code');
  const code = codeMail.match(/^\s*(\d{8})\s*$/m)[1];
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'All your documents' }).waitFor();
  assert.match(await page.locator('main').textContent(), new RegExp(number));
  assert.match(await page.locator('.portal-statement').textContent(), /EUR 250\.00/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Signed out' }).waitFor();

  // The owner sees who opened it and the report, in the history and on
  // the organization page.
  await owner.page.reload();
  await hydrated(owner.page);
  const history = owner.page.getByTestId('history');
  await history.filter({ hasText: `opened by customer contact ${customerEmail}` }).waitFor();
  await history.filter({ hasText: 'reported as suspicious' }).waitFor();
  await owner.page.goto('/app/organization');
  await hydrated(owner.page);
  await owner.page.getByTestId('suspicious-reports').filter({ hasText: "I didn't expect this invoice" }).waitFor();

  // "Issue and send" on a new draft: issued and queued in one click.
  const second = await owner.page.request.post('/api/invoices/save_draft', {
    data: {
      id: null,
      form: {
        customer_id: customer, currency: 'EUR', issue_date: '', due_date: '', price_mode: 'Exclusive',
        lines: [{ description: 'Chair', quantity: '2', unit_price: '80' }],
      },
    },
    headers: { accept: 'application/json' },
  });
  const secondId = await second.json();
  await owner.page.goto(`/app/invoices/${secondId}`);
  await hydrated(owner.page);
  await owner.page.getByTestId('issue-and-send').click();
  await owner.page.getByTestId('delivery-row').filter({ hasText: customerEmail }).waitFor();
  assert.doesNotMatch(await owner.page.getByTestId('invoice-title').textContent(), /draft/);

  await customerSide.context.close();
  await owner.context.close();
});
