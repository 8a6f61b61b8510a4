// Invoicing in a real browser: a customer, a tax rate and a product; an
// invoice written with live totals, issued, printed as PDF, paid in part, marked paid,
// found again by search and exported; the dashboard's chart; the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, openPage, hydrated, uniqueEmail, signUpViaApi, PASSWORD } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('write, issue, pay and find an invoice', async () => {
  const { context, page, problems } = await openPage(browser);
  await signUpViaApi(page, uniqueEmail());

  await page.goto('/app/customers');
  await hydrated(page);
  await page.locator('#customer-name').fill('Ωmega Trading');
  await page.getByLabel('Billing emails').fill('ap@omega.example');
  await page.getByLabel('Payment terms (days)').fill('14');
  await page.getByRole('button', { name: 'Add customer' }).click();
  await page.getByTestId('customers').getByText('Ωmega Trading').waitFor();

  await page.goto('/app/products');
  await hydrated(page);
  await page.locator('#tax-name').fill('VAT');
  await page.locator('#tax-percent').fill('19');
  await page.getByRole('button', { name: 'Add tax rate' }).click();
  await page.getByTestId('tax-rates').getByText('VAT — 19%').waitFor();
  await page.locator('#product-name').fill('Consulting');
  await page.getByLabel('Unit price').fill('0.335');
  await page.locator('#product-tax').selectOption({ label: 'VAT (19%)' });
  await page.getByRole('button', { name: 'Add product' }).click();
  await page.getByTestId('products').getByText('Consulting').waitFor();

  await page.goto('/app/invoices/new');
  await hydrated(page);
  await page.locator('#customer-pick').selectOption({ label: 'Ωmega Trading (EUR)' });
  await page.getByLabel('Product for line 1').selectOption({ label: 'Consulting' });
  await page.getByLabel('Quantity of line 1').fill('3');
  // Live totals, computed in the browser: 3 × 0.335 = 1.005 → 1.01 net, 0.19 VAT.
  await page.getByTestId('total').filter({ hasText: 'EUR 1.20' }).waitFor();
  // Enter on the last price adds a line.
  await page.getByLabel('Unit price of line 1').press('Enter');
  await page.getByLabel('Description of line 2').fill('Travel');
  await page.getByLabel('Unit price of line 2').fill('10');
  await page.getByTestId('total').filter({ hasText: 'EUR 11.20' }).waitFor();
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.waitForURL(/\/app\/invoices\/[0-9a-f-]{36}$/);
  await hydrated(page);
  assert.equal(await page.getByTestId('invoice-total').textContent(), 'EUR 11.20', 'the server stored what the browser showed');

  await page.getByRole('button', { name: 'Mark as sent' }).click();
  await page.getByTestId('invoice-title').filter({ hasText: /INV-\d{4}-0001/ }).waitFor();
  await page.getByTestId('seal').filter({ hasText: 'unchanged' }).waitFor();
  const number = (await page.getByTestId('invoice-title').textContent()).replace('Invoice ', '');
  const [pdf] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download PDF' }).click(),
  ]);
  assert.equal(pdf.suggestedFilename(), `${number}.pdf`);
  const { readFile } = await import('node:fs/promises');
  assert.equal((await readFile(await pdf.path())).subarray(0, 5).toString(), '%PDF-');

  await page.locator('#payment-amount').fill('5.20');
  await page.getByRole('button', { name: 'Record payment' }).click();
  await page.getByTestId('invoice-balance').filter({ hasText: 'EUR 6.00' }).waitFor();
  await page.getByTestId('invoice-status').filter({ hasText: 'Partially paid' }).waitFor();
  await page.getByRole('button', { name: 'Mark paid' }).click();
  await page.getByTestId('invoice-status').filter({ hasText: 'Paid' }).waitFor();
  await page.getByTestId('invoice-balance').filter({ hasText: 'EUR 0.00' }).waitFor();

  await page.goto('/app/invoices');
  await hydrated(page);
  await page.getByLabel('Search invoices').fill(number);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=INV/);
  const rows = page.getByTestId('invoice-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /Ωmega Trading.*Paid/);

  // The export downloads as a file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'invoices', exact: true }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^ledgerlock-invoices-\d{4}-\d{2}-\d{2}\.csv$/);
  // Whole: the browser asks for gzip, which once cut exports off.
  assert.equal(await download.failure(), null);
  const csv = await readFile(await download.path(), 'utf8');
  assert.match(csv, new RegExp(number));

  await page.goto('/app');
  await hydrated(page);
  await page.getByTestId('revenue-chart').waitFor();

  await page.goto('/app/audit');
  await hydrated(page);
  await page.getByTestId('chain-status').filter({ hasText: 'verifies' }).waitFor();
  // The usual check reads the events since the last one; the button walks
  // them all.
  await page.goto('/app/audit');
  await hydrated(page);
  await page.getByTestId('chain-status').filter({ hasText: 'no event was added since the last check' }).waitFor();
  await page.getByTestId('chain-full-check').click();
  await page.waitForURL(/full=1/);
  await page.getByTestId('chain-status').filter({ hasText: 'every event was checked' }).waitFor();

  assert.deepEqual(problems, []);
  await context.close();
});

