import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { emailSettings } from '../../src/config/smtp';
import { EmailSender } from '../../src/email/sender';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { TestSmtpServer } from '../helpers/smtp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPortal } = require('../../scripts/build-portal.js') as { buildPortal(): Promise<unknown> };

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/portal-ui/browser.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

// The tests compile without the DOM library: what the page's functions touch is declared loosely.
declare const window: any;
declare const document: any;
declare const navigator: any;
declare const getComputedStyle: any;
declare const MutationObserver: any;

const JANE = 'jane@partners.test';
const DAY = 86_400_000;
const SHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots', 'portal');

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

const usd = (minor: number) => new Intl.NumberFormat('en', { style: 'currency', currency: 'USD' }).format(minor / 100);
// the browser runs in UTC (newContext), as the API's days are
const day = (iso: string) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(iso));
/** what a browser logs for an HTTP error the test provokes on purpose (a wrong code, an expired token, a bad IBAN) */
const expectedHttpError = (m: string) => /^Failed to load resource: the server responded with a status of 4\d\d/.test(m);

/**
 * The merchant's page, on its own origin, as hostile as a page gets to an embedded widget: every element's styles
 * unset and every div hidden, with !important; and a Content-Security-Policy that allows scripts and connections to
 * Refwire's origin only, no inline script or style, no eval. host.js records CSP violations and the globals the
 * page had before the widget came.
 */
