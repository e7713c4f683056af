import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/tracking/links-browser.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const CODE = 'Partner-9';

declare const window: { Refwire: { getReferral(): string | null; getClickId(): string | null; signup(email: string): Promise<any> } | undefined };

function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/**
 * A tracking link followed in headless Chromium: Refwire (127.0.0.1) redirects to the merchant's page (localhost,
 * another origin, on the project's allowed_domains), whose tracking script keeps the referral code and the click
 * id the redirect recorded, without reporting the click a second time.
 */
(hasChromium ? describe : describe.skip)('a tracking link in a real browser', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let refwire: { server: http.Server; port: number };
  let merchant: { server: http.Server; port: number };
  let browser: Browser;
  let clickPosts = 0;
  const pageErrors: string[] = [];
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const clickRows = () => tdb.db.sql.query<{ id: string; source: string; link_id: string | null }>('SELECT id::text AS id, source, link_id::text AS link_id FROM clicks ORDER BY occurred_at');

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000 } });
    project = await createProjectViaApi(t.app, 'Shop');
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'partner@p.test', referral_code: CODE }).expect(201);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ allowed_domains: ['localhost'] }).expect(200);
    refwire = await listen((req, res) => {
      if (req.method === 'POST' && req.url === '/api/track/click') clickPosts++;
      t.app(req, res);
    });
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>Landing</title>
<script src="http://127.0.0.1:${refwire.port}/js/refwire.js" data-project-id="${project.id}" async></script>
</head><body><a id="stripe" href="https://buy.stripe.com/test_123">Buy</a></body></html>`;
    merchant = await listen((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(html);
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => merchant?.server.close(r));
    refwire?.server.closeAllConnections();
    await new Promise((r) => refwire?.server.close(r));
    await t.runner.stop();
    await tdb.drop();
  });

  const cookie = async (page: Page, name: string) => (await page.context().cookies(`http://localhost:${merchant.port}`)).find((c) => c.name === name);

  it('follows /r/<slug> to the merchant page, where the script keeps the referral and the click id', async () => {
    const link = (
      await request(t.app)
        .post('/api/v1/affiliates/partner%40p.test/links')
        .set(api())
        .send({ target_url: `http://localhost:${merchant.port}/landing?utm_source=news`, slug: 'spring-news' })
        .expect(201)
    ).body.data;
    const context = await browser.newContext();
    context.on('weberror', (e) => pageErrors.push(String(e.error())));
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${refwire.port}/r/spring-news`);
    await page.waitForFunction(() => window.Refwire !== undefined && window.Refwire.getClickId() !== null);

    const [row] = await clickRows();
    expect(row).toEqual({ id: expect.any(String), source: 'link', link_id: link.id });
    expect(await page.evaluate(() => [window.Refwire!.getReferral(), window.Refwire!.getClickId()])).toEqual([CODE, row!.id]);
    expect(await cookie(page, 'refwire_ref')).toMatchObject({ value: CODE, path: '/', sameSite: 'Lax' });
    const clickCookie = await cookie(page, 'refwire_click');
    expect(clickCookie).toMatchObject({ value: row!.id, path: '/', sameSite: 'Lax' });
    expect(clickCookie!.expires * 1000).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    // the click id leaves the address bar; the page's own parameters and the code stay
    expect(page.url()).toBe(`http://localhost:${merchant.port}/landing?utm_source=news&ref=${CODE}`);
    expect(await page.getAttribute('#stripe', 'href')).toBe(`https://buy.stripe.com/test_123?client_reference_id=${CODE}`);

    // the redirect counted the click: the script reports none, now or on a reload
    await page.reload();
    await page.waitForFunction(() => window.Refwire !== undefined);
    await page.waitForTimeout(300);
    expect(clickPosts).toBe(0);
    expect(await clickRows()).toHaveLength(1);

    // a signup from that browser carries the click id, so the link gets it
    const answer = await page.evaluate(() => window.Refwire!.signup('visitor@example.com'));
    expect(answer).toMatchObject({ success: true, data: { created: true } });
    const referral = (await request(t.app).get('/api/v1/referrals/visitor%40example.com').set(api()).expect(200)).body.data;
    expect(referral.link_id).toBe(link.id);
    const counted = (await request(t.app).get('/api/v1/affiliates/partner%40p.test/links/spring-news').set(api()).expect(200)).body.data;
    expect(counted).toMatchObject({ clicks: 1, signups: 1 });
    await context.close();
  });

  it('a plain ?ref= visit gets its click id from the click it reports', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://localhost:${merchant.port}/?ref=${CODE}`);
    await page.waitForFunction(() => window.Refwire !== undefined && window.Refwire.getClickId() !== null);
    const script = (await clickRows()).find((r) => r.source === 'script')!;
    expect(script.link_id).toBeNull();
    expect(await page.evaluate(() => window.Refwire!.getClickId())).toBe(script.id);
    expect((await cookie(page, 'refwire_click'))!.value).toBe(script.id);
    expect(clickPosts).toBe(1);
    await context.close();
    expect(pageErrors).toEqual([]);
  });
});
