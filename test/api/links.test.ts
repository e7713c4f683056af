import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { payByCheckout } from '../helpers/stripe-checkout';

/** 86d's tracking links through HTTP: slugs, allowed_domains, bad targets, per-link counts. */
const SECRET = 'whsec_links_secret';

describe('/api/v1/affiliates/:email/links', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  const as = (p: { apiKey: string }) => ({ Authorization: `Bearer ${p.apiKey}` });
  const links = (email = 'jane@partners.test') => `/api/v1/affiliates/${encodeURIComponent(email)}/links`;
  const create = (body: Record<string, unknown>, email?: string, project = a) => request(t.app).post(links(email)).set(as(project)).send(body);
  let janeId: string;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000_000 } });
    t.clock.now = new Date('2026-05-04T10:00:00Z');
    a = await createProjectViaApi(t.app, 'A');
    b = await createProjectViaApi(t.app, 'B');
    await connectProvider(t.app, a.apiKey, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(as(a)).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    janeId = (await request(t.app).post('/api/v1/affiliates').set(as(a)).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201)).body.data.id;
    await request(t.app).post('/api/v1/affiliates').set(as(a)).send({ email: 'sam@partners.test', referral_code: 'SAM' }).expect(201);
    await request(t.app).post('/api/v1/affiliates').set(as(b)).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('allowed_domains and click_retention_days are project settings, normalized and checked', async () => {
    const initial = (await request(t.app).get('/api/v1/settings').set(as(a)).expect(200)).body.data;
    expect(initial).toMatchObject({ allowed_domains: [], click_retention_days: 395, cookie_days: 90 });
    await create({ target_url: 'https://shop.example.com/' }).expect(400, {
      success: false,
      error: 'target_url: the project has no allowed_domains yet; set them with PATCH /api/v1/settings',
    });

    const set = await request(t.app).patch('/api/v1/settings').set(as(a)).send({ allowed_domains: ['Shop.Example.com', '*.example.org', 'shop.example.com.'] }).expect(200);
    expect(set.body.data.allowed_domains).toEqual(['shop.example.com', '*.example.org']);
    const bad = await request(t.app).patch('/api/v1/settings').set(as(a)).send({ allowed_domains: ['example.com', 'https://evil.test/'] }).expect(400);
    expect(bad.body).toEqual({ success: false, error: 'allowed_domains.1: must be a host name such as "example.com", or "*.example.com" for its subdomains' });
    await request(t.app).patch('/api/v1/settings').set(as(a)).send({ click_retention_days: 0 }).expect(400);
    expect((await request(t.app).patch('/api/v1/settings').set(as(a)).send({ click_retention_days: 30 }).expect(200)).body.data.click_retention_days).toBe(30);
    await request(t.app).patch('/api/v1/settings').set(as(b)).send({ allowed_domains: ['b.example.net'] }).expect(200);
  });

  it('creates a link with a 10-character slug when none is given, unique each time', async () => {
    const res = await create({ target_url: 'https://Shop.Example.com/pricing?plan=pro#faq' }).expect(201);
    expect(res.body).toEqual({
      success: true,
      data: {
        id: expect.any(String),
        affiliate_id: janeId,
        slug: expect.stringMatching(/^[a-z0-9]{10}$/),
        url: `https://refwire.example.com/r/${res.body.data.slug}`,
        target_url: 'https://shop.example.com/pricing?plan=pro#faq',
        active: true,
        clicks: 0,
        signups: 0,
        conversions: 0,
        created_at: '2026-05-04T10:00:00.000Z',
        updated_at: '2026-05-04T10:00:00.000Z',
      },
    });
    const slugs = await Promise.all(Array.from({ length: 20 }, () => create({ target_url: 'https://www.example.org/' }).expect(201).then((r) => r.body.data.slug as string)));
    expect(new Set([...slugs, res.body.data.slug]).size).toBe(21);
    const list = await request(t.app).get(`${links()}?limit=100`).set(as(a)).expect(200);
    expect(list.body.pagination).toMatchObject({ total: 21, has_more: false });
  });

  it('a chosen slug is unique in the whole installation, whatever its case: 409 when taken', async () => {
    const res = await create({ target_url: 'https://shop.example.com/spring', slug: 'Spring-Sale' }).expect(201);
    expect(res.body.data).toMatchObject({ slug: 'Spring-Sale', url: 'https://refwire.example.com/r/Spring-Sale' });
    await create({ target_url: 'https://shop.example.com/', slug: 'spring-sale' }, 'sam@partners.test').expect(409, { success: false, error: 'slug is already in use' });
    // another project cannot have it either: /r/:slug names no project
    await create({ target_url: 'https://b.example.net/', slug: 'SPRING-SALE' }, 'jane@partners.test', b).expect(409, { success: false, error: 'slug is already in use' });
    const other = await create({ target_url: 'https://shop.example.com/', slug: 'summer' }).expect(201);
    await request(t.app).patch(`${links()}/${other.body.data.slug}`).set(as(a)).send({ slug: 'SPRING-sale' }).expect(409, { success: false, error: 'slug is already in use' });
  });

  it.each([
    [{ target_url: 'javascript:alert(1)' }, 'target_url: must be an http(s) URL; javascript: is refused'],
    [{ target_url: 'data:text/html;base64,PHNjcmlwdD4=' }, 'target_url: must be an http(s) URL; data: is refused'],
    [{ target_url: 'https://evil.test/' }, "target_url: evil.test is not on the project's allowed_domains (shop.example.com, *.example.org)"],
    [{ target_url: 'https://example.org/' }, "target_url: example.org is not on the project's allowed_domains (shop.example.com, *.example.org)"],
    [{ target_url: 'https://www.shop.example.com/' }, "target_url: www.shop.example.com is not on the project's allowed_domains (shop.example.com, *.example.org)"],
    [{ target_url: '//evil.test' }, 'target_url: must be an absolute http(s) URL'],
    [{ target_url: 'https://x@shop.example.com/' }, 'target_url: must not contain a user name or password'],
    [{}, /^target_url: /],
    [{ target_url: 'https://shop.example.com/', slug: 'no spaces' }, /^slug: letters, digits/],
    [{ target_url: 'https://shop.example.com/', slug: 'ab' }, /^slug: /],
  ])('answers 400 naming the field to %j, and creates nothing', async (body, error) => {
    const before = (await request(t.app).get(links()).set(as(a)).expect(200)).body.pagination.total;
    const res = await create(body).expect(400);
    expect(res.body).toEqual({ success: false, error: typeof error === 'string' ? error : expect.stringMatching(error) });
    expect((await request(t.app).get(links()).set(as(a)).expect(200)).body.pagination.total).toBe(before);
  });

  it('answers 404 for an unknown affiliate, an unknown slug, or a slug of another affiliate or project', async () => {
    await create({ target_url: 'https://shop.example.com/' }, 'nobody@partners.test').expect(404, { success: false, error: 'affiliate not found' });
    await request(t.app).get(links('nobody@partners.test')).set(as(a)).expect(404, { success: false, error: 'affiliate not found' });
    await request(t.app).get(`${links()}/nope-nope`).set(as(a)).expect(404, { success: false, error: 'link not found' });
    await request(t.app).get(`${links('sam@partners.test')}/Spring-Sale`).set(as(a)).expect(404);
    await request(t.app).get(`${links()}/Spring-Sale`).set(as(b)).expect(404, { success: false, error: 'link not found' });
    expect((await request(t.app).get(links()).set(as(b)).expect(200)).body.data).toEqual([]);
    await request(t.app).get(links()).expect(401);
  });

  it('changes a link as a merchant expects: target (checked again), slug, active; deletes it', async () => {
    const link = (await create({ target_url: 'https://shop.example.com/a', slug: 'change-me' }).expect(201)).body.data;
    await request(t.app).patch(`${links()}/change-me`).set(as(a)).send({ target_url: 'javascript:void(0)' }).expect(400, {
      success: false,
      error: 'target_url: must be an http(s) URL; javascript: is refused',
    });
    const changed = await request(t.app).patch(`${links()}/CHANGE-ME`).set(as(a)).send({ target_url: 'https://deals.example.org/b', slug: 'changed', active: false }).expect(200);
    expect(changed.body.data).toMatchObject({ id: link.id, slug: 'changed', target_url: 'https://deals.example.org/b', active: false });
    await request(t.app).get(`${links()}/change-me`).set(as(a)).expect(404);
    const active = (await request(t.app).get(`${links()}?active=false`).set(as(a)).expect(200)).body.data;
    expect(active.map((l: { slug: string }) => l.slug)).toEqual(['changed']);
    await request(t.app).put(`${links()}/changed`).set(as(a)).send({ active: true }).expect(200);
    await request(t.app).delete(`${links()}/changed`).set(as(a)).expect(204);
    await request(t.app).get(`${links()}/changed`).set(as(a)).expect(404);
    await request(t.app).get('/r/changed').expect(404);
  });

  it('counts per link: clicks through /r/, signups that named one of its clicks, and purchases of those customers', async () => {
    await create({ target_url: 'https://shop.example.com/landing', slug: 'count-me' }).expect(201);
    const follow = async () => new URL((await request(t.app).get('/r/count-me').expect(302)).headers.location!).searchParams.get('refwire_click')!;
    const first = await follow();
    await follow();
    await follow();
    const signup = (email: string, clickId?: string) =>
      request(t.app).post('/api/track/signup').send({ project_id: a.id, email, referral_code: 'JANE', ...(clickId ? { click_id: clickId } : {}) }).expect(201);
    await signup('linked@c.test', first);
    await signup('direct@c.test');
    const referral = (await request(t.app).get('/api/v1/referrals/linked%40c.test').set(as(a)).expect(200)).body.data;
    expect(referral.link_id).toBe((await request(t.app).get(`${links()}/count-me`).set(as(a)).expect(200)).body.data.id);

    t.clock.now = new Date('2026-05-05T10:00:00Z');
    await payByCheckout(t, a.id, SECRET, { email: 'linked@c.test', paidAt: t.clock.now, amount: 5000 });
    await payByCheckout(t, a.id, SECRET, { email: 'direct@c.test', paidAt: t.clock.now, amount: 5000 });
    const counted = (await request(t.app).get(`${links()}/count-me`).set(as(a)).expect(200)).body.data;
    expect(counted).toMatchObject({ clicks: 3, signups: 1, conversions: 1 });
    // the affiliate's own counter has every click, through links or the script
    expect((await request(t.app).get('/api/v1/affiliates/jane%40partners.test').set(as(a)).expect(200)).body.data).toMatchObject({ clicks: 3, signups: 2, purchases: 2 });
  });
});