function merchantSite(refwireOrigin: string) {
  const csp = [
    "default-src 'none'",
    `script-src 'self' ${refwireOrigin}`,
    `connect-src ${refwireOrigin}`,
    "style-src 'self'",
    "img-src 'self' https: data:",
    "base-uri 'none'",
  ].join('; ');
  const hostJs = `
    window.violations = [];
    document.addEventListener('securitypolicyviolation', function (e) { window.violations.push(e.violatedDirective + ' ' + e.blockedURI); });
    window.events = [];
    window.globalsBefore = Object.getOwnPropertyNames(window);`;
  const hostileCss = `* { all: unset !important; } div { display: none !important; } body { font-size: 40px; color: red; }`;
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://merchant');
    if (url.pathname === '/host.js') {
      res.setHeader('Content-Type', 'application/javascript');
      return res.end(hostJs);
    }
    if (url.pathname === '/hostile.css') {
      res.setHeader('Content-Type', 'text/css');
      return res.end(hostileCss);
    }
    const attr = (name: string) => (url.searchParams.get(name) ? ` data-${name}="${url.searchParams.get(name)}"` : '');
    // ?tracking=first loads the tracking script before the widget, ?tracking=after after it: window.Refwire is shared
    const tracking = `<script src="${refwireOrigin}/js/refwire.js" data-project-id="${url.searchParams.get('project')}"></script>`;
    const widget = `<script src="${refwireOrigin}/js/refwire-portal.js"${url.searchParams.get('tracking') ? '' : ' async'}></script>`;
    const scripts = url.searchParams.get('tracking') === 'first' ? tracking + widget : url.searchParams.get('tracking') === 'after' ? widget + tracking : widget;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', csp);
    res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme — your account</title>
<link rel="stylesheet" href="/hostile.css">
<script src="/host.js"></script>
</head><body>
<h1>Your account</h1>
<div data-refwire-portal data-project-id="${url.searchParams.get('project')}"${attr('token')}${attr('lang')}></div>
${scripts}
</body></html>`);
  };
}

(hasChromium ? describe : describe.skip)('the affiliate portal in a real browser (hosted page and embed)', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let refwire: { server: http.Server; port: number };
  let merchant: { server: http.Server; port: number };
  let smtp: TestSmtpServer;
  let sender: EmailSender;
  let browser: Browser;
  let rw: string;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  const as = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const api = () => request(t.app);
  const embedToken = async () =>
    (await api().post(`/api/v1/affiliates/${encodeURIComponent(JANE)}/embed-tokens`).set(as()).expect(201)).body.data.token as string;
  const portalGet = async (token: string, p: string) => (await api().get(`/api/portal/${project.id}${p}`).set('Authorization', `Bearer ${token}`).expect(200)).body.data;

  async function newContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC', ...options });
    context.on('weberror', (e) => pageErrors.push(String(e.error())));
    contexts.push(context);
    return context;
  }
  /** the merchant's page with the widget; resolves once the dashboard's last block is there */
  async function embedPage(context: BrowserContext, params: Record<string, string>, waitFor = '[data-block="payment_history"]'): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && !expectedHttpError(m.text()) && pageErrors.push(m.text()));
    await page.goto(`http://localhost:${merchant.port}/?${new URLSearchParams({ project: project.id, ...params })}`);
    await page.locator(waitFor).first().waitFor({ timeout: 15_000 });
    await settled(page);
    return page;
  }
  /** Sends what the outbox holds and answers the code of the newest email to `email` (others may go out with it). */
  async function mailedCode(email: string): Promise<string> {
    const before = smtp.received.length;
    await sender.runOnce();
    for (let count = before + 1; ; count++) {
      await smtp.waitFor(count);
      const mail = smtp.received.slice(before).filter((m) => m.envelope.to.length === 1 && m.envelope.to[0] === email).at(-1);
      if (mail) return /\b(\d{6})\b/.exec(mail.parsed.text ?? '')![1]!;
    }
  }
  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
  /** every block has its data: no loading indicator left in the widget */
  const settled = (page: Page) =>
    page.waitForFunction(() => {
      const root = document.querySelector('[data-refwire-portal]')?.shadowRoot;
      return root && root.querySelector('[data-block]') && !root.querySelector('.rw-state[role="status"]');
    });

  beforeAll(async () => {
    await buildPortal();
    tdb = await createTestDatabase();
    // the app needs its own address as PUBLIC_URL (links, the hosted page's origin): listen first, then build it
    let handler: http.RequestListener = () => undefined;
    refwire = await listen((req, res) => handler(req, res));
    rw = `http://127.0.0.1:${refwire.port}`;
    t = buildTestApp(tdb.db, { publicUrl: rw, trackRateLimit: { perMinute: 1_000 } });
    handler = t.app;
    merchant = await listen(merchantSite(rw));
    smtp = await new TestSmtpServer().start();
    sender = new EmailSender(tdb.db.sql, emailSettings(smtp.url(), 'partners@acme.test'), silentLogger, {}, () => t.clock.now);

    // A program with history: two sales 70 days ago, paid out 38 days ago; a sale 36 days ago (eligible now);
    // today three clicks on Jane's link, a signup and a sale still on hold.
    const now = t.clock.now.getTime();
    t.clock.now = new Date(now - 70 * DAY);
    project = await createProjectViaApi(t.app, 'Acme');
    await api()
      .patch('/api/v1/settings')
      .set(as())
      .send({ commission_type: 'percentage', commission_value: 20, hold_days: 30, minimum_payout: 25, allowed_domains: ['shop.example'], cookie_days: 60 })
      .expect(200);
    const jane = (await api().post('/api/v1/affiliates').set(as()).send({ email: JANE, referral_code: 'JANE-42', name: 'Jane Doe' }).expect(201)).body.data;
    await api().patch(`/api/v1/affiliates/${encodeURIComponent(JANE)}`).set(as()).send({ payout_method: 'paypal', paypal_email: 'jane@paypal.example' }).expect(200);
    const sale = (base: number, reference: string) =>
      api().post('/api/v1/conversions').set(as()).send({ type: 'purchase', referral_code: 'JANE-42', base_value: base, reference, email: `${reference}@customers.test` }).expect(201);
    await sale(100, 'a');
    await sale(50, 'b');
    t.clock.now = new Date(now - 38 * DAY);
    const payout = (await api().post('/api/v1/payouts').set(as()).send({ affiliate_id: jane.id }).expect(201)).body.data;
    await api().post(`/api/v1/payouts/${payout.id}/complete`).set(as()).send({ reference: 'PP-0001' }).expect(200);
    t.clock.now = new Date(now - 36 * DAY);
    await sale(200, 'c');
    t.clock.now = new Date(now);
    await api().post(`/api/v1/affiliates/${encodeURIComponent(JANE)}/links`).set(as()).send({ target_url: 'https://shop.example/pricing', slug: 'jane-blog' }).expect(201);
    for (let i = 0; i < 3; i++) await api().get('/r/jane-blog').set('X-Forwarded-For', `203.0.113.${i}`).expect(302);
    await api().post('/api/track/signup').send({ project_id: project.id, email: 'new@customers.test', referral_code: 'JANE-42' }).expect(201);
    await sale(40, 'd');
    await api().post('/api/v1/coupons').set(as()).send({ affiliate_id: jane.id, coupon_code: 'JANE10' }).expect(201);
    const ids = ['header', 'share_links', 'coupon_code', 'stats', 'daily_stats', 'earnings', 'payment_methods', 'payment_history', 'commission_levels', 'promotional_materials'];
    await api()
      .put('/api/v1/portal')
      .set(as())
      .send({
        blocks: ids.map((id, i) => ({ id, enabled: true, order: i + 1 })),
        appearance: { primary_color: '#0f766e', secondary_color: '#ccfbf1', title: 'Acme partners', description: 'Earn 20% of every payment your referrals make, for as long as they pay.', hide_branding: false },
        promotional_materials: [
          { kind: 'text', title: 'A tweet', body: 'I run my shop on Acme: {{referral_link}}' },
          { kind: 'link', title: 'Pricing page', url: 'https://shop.example/pricing' },
        ],
        default_language: 'en',
      })
      .expect(200);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await sender?.stop();
    await smtp?.stop();
    merchant?.server.closeAllConnections();
    await new Promise((r) => merchant?.server.close(r));
    refwire?.server.closeAllConnections();
    await new Promise((r) => refwire?.server.close(r));
    await t?.runner.stop();
    await tdb?.drop();
  });
  afterEach(() => {
    // a script error or a CSP refusal anywhere fails the test that caused it
    expect(pageErrors.splice(0)).toEqual([]);
  });

  it('the balances the rest of the tests expect', async () => {
    const me = await portalGet(await embedToken(), '/me');
    expect(me.balances.USD).toMatchObject({ eligible_minor: 4000, held_minor: 800, paid_minor: 3000, earned_minor: 7800, processing_minor: 0 });
    expect(me.affiliate.referral_link).toBe(`${rw}/r/jane-blog`);
  });

  it('signs in on the hosted page with the code emailed to the affiliate, refuses a wrong code, and signs out', async () => {
    const context = await newContext();
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && !expectedHttpError(m.text()) && pageErrors.push(m.text()));
    const res = await page.goto(`${rw}/portal/${project.id}`);
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('h1', { hasText: 'Sign in to Acme' }).waitFor();
    // an address the server refuses says so, on its field (the button was disabled without a word)
    await page.getByLabel('Email address').fill('jane@partners');
    await page.getByRole('button', { name: 'Send code' }).click();
    await expect(text(page, '#rw-signin-error')).resolves.toBe('Enter a valid email address.');
    expect(await page.getByLabel('Email address').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Email address').fill(JANE);
    await page.getByRole('button', { name: 'Send code' }).click();
    const codeInput = page.getByLabel('6-digit code');
    await codeInput.waitFor();
    // focus moves to the field the next step needs
    expect(await page.evaluate(() => document.querySelector('[data-refwire-portal]').shadowRoot.activeElement?.id)).toBe('rw-code');
    const code = await mailedCode(JANE);

    await codeInput.fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').first().innerText()).resolves.toBe('That code is wrong or has expired.');

    await codeInput.fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-block="earnings"]').waitFor();
    await settled(page);
    // the email sits in Unicode isolates, so that it keeps its direction inside an Arabic or Hebrew sentence
    expect(await text(page, '[data-block="header"]')).toContain(`Signed in as \u2068${JANE}\u2069`);
    const cookie = (await context.cookies(rw)).find((c) => c.name === 'refwire_portal');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email address').waitFor();
    await page.reload();
    await page.getByLabel('Email address').waitFor();
  });

  it('applies to the program from the hosted page: the form, the emailed code, then waiting for approval; an affiliate is sent to sign in', async () => {
    const context = await newContext();
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && !expectedHttpError(m.text()) && pageErrors.push(m.text()));
    const focused = () => page.evaluate(() => document.querySelector('[data-refwire-portal]').shadowRoot.activeElement?.id ?? null);
    await page.goto(`${rw}/portal/${project.id}`);
    await page.getByLabel('Email address').fill('sam.lee@applicants.test');
    await page.getByRole('button', { name: 'Apply to join the program' }).click();
    await page.locator('h1', { hasText: 'Apply to Acme' }).waitFor();
    // the address typed for the sign-in comes along; the name, the first field, has the focus
    expect(await focused()).toBe('rw-apply-name');
    expect(await page.getByLabel('Email address').inputValue()).toBe('sam.lee@applicants.test');
    const send = page.getByRole('button', { name: 'Send application' });
    expect(await send.isDisabled()).toBe(true);
    await page.getByLabel('Your name').fill('Sam Lee');
    await page.getByLabel('Website (optional)').fill('https://sam.example/blog');
    await page.getByLabel('Message to the program (optional)').fill('I review shop software for 12,000 readers.');
    // an address the server refuses is marked on its field
    await page.getByLabel('Email address').fill('sam@');
    await send.click();
    await expect(text(page, '#rw-apply-error')).resolves.toBe('Check the fields: a name and a valid email address are needed.');
    expect(await page.getByLabel('Email address').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Email address').fill('sam.lee@applicants.test');
    await send.click();

    const codeInput = page.getByLabel('6-digit code');
    await codeInput.waitFor();
    expect(await focused()).toBe('rw-apply-code');
    expect(await text(page, '#rw-apply-code-sent')).toBe('We sent a 6-digit code to \u2068sam.lee@applicants.test\u2069. It is valid for 10 minutes.');
    const code = await mailedCode('sam.lee@applicants.test');
    await codeInput.fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect(page.getByRole('alert').first().innerText()).resolves.toBe('That code is wrong or has expired.');
    await codeInput.fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();
    const result = page.locator('[data-step="applied"]');
    await result.waitFor();
    expect(await result.getAttribute('data-status')).toBe('pending');
    expect(await text(page, '[data-step="applied"] [role="status"]')).toBe('Thank you. Your application is waiting for the program’s review; you will hear by email.');
    expect(await page.evaluate(() => document.querySelector('[data-refwire-portal]').shadowRoot.activeElement?.getAttribute('role'))).toBe('status');

    // what the merchant sees: a pending affiliate and the application with what Sam wrote
    const sam = (await api().get('/api/v1/affiliates/sam.lee%40applicants.test').set(as()).expect(200)).body.data;
    expect(sam).toMatchObject({ email: 'sam.lee@applicants.test', name: 'Sam Lee', status: 'pending' });
    const applications = (await api().get('/api/v1/applications').set(as()).expect(200)).body.data;
    expect(applications.find((a: { email: string }) => a.email === 'sam.lee@applicants.test')).toMatchObject({ website: 'https://sam.example/blog', message: 'I review shop software for 12,000 readers.' });

    // back to the sign-in, the address filled in
    await page.getByRole('button', { name: 'Back to sign-in' }).click();
    await page.locator('h1', { hasText: 'Sign in to Acme' }).waitFor();
    expect(await page.getByLabel('Email address').inputValue()).toBe('sam.lee@applicants.test');
    expect(await focused()).toBe('rw-email');

    // an affiliate already: told so, and offered the sign-in
    await page.getByRole('button', { name: 'Apply to join the program' }).click();
    await page.getByLabel('Your name').fill('Jane Doe');
    await page.getByLabel('Email address').fill(JANE);
    await page.getByRole('button', { name: 'Send application' }).click();
    const refused = page.locator('#rw-apply-error');
    await refused.waitFor();
    expect(await refused.locator('p').innerText()).toBe('This email address is already an affiliate of the program. Sign in instead.');
    await refused.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('h1', { hasText: 'Sign in to Acme' }).waitFor();
    expect(await page.getByLabel('Email address').inputValue()).toBe(JANE);

    // a rejected address: told it was not accepted, and not sent to a sign-in that would email it no code
    await api().post('/api/v1/affiliates').set(as()).send({ email: 'turned.down@applicants.test', referral_code: 'TURNED-DOWN' }).expect(201);
    await api().patch('/api/v1/affiliates/turned.down%40applicants.test').set(as()).send({ status: 'rejected' }).expect(200);
    await page.getByRole('button', { name: 'Apply to join the program' }).click();
    await page.getByLabel('Your name').fill('Turned Down');
    await page.getByLabel('Email address').fill('turned.down@applicants.test');
    await page.getByRole('button', { name: 'Send application' }).click();
    await refused.waitFor();
    expect(await refused.locator('p').innerText()).toBe('This email address was not accepted into the program and cannot apply again.');
    expect(await refused.getByRole('button').count()).toBe(0);
    await page.getByRole('button', { name: 'Back to sign-in' }).click();
    await page.locator('h1', { hasText: 'Sign in to Acme' }).waitFor();

    // under auto_approve the applicant is an affiliate at once: the page gives the code and offers the sign-in
    await api().patch('/api/v1/settings').set(as()).send({ auto_approve: true }).expect(200);
    try {
      await page.getByRole('button', { name: 'Apply to join the program' }).click();
      await page.getByLabel('Your name').fill('Kim Park');
      await page.getByLabel('Email address').fill('kim@applicants.test');
      await page.getByRole('button', { name: 'Send application' }).click();
      // the code is mailed once the page shows its step
      await page.getByLabel('6-digit code').waitFor();
      await page.getByLabel('6-digit code').fill(await mailedCode('kim@applicants.test'));
      await page.getByRole('button', { name: 'Confirm' }).click();
      await result.waitFor();
      expect(await result.getAttribute('data-status')).toBe('active');
      const kim = (await api().get('/api/v1/affiliates/kim%40applicants.test').set(as()).expect(200)).body.data;
      expect(kim.status).toBe('active');
      // the approval Kim is emailed, delivered now so that no later test takes it for its code
      const sent = smtp.received.length;
      await sender.runOnce();
      await smtp.waitFor(sent + 1);
      expect(smtp.received[smtp.received.length - 1]!.envelope.to).toEqual(['kim@applicants.test']);
      expect(await text(page, '[data-step="applied"] [role="status"]')).toBe(
        `Welcome aboard. Your referral code is \u2068${kim.referral_code}\u2069. Sign in to see your links and earnings.`,
      );
      await result.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.getByLabel('Email address').inputValue()).toBe('kim@applicants.test');
    } finally {
      await api().patch('/api/v1/settings').set(as()).send({ auto_approve: false }).expect(200);
    }
  });

  it('shows every block with the numbers the API answers, on a hostile page under a strict CSP', async () => {
    const token = await embedToken();
    const [me, stats, links, commissions, payouts, referrals] = await Promise.all(
      ['/me', '/stats', '/links', '/commissions', '/payouts', '/referrals'].map((p) => portalGet(token, p)),
    );
    const context = await newContext();
    const page = await embedPage(context, { token });

    // the page hid every div and unset every style; the widget stands
    const box = await page.locator('[data-refwire-portal]').boundingBox();
    expect(box!.height).toBeGreaterThan(1000);
    expect(await page.locator('[data-block="earnings"]').isVisible()).toBe(true);
    // nothing global but window.Refwire, and not one CSP refusal
    expect(await page.evaluate(() => Object.getOwnPropertyNames(window).filter((k: string) => !window.globalsBefore.includes(k) && k !== 'globalsBefore'))).toEqual(['Refwire']);
    expect(await page.evaluate(() => window.violations)).toEqual([]);

    // header: the merchant's title and description, and who is signed in
    expect(await text(page, '[data-block="header"] h1')).toBe('Acme partners');
    expect(await text(page, '[data-block="header"]')).toContain('Earn 20% of every payment');
    // share_links: the referral link and code, the tracking link with its counts
    expect(await page.locator('[data-block="share_links"] output').first().innerText()).toBe(me.affiliate.referral_link);
    expect(await text(page, '[data-testid="referral-code"]')).toBe('JANE-42');
    const linkRow = page.locator('[data-block="share_links"] tbody tr').first();
    expect(await linkRow.innerText()).toContain(links[0].url);
    expect((await linkRow.locator('td.rw-num').allInnerTexts()).map(Number)).toEqual([links[0].clicks, links[0].conversions]);
    expect(links[0].clicks).toBe(3);
    // coupon_code
    expect(await text(page, '[data-block="coupon_code"] output')).toBe('JANE10');
    // stats: the period's totals
    const stat = (name: string) => text(page, `[data-block="stats"] [data-stat="${name}"] dd`);
    expect(await stat('clicks')).toBe(String(stats.totals.clicks));
    expect(await stat('signups')).toBe(String(stats.totals.signups));
    expect(await stat('purchases')).toBe(String(stats.totals.purchases));
    // net of refunds, as the commission is
    expect(await stat('revenue')).toBe(usd(stats.totals.revenue_minor.USD - (stats.totals.refunded_minor.USD ?? 0)));
    expect(await stat('commission')).toBe(usd(stats.totals.commission_minor.USD));
    expect([stats.totals.clicks, stats.totals.signups, stats.totals.purchases, stats.totals.revenue_minor.USD]).toEqual([3, 1, 1, 4000]);
    // and the customers referred, oldest first, their addresses masked: today's signup (the sales were recorded by
    // the merchant without a referral)
    const referralRows = page.locator('[data-block="stats"] tbody tr');
    expect(await referralRows.count()).toBe(referrals.length);
    const shown = (await referralRows.allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()));
    const label = { converted: 'Purchased', pending: 'Signed up', expired: 'Expired' } as Record<string, string>;
    type Shown = { email: string; status: string; converted_at: string | null; created_at: string };
    expect(shown).toEqual(referrals.map((r: Shown) => [day(r.created_at), r.email, r.converted_at ? `${label[r.status]}\non ${day(r.converted_at)}` : label[r.status]]));
    expect(referrals.map((r: Shown) => `${r.email} ${r.status}`)).toEqual(['n***@customers.test pending']);
    // daily_stats: a uPlot canvas, and the same days in its table
    expect(await page.locator('[data-block="daily_stats"] canvas').count()).toBeGreaterThan(0);
    await page.locator('[data-block="daily_stats"] summary').click();
    const rows = page.locator('[data-block="daily_stats"] tbody tr');
    expect(await rows.count()).toBe(stats.daily.length);
    const today = stats.daily.find((d: { clicks: number }) => d.clicks > 0);
    expect(await rows.filter({ hasText: day(`${today.date}T00:00:00Z`) }).locator('td').allInnerTexts()).toEqual([String(today.clicks), String(today.signups), String(today.purchases)]);
    // earnings: held and eligible with the next release date
    const usdBalance = me.balances.USD;
    const earning = (name: string) => page.locator(`[data-block="earnings"] [data-stat="${name}"] dd`).first();
    expect(await earning('eligible').innerText()).toBe('$40.00');
    expect((await earning('held').innerText()).split('\n')).toEqual([usd(usdBalance.held_minor), `Next release: ${day(usdBalance.next_release_at)}`]);
    expect(await earning('paid').innerText()).toBe(usd(usdBalance.paid_minor));
    expect(await earning('earned').innerText()).toBe(usd(usdBalance.earned_minor));
    const commissionRows = page.locator('[data-block="earnings"] tbody tr');
    expect(await commissionRows.count()).toBe(commissions.length);
    expect(await commissionRows.first().innerText()).toContain(usd(commissions[0].commission_minor));
    expect(await commissionRows.first().innerText()).toContain(day(commissions[0].hold_until));
    // payment_methods and payment_history
    expect(await text(page, '[data-block="payment_methods"]')).toContain('jane@paypal.example');
    const payoutRow = page.locator('[data-block="payment_history"] tbody tr').first();
    expect((await payoutRow.innerText()).split('\t').map((s) => s.trim())).toEqual([day(payouts[0].created_at), '$30.00', 'Paid', 'PayPal', 'PP-0001']);
    expect(await text(page, '[data-block="payment_history"] button')).toBe('Request a payout of $40.00');
    // commission_levels: the terms in force
    const levels = await text(page, '[data-block="commission_levels"]');
    expect(levels).toContain('20% of every payment');
    expect(levels).toContain('Commissions are held for 30 days');
    expect(levels).toContain('Referrals count for 60 days after a click');
    expect(levels).toContain('Minimum payout: $25.00');
    // promotional_materials: the text with the affiliate's link in it
    expect(await text(page, '[data-block="promotional_materials"] blockquote')).toBe(`I run my shop on Acme: ${me.affiliate.referral_link}`);
    expect(await text(page, '[data-block="promotional_materials"] output')).toBe('https://shop.example/pricing');
  });

  it('puts a copy button on every link, reachable in order by keyboard, and announces the copy', async () => {
    const context = await newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://localhost:${merchant.port}` });
    const page = await embedPage(context, { token: await embedToken() });
    const shadowFocus = () => page.evaluate(() => {
      const el = document.querySelector('[data-refwire-portal]').shadowRoot.activeElement;
      return el ? el.getAttribute('aria-label') ?? el.id ?? el.textContent : null;
    });
    // the host page has nothing focusable before the widget: Tab walks into it, in reading order
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push((await shadowFocus()) ?? '');
    }
    // (the header's language picker first; the table of links is a scrollable region, focusable so keyboards can
    // scroll it on a narrow screen)
    expect(order).toEqual(['rw-lang', 'Copy Your referral link', 'Copy Referral code', 'Tracking links', `Copy ${rw}/r/jane-blog`, 'rw-link-target']);

    // every link and code the affiliate shares has its copy button
    for (const value of [`${rw}/r/jane-blog`, 'JANE-42', 'JANE10', 'https://shop.example/pricing']) {
      expect(await page.locator(`button[data-copy="${value}"]`).count()).toBeGreaterThan(0);
    }
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await shadowFocus()).toBe('Copy Your referral link');
    await page.keyboard.press('Enter');
    await page.locator('[data-live]').filter({ hasText: 'Copied to the clipboard' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${rw}/r/jane-blog`);
    expect(await page.locator('button[aria-label="Copy Your referral link"]').innerText()).toBe('Copied');
  });

  it('edits the payout details (refusing a wrong IBAN) and requests a payout from the widget', async () => {
    const context = await newContext();
    const page = await embedPage(context, { token: await embedToken() });
    await page.evaluate(() => window.Refwire.portal.on('payout:requested', (p: unknown) => window.events.push(['payout:requested', p])));
    const methods = page.locator('[data-block="payment_methods"]');
    await methods.getByRole('button', { name: 'Edit' }).click();
    await methods.getByLabel('Bank transfer').check();
    await methods.getByLabel('Account holder').fill('Jane Doe');
    await methods.getByLabel('IBAN').fill('DE00 1234 5678');
    await methods.getByRole('button', { name: 'Save' }).click();
    expect(await methods.getByRole('alert').innerText()).toBe('This IBAN is not valid: check its country code, length and check digits.');
    // only the field the refusal names is marked, and it points at the message
    expect(await methods.getByLabel('IBAN').getAttribute('aria-invalid')).toBe('true');
    expect(await methods.getByLabel('IBAN').getAttribute('aria-describedby')).toBe('rw-details-error');
    expect(await methods.getByLabel('Account holder').getAttribute('aria-invalid')).toBeNull();

    await methods.getByLabel('PayPal').check();
    await methods.getByLabel('PayPal email').fill('jane.new@paypal.example');
    await methods.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-live]').filter({ hasText: 'Payout details saved' }).waitFor();
    await methods.locator('[data-stat="paypal_email"]').filter({ hasText: 'jane.new@paypal.example' }).waitFor();
    expect((await api().get(`/api/v1/affiliates/${encodeURIComponent(JANE)}`).set(as()).expect(200)).body.data.paypal_email).toBe('jane.new@paypal.example');

    // a method without the details it needs (bank transfer, no IBAN): no request is offered, the API would refuse it
    const setMethod = async (payout_method: string) => {
      await api().patch(`/api/v1/affiliates/${encodeURIComponent(JANE)}`).set(as()).send({ payout_method }).expect(200);
      await page.reload();
    };
    await setMethod('bank_transfer');
    const unready = page.locator('[data-block="payment_history"]').getByRole('button', { name: 'Request a payout of $40.00' });
    await unready.waitFor();
    expect(await unready.isDisabled()).toBe(true);
    await setMethod('paypal');
    const history = page.locator('[data-block="payment_history"]');
    await history.getByRole('button', { name: 'Request a payout of $40.00' }).waitFor();
    // the reloaded page listens again
    await page.evaluate(() => window.Refwire.portal.on('payout:requested', (p: unknown) => window.events.push(['payout:requested', p])));
    await history.getByRole('button', { name: 'Request a payout of $40.00' }).click();
    expect(await history.locator('.rw-notice').innerText()).toBe('Payout of $40.00 requested');
    await history.locator('tbody tr').filter({ hasText: 'Requested' }).waitFor();
    expect((await history.locator('tbody tr').first().innerText()).split('\t').map((s) => s.trim()).slice(1, 4)).toEqual(['$40.00', 'Requested', 'PayPal']);
    // the balances moved: nothing left to request, 40.00 in a payout
    await page.locator('[data-block="earnings"] [data-stat="processing"] dd').filter({ hasText: '$40.00' }).waitFor();
    expect(await text(page, '[data-block="earnings"] [data-stat="eligible"] dd')).toBe('$0.00');
    expect(await history.getByRole('button', { name: /Request a payout/ }).count()).toBe(0);
    const pending = (await api().get('/api/v1/payouts?status=pending').set(as()).expect(200)).body.data;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ amount_minor: 4000, currency: 'USD', method: 'paypal', requested_by: 'affiliate', status: 'pending' });
    expect(await page.evaluate(() => window.events)).toEqual([['payout:requested', expect.objectContaining({ id: pending[0].id, amount_minor: 4000 })]]);

    // the merchant fails it: the affiliate reads why, and the money is theirs to request again
    await api().post(`/api/v1/payouts/${pending[0].id}/fail`).set(as()).send({ reason: 'PayPal account not verified' }).expect(200);
    await page.reload();
    await history.locator('tbody tr').filter({ hasText: 'Failed' }).waitFor();
    expect((await history.locator('tbody tr').first().innerText()).split('\t').map((s) => s.trim()).slice(1, 3)).toEqual(['$40.00', 'Failed\nPayPal account not verified']);
    await history.getByRole('button', { name: 'Request a payout of $40.00' }).waitFor();
  });

  it('refuses an expired token with a visible message, and identify() signs in with a fresh one', async () => {
    const stale = await embedToken();
    const minted = t.clock.now;
    t.clock.now = new Date(minted.getTime() + 11 * 60_000);
    try {
      const context = await newContext();
      const page = await context.newPage();
      await page.goto(`http://localhost:${merchant.port}/?${new URLSearchParams({ project: project.id, token: stale })}`);
      await page.locator('[data-state="expired"]').waitFor();
      expect(await page.getByRole('alert').innerText()).toBe('Your session has expired or is not valid. Please sign in again.');
      expect(await page.locator('[data-block]').count()).toBe(0);
      // the refusal was the server's: the same token is refused by the API too
      await api().get(`/api/portal/${project.id}/me`).set('Authorization', `Bearer ${stale}`).expect(401);

      await page.evaluate(() => window.Refwire.portal.on('ready', (d: unknown) => window.events.push(['ready', d])));
      const fresh = await embedToken();
      await page.evaluate((token: string) => window.Refwire.portal.identify(token), fresh);
      await page.locator('[data-block="earnings"]').waitFor();
      expect(await page.locator('[data-state="expired"]').count()).toBe(0);
      const me = await portalGet(fresh, '/me');
      expect(await page.evaluate(() => window.events)).toEqual([['ready', { affiliate_id: me.affiliate.id }]]);
    } finally {
      t.clock.now = minted;
    }
  });

  it('renders right to left in Arabic (data-lang), and setLanguage() switches language', async () => {
    const context = await newContext();
    const page = await embedPage(context, { token: await embedToken(), lang: 'ar' });
    await page.evaluate(() => window.Refwire.portal.on('language', (d: unknown) => window.events.push(['language', d])));
    const root = page.locator('.rw');
    expect(await root.getAttribute('dir')).toBe('rtl');
    expect(await root.getAttribute('lang')).toBe('ar');
    expect(await root.evaluate((el: any) => getComputedStyle(el).direction)).toBe('rtl');
    const heading = page.locator('#rw-h-earnings');
    expect(await heading.innerText()).toBe('الأرباح');
    // the heading starts at the card's right edge, far from its left
    const card = (await page.locator('[data-block="earnings"]').boundingBox())!;
    const h = (await heading.boundingBox())!;
    expect(card.x + card.width - (h.x + h.width)).toBeLessThan(24);
    expect(h.x - card.x).toBeGreaterThan(card.width / 2);
    // the payout requested and failed above, in Arabic, with the merchant's reason as written
    expect(await text(page, '[data-block="payment_history"] tbody')).toContain('فشلت\nPayPal account not verified');

    // a language the portal does not have changes nothing (it fell back to the page's or the browser's before)
    await page.evaluate(() => window.Refwire.portal.setLanguage('xx'));
    expect(await root.getAttribute('lang')).toBe('ar');
    await page.evaluate(() => window.Refwire.portal.setLanguage('de'));
    await page.locator('#rw-h-earnings', { hasText: 'Einnahmen' }).waitFor();
    expect(await root.getAttribute('dir')).toBe('ltr');
    expect(await page.evaluate(() => window.events)).toEqual([['language', { lang: 'de' }]]);
  });

  it("switches language from the header's picker, by keyboard, as setLanguage() does: twelve languages in their own words", async () => {
    const page = await embedPage(await newContext(), { token: await embedToken() });
    await page.evaluate(() => window.Refwire.portal.on('language', (d: unknown) => window.events.push(['language', d])));
    const picker = page.locator('[data-block="header"] select');
    expect(await page.getByLabel('Language').inputValue()).toBe('en');
    expect(await picker.locator('option').allInnerTexts()).toEqual(['English', 'Español', 'Français', 'Deutsch', 'Português', 'Italiano', 'Nederlands', 'Polski', '日本語', '中文', 'العربية', 'עברית']);
    expect(await picker.locator('option').evaluateAll((os: any[]) => os.map((o) => o.lang))).toEqual(['en', 'es', 'fr', 'de', 'pt', 'it', 'nl', 'pl', 'ja', 'zh', 'ar', 'he']);

    // the keyboard: the next language down, and the picker keeps the focus through the switch
    await picker.focus();
    await page.keyboard.press('ArrowDown');
    await page.locator('#rw-h-earnings', { hasText: 'Ganancias' }).waitFor();
    expect(await page.getByLabel('Idioma').inputValue()).toBe('es');
    const focused = () => page.evaluate(() => document.querySelector('[data-refwire-portal]').shadowRoot.activeElement?.id);
    expect(await focused()).toBe('rw-lang');

    await picker.selectOption('ar');
    await page.locator('#rw-h-earnings', { hasText: 'الأرباح' }).waitFor();
    expect(await page.locator('.rw').getAttribute('dir')).toBe('rtl');
    expect(await page.getByLabel('اللغة').inputValue()).toBe('ar');
    expect(await page.evaluate(() => window.events)).toEqual([
      ['language', { lang: 'es' }],
      ['language', { lang: 'ar' }],
    ]);
  });

  it('shows each block empty, not broken, for an affiliate with nothing yet', async () => {
    const email = 'newcomer@partners.test';
    await api().post('/api/v1/affiliates').set(as()).send({ email, referral_code: 'NEW-1' }).expect(201);
    const token = (await api().post(`/api/v1/affiliates/${encodeURIComponent(email)}/embed-tokens`).set(as()).expect(201)).body.data.token;
    const page = await embedPage(await newContext(), { token });
    expect(await text(page, '[data-block="coupon_code"]')).toContain('No coupon code has been assigned to you yet.');
    expect(await text(page, '[data-block="share_links"]')).toContain('No tracking links yet.');
    // the program's allowed domain gives even a newcomer a link to share
    expect(await page.locator('[data-block="share_links"] output').first().innerText()).toBe('https://shop.example/?ref=NEW-1');
    expect(await text(page, '[data-block="daily_stats"]')).toContain('No activity in this period yet.');
    expect(await text(page, '[data-block="earnings"]')).toContain('No commissions yet.');
    expect(await text(page, '[data-block="earnings"] [data-stat="eligible"] dd')).toBe('$0.00');
    expect(await text(page, '[data-block="payment_methods"]')).toContain('Not set yet');
    const history = await text(page, '[data-block="payment_history"]');
    expect(history).toContain('Nothing is ready for payout yet.');
    expect(history).toContain('Add your payout details before requesting a payout.');
    expect(history).toContain('No payouts yet.');
    expect(await text(page, '[data-block="stats"] [data-stat="conversion_rate"] dd')).toBe('—');
    expect(await text(page, '[data-block="stats"]')).toContain('No referrals yet: customers who sign up through your links appear here.');
  });

  it('says when the chart library cannot be loaded, and shows the daily numbers as a table instead', async () => {
    const token = await embedToken();
    const stats = await portalGet(token, '/stats');
    const context = await newContext();
    await context.route(/\/js\/refwire-portal\/uplot\.js$/, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"success":false}' }));
    const page = await context.newPage();
    await page.goto(`http://localhost:${merchant.port}/?${new URLSearchParams({ project: project.id, token })}`);
    const block = page.locator('[data-block="daily_stats"]');
    await block.getByText('The chart could not be loaded: the numbers are in the table below.').waitFor({ timeout: 15_000 });
    expect(await block.locator('canvas').count()).toBe(0);
    expect(await block.locator('details').getAttribute('open')).not.toBeNull();
    expect(await block.locator('tbody tr').count()).toBe(stats.daily.length);
    expect(await block.locator('tbody tr').first().isVisible()).toBe(true);
    // the browser reports the failed import itself; nothing else went wrong
    expect(pageErrors.splice(0).every((e) => /uplot\.js|dynamically imported module/i.test(e))).toBe(true);
  });

  it('offers a pending affiliate no link form, which the API would refuse, but the code and link to share', async () => {
    const email = 'waiting@partners.test';
    await api().post('/api/v1/affiliates').set(as()).send({ email, referral_code: 'WAIT-1' }).expect(201);
    await api().patch(`/api/v1/affiliates/${encodeURIComponent(email)}`).set(as()).send({ status: 'pending' }).expect(200);
    const token = (await api().post(`/api/v1/affiliates/${encodeURIComponent(email)}/embed-tokens`).set(as()).expect(201)).body.data.token;
    const page = await embedPage(await newContext(), { token });
    const share = page.locator('[data-block="share_links"]');
    expect(await text(page, '[data-block="share_links"] [data-testid="referral-code"]')).toBe('WAIT-1');
    expect(await share.locator('#rw-link-target').count()).toBe(0);
    expect(await share.locator('form').count()).toBe(0);
  });

  it('pages the commissions with "Load more" by keyboard, showing its loading and error states, down to the oldest', async () => {
    const email = 'sam@partners.test';
    await api().post('/api/v1/affiliates').set(as()).send({ email, referral_code: 'SAM-7' }).expect(201);
    // eleven sales a day apart, oldest first: one more than the widget's first page of ten
    const now = t.clock.now;
    const ids: string[] = [];
    try {
      for (let i = 0; i < 11; i++) {
        t.clock.now = new Date(now.getTime() - (11 - i) * DAY);
        const sale = { type: 'purchase', referral_code: 'SAM-7', base_value: 10 + i, reference: `sam-${i}` };
        ids.push((await api().post('/api/v1/conversions').set(as()).send(sale).expect(201)).body.data.id);
      }
    } finally {
      t.clock.now = now;
    }
    const oldest = ids[0]!;
    const token = (await api().post(`/api/v1/affiliates/${encodeURIComponent(email)}/embed-tokens`).set(as()).expect(201)).body.data.token;
    const page = await embedPage(await newContext(), { token });
    const rows = page.locator('[data-block="earnings"] tbody tr');
    expect(await rows.count()).toBe(10);
    expect(await rows.first().getAttribute('data-commission')).toBe(ids[10]);
    expect(await page.locator(`[data-commission="${oldest}"]`).count()).toBe(0);

    // the older page: refused the first time, held the second so its loading state can be seen
    let tries = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/commissions\?limit=10&cursor=/, async (route) => {
      if (++tries === 1) return route.fulfill({ status: 429, contentType: 'application/json', body: JSON.stringify({ success: false, error: 'rate limit exceeded' }) });
      await held;
      return route.continue();
    });
    await page.getByRole('button', { name: 'Load more' }).focus();
    await page.keyboard.press('Enter');
    // a 429 says when to try again: a minute when the answer gives no Retry-After the embed may read
    await expect(page.locator('[data-block="earnings"] [role="alert"]').innerText()).resolves.toBe('Too many attempts. Try again in 1 minute.');
    expect(await rows.count()).toBe(10);
    // the button is the retry, and kept the focus
    await page.keyboard.press('Enter');
    const busy = page.getByRole('button', { name: 'Loading…' });
    await busy.waitFor();
    expect(await busy.getAttribute('aria-disabled')).toBe('true');
    release();
    await page.locator(`[data-commission="${oldest}"]`).waitFor();
    expect(tries).toBe(2);
    expect(await rows.count()).toBe(11);
    expect(await page.locator('[data-block="earnings"] [role="alert"]').count()).toBe(0);
    // 20% of the oldest sale's $10.00
    expect(await page.locator(`[data-commission="${oldest}"]`).innerText()).toContain(usd(200));
    // the last page: no button left, and the focus is on the first row it added
    expect(await page.locator('[data-load-more]').count()).toBe(0);
    // waited for rather than read once: it fails after the timeout when the focus never moves
    await page.waitForFunction((id) => document.querySelector('[data-refwire-portal]').shadowRoot.activeElement?.getAttribute('data-commission') === id, oldest, { timeout: 5000 });
  });

  it('fits a 320 px screen: no block wider than the widget, the page not wider than the screen (English and Arabic)', async () => {
    const context = await newContext({ viewport: { width: 320, height: 700 } });
    for (const lang of ['en', 'ar']) {
      const page = await embedPage(context, { token: await embedToken(), lang });
      await page.locator('[data-block="daily_stats"] canvas').first().waitFor();
      const layout = await page.evaluate(() => {
        const host = document.querySelector('[data-refwire-portal]');
        const blocks = [...host.shadowRoot.querySelectorAll('[data-block]')];
        return {
          page: document.documentElement.scrollWidth,
          blocks: blocks.length,
          overflowing: blocks.filter((b: any) => b.scrollWidth > b.clientWidth + 1).map((b: any) => b.dataset.block),
        };
      });
      expect({ lang, ...layout }).toEqual({ lang, page: 320, blocks: 10, overflowing: [] });
      await page.close();
    }
  });

  it('shares window.Refwire with the tracking script, whichever loads first', async () => {
    const context = await newContext();
    for (const tracking of ['first', 'after']) {
      const page = await embedPage(context, { token: await embedToken(), tracking });
      await page.waitForFunction(() => typeof window.Refwire.getReferral === 'function');
      // the tracking script's Refwire(value, type, email) function, carrying its helpers and the widget's API
      expect(await page.evaluate(() => typeof window.Refwire)).toBe('function');
      expect(await page.evaluate(() => Object.keys(window.Refwire))).toEqual(expect.arrayContaining(['getReferral', 'getClickId', 'signup', 'paddleCustomData', 'portal']));
      expect(await page.evaluate(() => Object.keys(window.Refwire.portal).sort())).toEqual(['identify', 'mount', 'on', 'setLanguage']);
      // and the widget works through it
      await page.evaluate(() => window.Refwire.portal.setLanguage('de'));
      await page.locator('#rw-h-earnings', { hasText: 'Einnahmen' }).waitFor();
      await page.close();
    }
  });

  it('axe-core finds no serious or critical violation (sign-in, dashboard in English and Arabic, narrow and wide)', async () => {
    const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    // axe is injected as an inline script, which the pages' own policies would refuse
    const context = await newContext({ bypassCSP: true });
    const check = async (page: Page) => {
      await page.addScriptTag({ content: axe });
      const result = await page.evaluate(async () => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
        return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 3) }));
      });
      return result.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
    };
    const signIn = await context.newPage();
    await signIn.goto(`${rw}/portal/${project.id}`);
    await signIn.getByLabel('Email address').waitFor();
    expect(await check(signIn)).toEqual([]);
    await signIn.getByRole('button', { name: 'Apply to join the program' }).click();
    await signIn.getByLabel('Your name').waitFor();
    expect(await check(signIn)).toEqual([]);
    for (const [lang, width] of [['en', 1280], ['ar', 360]] as const) {
      const page = await embedPage(context, { token: await embedToken(), lang });
      await page.setViewportSize({ width, height: 900 });
      await page.locator('[data-block="daily_stats"] summary').click();
      expect({ lang, width, violations: await check(page) }).toEqual({ lang, width, violations: [] });
    }
  });

  /** A hosted page signed in as `email` with a session made through the API, as the affiliate's own sign-in makes it */
  async function hostedPage(context: BrowserContext, email: string, lang = 'en'): Promise<{ page: Page; session: string }> {
    await api().post(`/api/portal/${project.id}/login`).send({ email }).expect(202);
    const res = await api().post(`/api/portal/${project.id}/login/verify`).send({ email, code: await mailedCode(email) }).expect(200);
    const session = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('refwire_portal='))!.split(';')[0]!.split('=')[1]!;
    await context.addCookies([{ name: 'refwire_portal', value: session, url: rw }]);
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && !expectedHttpError(m.text()) && pageErrors.push(m.text()));
    await page.goto(`${rw}/portal/${project.id}?lang=${lang}`);
    await page.locator('[data-block="payment_history"]').waitFor();
    await settled(page);
    return { page, session };
  }
  const catalog = (lang: string): Record<string, string> => JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'web', 'portal', 'locales', `${lang}.json`), 'utf8'));
  const focusedIn = (page: Page) =>
    page.evaluate(() => {
      const el = document.querySelector('[data-refwire-portal]').shadowRoot.activeElement;
      return el ? { tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'), text: el.textContent.trim() } : null;
    });
  /**
   * Where the focus is at the first DOM change after which `selector` matches nothing: read in a MutationObserver,
   * so a focus moved a frame later (after paint) is caught as lost, not seen once it has landed.
   */
  async function focusWhenGone(page: Page, selector: string, act: () => Promise<void>) {
    await page.evaluate((sel) => {
      const root = document.querySelector('[data-refwire-portal]').shadowRoot;
      window.focusWhenGone = undefined;
      const observer = new MutationObserver(() => {
        if (root.querySelector(sel)) return;
        observer.disconnect();
        const el = root.activeElement;
        window.focusWhenGone = el ? { tag: el.tagName.toLowerCase(), text: el.textContent.trim() } : null;
      });
      observer.observe(root, { childList: true, subtree: true, characterData: true });
    }, selector);
    await act();
    await page.waitForFunction(() => window.focusWhenGone !== undefined);
    return page.evaluate(() => window.focusWhenGone);
  }
  /** an affiliate of its own, active, paid by PayPal, with `sales` purchases made 40 days ago (past the 30-day hold) */
  async function affiliateWith(email: string, code: string, sales: number[] = []): Promise<string> {
    await api().post('/api/v1/affiliates').set(as()).send({ email, referral_code: code }).expect(201);
    await api().patch(`/api/v1/affiliates/${encodeURIComponent(email)}`).set(as()).send({ payout_method: 'paypal', paypal_email: `pay.${email}` }).expect(200);
    const now = t.clock.now;
    try {
      t.clock.now = new Date(now.getTime() - 40 * DAY);
      for (const [i, base] of sales.entries()) {
        await api().post('/api/v1/conversions').set(as()).send({ type: 'purchase', referral_code: code, base_value: base, reference: `${code}-${i}` }).expect(201);
      }
    } finally {
      t.clock.now = now;
    }
    return (await api().post(`/api/v1/affiliates/${encodeURIComponent(email)}/embed-tokens`).set(as()).expect(201)).body.data.token;
  }

  it('ends the session on any 401 while the dashboard is open: the embed fires unauthorized once and identify() brings it back', async () => {
    const page = await embedPage(await newContext(), { token: await embedToken() });
    await page.evaluate(() => window.Refwire.portal.on('unauthorized', (d: unknown) => window.events.push(['unauthorized', d])));
    const minted = t.clock.now;
    // the 10-minute token runs out while the page is open; the next request is a block's, not /me
    t.clock.now = new Date(minted.getTime() + 11 * 60_000);
    try {
      await page.getByLabel('Period').selectOption('7');
      await page.locator('[data-state="expired"]').waitFor();
      expect(await page.getByRole('alert').innerText()).toBe('Your session has expired or is not valid. Please sign in again.');
      expect(await page.locator('[data-block]').count()).toBe(0);
      // every block's request of that moment was refused: one event all the same
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => window.events)).toEqual([['unauthorized', { status: 401 }]]);
      // the renewal docs/portal.md shows
      await page.evaluate((token: string) => window.Refwire.portal.identify(token), await embedToken());
      await page.locator('[data-block="earnings"]').waitFor();
      expect(await page.locator('[data-state="expired"]').count()).toBe(0);
    } finally {
      t.clock.now = minted;
    }
  });

  it('ends the session on any 401 on the hosted page (signed out in another tab): the sign-in comes back and says why', async () => {
    const context = await newContext();
    const { page, session } = await hostedPage(context, JANE);
    await page.evaluate(() => window.Refwire.portal.on('unauthorized', (d: unknown) => (window.events = [...(window.events ?? []), ['unauthorized', d]])));
    // the other tab signs out
    await api().post(`/api/portal/${project.id}/logout`).set('Cookie', `refwire_portal=${session}`).expect(204);
    const methods = page.locator('[data-block="payment_methods"]');
    await methods.getByRole('button', { name: 'Edit' }).click();
    await methods.getByRole('button', { name: 'Save' }).click();
    await page.getByLabel('Email address').waitFor();
    expect(await text(page, '[data-state="expired"]')).toBe('Your session has expired or is not valid. Please sign in again.');
    expect(await page.evaluate(() => window.events)).toEqual([['unauthorized', { status: 401 }]]);
    // a first visit without a session is no session that ended
    await context.clearCookies();
    await page.reload();
    await page.getByLabel('Email address').waitFor();
    expect(await page.locator('[data-state="expired"]').count()).toBe(0);
  });

  it('says when to try again after a 429, from its Retry-After', async () => {
    const page = await (await newContext()).newPage();
    page.on('console', (m) => m.type() === 'error' && !expectedHttpError(m.text()) && pageErrors.push(m.text()));
    await page.goto(`${rw}/portal/${project.id}`);
    await page.getByLabel('Email address').fill(JANE);
    // same origin, so the header is readable (the embed's cross-origin answers show it as a minute)
    await page.route(/\/login$/, (route) =>
      route.fulfill({ status: 429, headers: { 'Retry-After': '120' }, contentType: 'application/json', body: JSON.stringify({ success: false, error: 'too many requests' }) }),
    );
    await page.getByRole('button', { name: 'Send code' }).click();
    await expect(text(page, '#rw-signin-error')).resolves.toBe('Too many attempts. Try again in 2 minutes.');
  });

  it('takes a pasted code with spaces around or inside it', async () => {
    const page = await (await newContext()).newPage();
    page.on('console', (m) => m.type() === 'error' && !expectedHttpError(m.text()) && pageErrors.push(m.text()));
    await page.goto(`${rw}/portal/${project.id}`);
    await page.getByLabel('Email address').fill(JANE);
    await page.getByRole('button', { name: 'Send code' }).click();
    const codeInput = page.getByLabel('6-digit code');
    await codeInput.waitFor();
    const code = await mailedCode(JANE);
    // as the email's plain text gives it, and as a reader groups it
    await page.keyboard.insertText(`    ${code}`);
    expect(await codeInput.inputValue()).toBe(code);
    await codeInput.fill('');
    await page.keyboard.insertText(`${code.slice(0, 3)} ${code.slice(3)}`);
    expect(await codeInput.inputValue()).toBe(code);
    // still six digits at most
    await page.keyboard.insertText('9');
    expect(await codeInput.inputValue()).toBe(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-block="earnings"]').waitFor();
  });

  it('shows the new tracking link as the referral link (copy button and promotional text too) once it is made', async () => {
    const token = await affiliateWith('ria@partners.test', 'RIA-1');
    const page = await embedPage(await newContext(), { token });
    // before any tracking link, the referral link is the program's site with the code
    const share = page.locator('[data-block="share_links"]');
    expect(await share.locator('output').first().innerText()).toBe('https://shop.example/?ref=RIA-1');
    await share.getByLabel('Page to link to').fill('https://shop.example/blog');
    await share.getByLabel('Custom ending (optional)').fill('ria-blog');
    await share.getByRole('button', { name: 'Create link' }).click();
    await share.locator('tbody tr').filter({ hasText: `${rw}/r/ria-blog` }).waitFor();
    await share.locator('output').filter({ hasText: `${rw}/r/ria-blog` }).waitFor({ timeout: 5000 });
    expect(await share.locator('button[aria-label="Copy Your referral link"]').getAttribute('data-copy')).toBe(`${rw}/r/ria-blog`);
    expect(await text(page, '[data-block="promotional_materials"] blockquote')).toBe(`I run my shop on Acme: ${rw}/r/ria-blog`);
  });

  it('keeps the keyboard focus on something after Edit, Escape, Save, a payout request and a new link', async () => {
    const token = await affiliateWith('lee@partners.test', 'LEE-1', [300]);
    const page = await embedPage(await newContext(), { token });
    const focused = () => focusedIn(page);
    const methods = page.locator('[data-block="payment_methods"]');
    await methods.getByRole('button', { name: 'Edit' }).focus();
    await page.keyboard.press('Enter');
    await methods.locator('form').waitFor();
    // the editor's first field: the method chosen
    expect(await focused()).toMatchObject({ tag: 'input', name: 'rw-method' });
    // the focus is on Edit in the very change that takes the form away, never on the page for a frame
    const editor = '[data-block="payment_methods"] form';
    expect(await focusWhenGone(page, editor, () => page.keyboard.press('Escape'))).toMatchObject({ tag: 'button', text: 'Edit' });
    expect(await focused()).toMatchObject({ tag: 'button', text: 'Edit' });
    await page.keyboard.press('Enter');
    await methods.getByLabel('PayPal email').fill('lee.new@paypal.example');
    await methods.getByRole('button', { name: 'Save' }).focus();
    expect(await focusWhenGone(page, editor, () => page.keyboard.press('Enter'))).toMatchObject({ tag: 'button', text: 'Edit' });
    await methods.locator('[data-stat="paypal_email"]').filter({ hasText: 'lee.new@paypal.example' }).waitFor();
    expect(await focused()).toMatchObject({ tag: 'button', text: 'Edit' });

    const history = page.locator('[data-block="payment_history"]');
    await history.getByRole('button', { name: 'Request a payout of $60.00' }).focus();
    const requestButton = '[data-block="payment_history"] .rw-row button';
    expect(await focusWhenGone(page, requestButton, () => page.keyboard.press('Enter'))).toMatchObject({ tag: 'p', text: 'Payout of $60.00 requested' });
    await history.locator('.rw-notice').waitFor();
    expect(await focused()).toMatchObject({ tag: 'p', text: 'Payout of $60.00 requested' });

    const share = page.locator('[data-block="share_links"]');
    await share.getByLabel('Page to link to').fill('https://shop.example/blog');
    await share.getByLabel('Custom ending (optional)').fill('lee-blog');
    await share.getByRole('button', { name: 'Create link' }).focus();
    await page.keyboard.press('Enter');
    await share.locator('tbody tr').filter({ hasText: `${rw}/r/lee-blog` }).waitFor();
    expect(await focused()).toMatchObject({ tag: 'h3', text: 'Tracking links' });
  });

  it("shows the API's refusals in the affiliate's language, marking the field they name", async () => {
    const token = await affiliateWith('kai@partners.test', 'KAI-1', [300]);
    const page = await embedPage(await newContext(), { token, lang: 'de' });
    const de = catalog('de');
    const share = page.locator('[data-block="share_links"]');
    const target = share.locator('#rw-link-target');
    const slug = share.locator('#rw-link-slug');
    const create = share.locator('button[type="submit"]');
    // a slug in use (Jane's): the slug is marked, not the target
    await target.fill('https://shop.example/blog');
    await slug.fill('jane-blog');
    await create.click();
    await expect(share.getByRole('alert').innerText()).resolves.toBe(de.slug_invalid);
    expect([await slug.getAttribute('aria-invalid'), await target.getAttribute('aria-invalid')]).toEqual(['true', null]);
    expect(await slug.getAttribute('aria-describedby')).toBe('rw-link-error');
    // a site the program does not allow: the target
    await slug.fill('');
    await target.fill('https://elsewhere.example/');
    await create.click();
    // named, with the program's sites (the API's words are English and the merchant's)
    await expect(share.getByRole('alert').innerText()).resolves.toBe(de.link_target_domain!.replace('{{host}}', 'elsewhere.example').replace('{{allowed}}', 'shop.example'));
    expect([await slug.getAttribute('aria-invalid'), await target.getAttribute('aria-invalid')]).toEqual([null, 'true']);
    // an account that is not active (the server's words, as the portal API answers them)
    await page.route(/\/links$/, (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ success: false, error: 'only an active affiliate creates links; this account is pending' }) })
        : route.continue(),
    );
    await target.fill('https://shop.example/');
    await create.click();
    await share.getByRole('alert').filter({ hasText: de.not_active! }).waitFor();
    expect([await slug.getAttribute('aria-invalid'), await target.getAttribute('aria-invalid')]).toEqual([null, null]);
    // the payout: nothing eligible (another tab took it), then below the minimum
    const history = page.locator('[data-block="payment_history"]');
    const refusals = ['nothing eligible to pay in USD: commissions still in their hold period, or already paid', 'the eligible balance 20.00 USD is below minimum_payout 25.00'];
    await page.route(/\/payouts$/, (route) =>
      route.request().method() === 'POST' ? route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ success: false, error: refusals.shift() }) }) : route.continue(),
    );
    await history.locator('button.rw-btn').first().click();
    await expect(history.getByRole('alert').innerText()).resolves.toBe(de.payout_nothing);
    await history.locator('button.rw-btn').first().click();
    await history.getByRole('alert').filter({ hasText: de.payout_minimum!.replace('{{amount}}', '25,00\u00a0$') }).waitFor();
  });

  it('at 320 and 360 px in English, German, Arabic and Japanese: amounts of millions on one line, copy labels on one line, tables within the widget', async () => {
    const token = await affiliateWith('max@partners.test', 'MAX-1', [10_000_000]);
    // one held commission too, for the table's hold date
    await api().post('/api/v1/conversions').set(as()).send({ type: 'purchase', referral_code: 'MAX-1', base_value: 100, reference: 'MAX-1-held' }).expect(201);
    // and a payout of the millions, paid with a reference as long as PayPal's
    const max = (await api().get('/api/v1/affiliates/max%40partners.test').set(as()).expect(200)).body.data;
    const payout = (await api().post('/api/v1/payouts').set(as()).send({ affiliate_id: max.id }).expect(201)).body.data;
    await api().post(`/api/v1/payouts/${payout.id}/complete`).set(as()).send({ reference: 'PAYID-M7XK2QY8AB123456CD7890EF' }).expect(200);
    for (const width of [320, 360]) {
      const context = await newContext({ viewport: { width, height: 800 } });
      for (const lang of ['en', 'de', 'ar', 'ja']) {
        const page = await embedPage(context, { token, lang });
        await page.locator('[data-block="daily_stats"] summary').click();
        const layout = await page.evaluate(() => {
          const root = document.querySelector('[data-refwire-portal]').shadowRoot;
          // lines a node's text is laid out on
          const lines = (node: any) => {
            const range = document.createRange();
            range.selectNodeContents(node);
            return new Set([...range.getClientRects()].map((r: any) => Math.round(r.top))).size;
          };
          const amounts = [...root.querySelectorAll('[data-block="earnings"] dd, [data-block="stats"] [data-stat="revenue"] dd')].map((dd: any) => dd.firstChild);
          return {
            brokenAmounts: amounts.filter((n: any) => lines(n) > 1).map((n: any) => n.textContent),
            wrappedCopy: [...root.querySelectorAll('button[data-copy]')].filter((b: any) => lines(b) > 1).map((b: any) => b.textContent),
            overflowingTables: [...root.querySelectorAll('.rw-table-wrap')].filter((w: any) => w.scrollWidth > w.clientWidth + 1).map((w: any) => `${w.getAttribute('aria-label')} ${w.scrollWidth}/${w.clientWidth}`),
            overflowingBlocks: [...root.querySelectorAll('[data-block]')].filter((b: any) => b.scrollWidth > b.clientWidth + 1).map((b: any) => b.dataset.block),
            page: document.documentElement.scrollWidth,
          };
        });
        expect({ width, lang, ...layout }).toEqual({ width, lang, brokenAmounts: [], wrappedCopy: [], overflowingTables: [], overflowingBlocks: [], page: width });
        // the hold date is shown, within the table
        const held = page.locator('[data-block="earnings"] tbody tr').filter({ has: page.locator('.rw-badge-held') }).first();
        expect(await held.innerText()).toMatch(/\d/);
        await page.close();
      }
    }
  });

  it("dates the commissions by their UTC day in any browser's time zone, as the chart and the API count days", async () => {
    const commissions = await portalGet(await embedToken(), '/commissions');
    // +14 and -11 hours: whatever the time of day, one of the two is on another calendar day than UTC
    for (const timezoneId of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const page = await embedPage(await newContext({ timezoneId }), { token: await embedToken() });
      const shown = await page.locator('[data-block="earnings"] tbody tr td:first-child').allInnerTexts();
      expect({ timezoneId, shown }).toEqual({ timezoneId, shown: commissions.map((c: { occurred_at: string }) => day(c.occurred_at)) });
      await page.close();
    }
  });

  it('axe-core: each landmark is named once (landmark-unique), tables included', async () => {
    const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    const page = await embedPage(await newContext({ bypassCSP: true }), { token: await embedToken() });
    await page.locator('[data-block="daily_stats"] summary').click();
    await page.addScriptTag({ content: axe });
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'rule', values: ['landmark-unique', 'scrollable-region-focusable', 'aria-allowed-role'] } });
      return r.violations.map((v: any) => ({ id: v.id, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
    });
    expect(violations).toEqual([]);
  });

  (process.env.PORTAL_SCREENSHOTS ? it : it.skip)('screenshots of the hosted page in en, de and ar at 360 and 1280 px (PORTAL_SCREENSHOTS=1)', async () => {
    await api().post(`/api/portal/${project.id}/login`).send({ email: JANE }).expect(202);
    const res = await api().post(`/api/portal/${project.id}/login/verify`).send({ email: JANE, code: await mailedCode(JANE) }).expect(200);
    const session = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('refwire_portal='))!.split(';')[0]!.split('=')[1]!;
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const lang of ['en', 'de', 'ar']) {
      for (const width of [360, 1280]) {
        const context = await newContext({ viewport: { width, height: 900 }, locale: lang });
        await context.addCookies([{ name: 'refwire_portal', value: session, url: rw }]);
        const page = await context.newPage();
        await page.goto(`${rw}/portal/${project.id}?lang=${lang}`);
        await page.locator('[data-block="payment_history"] tbody tr').first().waitFor();
        await page.locator('[data-block="daily_stats"] canvas').first().waitFor();
        await page.screenshot({ path: path.join(SHOTS, `hosted-${lang}-${width}.png`), fullPage: true });
        // the chart alone where its date labels are most crowded: the narrowest width
        if (width === 360) await page.locator('[data-block="daily_stats"] .rw-chart').screenshot({ path: path.join(SHOTS, `chart-${lang}-360.png`) });
      }
    }
    // the embed on the merchant's hostile page, under its CSP
    const embed = await embedPage(await newContext({ viewport: { width: 1280, height: 900 } }), { token: await embedToken() });
    await embed.locator('[data-block="daily_stats"] canvas').first().waitFor();
    await embed.screenshot({ path: path.join(SHOTS, 'embed-hostile-page-en-1280.png'), fullPage: true });
    const signIn = await (await newContext({ viewport: { width: 360, height: 700 } })).newPage();
    await signIn.goto(`${rw}/portal/${project.id}?lang=en`);
    await signIn.getByLabel('Email address').waitFor();
    await signIn.screenshot({ path: path.join(SHOTS, 'sign-in-en-360.png') });
    await signIn.getByRole('button', { name: 'Apply to join the program' }).click();
    await signIn.getByLabel('Your name').waitFor();
    await signIn.screenshot({ path: path.join(SHOTS, 'apply-en-360.png') });
  });
});
