import fs from 'node:fs';
import request from 'supertest';
import type { Locator, Page } from 'playwright-core';
import { createPayout } from '../../src/ledger/payouts';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { asBrowser, PASSWORD, setUpOwner, type Browser } from '../helpers/dashboard';
import { axeViolations, DashboardHarness, describeInBrowser, screenshot } from '../helpers/dashboard-browser';
import { stripeEvent } from '../helpers/ledger';
import { connectProvider, createProjectViaApi } from '../helpers/refwire';

// The tests compile without the DOM library
declare const document: any;

/**
 * The money pages of the dashboard in Chromium: conversions (the review of commissions held under manual review,
 * one and in bulk, the trace in words, a conversion by hand, a recalculation), a conversion's detail, payouts
 * (what is payable, a batch of it) and a payout batch (its PayPal and Wise files, marked completed), and what a
 * viewer sees of them. Data goes in through the real API (signed Stripe webhooks, /api/v1) on the app's clock.
 */
const SECRET = 'whsec_dashboard_money';
const DAY = 86_400_000;
// tomorrow 09:00 UTC by the real clock, whatever day the tests run: the browser keeps time by the real clock and
// drops a session cookie whose Expires (the app's clock + 7 days) is past by it
const T0 = new Date(Math.ceil(Date.now() / DAY) * DAY + 9 * 3_600_000);
const at = (days: number) => new Date(T0.getTime() + days * DAY);
/** the UTC day of at(days), as a date input takes it */
const dayOf = (days: number) => at(days).toISOString().slice(0, 10);
const VIEWER = 'viewer@acme.test';
const VIEWER_PASSWORD = 'viewer long password';

