import fs from 'node:fs';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { axeViolations, DashboardHarness, describeInBrowser, screenshot } from '../helpers/dashboard-browser';
import { stripeEvent } from '../helpers/ledger';
import { ADMIN_TOKEN } from '../helpers/refwire';

/**
 * Issue 17's "done when", in Chromium against a real Refwire, PostgreSQL and SMTP server: a merchant who has never
 * used curl goes from the set-up page to a connected provider, an approved affiliate, a reviewed commission and an
 * exported payout batch; then a viewer they invite sees all of it and can change none of it. The only things done
 * outside the browser are what others do: an applicant applying, Stripe sending its webhook.
 */
describeInBrowser('the dashboard, from set-up to an exported payout batch (issue 17)', () => {
  const h = new DashboardHarness();
  const OWNER = 'owner@shop.test';
  const PASSWORD = 'a long owner password';
  const VIEWER = 'viewer@shop.test';
  const SECRET = 'whsec_done_when_0123456789abcdef';
  let projectId = '';
  let apiKey = '';
  let mails = 0;
  beforeAll(() => h.start({ smtp: true }), 120_000);
  afterAll(() => h.stop());
  afterEach(() => expect(h.takePageErrors()).toEqual([]));

  const nav = async (page: Page, name: string) => {
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
  };
  const notice = (page: Page, text: string | RegExp) => page.locator('.notices').getByText(text).waitFor();
  const v1 = (method: 'get' | 'post', path: string) => request(h.t.app)[method](path).set('Authorization', `Bearer ${apiKey}`);
  const nextMail = async (to: string) => {
    const mail = await h.mailTo(to, mails);
    mails = h.smtp!.received.length;
    return mail;
  };

  it('the merchant: set-up, settings, Stripe, an approved applicant, a reviewed commission, a batch exported and paid', async () => {
    const page = await h.page();
    await page.goto(`${h.url}/dashboard`);
    await page.getByRole('heading', { name: 'Set up Refwire' }).waitFor();
    await page.getByLabel('ADMIN_TOKEN').fill(ADMIN_TOKEN);
    await page.getByLabel('Your email').fill(OWNER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Project name').fill('Shop');
    await page.getByRole('button', { name: 'Create the owner' }).click();
    await page.getByRole('heading', { name: 'Your project is ready' }).waitFor();
    apiKey = await page.getByLabel('API key').inputValue();
    await page.getByRole('button', { name: 'Continue to the dashboard' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    projectId = /projects\/([0-9a-f-]{36})\//.exec(page.url())![1]!;

    // the program: 20 %, every commission reviewed by hand, payable at once, paid from $10
    await nav(page, 'Settings');
    await page.getByLabel('Commission (%)').fill('20');
    await page.getByLabel('Hold (days)').fill('0');
    await page.getByLabel('Minimum payout (USD)').fill('10');
    await page.getByLabel('Commission review').selectOption('manual');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Everything is saved.').waitFor();

    // Stripe, by its webhook signing secret
    await nav(page, 'Integrations');
    const stripe = page.getByRole('region', { name: 'Stripe' });
    expect(await stripe.getByLabel('Stripe webhook URL').inputValue()).toBe(`${h.url}/webhook/stripe/${projectId}`);
    await stripe.getByLabel('Stripe webhook signing secret').fill(SECRET);
    await stripe.getByRole('button', { name: 'Connect Stripe' }).click();
    await notice(page, 'Stripe connected');

    // someone applies (their side: the public form and the emailed code); the merchant approves them
    await request(h.t.app).post(`/api/public/projects/${projectId}/applications`).send({ name: 'Jane Writer', email: 'jane@blog.test', website: 'https://jane.blog' }).expect(202);
    const code = /\b(\d{6})\b/.exec((await nextMail('jane@blog.test')).text)![1]!;
    await request(h.t.app).post(`/api/public/projects/${projectId}/applications/verify`).send({ email: 'jane@blog.test', code }).expect(201);
    await nav(page, 'Applications');
    await page.getByRole('button', { name: 'Approve Jane Writer' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').getByText('Jane Writer approved.').waitFor();
    const jane = (await v1('get', '/api/v1/affiliates/jane%40blog.test').expect(200)).body.data;
    expect(jane.status).toBe('active');

    // Stripe sends a signed checkout of $120.00 carrying Jane's code
    const payload = stripeEvent(
      'checkout.session.completed.payment.json',
      (o) => {
        o.id = 'cs_done_when';
        o.payment_intent = 'pi_done_when';
        o.customer = 'cus_done_when';
        o.customer_details = { ...o.customer_details, email: 'buyer@customers.test' };
        o.customer_email = 'buyer@customers.test';
        o.currency = 'usd';
        o.amount_total = 12_000;
        o.amount_subtotal = 12_000;
        o.client_reference_id = jane.referral_code;
        o.metadata = {};
        o.discounts = [];
        o.total_details = { ...o.total_details, amount_discount: 0, amount_tax: 0 };
      },
      'evt_done_when',
    );
    payload.created = Math.floor(h.t.clock.now.getTime() / 1000);
    const body = JSON.stringify(payload);
    await request(h.t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: h.t.clock.now })).send(body).expect(200);
    await h.t.runner.idle();

    // it is visible: the events page, then the commission waiting for review
    await nav(page, 'Events');
    await page.getByRole('row').filter({ hasText: 'checkout.session.completed' }).getByText('processed').waitFor();
    await nav(page, 'Conversions');
    const sale = page.getByRole('row').filter({ hasText: 'buyer@customers.test' });
    await sale.getByText('$120.00').waitFor();
    await sale.getByText('$24.00').waitFor();
    await sale.getByText(`→ jane@blog.test`).waitFor();
    await sale.getByText('pending').waitFor();
    await sale.getByRole('button', { name: /^Approve / }).click();
    await page.getByText('Commission approved.').waitFor();
    const [conversion] = (await v1('get', '/api/v1/conversions?type=purchase').expect(200)).body.data;
    expect(conversion).toMatchObject({ status: 'eligible', value_minor: 2400, currency: 'USD' });

    // a payout batch of everything payable, exported for PayPal, then marked paid
    await nav(page, 'Payouts');
    const payable = page.getByRole('region', { name: 'Payable now' });
    await payable.getByRole('row').filter({ hasText: 'jane@blog.test' }).getByText('$24.00').waitFor();
    await payable.getByRole('button', { name: 'Create a batch' }).click();
    await page.getByRole('dialog', { name: 'Create a payout batch' }).getByRole('button', { name: 'Create the batch' }).click();
    await page.getByRole('heading', { name: /^Payout batch of / }).waitFor();
    const batchId = /batches\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'PayPal Payouts CSV (USD)' }).click()]);
    const line = (await v1('get', `/api/v1/payout-batches/${batchId}`).expect(200)).body.data.lines[0];
    expect(fs.readFileSync((await file.path())!, 'utf8')).toBe(`jane@blog.test,24.00,USD,${line.paypal_item_id},Affiliate commission from Shop\r\n`);
    await page.getByRole('button', { name: 'Mark batch completed' }).click();
    await page.getByRole('dialog', { name: 'Mark the batch completed?' }).getByRole('button', { name: 'Mark completed' }).click();
    await page.getByText(/1 payout marked completed/).waitFor();
    expect((await v1('get', `/api/v1/conversions/${conversion.id}`).expect(200)).body.data.status).toBe('paid');
    expect((await v1('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
    await screenshot(page, 'done-when-batch');

    // a viewer, invited from the users page
    await nav(page, 'Users');
    await page.getByLabel('Email to invite').fill(VIEWER);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await notice(page, /invit/i);
  });

  it('the viewer they invited sees all of it and can change none of it', async () => {
    const link = /(http\S+\/dashboard\/accept-invitation#token=[\w%-]+)/.exec((await nextMail(VIEWER)).text)![1]!;
    const page = await h.page();
    await page.goto(link);
    await page.getByLabel('Password').fill('a long viewer password');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByRole('note').getByText('you can see everything and change nothing').waitFor();

    const writes = /^(Approve|Reject|Create|Connect|Disconnect|Save|Send invitation|Replay|Mark|Add|Delete|Remove|Revoke|Suspend|Reactivate|Edit|New|Recalculate|Reconcile)/;
    const pages: [string, string][] = [
      ['Applications', 'Jane Writer'],
      ['Affiliates', 'Jane Writer'],
      ['Conversions', '$24.00'],
      ['Payouts', '$24.00'],
      ['Integrations', 'connected'],
      ['Events', 'checkout.session.completed'],
      ['Settings', 'The rule in force is 20%'],
      ['Users', OWNER],
      ['Audit log', OWNER],
    ];
    for (const [name, shows] of pages) {
      await nav(page, name);
      await page.getByRole('main').getByText(shows).first().waitFor();
      expect([name, await page.getByRole('main').getByRole('button', { name: writes }).count()]).toEqual([name, 0]);
      expect([name, await axeViolations(page)]).toEqual([name, []]);
    }
    // and the server refuses what a page would not offer: the session's own write, CSRF token and all
    const status = await page.evaluate(async (pid) => {
      const me = (await (await fetch('/api/dashboard/me')).json()) as { data: { csrf_token: string } };
      const res = await fetch('/api/v1/settings', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.data.csrf_token, 'X-Refwire-Project': pid },
        body: JSON.stringify({ commission_value: 90 }),
      });
      return res.status;
    }, projectId);
    expect(status).toBe(403);
    expect((await v1('get', '/api/v1/settings').expect(200)).body.data.commission_rate_bp).toBe(2000);
  });
});
