import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { emailSettings } from '../../src/config/smtp';
import { EmailSender } from '../../src/email/sender';
import { OutboundDispatcher } from '../../src/outbound/dispatcher';
import { OUTBOUND_EVENTS } from '../../src/outbound/events';
import { SecretBox } from '../../src/security/secret-box';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { TestSmtpServer } from '../helpers/smtp';
import { WebhookReceiver } from '../helpers/webhook-receiver';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/e2e/program-lifecycle.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const SECRET = 'whsec_lifecycle_e2e_0123456789';

declare const window: { Refwire?: { getClickId(): string | null } };

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/**
 * Issue 15's whole story through HTTP alone, a real SMTP server and a real browser: a visitor applies, reads the
 * code from the email, verifies; the merchant approves them into a group; a link is made; a browser follows
 * /r/<slug> to the merchant's page; a later signed payment is attributed and held as pending under manual review;
 * the merchant approves it; the affiliate's daily stats show the click and the sale; the ledger verifies.
 */
(hasChromium ? describe : describe.skip)('the affiliate program lifecycle, end to end', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let smtp: TestSmtpServer;
  let sender: EmailSender;
  let browser: Browser;
  let refwire: { server: http.Server; port: number };
  let merchant: { server: http.Server; port: number };
  let project: { id: string; apiKey: string };
  let receiver: WebhookReceiver;
  let dispatcher: OutboundDispatcher;
  /** the events each step announced, delivered signed to the merchant's receiver (which verifies them) */
  const announced = async () => {
    while ((await dispatcher.runOnce()) > 0);
    expect(receiver.refused).toEqual([]);
    return receiver.take().map((r) => r.body.event as string);
  };
  const day = new Date('2026-11-20T09:00:00.000Z');
  const later = (minutes: number) => new Date(day.getTime() + minutes * 60_000);
  const api = (method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object) => {
    const r = request(t.app)[method](path).set('Authorization', `Bearer ${project.apiKey}`);
    return body ? r.send(body) : r;
  };
  const codeFor = async (to: string) => {
    await sender.runOnce();
    const mails = smtp.received.filter((m) => m.envelope.to.includes(to));
    return /\b(\d{6})\b/.exec(mails[mails.length - 1]!.parsed.text ?? '')![1]!;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000 }, outboundAllowPrivate: true });
    t.clock.now = day;
    project = await createProjectViaApi(t.app, 'Shop');
    await connectProvider(t.app, project.apiKey, 'stripe', SECRET);
    smtp = await new TestSmtpServer().start();
    sender = new EmailSender(tdb.db.sql, emailSettings(smtp.url(), 'partners@shop.test'), silentLogger, {}, () => t.clock.now);
    refwire = await listen((req, res) => t.app(req, res));
    merchant = await listen((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script src="http://127.0.0.1:${refwire.port}/js/refwire.js" data-project-id="${project.id}" async></script>
</head><body><a id="buy" href="https://buy.stripe.com/test_e2e">Buy</a></body></html>`);
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    receiver = new WebhookReceiver();
    await receiver.start();
    // the dispatcher signs with the time of sending, as a separate process would: the receiver checks it against its own
    dispatcher = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 2000, referralExpiryMs: 0 }, () => new Date());
    const endpoint = (await api('post', '/api/v1/webhooks', { url: receiver.url, events: [...OUTBOUND_EVENTS] }).expect(201)).body.data;
    receiver.secret = endpoint.secret;
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.stop();
    await sender?.stop();
    await smtp?.stop();
    await new Promise((r) => merchant?.server.close(r));
    refwire?.server.closeAllConnections();
    await new Promise((r) => refwire?.server.close(r));
    await t.runner.stop();
    await tdb.drop();
  });

  it('apply → verify → approve into a group → link → click → payment pending review → approved → daily stats', async () => {
    await api('patch', '/api/v1/settings', { commission_review: 'manual', allowed_domains: ['localhost'], notification_email: 'owner@shop.test' }).expect(200);
    const gold = (await api('post', '/api/v1/groups', { name: 'Gold', commission_type: 'percentage', commission_value: 25 }).expect(201)).body.data;

    // a visitor applies and confirms the address with the emailed code
    await request(t.app).post(`/api/public/projects/${project.id}/applications`).send({ name: 'Jane Writer', email: 'jane@blog.test', website: 'https://jane.blog' }).expect(202);
    t.clock.now = later(2);
    const jane = (await request(t.app).post(`/api/public/projects/${project.id}/applications/verify`).send({ email: 'jane@blog.test', code: await codeFor('jane@blog.test') }).expect(201)).body.data;
    expect(jane.status).toBe('pending');
    expect(await announced()).toEqual(['affiliate.created']);

    // the merchant approves the application into Gold
    t.clock.now = later(5);
    expect((await api('post', '/api/v1/affiliates/jane%40blog.test/approve', { group_id: gold.id }).expect(200)).body.data).toMatchObject({ status: 'active', group_id: gold.id });
    expect(await announced()).toEqual(['affiliate.approved']);

    // a tracking link, followed in a real browser to the merchant's page
    const link = (await api('post', '/api/v1/affiliates/jane%40blog.test/links', { target_url: `http://localhost:${merchant.port}/pricing`, slug: 'jane-pricing' }).expect(201)).body.data;
    t.clock.now = later(10);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${refwire.port}/r/jane-pricing`);
    await page.waitForFunction(() => window.Refwire?.getClickId() != null);
    const buy = await page.getAttribute('#buy', 'href');
    expect(buy).toBe(`https://buy.stripe.com/test_e2e?client_reference_id=${jane.referral_code}`);
    await context.close();

    // the checkout the link carried the code into is paid an hour later: signed, attributed, pending review
    t.clock.now = later(70);
    const payload = stripeEvent('checkout.session.completed.payment.json', (o) => {
      o.id = 'cs_e2e_1';
      o.payment_intent = 'pi_e2e_1';
      o.customer = 'cus_e2e_buyer';
      o.customer_details = { ...o.customer_details, email: 'buyer@example.com' };
      o.customer_email = 'buyer@example.com';
      o.currency = 'usd';
      o.amount_total = 12_000;
      o.amount_subtotal = 12_000;
      o.client_reference_id = new URL(buy!).searchParams.get('client_reference_id');
      o.metadata = {};
      o.discounts = [];
      o.total_details = { ...o.total_details, amount_discount: 0, amount_tax: 0 };
    });
    payload.created = Math.floor(later(70).getTime() / 1000);
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    const [sale] = (await api('get', `/api/v1/conversions?affiliate_id=${jane.id}&kind=purchase`).expect(200)).body.data;
    expect(sale).toMatchObject({ status: 'pending', amount_minor: 12_000, value_minor: 3_000, rule_source: 'group' });
    expect((await api('get', '/api/v1/affiliates/jane%40blog.test').expect(200)).body.data).toMatchObject({ pending_earnings: '30.00', total_earnings: '0.00' });
    expect((await announced()).sort()).toEqual(['commission.created', 'referral.converted', 'referral_converted']);

    // the merchant approves it: it counts, held for the project's hold
    t.clock.now = later(90);
    expect((await api('post', `/api/v1/conversions/${sale.id}/approve`).expect(200)).body.data.status).toMatch(/^(held|eligible)$/);
    expect((await api('get', '/api/v1/affiliates/jane%40blog.test').expect(200)).body.data).toMatchObject({ pending_earnings: '0.00', total_earnings: '30.00' });
    // Refgrow's receivers hear of the changed conversion too
    expect((await announced()).sort()).toEqual(['commission.approved', 'referral_updated']);

    // the affiliate's day: the click and the sale
    const daily = (await api('get', `/api/v1/reports/daily?from=2026-11-20&to=2026-11-21&affiliate_id=${jane.id}`).expect(200)).body.data;
    expect(daily.days).toEqual([
      expect.objectContaining({
        date: '2026-11-20',
        clicks: 1,
        purchases: 1,
        by_currency: [expect.objectContaining({ currency: 'USD', revenue: expect.objectContaining({ value_minor: 12_000 }), commission: expect.objectContaining({ value_minor: 3_000 }) })],
      }),
    ]);
    const perLink = (await api('get', '/api/v1/affiliates/jane%40blog.test/links/jane-pricing').expect(200)).body.data;
    expect(perLink).toMatchObject({ id: link.id, clicks: 1 });
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
  });
});
