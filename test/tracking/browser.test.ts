import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/tracking/browser.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const CODE = 'Partner-9';

// What the page's functions see; the tests compile without the DOM library, so only what they touch is named.
declare const window: {
  Refwire: { getReferral(): string | null; signup(email: string): Promise<any>; paddleCustomData(): Record<string, string> } | undefined;
  Paddle: { Checkout: { open(options: Record<string, any>): void } };
  paddleOpened: Record<string, any>[];
};
declare const document: { getElementById(id: string): { getAttribute(name: string): string | null } | null };

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/** A merchant's page on its own origin, embedding the script from Refwire's, with checkout links of each provider. */
function merchantPage(refwirePort: number, projectId: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<script>
  // what Paddle.js would define: the checkout a button opens from code
  window.paddleOpened = [];
  window.Paddle = { Checkout: { open: function (options) { window.paddleOpened.push(options); } } };
</script>
<script src="http://127.0.0.1:${refwirePort}/js/refwire.js" data-project-id="${projectId}" async></script>
</head><body>
<a id="stripe" href="https://buy.stripe.com/test_123">Buy</a>
<a id="stripe-own" href="https://buy.stripe.com/test_456?client_reference_id=mine">Buy (own reference)</a>
<a id="ls" href="https://acme.lemonsqueezy.com/checkout/buy/5f1c0d2e-variant?embed=1">Buy on Lemon Squeezy</a>
<a id="ls-share" href="https://acme.lemonsqueezy.com/buy/5f1c0d2e-share">Buy on Lemon Squeezy (share link)</a>
<a id="polar" href="https://buy.polar.sh/polar_cl_abc123">Buy on Polar</a>
<a id="plain" href="https://example.com/pricing">Pricing</a>
<a id="paddle" class="paddle_button" href="#" data-items='[{"priceId":"pri_1","quantity":1}]'>Buy with Paddle</a>
<script>
  window.addEventListener('load', function () {
    setTimeout(function () {
      var a = document.createElement('a');
      a.id = 'dynamic';
      a.href = 'https://buy.stripe.com/test_dynamic';
      a.textContent = 'Added later';
      document.body.appendChild(a);
    }, 200);
  });
</script>
</body></html>`;
}

(hasChromium ? describe : describe.skip)('the tracking script in a real browser', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let refwire: { server: http.Server; port: number };
  let merchant: { server: http.Server; port: number };
  let browser: Browser;
  let context: BrowserContext;
  let clickPosts = 0;
  const pageErrors: string[] = [];

  const clicks = async () =>
    (await request(t.app).get('/api/v1/affiliates/partner%40p.test').set('Authorization', `Bearer ${project.apiKey}`).expect(200)).body.data.clicks as number;
  async function clicksBecome(expected: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const now = await clicks();
      if (now === expected || Date.now() > deadline) return now;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const href = (page: Page, id: string) => page.getAttribute(`#${id}`, 'href');
  async function open(page: Page, path: string) {
    await page.goto(`http://localhost:${merchant.port}${path}`);
    await page.waitForFunction(() => window.Refwire !== undefined);
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000 } });
    project = await createProjectViaApi(t.app, 'Shop');
    await request(t.app).post('/api/v1/affiliates').set('Authorization', `Bearer ${project.apiKey}`).send({ email: 'partner@p.test', referral_code: CODE }).expect(201);
    refwire = await listen((req, res) => {
      if (req.method === 'POST' && req.url === '/api/track/click') clickPosts++;
      t.app(req, res);
    });
    const html = merchantPage(refwire.port, project.id);
    merchant = await listen((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(html);
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

  it('keeps the code from ?ref= in a cookie, records the click once, and passes the code into checkout links', async () => {
    const page = await context.newPage();
    await open(page, `/?ref=${CODE}`);

    const cookie = (await context.cookies(`http://localhost:${merchant.port}`)).find((c) => c.name === 'refwire_ref');
    expect(cookie).toMatchObject({ value: CODE, path: '/', sameSite: 'Lax' });
    // about 90 days from now
    expect(cookie!.expires * 1000).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    expect(await clicksBecome(1)).toBe(1);

    expect(await href(page, 'stripe')).toBe(`https://buy.stripe.com/test_123?client_reference_id=${CODE}`);
    expect(await href(page, 'stripe-own')).toBe('https://buy.stripe.com/test_456?client_reference_id=mine');
    expect(await href(page, 'ls')).toBe(`https://acme.lemonsqueezy.com/checkout/buy/5f1c0d2e-variant?embed=1&checkout%5Bcustom%5D%5Breferral_code%5D=${CODE}`);
    expect(await href(page, 'ls-share')).toContain(`checkout%5Bcustom%5D%5Breferral_code%5D=${CODE}`);
    expect(await href(page, 'polar')).toBe(`https://buy.polar.sh/polar_cl_abc123?reference_id=${CODE}`);
    expect(await href(page, 'plain')).toBe('https://example.com/pricing');
    await page.waitForFunction((code) => document.getElementById('dynamic')?.getAttribute('href')?.includes(`client_reference_id=${code}`), CODE);

    expect(JSON.parse((await page.getAttribute('#paddle', 'data-custom-data'))!)).toEqual({ referral_code: CODE });
    expect(await page.evaluate(() => window.Refwire!.paddleCustomData())).toEqual({ referral_code: CODE });
    const opened = await page.evaluate(() => {
      window.Paddle.Checkout.open({ items: [{ priceId: 'pri_1' }] });
      window.Paddle.Checkout.open({ items: [{ priceId: 'pri_1' }], customData: { referral_code: 'CHOSEN', plan: 'pro' } });
      return window.paddleOpened;
    });
    expect(opened.map((o) => o.customData)).toEqual([{ referral_code: CODE }, { referral_code: 'CHOSEN', plan: 'pro' }]);

    // the same visit: a reload records nothing more
    const posted = clickPosts;
    await page.reload();
    await page.waitForFunction(() => window.Refwire !== undefined);
    await page.waitForTimeout(500);
    expect(clickPosts).toBe(posted);
    expect(await clicks()).toBe(1);
    await page.close();
  });

  it('remembers the code on pages without ?ref= and reports the signup', async () => {
    const page = await context.newPage();
    await open(page, '/pricing');
    expect(await page.evaluate(() => window.Refwire!.getReferral())).toBe(CODE);
    expect(await href(page, 'stripe')).toBe(`https://buy.stripe.com/test_123?client_reference_id=${CODE}`);

    const answer = await page.evaluate(() => window.Refwire!.signup('new@example.com'));
    expect(answer).toMatchObject({ success: true, data: { email: 'new@example.com', created: true } });
    const referral = await request(t.app).get('/api/v1/referrals/new%40example.com').set('Authorization', `Bearer ${project.apiKey}`).expect(200);
    expect(referral.body.data).toMatchObject({ source: 'signup', status: 'active' });
    const again = await page.evaluate(() => window.Refwire!.signup('new@example.com'));
    expect(again.data.created).toBe(false);
    await expect(page.evaluate(() => window.Refwire!.signup('not an email'))).rejects.toThrow(/email: must be an email address/);
    await page.close();
    expect(await clicks()).toBe(1);
  });

  it('leaves a visitor without a referral alone, and counts a new visit again', async () => {
    const stranger = await browser.newContext();
    const page = await stranger.newPage();
    await open(page, '/');
    expect(await page.evaluate(() => window.Refwire!.getReferral())).toBeNull();
    expect(await page.evaluate(() => window.Refwire!.signup('nobody@example.com'))).toBeNull();
    expect(await href(page, 'stripe')).toBe('https://buy.stripe.com/test_123');

    await open(page, `/?ref=${CODE.toLowerCase()}`);
    expect(await clicksBecome(2)).toBe(2);
    await stranger.close();
    expect(pageErrors).toEqual([]);
  });
});
