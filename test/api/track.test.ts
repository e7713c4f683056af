import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SCRIPT = fs.readFileSync(path.resolve(__dirname, '..', '..', 'static', 'refwire.js'), 'utf8');

describe('the tracking script and the public /api/track endpoints', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const affiliate = async (email: string) => (await request(t.app).get(`/api/v1/affiliates/${encodeURIComponent(email)}`).set(api()).expect(200)).body.data;
  const click = (body: unknown) => request(t.app).post('/api/track/click').send(body as object);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    // the per-address budget has a test of its own, on an app of its own
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true, trackRateLimit: { perMinute: 1_000_000 } });
    project = await createProjectViaApi(t.app, 'Tracked');
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'partner@p.test', referral_code: 'Partner-7' }).expect(201);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'other@p.test', referral_code: 'OTHER' }).expect(201);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'gone@p.test', referral_code: 'GONE', status: 'inactive' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('serves the script as JavaScript any origin may load, briefly cached', async () => {
    const res = await request(t.app).get('/js/refwire.js').expect(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.text).toBe(SCRIPT);
    await request(t.app).get('/js/refwire.js').set('If-None-Match', res.headers.etag!).expect(304);
  });

  it('a click adds one to the affiliate, whatever the case of the code, sent as JSON or as a text/plain beacon', async () => {
    const res = await click({ project_id: project.id, referral_code: 'partner-7', landing_url: 'https://shop.test/?ref=partner-7', referrer: '' }).expect(201);
    expect(res.body).toEqual({ success: true, data: { recorded: true, click_id: expect.stringMatching(/^[0-9a-f-]{36}$/), cookie_days: 90 } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect((await affiliate('partner@p.test')).clicks).toBe(1);

    await request(t.app)
      .post('/api/track/click')
      .set('Content-Type', 'text/plain;charset=UTF-8')
      .send(JSON.stringify({ project_id: project.id, referral_code: 'PARTNER-7', landing_url: 'https://shop.test/', referrer: null }))
      .expect(201);
    expect((await affiliate('partner@p.test')).clicks).toBe(2);
    expect((await affiliate('other@p.test')).clicks).toBe(0);
  });

  it("takes Afflixo's spellings of the code: affiliateCode, or its X-Affiliate-Code header; they must agree", async () => {
    const before = (await affiliate('other@p.test')).clicks;
    await click({ project_id: project.id, affiliateCode: 'other' }).expect(201);
    await request(t.app).post('/api/track/click').set('X-Affiliate-Code', 'OTHER').send({ project_id: project.id }).expect(201);
    await click({ project_id: project.id, referral_code: 'OTHER', affiliateCode: 'other' }).expect(201);
    expect((await affiliate('other@p.test')).clicks).toBe(before + 3);
    expect((await click({ project_id: project.id, referral_code: 'OTHER', affiliateCode: 'Partner-7' }).expect(400)).body).toEqual({
      success: false,
      error: 'referral_code, affiliateCode: two names of the same field with different values',
    });
    expect((await click({ project_id: project.id }).expect(400)).body).toEqual({ success: false, error: 'referral_code: is required' });
    expect((await click({ project_id: project.id, affiliateCode: 'nobody' }).expect(404)).body.error).toBe('no active affiliate has this referral_code');
    expect((await affiliate('other@p.test')).clicks).toBe(before + 3);
  });

  it('counts concurrent clicks exactly', async () => {
    const before = (await affiliate('other@p.test')).clicks;
    await Promise.all(Array.from({ length: 20 }, () => click({ project_id: project.id, referral_code: 'OTHER' }).expect(201)));
    expect((await affiliate('other@p.test')).clicks).toBe(before + 20);
  });

  it.each([
    ['an unknown code', () => ({ project_id: project.id, referral_code: 'NOPE' }), 'no active affiliate has this referral_code'],
    ['an inactive affiliate', () => ({ project_id: project.id, referral_code: 'GONE' }), 'no active affiliate has this referral_code'],
    ['an unknown project', () => ({ project_id: '00000000-0000-4000-8000-000000000000', referral_code: 'OTHER' }), 'project not found'],
  ])('answers 404 to %s and counts nothing', async (_what, body, error) => {
    const res = await click(body()).expect(404);
    expect(res.body).toEqual({ success: false, error });
    expect((await affiliate('gone@p.test')).clicks).toBe(0);
  });

  it.each([
    ['no referral_code', { project_id: '00000000-0000-4000-8000-000000000000' }, /^referral_code: /],
    ['a project_id that is no id', { project_id: 'acme', referral_code: 'OTHER' }, /^project_id: must be an id/],
    ['an empty code', { project_id: '00000000-0000-4000-8000-000000000000', referral_code: '  ' }, /^referral_code: is required/],
    ['a landing_url that is not a string', { project_id: '00000000-0000-4000-8000-000000000000', referral_code: 'OTHER', landing_url: 5 }, /^landing_url: /],
  ])('answers 400 naming the field to a body with %s', async (_what, body, error) => {
    const res = await click(body).expect(400);
    expect(res.body).toEqual({ success: false, error: expect.stringMatching(error) });
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('answers 400 to a text/plain body that is not JSON', async () => {
    const res = await request(t.app).post('/api/track/click').set('Content-Type', 'text/plain').send('ref=OTHER').expect(400);
    expect(res.body).toEqual({ success: false, error: 'request body is not valid JSON' });
  });

  it('answers a CORS preflight with 204 and what it allows', async () => {
    for (const p of ['/api/track/click', '/api/track/signup']) {
      const res = await request(t.app)
        .options(p)
        .set('Origin', 'https://shop.test')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type')
        .expect(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
      expect(res.headers['access-control-allow-headers']).toBe('Content-Type, Authorization, X-Affiliate-Code');
    }
  });

  it('a signup records the referral and one signup conversion, once per email', async () => {
    const endpoint = await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: 'http://127.0.0.1:9/hook', events: ['referral_signed_up'] }).expect(201);
    const signup = (email: string, code = 'partner-7') => request(t.app).post('/api/track/signup').send({ project_id: project.id, email, referral_code: code });

    const first = await signup('New.User@Example.com').expect(201);
    expect(first.body).toEqual({ success: true, data: { email: 'new.user@example.com', status: 'active', created: true, created_at: expect.any(String) } });
    const referral = (await request(t.app).get('/api/v1/referrals/new.user%40example.com').set(api()).expect(200)).body.data;
    const partner = await affiliate('partner@p.test');
    expect(referral).toMatchObject({ email: 'new.user@example.com', affiliate_id: partner.id, source: 'signup', status: 'active' });
    expect(partner.signups).toBe(1);

    // a repeat says nothing was recorded, and nothing of the referral: not its status, not when it was made
    const again = await signup('new.user@example.com').expect(200);
    expect(again.body).toEqual({ success: true, data: { email: 'new.user@example.com', status: null, created: false, created_at: null } });
    // another affiliate's code does not move an email already referred
    await signup('new.user@example.com', 'OTHER').expect(200);
    expect((await request(t.app).get('/api/v1/referrals/new.user%40example.com').set(api()).expect(200)).body.data.affiliate_id).toBe(partner.id);

    const conversions = (await request(t.app).get('/api/v1/conversions?type=signup').set(api()).expect(200)).body.data;
    expect(conversions).toHaveLength(1);
    expect(conversions[0]).toMatchObject({
      kind: 'signup',
      email: 'new.user@example.com',
      affiliate_id: partner.id,
      value_minor: 0,
      status: 'none',
      attribution: { method: 'tracking_script', trace: [{ step: 'tracking_script', result: 'hit', detail: 'referral_code partner-7' }] },
    });
    const deliveries = await tdb.db.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND event_type = 'referral_signed_up'`,
      [endpoint.body.data.id],
    );
    expect(Number(deliveries[0]!.n)).toBe(1);
  });

  it('two requests for one new email at once record one referral and one conversion', async () => {
    const send = () => request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'race@example.com', referral_code: 'OTHER' });
    const answers = await Promise.all([send(), send(), send()]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
    const rows = await tdb.db.prisma.conversion.count({ where: { projectId: project.id, kind: 'signup', customerEmail: 'race@example.com' } });
    expect(rows).toBe(1);
    expect((await affiliate('other@p.test')).signups).toBe(1);
  });

  it('a signup with a bad email, an unknown code or an inactive affiliate records nothing', async () => {
    const bad = await request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'not-an-email', referral_code: 'OTHER' }).expect(400);
    expect(bad.body).toEqual({ success: false, error: expect.stringMatching(/^email: must be an email address/) });
    await request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'x@example.com', referral_code: 'NOPE' }).expect(404);
    await request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'x@example.com', referral_code: 'GONE' }).expect(404);
    await request(t.app)
      .post('/api/track/signup')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ project_id: '00000000-0000-4000-8000-000000000000', email: 'x@example.com', referral_code: 'OTHER' }))
      .expect(404);
    await request(t.app).get('/api/v1/referrals/x%40example.com').set(api()).expect(404);
  });

  it('behind a trusted proxy, counts each visitor by X-Forwarded-For; otherwise the header cannot buy a new budget', async () => {
    const body = { project_id: project.id, referral_code: 'OTHER' };
    const click = (app: typeof t.app, forwardedFor: string) => request(app).post('/api/track/click').set('X-Forwarded-For', forwardedFor).send(body);

    const proxied = buildTestApp(tdb.db, { runner: false, trackRateLimit: { perMinute: 1 }, trustProxy: 1 });
    await click(proxied.app, '203.0.113.7').expect(201);
    await click(proxied.app, '203.0.113.7').expect(429);
    await click(proxied.app, '198.51.100.9').expect(201);

    const direct = buildTestApp(tdb.db, { runner: false, trackRateLimit: { perMinute: 1 } });
    await click(direct.app, '203.0.113.7').expect(201);
    await click(direct.app, '198.51.100.9').expect(429);
    await Promise.all([proxied.runner.stop(), direct.runner.stop()]);
  });

  it('limits each client address, on a budget apart from the API keys', async () => {
    const limited = buildTestApp(tdb.db, { runner: false, trackRateLimit: { perMinute: 3 } });
    const body = { project_id: project.id, referral_code: 'OTHER' };
    const first = await request(limited.app).post('/api/track/click').send(body).expect(201);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    await request(limited.app).post('/api/track/signup').send({ ...body, email: 'limit@example.com' }).expect(201);
    await request(limited.app).post('/api/track/click').send(body).expect(201);
    const over = await request(limited.app).post('/api/track/click').send(body).expect(429);
    expect(over.body).toEqual({ success: false, error: expect.stringContaining('rate limit exceeded: 3 requests a minute per client address') });
    expect(over.headers['access-control-allow-origin']).toBe('*');
    await request(limited.app).post('/api/track/signup').send({ ...body, email: 'limit2@example.com' }).expect(429);
    // preflights and the API are not counted against it
    await request(limited.app).options('/api/track/click').expect(204);
    await request(limited.app).get('/api/v1/affiliates').set(api()).expect(200);
  });
});