describeInBrowser('dashboard money pages: conversions and payouts', () => {
  const h = new DashboardHarness();
  let projectId: string;
  let key: string;
  let owner: Browser;
  const ids: Record<string, string> = {};
  const conv: Record<string, string> = {};
  let batchId = '';
  let n = 0;
  const api = (method: 'get' | 'post' | 'patch' | 'put', path: string, body?: unknown) =>
    request(h.t.app)[method](path).set('Authorization', `Bearer ${key}`).send(body as object);
  const conversion = async (id: string) => (await api('get', `/api/v1/conversions/${id}`).expect(200)).body.data;
  const url = (page: string) => `/dashboard/projects/${projectId}/${page}`;

  /** A first subscription invoice of `customer`, paid at `day`, with the affiliate's code in its metadata. */
  const sale = async (code: string, customer: string, day: number, cents: number) => {
    const id = `in_money_${++n}`;
    const payload = stripeEvent('invoice.paid.subscription_create.json', (o) => {
      Object.assign(o, { id, charge: `ch_${id}`, payment_intent: `pi_${id}`, customer: `cus_${id}`, subscription: `sub_${id}`, amount_paid: cents, total: cents });
      o.status_transitions.paid_at = Math.floor(at(day).getTime() / 1000);
      o.customer_email = customer;
      o.metadata = { referral_code: code };
      o.subscription_details = { metadata: {} };
      delete o.discount;
      o.discounts = [];
      o.total_discount_amounts = [];
    });
    h.t.clock.now = new Date(Math.max(h.t.clock.now.getTime(), at(day).getTime()));
    const body = JSON.stringify(payload);
    await request(h.t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: h.t.clock.now })).send(body).expect(200);
    await h.t.runner.idle();
    const rows = (await api('get', '/api/v1/conversions?kind=purchase&limit=100').expect(200)).body.data;
    return rows.find((c: { payment_key: string }) => c.payment_key === id) as { id: string; status: string; value_minor: number };
  };
  const signIn = async (page: Page, to: string, email = 'owner@acme.test', password = PASSWORD) => {
    await h.signIn(page, email, password, url(to));
  };
  const row = (page: Page | Locator, text: string) => page.getByRole('row').filter({ hasText: text });

  beforeAll(async () => {
    await h.start({ smtp: true });
    h.t.clock.now = at(-1);
    ({ id: projectId, apiKey: key } = await createProjectViaApi(h.t.app, 'Acme'));
    await connectProvider(h.t.app, key, 'stripe', SECRET);
    await api('patch', '/api/v1/settings', { commission_type: 'percentage', commission_value: 30, hold_days: 3, minimum_payout: 10, commission_review: 'manual' }).expect(200);
    const affiliate = async (name: string, extra: Record<string, unknown>) => {
      ids[name] = (await api('post', '/api/v1/affiliates', { email: `${name}@partners.test`, referral_code: name.toUpperCase(), ...extra }).expect(201)).body.data.id;
    };
    await affiliate('jane', { name: 'Jane', payout_method: 'paypal', paypal_email: 'jane.pay@paypal.test' });
    await affiliate('bob', { name: 'Bob', payout_method: 'wise', wise_email: 'bob@wise.test', payout_details: { bank: { account_holder: 'Bob Builder', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } } });
    await affiliate('carl', {});
    await affiliate('dave', { payout_method: 'paypal', paypal_email: 'dave@paypal.test' });
    owner = await setUpOwner(h.t.app, projectId);
    // a viewer, invited by the owner, who set a password from the email's link
    await asBrowser(h.t.app, owner, 'post', `/api/dashboard/projects/${projectId}/invitations`).send({ email: VIEWER, role: 'viewer' }).expect(201);
    const token = /#token=(rwinv_[A-Za-z0-9_-]+)/.exec((await h.mailTo(VIEWER)).text)![1]!;
    await request(h.t.app).post('/api/dashboard/invitations/accept').send({ token, password: VIEWER_PASSWORD }).expect(200);
  }, 180_000);
  afterAll(() => h.stop());
  afterEach(() => expect(h.takePageErrors()).toEqual([]));

  it('says so when there are no conversions and nothing to pay', async () => {
    const page = await h.page();
    await signIn(page, 'conversions');
    await page.getByRole('heading', { name: 'Conversions', level: 1 }).waitFor();
    await page.getByText('No conversions yet.').waitFor();
    await screenshot(page, 'conversions-empty');
    await page.goto(`${h.url}${url('payouts')}`);
    await page.getByText('Nothing is eligible for a payout yet.').waitFor();
    await page.getByText('No payout batches yet.').waitFor();
    await page.getByText('No payouts yet.').waitFor();
    expect(await page.getByRole('button', { name: 'Create a batch' }).isDisabled()).toBe(true);
  });

  it('approves a commission held for review, rejects another with a reason, approves two in bulk; amounts exact, the trace in words', async () => {
    conv.jane100 = (await sale('JANE', 'ann@customers.test', 0, 10_000)).id;
    conv.bob80 = (await sale('BOB', 'ben@customers.test', 0, 8_000)).id;
    conv.jane60 = (await sale('JANE', 'cat@customers.test', 0, 6_000)).id;
    conv.bob120 = (await sale('BOB', 'dan@customers.test', 0, 12_000)).id;
    for (const id of Object.values(conv)) expect((await conversion(id)).status).toBe('pending');

    const page = await h.page();
    await signIn(page, 'conversions');
    const ann = row(page, 'ann@customers.test');
    await ann.getByText('$100.00').waitFor();
    await ann.getByText('$30.00').waitFor();
    // the trace in words: what found the affiliate, and who it is
    await ann.getByText('referral code JANE (metadata) → jane@partners.test').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'conversions');

    await ann.getByRole('button', { name: /^Approve / }).click();
    await page.getByText('Commission approved.').waitFor();
    await ann.getByText('held').waitFor();
    expect((await conversion(conv.jane100!)).status).toBe('held');
    // the Approve button is gone with the review: focus stays on the row, where a keyboard user goes on from
    const focusInRowOf = (text: string) =>
      page.waitForFunction((t) => document.activeElement?.closest('tr')?.textContent?.includes(t) === true, text, { timeout: 5_000 });
    await focusInRowOf('ann@customers.test');

    await row(page, 'ben@customers.test').getByRole('button', { name: /^Reject / }).click();
    const dialog = page.getByRole('dialog', { name: 'Reject this commission?' });
    expect(await dialog.getByRole('button', { name: 'Reject commission' }).isDisabled()).toBe(true);
    // the dialog opens on the reason it asks for: typing starts there
    await page.waitForFunction(() => document.activeElement?.id === 'dialog-reason', undefined, { timeout: 5_000 });
    await page.keyboard.type('test order, not a real customer');
    expect(await dialog.getByLabel('Reason (required)').inputValue()).toBe('test order, not a real customer');
    await screenshot(page, 'conversions-reject');
    await dialog.getByRole('button', { name: 'Reject commission' }).click();
    await page.getByText('Commission rejected.').waitFor();
    // the dialog and the row's Reject button are gone: focus goes back to that row, not to the top of the document
    await focusInRowOf('ben@customers.test');
    expect(await conversion(conv.bob80!)).toMatchObject({ status: 'rejected', review_reason: 'test order, not a real customer' });
    // the reason reads back on the conversion's page
    const detail = await h.page();
    await signIn(detail, `conversions/${conv.bob80}`);
    await detail.getByText(/^Rejected .*: test order, not a real customer$/).waitFor();
    await detail.close();

    await row(page, 'cat@customers.test').getByRole('checkbox').check();
    await row(page, 'dan@customers.test').getByRole('checkbox').check();
    await page.getByRole('region', { name: 'Bulk review' }).getByRole('button', { name: 'Approve 2' }).click();
    await page.getByRole('dialog', { name: 'Approve 2 commissions?' }).getByRole('button', { name: 'Approve 2' }).click();
    await page.getByText('2 commissions approved.').waitFor();
    expect((await conversion(conv.jane60!)).status).toBe('held');
    expect((await conversion(conv.bob120!)).status).toBe('held');
    // filters live in the address: a reload shows the same list
    await page.getByLabel('Affiliate email').fill('bob@partners.test');
    await page.getByLabel('Affiliate email').press('Enter');
    await page.waitForURL(/affiliate=bob%40partners.test/);
    await row(page, 'dan@customers.test').waitFor();
    await page.reload();
    await row(page, 'dan@customers.test').getByText('$36.00').waitFor();
    expect(await row(page, 'ann@customers.test').count()).toBe(0);
  });

  it("shows a conversion's every field, its trace step by step and the event it came from", async () => {
    const page = await h.page();
    await signIn(page, `conversions/${conv.jane100}`);
    await page.getByRole('heading', { name: 'Why this affiliate' }).waitFor();
    await page.getByText('referral code JANE (metadata) → jane@partners.test').waitFor();
    await page.getByText(/Coupon: not found — no coupon on the payment/).waitFor();
    await page.getByText(/Referral code in the payment metadata: found — referral_code JANE/).waitFor();
    const c = await conversion(conv.jane100!);
    expect(await page.getByRole('link', { name: c.inbound_event_id }).getAttribute('href')).toBe(url(`events/${c.inbound_event_id}`));
    await page.getByRole('term').filter({ hasText: /^Commission$/ }).first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'conversion-detail');
  });

  it('records a conversion by hand: the API error shows next to its field, then it is created', async () => {
    const page = await h.page();
    await signIn(page, 'conversions');
    await page.getByRole('button', { name: 'Add a conversion' }).click();
    const form = page.getByRole('region', { name: 'Add a conversion' });
    await form.getByLabel("Affiliate's referral code").fill('CARL');
    await form.getByLabel('Sale amount (base value)').fill('200.005');
    await form.getByLabel('Commission', { exact: true }).fill('25.00');
    await form.getByLabel('Reference').fill('ORDER-77');
    await form.getByRole('button', { name: 'Record the conversion' }).click();
    const amountField = form.locator('.field').filter({ has: page.getByLabel('Sale amount (base value)') });
    await amountField.locator('.field-error').waitFor();
    expect(await amountField.locator('.field-error').innerText()).toMatch(/decimal/i);
    expect(await form.getByLabel('Sale amount (base value)').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'conversions-manual-error');
    await form.getByLabel('Sale amount (base value)').fill('200.00');
    await form.getByRole('button', { name: 'Record the conversion' }).click();
    await page.getByText('Conversion recorded: $200.00 sale, $25.00 commission.').waitFor();
    const made = (await api('get', `/api/v1/conversions?affiliate_id=${ids.carl}`).expect(200)).body.data;
    expect(made).toEqual([expect.objectContaining({ reference: 'ORDER-77', base_value_minor: 20_000, value_minor: 2500, currency: 'USD' })]);
    // one below the minimum payout, for the payouts page
    const small = (await api('post', '/api/v1/conversions', { affiliate_id: ids.dave, base_value: '10.00', value: '5.00' }).expect(201)).body.data;
    // under commission_review: manual a conversion by hand waits for review too (0eda9a5): both approved, for the payouts page
    for (const c of [made[0], small]) expect((await api('post', `/api/v1/conversions/${c.id}/approve`).expect(200)).body.data.reviewed_at).not.toBeNull();
  });

  it('previews the eligible balances, creates a batch, downloads the PayPal and Wise files and marks the batch completed', async () => {
    h.t.clock.now = at(4);
    const page = await h.page();
    await signIn(page, 'payouts');
    const eligible = page.getByRole('region', { name: 'Payable now' });
    await row(eligible, 'jane@partners.test').getByText('$48.00').waitFor();
    await row(eligible, 'bob@partners.test').getByText('$36.00').waitFor();
    await row(eligible, 'carl@partners.test').getByText('Missing: payout method').waitFor();
    await row(eligible, 'dave@partners.test').getByText('Below the minimum of $10.00').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'payouts');

    await eligible.getByRole('button', { name: 'Create a batch' }).click();
    // left empty, the dialog asks for what the API does by default: every active affiliate, every currency
    await page.getByRole('dialog', { name: 'Create a payout batch' }).getByRole('button', { name: 'Create the batch' }).click();
    await page.getByRole('heading', { name: /^Payout batch of / }).waitFor();
    batchId = /batches\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    await page.getByText('Batch created: 3 payouts, $109.00').waitFor();
    const batch = (await api('get', `/api/v1/payout-batches/${batchId}`).expect(200)).body.data;
    const line = (email: string) => batch.lines.find((l: { affiliate_email: string }) => l.affiliate_email === email);
    await row(page, 'jane@partners.test').getByText('jane.pay@paypal.test').waitFor();
    await row(page, 'bob@partners.test').getByText('$36.00').waitFor();
    await page.getByRole('note').getByText('carl@partners.test (manual): missing payout method').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'payout-batch');

    const downloaded = async (name: string) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
      return { name: file.suggestedFilename(), text: fs.readFileSync((await file.path())!, 'utf8') };
    };
    const paypal = await downloaded('PayPal Payouts CSV (USD)');
    expect(paypal.name).toBe(`payout-batch-${batchId}-USD-paypal.csv`);
    expect(paypal.text.split('\r\n').filter(Boolean).sort()).toEqual(
      [
        `jane.pay@paypal.test,48.00,USD,${line('jane@partners.test').paypal_item_id},Affiliate commission from Acme`,
        `bob@partners.test,36.00,USD,${line('bob@partners.test').paypal_item_id},Affiliate commission from Acme`,
        `carl@partners.test,25.00,USD,${line('carl@partners.test').paypal_item_id},Affiliate commission from Acme`,
      ].sort(),
    );
    // Bob (Wise) and Carl (no method) have no PayPal address: the page says so beside the file
    await page.locator('p.warn-text', { hasText: "2 lines of this PayPal file have no PayPal details: written with the affiliate's own email." }).waitFor();
    const wise = await downloaded('Wise batch CSV (USD)');
    expect(wise.name).toBe(`payout-batch-${batchId}-USD-wise.csv`);
    const wiseLines = wise.text.split('\r\n').filter(Boolean);
    expect(wiseLines[0]).toBe('name,recipientEmail,paymentReference,receiverType,amountCurrency,amount,sourceCurrency,targetCurrency,IBAN,BIC,type');
    expect(wiseLines.slice(1).sort()).toEqual(
      [
        `Jane,jane@partners.test,${line('jane@partners.test').wise_reference},PRIVATE,target,48.00,USD,USD,,,EMAIL`,
        `Bob Builder,bob@wise.test,${line('bob@partners.test').wise_reference},PRIVATE,target,36.00,USD,USD,DE89370400440532013000,COBADEFFXXX,`,
        `carl@partners.test,carl@partners.test,${line('carl@partners.test').wise_reference},PRIVATE,target,25.00,USD,USD,,,EMAIL`,
      ].sort(),
    );

    await page.getByRole('button', { name: 'Mark batch completed' }).click();
    const confirm = page.getByRole('dialog', { name: 'Mark the batch completed?' });
    await confirm.getByLabel(/Reference/).fill('PAYPAL-BATCH-1');
    await confirm.getByRole('button', { name: 'Mark completed' }).click();
    await page.getByText('3 payouts marked completed.').waitFor();
    await page.getByText('No pending lines left to export.').waitFor();
    for (const id of [conv.jane100, conv.jane60, conv.bob120]) expect((await conversion(id!)).status).toBe('paid');
    expect((await conversion(conv.bob80!)).status).toBe('rejected');
    // the payouts list and the batches list show it
    await page.getByRole('link', { name: '← Payouts' }).click();
    const list = page.getByRole('region', { name: 'All payouts' });
    await row(list, 'jane@partners.test').getByText('PAYPAL-BATCH-1').waitFor();
    await row(page.getByRole('region', { name: 'Batches' }), '$109.00').getByText('completed').waitFor();
    await list.getByLabel('Status').selectOption('pending');
    await list.getByText('No payouts match these filters.').waitFor();
    expect(page.url()).toContain('status=pending');
  });

  it('creates a batch of only the affiliates named, with a minimum of its own; a bad address is named under the list', async () => {
    const page = await h.page();
    await signIn(page, 'payouts');
    const eligible = page.getByRole('region', { name: 'Payable now' });
    // Dave's $5.00 is below the program's $10.00 minimum: nothing else is eligible after the first batch
    await row(eligible, 'dave@partners.test').getByText('Below the minimum of $10.00').waitFor();
    // the button asks the API; with nothing payable at the program's minimum it is still offered for a batch's own minimum
    await eligible.getByRole('button', { name: 'Create a batch' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a payout batch' });
    expect(await dialog.evaluate((d: any) => d.contains(document.activeElement) && document.activeElement.getAttribute('name'))).toBe('currency');
    await dialog.getByLabel('Only this currency').fill('usd');
    expect(await dialog.getByLabel('Only this currency').inputValue()).toBe('USD');
    await dialog.getByLabel('Minimum (USD)').fill('1.00');
    await dialog.getByLabel('Only these affiliates (emails)').fill('dave@partners.test, not-an-email');
    await dialog.getByRole('button', { name: 'Create the batch' }).click();
    const list = dialog.locator('.field').filter({ has: page.getByLabel('Only these affiliates (emails)') });
    await list.locator('.field-error').getByText(/^not-an-email: /).waitFor();
    expect(await dialog.getByLabel('Only these affiliates (emails)').getAttribute('aria-invalid')).toBe('true');
    // said once, under its field: not again above the buttons
    expect(await dialog.locator('.form-error').count()).toBe(0);
    await screenshot(page, 'payout-batch-limited-error');
    await dialog.getByLabel('Only these affiliates (emails)').fill('dave@partners.test');
    await dialog.getByRole('button', { name: 'Create the batch' }).click();
    await page.getByText('Batch created: 1 payout, $5.00.').waitFor();
    const id = /batches\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const batch = (await api('get', `/api/v1/payout-batches/${id}`).expect(200)).body.data;
    expect(batch.lines.map((l: { affiliate_email: string; amount_minor: number; currency: string }) => [l.affiliate_email, l.amount_minor, l.currency])).toEqual([['dave@partners.test', 500, 'USD']]);
    expect(batch.minimum).toMatchObject({ currency: 'USD', amount_minor: 100 });
    await api('post', `/api/v1/payout-batches/${id}/fail`, { reason: 'test batch' }).expect(200);
  });

  it('records a commission already paid outside Refwire: paid, and never eligible for a payout', async () => {
    const page = await h.page();
    await signIn(page, 'conversions');
    await page.getByRole('button', { name: 'Add a conversion' }).click();
    const form = page.getByRole('region', { name: 'Add a conversion' });
    await form.getByLabel("Affiliate's referral code").fill('DAVE');
    await form.getByLabel('Sale amount (base value)').fill('80.00');
    await form.getByLabel('Commission', { exact: true }).fill('8.00');
    await form.getByLabel('Reference').fill('PAID-ELSEWHERE-1');
    await form.getByLabel(/Already paid to the affiliate/).check();
    await form.getByRole('button', { name: 'Record the conversion' }).click();
    await page.getByText('Conversion recorded: $80.00 sale, $8.00 commission, paid.').waitFor();
    const made = (await api('get', `/api/v1/conversions?affiliate_id=${ids.dave}&limit=100`).expect(200)).body.data.find((c: { reference: string }) => c.reference === 'PAID-ELSEWHERE-1');
    expect(made).toMatchObject({ paid: true, status: 'paid', value_minor: 800, base_value_minor: 8000 });
    const dave = (await api('get', '/api/v1/affiliates/dave%40partners.test').expect(200)).body.data;
    // the $5.00 of the failed batch is eligible again; the $8.00 paid outside is paid, not owed
    expect([dave.eligible_earnings_minor, dave.paid_earnings_minor]).toEqual([500, 800]);
    // with conversions recorded, the settings say the currency is fixed instead of answering a save with a 409
    await page.goto(`${h.url}${url('settings')}`);
    await page.getByText('Fixed: conversions are recorded in USD.').waitFor();
    expect(await page.getByLabel('Currency', { exact: true }).isDisabled()).toBe(true);
  });

  it('recalculates a period with the current rules and shows the counts and totals before and after', async () => {
    h.t.clock.now = at(10);
    await sale('JANE', 'eve@customers.test', 10, 10_000);
    // approved under manual review: it counts in the balances, so the recalculation moves them
    const eve = (await api('get', '/api/v1/conversions?review=pending&limit=100').expect(200)).body.data.find((c: { email: string }) => c.email === 'eve@customers.test');
    await api('post', `/api/v1/conversions/${eve.id}/approve`).expect(200);
    h.t.clock.now = new Date(at(10).getTime() + 3_600_000);
    await api('patch', '/api/v1/settings', { commission_value: 40 }).expect(200);
    const page = await h.page();
    await signIn(page, 'conversions');
    await page.getByRole('button', { name: 'Recalculate…' }).click();
    const form = page.getByRole('region', { name: 'Recalculate commissions' });
    // the API's refusal of a reversed period, next to its field
    await form.getByLabel('From (UTC day)').fill(dayOf(11));
    await form.getByLabel('To (UTC day, included)').fill(dayOf(10));
    await form.getByRole('button', { name: 'Recalculate' }).click();
    await form.locator('.field').filter({ has: page.getByLabel('From (UTC day)') }).getByText('must be before "to"').waitFor();
    await form.getByLabel('From (UTC day)').fill(dayOf(10));
    await form.getByRole('button', { name: 'Recalculate' }).click();
    await form.getByText('1 payment re-rated, 1 commission changed.').waitFor();
    const usd = row(form, 'USD');
    await usd.getByText('$30.00').waitFor();
    await usd.getByText('$40.00').waitFor();
    await usd.getByText('+$10.00').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'conversions-recalculated');
  });

  it('shows a viewer the pages without review, create or complete controls', async () => {
    const page = await h.page();
    await signIn(page, 'conversions', VIEWER, VIEWER_PASSWORD);
    await row(page, 'ann@customers.test').getByText('$30.00').waitFor();
    expect(await page.getByRole('button', { name: /Approve|Reject|Add a conversion|Recalculate/ }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    await page.goto(`${h.url}${url(`conversions/${conv.jane100}`)}`);
    await page.getByRole('heading', { name: 'Why this affiliate' }).waitFor();
    expect(await page.getByRole('button').filter({ hasText: /Approve|Reject/ }).count()).toBe(0);
    await page.goto(`${h.url}${url('payouts')}`);
    await page.getByRole('heading', { name: 'Payouts', level: 1 }).waitFor();
    await row(page, 'jane@partners.test').first().waitFor();
    expect(await page.getByRole('button', { name: 'Create a batch' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Completed|Failed/ }).count()).toBe(0);
    await screenshot(page, 'payouts-viewer');
    await page.goto(`${h.url}${url(`payouts/batches/${batchId}`)}`);
    await page.getByRole('heading', { name: /^Payout batch of / }).waitFor();
    expect(await page.getByRole('button', { name: /Mark batch/ }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });
  it("approves an affiliate's payout request, which then waits to be completed", async () => {
    // Dave asks for his balance in the portal (the function its route calls): a request waiting for approval
    h.t.clock.now = at(60);
    const made = (await api('post', '/api/v1/conversions', { affiliate_id: ids.dave, base_value: '80.00', value: '16.00' }).expect(201)).body.data;
    expect([200, 409]).toContain((await api('post', `/api/v1/conversions/${made.id}/approve`, {})).status);
    h.t.clock.now = at(65);
    const asked = await createPayout(
      h.tdb.db.prisma,
      { projectId, affiliateId: ids.dave!, currency: 'USD', method: 'paypal', destination: { paypal_email: 'dave@paypal.test' }, now: h.t.clock.now, requestedBy: 'affiliate' },
      null,
    );
    if (!('id' in asked)) throw new Error(JSON.stringify(asked));
    const page = await h.page();
    await signIn(page, 'payouts');
    const request = row(page.getByRole('region', { name: 'Payouts' }), 'dave@partners.test');
    await request.getByText('requested', { exact: true }).waitFor();
    await screenshot(page, 'payouts-request');
    await request.getByRole('button', { name: /^Approve the payout request of dave@partners\.test/ }).click();
    await page.getByText('Payout request approved.').waitFor();
    await request.getByText('pending', { exact: true }).waitFor();
    expect(await request.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    expect((await api('get', `/api/v1/payouts/${asked.id}`).expect(200)).body.data).toMatchObject({ status: 'pending', approved_at: at(65).toISOString(), amount_minor: Number(asked.amountMinor) });
    // still to be completed or failed
    await request.getByRole('button', { name: /^Mark dave@partners\.test .* completed$/ }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  it("shows a failed payout on the affiliate's page as failed, with when and why, apart from a completed one", async () => {
    // two payouts of Bob's own: one completed, one failed (each of a commission made by hand, approved, past its hold)
    const payout = async (day: number) => {
      h.t.clock.now = at(day);
      const made = (await api('post', '/api/v1/conversions', { affiliate_id: ids.bob, base_value: '100.00', value: '12.00' }).expect(201)).body.data;
      // held for review under commission_review: manual; approved (a commission not held is refused with 409)
      expect([200, 409]).toContain((await api('post', `/api/v1/conversions/${made.id}/approve`, {})).status);
      h.t.clock.now = at(day + 5);
      return (await api('post', '/api/v1/payouts', { affiliate_id: ids.bob }).expect(201)).body.data as { id: string };
    };
    const done = await payout(30);
    await api('post', `/api/v1/payouts/${done.id}/complete`, { reference: 'WISE-OK' }).expect(200);
    const refused = await payout(40);
    await api('post', `/api/v1/payouts/${refused.id}/fail`, { reason: 'Wise refused the account' }).expect(200);
    const page = await h.page();
    await signIn(page, `affiliates/${encodeURIComponent('bob@partners.test')}`);
    const payouts = page.getByRole('region', { name: 'Payouts' });
    const failed = row(payouts, 'Wise refused the account');
    await failed.getByText('failed', { exact: true }).waitFor();
    const headers = await payouts.getByRole('columnheader').allTextContents();
    const cell = async (r: Locator, header: string) => (await r.getByRole('cell').allTextContents())[headers.indexOf(header)];
    expect(await cell(failed, 'Completed')).toBe('—');
    expect(await cell(failed, 'Failed')).toMatch(/UTC.*Wise refused the account/);
    const completed = payouts.getByRole('row').filter({ has: page.getByText('completed', { exact: true }) }).first();
    expect(await cell(completed, 'Completed')).toMatch(/UTC$/);
    expect(await cell(completed, 'Failed')).toBe('—');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliate-detail-payouts');
  });
});
