import fs from 'node:fs';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { asBrowser, browserOf, PASSWORD, setUpOwner, type Browser } from '../helpers/dashboard';
import { axeViolations, DashboardHarness, describeInBrowser, screenshot } from '../helpers/dashboard-browser';
import { stripeEvent } from '../helpers/ledger';
import { connectProvider, createProjectViaApi } from '../helpers/refwire';

// What the API does that the dashboard had no control for (PRODUCT.md §14), in Chromium against the real API: an
// affiliate's tracking links edited, deactivated, activated and deleted; an affiliate deleted (and the API's 409 when
// it has commissions); a single payout made from an affiliate's page, failed and completed; a conversion by hand
// edited, marked paid and unpaid and deleted, a provider's row offering only "paid"; the conversions CSV downloaded
// with the session; the ledger checked from the overview, consistent and then broken. Each is checked through the
// API afterwards, and a viewer sees none of the writes.
const SECRET = 'whsec_dashboard_more';
const DAY = 86_400_000;
// tomorrow 09:00 UTC by the real clock: the browser drops a session cookie whose Expires is past by its own clock
const T0 = new Date(Math.ceil(Date.now() / DAY) * DAY + 9 * 3_600_000);
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const dayOf = (days: number) => at(days).toISOString().slice(0, 10);

