import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/tracking/refgrow-calls-browser.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const CODE = 'ALEX123';

type Call = ((value: number, type?: string, email?: string, options?: Record<string, unknown>) => Promise<any>) & {
  processStripePaymentLinks(): number;
  processLemonSqueezyLinks(): number;
  processPaddleLinks(): number;
  redirectToStripePaymentLink(url: string): string;
};
// What the page's functions see; the tests compile without the DOM library.
declare const window: { Refwire: Call | undefined; Refgrow: Call | undefined };

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/** A page written for Refgrow's script: it calls Refgrow(…) and the named helpers. */
function merchantPage(refwirePort: number, projectId: string, publishableKey: string | null): string {
  const pk = publishableKey ? ` data-publishable-key="${publishableKey}"` : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<script src="http://127.0.0.1:${refwirePort}/js/refwire.js" data-project-id="${projectId}"${pk}></script>
</head><body>
<a id="stripe" href="https://buy.stripe.com/test_abc">Buy</a>
<a id="ls" href="https://acme.lemonsqueezy.com/buy/variant-1">Buy on Lemon Squeezy</a>
<a id="paddle" class="paddle_button" href="#" data-custom-data='{"plan":"pro"}'>Buy with Paddle</a>
</body></html>`;
}

(hasChromium ? describe : describe.skip)("Refgrow's calls in a real browser", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let pk: string;
  let refwire: { server: http.Server; port: number };
  let merchant: { server: http.Server; port: number };
  let browser: Browser;
  let context: BrowserContext;
  const pageErrors: string[] = [];
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });

  const href = (page: Page, id: string) => page.getAttribute(`#${id}`, 'href');
  async function open(page: Page, path: string) {
    await page.goto(`http://localhost:${merchant.port}${path}`);
    await page.waitForFunction(() => window.Refwire !== undefined);
  }
  /** A visitor who came through a referral link on an earlier visit: the cookie, set after this page's script ran. */
  const referred = () => context.addCookies([{ name: 'refwire_ref', value: CODE, url: `http://localhost:${merchant.port}` }]);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000 } });
    t.clock.now = new Date('2026-08-01T09:00:00Z');
    project = await createProjectViaApi(t.app, 'Shop');
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'alex@p.test', referral_code: CODE }).expect(201);
    pk = (await request(t.app).post('/api/v1/publishable-keys').set(api()).send({ name: 'shop' }).expect(201)).body.data.key;
    refwire = await listen((req, res) => t.app(req, res));
    const withKey = merchantPage(refwire.port, project.id, pk);
    const withoutKey = merchantPage(refwire.port, project.id, null);
    merchant = await listen((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(req.url?.startsWith('/nokey') ? withoutKey : withKey);
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext();
    context.on('weberror', (e) => pageErrors.push(String(e.error())));
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => merchant?.server.close(r));
    refwire?.server.closeAllConnections();
    await new Promise((r) => refwire?.server.close(r));
    await t.runner.stop();
    await tdb.drop();
  });

  it('Refgrow is Refwire; each named helper rewrites its own provider\'s links only, and redirects carry the code', async () => {
    const page = await context.newPage();
    await open(page, '/');
    expect(await page.evaluate(() => window.Refgrow === window.Refwire && typeof window.Refgrow === 'function')).toBe(true);
    // the code arrived after the script's own pass over the page: nothing carries it yet
    await referred();
    expect(await href(page, 'stripe')).toBe('https://buy.stripe.com/test_abc');

    expect(await page.evaluate(() => window.Refgrow!.processStripePaymentLinks())).toBe(1);
    expect(await href(page, 'stripe')).toBe(`https://buy.stripe.com/test_abc?client_reference_id=${CODE}`);
    expect(await href(page, 'ls')).toBe('https://acme.lemonsqueezy.com/buy/variant-1');
    expect(await page.evaluate(() => window.Refgrow!.processStripePaymentLinks())).toBe(0);

    expect(await page.evaluate(() => window.Refgrow!.processLemonSqueezyLinks())).toBe(1);
    expect(await href(page, 'ls')).toBe(`https://acme.lemonsqueezy.com/buy/variant-1?checkout%5Bcustom%5D%5Breferral_code%5D=${CODE}`);

    expect(await page.evaluate(() => window.Refgrow!.processPaddleLinks())).toBe(1);
    expect(JSON.parse((await page.getAttribute('#paddle', 'data-custom-data'))!)).toEqual({ plan: 'pro', referral_code: CODE });

    let reached = '';
    await page.route('https://buy.stripe.com/**', (route) => {
      reached = route.request().url();
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>Stripe</p>' });
    });
    await Promise.all([page.waitForURL(/buy\.stripe\.com/), page.evaluate(() => window.Refgrow!.redirectToStripePaymentLink('https://buy.stripe.com/test_xyz?locale=de'))]);
    expect(reached).toBe(`https://buy.stripe.com/test_xyz?locale=de&client_reference_id=${CODE}`);
    await page.close();
  });

  it("Refgrow(0, 'signup', email) records the referral; Refgrow(value, 'purchase', email) a purchase waiting for review, once per order", async () => {
    const page = await context.newPage();
    await open(page, '/thanks');
    const signedUp = await page.evaluate(() => window.Refgrow!(0, 'signup', 'buyer@example.com'));
    expect(signedUp).toMatchObject({ success: true, data: { email: 'buyer@example.com', created: true } });
    expect((await request(t.app).get('/api/v1/referrals/buyer%40example.com').set(api()).expect(200)).body.data).toMatchObject({ affiliate_code: CODE, conversion_status: 'pending' });

    const bought = await page.evaluate(() => window.Refgrow!(123.45, 'purchase', 'buyer@example.com', { order_id: 'ORD-77' }));
    expect(bought).toMatchObject({ success: true, data: { order_id: 'ORD-77', amount: 123.45, amount_minor: 12345, currency: 'USD', status: 'pending' } });
    // the thank-you page reloaded: the same order, the same answer, one conversion
    const again = await page.evaluate(() => window.Refgrow!(123.45, 'purchase', 'buyer@example.com', { order_id: 'ORD-77' }));
    expect(again).toEqual(bought);
    const rows = (await request(t.app).get('/api/v1/conversions?kind=purchase').set(api()).expect(200)).body.data;
    expect(rows.map((r: any) => [r.reference, r.value_minor, r.status, r.email])).toEqual([['ORD-77', 2469, 'pending', 'buyer@example.com']]);

    await expect(page.evaluate(() => window.Refgrow!(5, 'subscribe', 'buyer@example.com'))).rejects.toThrow(/the type is 'signup' or 'purchase'/);
    await expect(page.evaluate(() => window.Refgrow!(-5, 'purchase'))).rejects.toThrow(/amount: must not be negative/);
    await page.close();
  });

  it('a purchase needs the publishable key on the script tag; a visitor without a referral reports nothing', async () => {
    const page = await context.newPage();
    await open(page, '/nokey');
    await expect(page.evaluate(() => window.Refwire!(10, 'purchase', 'x@example.com'))).rejects.toThrow(/purchases need data-publishable-key/);
    await page.close();

    const stranger = await browser.newContext();
    const other = await stranger.newPage();
    await open(other, '/');
    expect(await other.evaluate(() => window.Refwire!(10, 'purchase', 'y@example.com'))).toBeNull();
    expect(await other.evaluate(() => window.Refwire!.processStripePaymentLinks())).toBe(0);
    await stranger.close();
    expect((await request(t.app).get('/api/v1/conversions?kind=purchase').set(api()).expect(200)).body.pagination.total).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