test("the browser's time zone at sign-up, and EN 16931 totals live in the editor", async () => {
  const { context, page, problems } = await openPage(browser, { timezoneId: 'Pacific/Auckland' });
  await page.goto('/sign-up');
  await hydrated(page);
  await page.getByLabel('Your name').fill('Ana López');
  await page.getByLabel('Email').fill(uniqueEmail());
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Organization name').fill('Kiwi Desks');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/app');

  await page.goto('/app/organization');
  await hydrated(page);
  assert.equal(await page.locator('#time-zone').inputValue(), 'Pacific/Auckland');
  assert.equal(
    await page.locator('#tax-rounding option:checked').textContent(),
    'Per rate on the document (EN 16931)',
  );

  await page.goto('/app/customers');
  await hydrated(page);
  await page.locator('#customer-name').fill('Ωmega Trading');
  await page.getByLabel('Payment terms (days)').fill('14');
  await page.getByRole('button', { name: 'Add customer' }).click();
  await page.getByTestId('customers').getByText('Ωmega Trading').waitFor();
  await page.goto('/app/products');
  await hydrated(page);
  await page.locator('#tax-name').fill('GST');
  await page.locator('#tax-percent').fill('20');
  await page.getByRole('button', { name: 'Add tax rate' }).click();
  await page.getByTestId('tax-rates').getByText('GST — 20%').waitFor();

  await page.goto('/app/invoices/new');
  await hydrated(page);
  await page.locator('#customer-pick').selectOption({ label: 'Ωmega Trading (EUR)' });
  const prices = ['299.33', '179.33', '99.34'];
  for (const [index, price] of prices.entries()) {
    const line = index + 1;
    await page.getByLabel(`Description of line ${line}`).fill('Desk');
    await page.getByLabel(`Tax of line ${line}`).selectOption({ label: 'GST 20%' });
    await page.getByLabel(`Unit price of line ${line}`).fill(price);
    if (line < prices.length) await page.getByLabel(`Unit price of line ${line}`).press('Enter');
  }
  // VAT per rate, rounded once: 578.00 × 20 % = 115.60 (per line 59.87 + 35.87 + 19.87 = 115.61).
  await page.getByTestId('total').filter({ hasText: 'EUR 693.60' }).waitFor();
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.waitForURL(/\/app\/invoices\/[0-9a-f-]{36}$/);
  await hydrated(page);
  assert.equal(await page.getByTestId('invoice-total').textContent(), 'EUR 693.60', 'the server stored what the browser showed');
  assert.equal(await page.getByTestId('tax-rounding').textContent(), 'Per rate on the document (EN 16931)');

  assert.deepEqual(problems, []);
  await context.close();
});