describeInBrowser('dashboard: links, deleting affiliates, single payouts, editing conversions, the CSV and the ledger check', () => {
  const h = new DashboardHarness();
  let project: { id: string; apiKey: string };
  let owner: Browser;
  let mails = 0;
  const ids: Record<string, string> = {};
  const v1 = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string) => request(h.t.app)[method](path).set('Authorization', `Bearer ${project.apiKey}`);
  const at_ = (page: string) => `/dashboard/projects/${project.id}/${page}`;
  const notice = (page: Page, text: string | RegExp) => page.locator('.notices').getByText(text).waitFor();
  const ownerPage = async (path: string): Promise<Page> => {
    const page = await h.page();
    await h.signIn(page, 'owner@acme.test', PASSWORD, at_(path));
    return page;
  };
  /** A conversion recorded by hand through the API. */
  const manual = async (affiliate: string, base: string, value: string, reference: string, day?: number) => {
    // a conversion by hand occurs at the app's clock: set back for a while for an older one
    const now = h.t.clock.now;
    if (day !== undefined) h.t.clock.now = at(day);
    try {
      return (await v1('post', '/api/v1/conversions').send({ type: 'purchase', affiliate_id: ids[affiliate], base_value: base, value, reference, email: `${reference.toLowerCase()}@customers.test` }).expect(201)).body.data as { id: string };
    } finally {
      h.t.clock.now = now;
    }
  };

  beforeAll(async () => {
    await h.start({ smtp: true });
    h.t.clock.now = at(0);
    project = await createProjectViaApi(h.t.app, 'Acme');
    await connectProvider(h.t.app, project.apiKey, 'stripe', SECRET);
    await v1('patch', '/api/v1/settings').send({ commission_type: 'percentage', commission_value: 20, hold_days: 0, minimum_payout: 0, allowed_domains: ['acme.test', '*.acme.test'] }).expect(200);
    for (const name of ['ann', 'bob', 'zed']) ids[name] = (await v1('post', '/api/v1/affiliates').send({ email: `${name}@partners.test`, name: name[0]!.toUpperCase() + name.slice(1), referral_code: name.toUpperCase() }).expect(201)).body.data.id;
    owner = await setUpOwner(h.t.app, project.id);
  }, 120_000);
  afterAll(() => h.stop());
  afterEach(() => expect(h.takePageErrors()).toEqual([]));

  it("changes a link's target and slug (a refused target next to its field), deactivates, activates and deletes it", async () => {
    await v1('post', '/api/v1/affiliates/ann%40partners.test/links').send({ target_url: 'https://acme.test/pricing', slug: 'ann-pricing' }).expect(201);
    await v1('post', '/api/v1/affiliates/ann%40partners.test/links').send({ target_url: 'https://acme.test/blog', slug: 'ann-blog' }).expect(201);
    const link = async (slug: string) => (await v1('get', `/api/v1/affiliates/ann%40partners.test/links/${slug}`)).body.data;
    const page = await ownerPage('affiliates/ann%40partners.test');
    const links = page.getByRole('region', { name: 'Links' });
    await links.getByRole('cell', { name: 'https://acme.test/pricing' }).waitFor();

    await links.getByRole('button', { name: 'Edit the link ann-pricing' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Edit the link ann-pricing' }).waitFor();
    await dialog.getByLabel('Target URL').fill('https://elsewhere.test/');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const targetField = dialog.locator('.field', { has: page.getByLabel('Target URL') });
    await targetField.locator('.field-error').waitFor();
    expect(await dialog.getByLabel('Target URL').getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByRole('alert').textContent()).toBe('Check the fields marked: Target URL.');
    await screenshot(page, 'affiliate-link-edit-error');
    expect((await link('ann-pricing')).target_url).toBe('https://acme.test/pricing');

    await dialog.getByLabel('Target URL').fill('https://shop.acme.test/plans?x=1');
    await dialog.getByLabel('Slug').fill('ann-plans');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await notice(page, 'Link ann-plans saved: it leads to https://shop.acme.test/plans?x=1.');
    await links.getByRole('cell', { name: 'https://shop.acme.test/plans?x=1' }).waitFor();
    expect(await link('ann-plans')).toMatchObject({ slug: 'ann-plans', target_url: 'https://shop.acme.test/plans?x=1', active: true });
    await v1('get', '/api/v1/affiliates/ann%40partners.test/links/ann-pricing').expect(404);

    await links.getByRole('button', { name: 'Deactivate the link ann-plans' }).click();
    await notice(page, 'Link ann-plans deactivated.');
    await links.getByRole('button', { name: 'Activate the link ann-plans' }).waitFor();
    expect((await link('ann-plans')).active).toBe(false);
    await request(h.t.app).get('/r/ann-plans').expect(404);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliate-links');
    await links.getByRole('button', { name: 'Activate the link ann-plans' }).click();
    await notice(page, 'Link ann-plans activated.');
    expect((await link('ann-plans')).active).toBe(true);

    await links.getByRole('button', { name: 'Delete the link ann-blog' }).click();
    await dialog.getByRole('heading', { name: 'Delete the link ann-blog' }).waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    await notice(page, 'Link ann-blog deleted.');
    await links.getByRole('cell', { name: 'https://acme.test/blog' }).waitFor({ state: 'detached' });
    await v1('get', '/api/v1/affiliates/ann%40partners.test/links/ann-blog').expect(404);
    expect((await v1('get', '/api/v1/affiliates/ann%40partners.test/links').expect(200)).body.data.map((l: any) => l.slug)).toEqual(['ann-plans']);
  });

  it("makes a single payout from an affiliate's page (by hand when the affiliate chose no method), fails it, makes another and completes it", async () => {
    const c1 = await manual('ann', '100', '20', 'INV-A1');
    const c2 = await manual('ann', '50', '10', 'INV-A2');
    h.t.clock.now = at(0.5);
    const page = await ownerPage('affiliates/ann%40partners.test');
    const payouts = page.getByRole('region', { name: 'Payouts' });
    await payouts.getByText('No payouts yet.').waitFor();
    await payouts.getByRole('button', { name: 'New payout' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Eligible now: $30.00.').waitFor();
    // Ann chose no payout method: the payout is by hand unless the merchant picks another
    expect(await dialog.getByLabel('Method').inputValue()).toBe('manual');
    await dialog.getByRole('button', { name: 'Create payout' }).click();
    await dialog.waitFor({ state: 'detached' });
    await notice(page, 'Payout of $30.00 to ann@partners.test created (Manual): mark it completed once the money is sent.');
    let [payout] = (await v1('get', `/api/v1/payouts?affiliate_id=${ids.ann}`).expect(200)).body.data;
    expect(payout).toMatchObject({ amount_minor: 3000, currency: 'USD', method: 'manual', status: 'pending', conversions_count: 2 });
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliate-payouts');

    // a conversion in a payout offers no change: it moves when the payout completes or fails
    const conv = await h.page();
    await h.signIn(conv, 'owner@acme.test', PASSWORD, at_(`conversions/${c1.id}`));
    await conv.getByText('This conversion is in a payout: it changes when that payout is marked completed or failed.').waitFor();
    expect(await conv.getByRole('main').getByRole('button', { name: /^(Edit|Mark|Delete)/ }).count()).toBe(0);

    await payouts.getByRole('button', { name: 'Mark ann@partners.test $30.00 failed' }).click();
    const fail = page.getByRole('dialog', { name: 'Mark this payout failed?' });
    await fail.getByLabel('Reason (optional)').fill('Bounced by the bank');
    await fail.getByRole('button', { name: 'Mark failed' }).click();
    await notice(page, 'Payout marked failed.');
    await payouts.getByText('Bounced by the bank').waitFor();
    payout = (await v1('get', `/api/v1/payouts/${payout.id}`).expect(200)).body.data;
    expect(payout).toMatchObject({ status: 'failed', failure_reason: 'Bounced by the bank' });
    for (const c of [c1, c2]) expect((await v1('get', `/api/v1/conversions/${c.id}`).expect(200)).body.data).toMatchObject({ status: 'eligible', payout_id: null });

    await page.reload();
    await payouts.getByRole('button', { name: 'New payout' }).click();
    await dialog.getByText('Eligible now: $30.00.').waitFor();
    await dialog.getByLabel('Method').selectOption('bank_transfer');
    await dialog.getByRole('button', { name: 'Create payout' }).click();
    await notice(page, /Payout of \$30\.00 to ann@partners\.test created \(Bank transfer\)/);
    await payouts.getByRole('button', { name: 'Mark ann@partners.test $30.00 completed' }).click();
    const complete = page.getByRole('dialog', { name: 'Mark this payout completed?' });
    await complete.getByLabel(/Reference/).fill('WIRE-77');
    await complete.getByRole('button', { name: 'Mark completed' }).click();
    await notice(page, 'Payout marked completed.');
    await payouts.getByText(/WIRE-77/).waitFor();
    const list = (await v1('get', `/api/v1/payouts?affiliate_id=${ids.ann}`).expect(200)).body.data;
    expect(list.map((p: any) => [p.status, p.method, p.amount_minor, p.reference]).sort()).toEqual([
      ['completed', 'bank_transfer', 3000, 'WIRE-77'],
      ['failed', 'manual', 3000, null],
    ]);
    for (const c of [c1, c2]) expect((await v1('get', `/api/v1/conversions/${c.id}`).expect(200)).body.data.status).toBe('paid');
    // nothing is eligible now: the API's 409 is said in the dialog
    await payouts.getByRole('button', { name: 'New payout' }).click();
    await dialog.getByText('Eligible now: $0.00.').waitFor();
    await dialog.getByLabel('Method').selectOption('manual');
    await dialog.getByRole('button', { name: 'Create payout' }).click();
    await dialog.getByRole('alert').getByText(/nothing eligible to pay in USD/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it("deletes an affiliate without commissions; one with commissions stays, with the API's reason", async () => {
    const page = await ownerPage('affiliates/ann%40partners.test');
    await page.getByRole('heading', { name: 'Ann', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Ann' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('alert').getByText('this affiliate has commissions, which the ledger keeps: set its status "inactive" or suspend it instead').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliate-delete-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await v1('get', '/api/v1/affiliates/ann%40partners.test').expect(200);

    await page.goto(`${h.url}${at_('affiliates/zed%40partners.test')}`);
    await page.getByRole('heading', { name: 'Zed', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete Zed' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Affiliates', level: 1 }).waitFor();
    await notice(page, 'Zed deleted.');
    await v1('get', '/api/v1/affiliates/zed%40partners.test').expect(404);
    await page.getByRole('main').getByText('bob@partners.test').waitFor();
    expect(await page.getByRole('main').getByText('zed@partners.test').count()).toBe(0);
  });

  it("records an affiliate's payout details (a bad IBAN refused next to its field), and changes its email and referral code", async () => {
    await v1('post', '/api/v1/affiliates').send({ email: 'pia@partners.test', name: 'Pia', referral_code: 'PIA-1' }).expect(201);
    const page = await ownerPage('affiliates/pia%40partners.test');
    await page.getByRole('heading', { name: 'Pia', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Payout details' }).click();
    const dialog = page.getByRole('dialog', { name: 'Payout details of Pia' });
    await dialog.getByLabel('Payout method').selectOption('bank_transfer');
    await dialog.getByLabel('Account holder').fill('Pia Partner');
    await dialog.getByLabel('IBAN').fill('DE00 3704 0044 0532 0130 00');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('.field', { has: page.getByLabel('IBAN') }).locator('.field-error').getByText(/not a valid IBAN/).waitFor();
    expect(await dialog.getByLabel('IBAN').getAttribute('aria-invalid')).toBe('true');
    expect((await v1('get', '/api/v1/affiliates/pia%40partners.test').expect(200)).body.data.payout_method).toBeNull();
    await dialog.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 00');
    await dialog.getByLabel('BIC (optional)').fill('cobadeffxxx');
    await dialog.getByLabel('PayPal email').fill('pia.pay@paypal.test');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliate-payout-details');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await notice(page, 'Payout details of Pia saved.');
    await page.getByText('Bank transfer').waitFor();
    expect((await v1('get', '/api/v1/affiliates/pia%40partners.test').expect(200)).body.data).toMatchObject({
      payout_method: 'bank_transfer',
      paypal_email: 'pia.pay@paypal.test',
      wise_email: null,
      payout_details: { bank: { account_holder: 'Pia Partner', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } },
    });

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Pia' });
    await edit.getByLabel('Email').fill('pia.new@partners.test');
    await edit.getByLabel('Referral code').fill('PIA-2');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.waitForURL(/\/affiliates\/pia\.new%40partners\.test$/);
    await page.getByRole('main').getByText('PIA-2').waitFor();
    await v1('get', '/api/v1/affiliates/pia%40partners.test').expect(404);
    expect((await v1('get', '/api/v1/affiliates/pia.new%40partners.test').expect(200)).body.data).toMatchObject({ referral_code: 'PIA-2', payout_method: 'bank_transfer' });
  });

  it('edits a conversion recorded by hand (a refusal next to its field), marks it paid and unpaid and deletes it; a provider row offers only "paid"', async () => {
    const c = await manual('bob', '80', '16', 'INV-B1');
    const page = await ownerPage(`conversions/${c.id}`);
    await page.getByRole('heading', { name: /^Purchase of / }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Commission (USD)').fill('95');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const valueField = dialog.locator('.field', { has: page.getByLabel('Commission (USD)') });
    await valueField.locator('.field-error').getByText(/must not exceed base_value \(80\.00 USD\)/).waitFor();
    expect(await dialog.getByLabel('Commission (USD)').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'conversion-edit-error');
    expect((await v1('get', `/api/v1/conversions/${c.id}`).expect(200)).body.data.value_minor).toBe(1600);

    await dialog.getByLabel('Sale amount (USD)').fill('120');
    await dialog.getByLabel('Commission (USD)').fill('24.50');
    await dialog.getByLabel('Reference').fill('INV-B1-corrected');
    await dialog.getByLabel('Customer (email or id)').fill('buyer@customers.test');
    await dialog.getByLabel('Coupon code').fill('SAVE10');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await notice(page, 'Conversion saved: $120.00 sale, $24.50 commission.');
    await page.getByText('INV-B1-corrected').waitFor();
    expect((await v1('get', `/api/v1/conversions/${c.id}`).expect(200)).body.data).toMatchObject({
      base_value_minor: 12000,
      value_minor: 2450,
      reference: 'INV-B1-corrected',
      email: 'buyer@customers.test',
      coupon_code_used: 'SAVE10',
      paid: false,
    });
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'conversion-manual');

    await page.getByRole('button', { name: 'Mark paid' }).click();
    await page.getByRole('dialog', { name: 'Mark this commission paid?' }).getByRole('button', { name: 'Mark paid' }).click();
    await notice(page, 'Commission marked paid.');
    await page.getByRole('button', { name: 'Mark unpaid' }).waitFor();
    expect((await v1('get', `/api/v1/conversions/${c.id}`).expect(200)).body.data).toMatchObject({ paid: true, status: 'paid' });
    await page.getByRole('button', { name: 'Mark unpaid' }).click();
    await page.getByRole('dialog', { name: 'Mark this commission unpaid?' }).getByRole('button', { name: 'Mark unpaid' }).click();
    await notice(page, 'Commission marked unpaid: it can be paid out again.');
    await page.getByRole('button', { name: 'Mark paid' }).waitFor();
    expect((await v1('get', `/api/v1/conversions/${c.id}`).expect(200)).body.data.paid).toBe(false);

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete this conversion?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Conversions', level: 1 }).waitFor();
    await notice(page, 'Conversion deleted.');
    await v1('get', `/api/v1/conversions/${c.id}`).expect(404);

    // a Stripe payment: derived from provider events, so only "paid" changes
    const payload = stripeEvent('invoice.paid.subscription_create.json', (o) => {
      Object.assign(o, { id: 'in_more_1', charge: 'ch_more_1', payment_intent: 'pi_more_1', customer: 'cus_more_1', subscription: 'sub_more_1', amount_paid: 5000, total: 5000 });
      o.status_transitions.paid_at = Math.floor(h.t.clock.now.getTime() / 1000);
      o.customer_email = 'stripe-buyer@customers.test';
      o.metadata = { referral_code: 'BOB' };
      o.subscription_details = { metadata: {} };
      delete o.discount;
      o.discounts = [];
      o.total_discount_amounts = [];
    });
    const body = JSON.stringify(payload);
    await request(h.t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, SECRET, { now: h.t.clock.now })).send(body).expect(200);
    await h.t.runner.idle();
    const stripeRow = (await v1('get', '/api/v1/conversions?kind=purchase&limit=100').expect(200)).body.data.find((r: any) => r.payment_key === 'in_more_1');
    await page.goto(`${h.url}${at_(`conversions/${stripeRow.id}`)}`);
    await page.getByText('Derived from provider events: only whether its commission is paid can be changed here.', { exact: false }).waitFor();
    expect(await page.getByRole('main').getByRole('button', { name: /^(Edit|Delete)$/ }).count()).toBe(0);
    await screenshot(page, 'conversion-provider');
    await page.getByRole('button', { name: 'Mark paid' }).click();
    await page.getByRole('dialog', { name: 'Mark this commission paid?' }).getByRole('button', { name: 'Mark paid' }).click();
    await notice(page, 'Commission marked paid.');
    expect((await v1('get', `/api/v1/conversions/${stripeRow.id}`).expect(200)).body.data).toMatchObject({ paid: true, provider: 'stripe' });
  });

  it("downloads the conversions CSV with the session, for the list's dates", async () => {
    const old = await manual('bob', '40', '8', 'INV-OLD', -10);
    const page = await ownerPage('conversions');
    await page.getByRole('heading', { name: 'Conversions', level: 1 }).waitFor();
    const download = async (name: string | RegExp) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
      return { name: file.suggestedFilename(), lines: fs.readFileSync((await file.path())!, 'utf8').split('\r\n').filter(Boolean) };
    };
    const all = await download('Download CSV');
    expect(all.name).toBe('conversions.csv');
    expect(all.lines[0]).toMatch(/^id,occurred_at,kind,status,affiliate_id,affiliate_email/);
    const everything = (await v1('get', '/api/v1/conversions?limit=100').expect(200)).body.data;
    expect(all.lines.length - 1).toBe(everything.length);
    expect(all.lines.some((l) => l.startsWith(old.id))).toBe(true);
    await notice(page, 'Conversions CSV downloaded.');

    await page.getByLabel('From', { exact: true }).fill(dayOf(-1));
    await page.waitForURL(/from=/);
    const recent = await download(`Download CSV (${dayOf(-1)} to now)`);
    expect(recent.lines.length - 1).toBe(everything.length - 1);
    expect(recent.lines.some((l) => l.startsWith(old.id))).toBe(false);
    await page.getByLabel('To', { exact: true }).fill(dayOf(-5));
    await page.getByLabel('From', { exact: true }).fill(dayOf(-12));
    const older = await download(`Download CSV (${dayOf(-12)} to ${dayOf(-5)})`);
    expect(older.lines.slice(1).map((l) => l.split(',')[0])).toEqual([old.id]);
    await page.getByLabel('Type').selectOption('signup');
    await page.getByText('the export takes the From and To dates, not the other filters').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'conversions-csv');
  });

  it('checks the ledger from the overview: consistent, then the mismatches it lists', async () => {
    const page = await ownerPage('overview');
    const ledger = page.getByRole('region', { name: 'Ledger' });
    await ledger.getByRole('button', { name: 'Check the ledger' }).click();
    await ledger.getByText(/^The ledger is consistent: all \d+ checks passed\.$/).waitFor();
    expect((await v1('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
    await ledger.scrollIntoViewIfNeeded();
    await screenshot(page, 'overview-ledger-ok');

    // a completed payout's amount made to differ from what it took: what verify exists to catch
    const [payout] = (await v1('get', `/api/v1/payouts?affiliate_id=${ids.ann}&status=completed`).expect(200)).body.data;
    await h.tdb.db.sql.query('UPDATE payouts SET amount_minor = amount_minor + 1 WHERE id = $1', [payout.id]);
    try {
      await ledger.getByRole('button', { name: 'Check the ledger again' }).click();
      const note = ledger.getByRole('note', { name: 'Ledger mismatches' });
      await note.getByText(/^\d+ of \d+ checks found mismatches\.$/).waitFor();
      await note.getByText("a payout's amount is the sum of the rows it took, of its affiliate and currency").waitFor();
      await note.getByText(`payout ${payout.id} (completed): amount 3001 USD, its rows 3000 in 2 rows`).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'overview-ledger-mismatch');
    } finally {
      await h.tdb.db.sql.query('UPDATE payouts SET amount_minor = amount_minor - 1 WHERE id = $1', [payout.id]);
    }
    await ledger.getByRole('button', { name: 'Check the ledger again' }).click();
    await ledger.getByText(/^The ledger is consistent/).waitFor();
  });

  it('shows a viewer none of these writes; reads (the CSV, the ledger check) stay', async () => {
    await asBrowser(h.t.app, owner, 'post', `/api/dashboard/projects/${project.id}/invitations`).send({ email: 'vic@acme.test', role: 'viewer' }).expect(201);
    const token = /#token=(rwinv_[A-Za-z0-9_-]+)/.exec((await h.mailTo('vic@acme.test', mails)).text)![1]!;
    mails = h.smtp!.received.length;
    const vic = browserOf(await request(h.t.app).post('/api/dashboard/invitations/accept').send({ token, password: 'vic long password' }).expect(200));
    const manualRow = await manual('bob', '30', '6', 'INV-V1');

    const page = await h.page();
    await h.signIn(page, 'vic@acme.test', 'vic long password', at_('affiliates/ann%40partners.test'));
    const writes = /^(New|Edit|Delete|Deactivate|Activate|Create|Save|Mark|Completed|Failed)/;
    await page.getByRole('region', { name: 'Links' }).getByRole('cell', { name: 'https://shop.acme.test/plans?x=1' }).waitFor();
    await page.getByRole('region', { name: 'Payouts' }).getByText('WIRE-77', { exact: false }).waitFor();
    expect(await page.getByRole('main').getByRole('button', { name: writes }).count()).toBe(0);
    expect(await page.getByRole('main').getByRole('columnheader', { name: 'Actions' }).count()).toBe(0);
    expect(await page.getByRole('main').getByRole('form', { name: 'New link' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliate-viewer');

    await page.goto(`${h.url}${at_(`conversions/${manualRow.id}`)}`);
    await page.getByRole('heading', { name: /^Purchase of / }).waitFor();
    await page.getByText('INV-V1', { exact: true }).waitFor();
    expect(await page.getByRole('main').getByRole('button', { name: writes }).count()).toBe(0);

    await page.goto(`${h.url}${at_('conversions')}`);
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(file.suggestedFilename()).toBe('conversions.csv');
    await page.goto(`${h.url}${at_('overview')}`);
    await page.getByRole('button', { name: 'Check the ledger' }).click();
    await page.getByText(/^The ledger is consistent/).waitFor();

    // the server refuses their writes anyway
    await asBrowser(h.t.app, vic, 'delete', `/api/v1/conversions/${manualRow.id}`, project.id).expect(403);
    await asBrowser(h.t.app, vic, 'delete', '/api/v1/affiliates/bob%40partners.test', project.id).expect(403);
    await asBrowser(h.t.app, vic, 'patch', '/api/v1/affiliates/ann%40partners.test/links/ann-plans', project.id).send({ active: false }).expect(403);
  });
});
