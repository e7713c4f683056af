import request from 'supertest';
import { visitorHasher } from '../../src/security/visitor-hash';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** `GET /r/:slug`: the 302, the dated click it records (with no address kept), and every way it declines. */
const VISITOR_IP = '203.0.113.77';
const VISITOR_UA = 'Mozilla/5.0 (X11; Linux x86_64) RefwireTest/1.0';

type ClickRow = {
  id: string;
  project_id: string;
  affiliate_id: string;
  link_id: string | null;
  occurred_at: Date;
  source: string;
  landing_url: string | null;
  referrer: string | null;
  visitor_hash: string;
};

describe('GET /r/:slug', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let jane: { id: string };
  const NOW = new Date('2026-06-10T08:30:00.000Z');
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const links = (email = 'jane@partners.test') => `/api/v1/affiliates/${encodeURIComponent(email)}/links`;
  const link = (target_url: string, slug: string, email?: string) => request(t.app).post(links(email)).set(api()).send({ target_url, slug }).expect(201);
  const clickRows = () => tdb.db.sql.query<ClickRow>('SELECT * FROM clicks ORDER BY occurred_at, id');
  const visit = (slug: string) => request(t.app).get(`/r/${slug}`).set('X-Forwarded-For', VISITOR_IP).set('User-Agent', VISITOR_UA);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    // behind one trusted proxy, so the visitor's address is the X-Forwarded-For the test sends
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000_000 }, trustProxy: 1 });
    t.clock.now = NOW;
    project = await createProjectViaApi(t.app, 'Redirects');
    await request(t.app).patch('/api/v1/settings').set(api()).send({ allowed_domains: ['shop.example.com', '*.example.org'] }).expect(200);
    jane = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'jane@partners.test', referral_code: 'Jane-1' }).expect(201)).body.data;
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'off@partners.test', referral_code: 'OFF' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('redirects 302 to the target with ref=<code> and the click id added, keeping its query and fragment as written', async () => {
    const created = (await link('https://shop.example.com/pricing?plan=pro&utm_source=x%20y#faq', 'Pricing-Jane')).body.data;
    const res = await visit('pricing-jane').set('Referer', 'https://blog.example.net/post?id=3').expect(302);
    const [row] = await clickRows();
    expect(res.headers.location).toBe(`https://shop.example.com/pricing?plan=pro&utm_source=x%20y&ref=Jane-1&refwire_click=${row!.id}#faq`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-robots-tag']).toBe('noindex');

    expect(row).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      project_id: project.id,
      affiliate_id: jane.id,
      link_id: created.id,
      occurred_at: NOW,
      source: 'link',
      landing_url: 'https://shop.example.com/pricing?plan=pro&utm_source=x%20y&ref=Jane-1#faq',
      referrer: 'https://blog.example.net/post?id=3',
      visitor_hash: visitorHasher(t.secretsKey)(project.id, VISITOR_IP, VISITOR_UA),
    });
    expect((await request(t.app).get(`${links()}/Pricing-Jane`).set(api()).expect(200)).body.data.clicks).toBe(1);
    expect((await request(t.app).get('/api/v1/affiliates/jane%40partners.test').set(api()).expect(200)).body.data.clicks).toBe(1);
  });

  it('keeps no address and no user agent: only their keyed hash, different per installation key', async () => {
    const everything = (await tdb.db.sql.query<{ row: string }>('SELECT c::text AS row FROM clicks c')).map((r) => r.row).join('\n');
    expect(everything).not.toContain(VISITOR_IP);
    expect(everything).not.toContain('203.0.113');
    expect(everything).not.toContain('RefwireTest');
    const [row] = await clickRows();
    // not a bare hash an attacker could recompute from the 2^32 IPv4 addresses without the installation's key
    expect(row!.visitor_hash).not.toBe(visitorHasher(Buffer.alloc(32))(project.id, VISITOR_IP, VISITOR_UA));
    // the same visitor hashes alike within the project (so visitors can be told apart), and apart in another
    expect(visitorHasher(t.secretsKey)(project.id, VISITOR_IP, VISITOR_UA)).toBe(row!.visitor_hash);
    expect(visitorHasher(t.secretsKey)('00000000-0000-4000-8000-000000000000', VISITOR_IP, VISITOR_UA)).not.toBe(row!.visitor_hash);
  });

  it("replaces a ref the target already carries: the link's affiliate is the one the page sees", async () => {
    // the clock stands still in this file: a link's click is found by its link
    const clickOf = async (linkId: string) => (await tdb.db.sql.query<{ id: string }>('SELECT id::text AS id FROM clicks WHERE link_id = $1', [linkId]))[0]!.id;
    const deal = (await link('https://deals.example.org/?a=1&ref=OTHER', 'deal')).body.data;
    const res = await visit('deal').expect(302);
    expect(res.headers.location).toBe(`https://deals.example.org/?a=1&ref=Jane-1&refwire_click=${await clickOf(deal.id)}`);
    // the other parameters stay as written: no form re-encoding of `/`, `%20` or a bare flag
    const kept = (await link('https://shop.example.com/p?next=/a/b&ref=OLD&flag&q=a%20b&refwire_click=x#top', 'kept')).body.data;
    const keptRes = await visit('kept').expect(302);
    expect(keptRes.headers.location).toBe(`https://shop.example.com/p?next=/a/b&flag&q=a%20b&ref=Jane-1&refwire_click=${await clickOf(kept.id)}#top`);
    const bare = (await link('https://shop.example.com', 'bare')).body.data;
    const followed = await visit('bare').expect(302);
    expect(followed.headers.location).toBe(`https://shop.example.com/?ref=Jane-1&refwire_click=${await clickOf(bare.id)}`);
  });

  it('answers an unknown slug with 404: JSON to an API client, an HTML page to a browser', async () => {
    const before = (await clickRows()).length;
    await request(t.app).get('/r/no-such-link').expect(404, { success: false, error: 'link not found' });
    const page = await request(t.app).get('/r/no-such-link').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8').expect(404);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<h1>Link not found</h1>');
    await request(t.app).get(`/r/${'x'.repeat(65)}`).expect(404);
    await request(t.app).get('/r/bad%20slug').expect(404);
    expect((await clickRows()).length).toBe(before);
  });

  it('an inactive link is not found; an inactive affiliate sends the visitor on without a referral; neither records a click', async () => {
    await link('https://shop.example.com/paused', 'paused');
    await request(t.app).patch(`${links()}/paused`).set(api()).send({ active: false }).expect(200);
    await link('https://shop.example.com/off', 'off-link', 'off@partners.test');
    // a code written into the target (another affiliate's, or one spelled so a form decoder reads it as ref)
    await link('https://shop.example.com/off?a=1&ref=EVIL&r%65f=EVIL2&refwire_click=x#top', 'off-baked', 'off@partners.test');
    await request(t.app).patch('/api/v1/affiliates/off%40partners.test').set(api()).send({ status: 'inactive' }).expect(200);
    const before = (await clickRows()).length;

    await visit('paused').expect(404, { success: false, error: 'link not found' });
    const off = await visit('off-link').expect(302);
    expect(off.headers.location).toBe('https://shop.example.com/off');
    expect((await visit('off-baked').expect(302)).headers.location).toBe('https://shop.example.com/off?a=1#top');
    expect((await clickRows()).length).toBe(before);
  });

  it("stops at a target no longer on allowed_domains: no redirect to a host the merchant took off the list", async () => {
    await link('https://old.example.org/', 'old-domain');
    await request(t.app).patch('/api/v1/settings').set(api()).send({ allowed_domains: ['shop.example.com'] }).expect(200);
    await visit('old-domain').expect(404, { success: false, error: "link not found: its target is no longer on the project's allowed_domains" });
    await request(t.app).patch('/api/v1/settings').set(api()).send({ allowed_domains: ['shop.example.com', '*.example.org'] }).expect(200);
    await visit('old-domain').expect(302);
  });

  it('a HEAD request (a link preview) is answered without recording a click', async () => {
    const before = (await clickRows()).length;
    const res = await request(t.app).head('/r/bare').expect(302);
    expect(res.headers.location).toBe('https://shop.example.com/?ref=Jane-1');
    expect((await clickRows()).length).toBe(before);
  });

  it("past the address's budget the visitor is still sent on, but no click is recorded", async () => {
    const limited = buildTestApp(tdb.db, { runner: false, trackRateLimit: { perMinute: 1 } });
    limited.clock.now = NOW;
    const before = (await clickRows()).length;
    const first = await request(limited.app).get('/r/bare').expect(302);
    expect(first.headers.location).toMatch(/&refwire_click=[0-9a-f-]{36}$/);
    const second = await request(limited.app).get('/r/bare').expect(302);
    expect(second.headers.location).toBe('https://shop.example.com/?ref=Jane-1');
    expect((await clickRows()).length).toBe(before + 1);
    await limited.runner.stop();
  });
});
