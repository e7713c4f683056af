import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { issueSession } from '../../src/access/user-sessions';
import { asBrowser, setUpOwner, type Browser } from '../helpers/dashboard';
import { stripeBody } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_dashboard_session_secret';

/** /api/v1, two ways in (PRODUCT.md §14): the same routes answer an API key and a dashboard session. */
describe('/api/v1 with a dashboard session', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  const projects: { id: string; apiKey: string; affiliateId: string; couponId: string; conversionId: string; eventId: string }[] = [];
  let owner: Browser;
  let viewer: Browser;
  let outsider: Browser;

  /** a member with roles, as accepted invitations make one, signed in as POST /api/dashboard/login signs in */
  async function member(email: string, memberships: [string, string][]): Promise<Browser> {
    const user = await tdb.db.prisma.user.create({ data: { email, passwordHash: '$argon2id$v=19$m=19456,p=1,t=2$unused$unused', passwordChangedAt: new Date() } });
    for (const [projectId, role] of memberships) await tdb.db.prisma.projectMember.create({ data: { projectId, userId: user.id, role } });
    const s = await issueSession(tdb.db.prisma, user.id, t.clock.now);
    return { cookie: `refwire_session=${s.token}`, csrf: s.csrfToken, userId: user.id, email };
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    const body = stripeBody('checkout.session.completed.payment.json', { id: 'evt_same_in_both' });
    for (const name of ['A', 'B']) {
      const p = await createProjectViaApi(t.app, name);
      const auth = { Authorization: `Bearer ${p.apiKey}` };
      await connectProvider(t.app, p.apiKey, 'stripe', SECRET);
      const affiliate = await request(t.app).post('/api/v1/affiliates').set(auth).send({ email: 'same@p.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
      const coupon = await request(t.app).post('/api/v1/coupons').set(auth).send({ affiliate_id: affiliate.body.data.id, coupon_code: 'SAME', stripe_coupon_id: 'RWFX20' }).expect(201);
      const event = await request(t.app).post(`/webhook/stripe/${p.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
      await t.runner.idle();
      const conversion = (await request(t.app).get('/api/v1/conversions').set(auth).expect(200)).body.data[0];
      projects.push({ ...p, affiliateId: affiliate.body.data.id, couponId: coupon.body.data.id, conversionId: conversion.id, eventId: event.body.id });
    }
    const [a, b] = projects as [(typeof projects)[0], (typeof projects)[0]];
    owner = await setUpOwner(t.app, a.id);
    // the owner of A owns B too
    await tdb.db.prisma.projectMember.create({ data: { projectId: b.id, userId: owner.userId, role: 'owner' } });
    viewer = await member('viewer@a.test', [[a.id, 'viewer']]);
    outsider = await member('outsider@b.test', [[b.id, 'admin']]);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('reads and writes the selected project with the session, as the API key does', async () => {
    const [a] = projects as [(typeof projects)[0]];
    const withKey = (await request(t.app).get('/api/v1/affiliates').set('Authorization', `Bearer ${a.apiKey}`).expect(200)).body;
    const withSession = (await asBrowser(t.app, owner, 'get', '/api/v1/affiliates', a.id).expect(200)).body;
    expect(withSession).toEqual(withKey);
    const created = await asBrowser(t.app, owner, 'post', '/api/v1/affiliates', a.id).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201);
    expect((await request(t.app).get('/api/v1/affiliates/jane%40partners.test').set('Authorization', `Bearer ${a.apiKey}`).expect(200)).body.data.id).toBe(created.body.data.id);
    await asBrowser(t.app, owner, 'patch', '/api/v1/settings', a.id).send({ hold_days: 14 }).expect(200);
    expect((await tdb.db.prisma.project.findUniqueOrThrow({ where: { id: a.id } })).holdDays).toBe(14);
  });

  it('needs the project named in X-Refwire-Project, and membership of it', async () => {
    const [a, b] = projects as [(typeof projects)[0], (typeof projects)[0]];
    expect((await asBrowser(t.app, owner, 'get', '/api/v1/affiliates').expect(400)).body).toEqual({ success: false, error: 'select a project: send its id in the X-Refwire-Project header' });
    expect((await asBrowser(t.app, viewer, 'get', '/api/v1/affiliates', b.id).expect(403)).body).toEqual({ success: false, error: 'you are not a member of this project' });
    await asBrowser(t.app, viewer, 'get', '/api/v1/affiliates', 'not-a-project').expect(403);
    await asBrowser(t.app, outsider, 'get', `/api/v1/affiliates/${encodeURIComponent('same@p.test')}`, a.id).expect(403);
    expect((await request(t.app).get('/api/v1/affiliates').expect(401)).body.error).toMatch(/missing API key/);
    expect((await request(t.app).get('/api/v1/affiliates').set('Cookie', 'refwire_session=rwds_nothing').set('X-Refwire-Project', a.id).expect(401)).body.error).toMatch(/sign in again/);
  });

  it("tenant isolation: a session on project B answers 404 on A's ids and changes nothing", async () => {
    const [a, b] = projects as [(typeof projects)[0], (typeof projects)[0]];
    const routes: [string, string, object?][] = [
      ['get', `/api/v1/events/${a.eventId}`],
      ['post', `/api/v1/events/${a.eventId}/replay`],
      ['get', `/api/v1/conversions/${a.conversionId}`],
      ['put', `/api/v1/conversions/${a.conversionId}`, { paid: true }],
      ['delete', `/api/v1/conversions/${a.conversionId}`],
      ['get', `/api/v1/coupons/${a.couponId}`],
      ['put', `/api/v1/coupons/${a.couponId}`, { status: 'inactive' }],
      ['delete', `/api/v1/coupons/${a.couponId}`],
      ['post', '/api/v1/coupons', { affiliate_id: a.affiliateId, coupon_code: 'CROSS' }],
      ['post', '/api/v1/conversions', { type: 'signup', affiliate_id: a.affiliateId }],
      ['get', `/api/v1/referrals?affiliate_id=${a.affiliateId}`],
    ];
    const before = await tdb.db.sql.query('SELECT id, value_minor, paid_at FROM conversions ORDER BY id');
    for (const [method, path, body] of routes) {
      const res = await asBrowser(t.app, owner, method as 'get', path, b.id).send(body ?? {});
      if (path.includes('?')) expect(res.body.data).toEqual([]);
      else expect([path, res.status]).toEqual([path, 404]);
    }
    expect(await tdb.db.sql.query('SELECT id, value_minor, paid_at FROM conversions ORDER BY id')).toEqual(before);
    expect(await tdb.db.prisma.coupon.count()).toBe(2);
  });

  it('a viewer reads everything and writes nothing: every write method answers 403', async () => {
    const [a] = projects as [(typeof projects)[0]];
    await asBrowser(t.app, viewer, 'get', '/api/v1/conversions', a.id).expect(200);
    await asBrowser(t.app, viewer, 'get', `/api/v1/coupons/${a.couponId}`, a.id).expect(200);
    const writes: [string, string, object?][] = [
      ['post', '/api/v1/affiliates', { email: 'v@p.test', referral_code: 'VIEWER' }],
      ['put', `/api/v1/coupons/${a.couponId}`, { status: 'inactive' }],
      ['patch', '/api/v1/settings', { hold_days: 1 }],
      ['delete', `/api/v1/coupons/${a.couponId}`],
      ['post', `/api/v1/events/${a.eventId}/replay`],
    ];
    for (const [method, path, body] of writes) {
      const res = await asBrowser(t.app, viewer, method as 'post', path, a.id).send(body ?? {});
      expect([path, res.status, res.body]).toEqual([path, 403, { success: false, error: 'your role in this project is viewer: it may read, not change anything' }]);
    }
    expect(await tdb.db.prisma.affiliate.count({ where: { email: 'v@p.test' } })).toBe(0);
    expect((await tdb.db.prisma.coupon.findUniqueOrThrow({ where: { id: a.couponId } })).status).toBe('active');
    expect((await tdb.db.prisma.project.findUniqueOrThrow({ where: { id: a.id } })).holdDays).toBe(14);
  });

  it('a write with the cookie but without its CSRF token, with a wrong one, or from another origin is refused', async () => {
    const [a] = projects as [(typeof projects)[0]];
    const post = () => request(t.app).post('/api/v1/affiliates').set('Cookie', owner.cookie).set('X-Refwire-Project', a.id);
    const body = { email: 'forged@p.test', referral_code: 'FORGED' };
    expect((await post().send(body).expect(403)).body.error).toMatch(/^missing or wrong CSRF token/);
    await post().set('X-CSRF-Token', viewer.csrf).send(body).expect(403);
    expect((await post().set('X-CSRF-Token', owner.csrf).set('Origin', 'https://evil.example').send(body).expect(403)).body.error).toBe(
      'cross-origin request refused: https://evil.example is not this dashboard\'s origin',
    );
    expect(await tdb.db.prisma.affiliate.count({ where: { email: 'forged@p.test' } })).toBe(0);
    // PUBLIC_URL's origin is the dashboard's own
    await post().set('X-CSRF-Token', owner.csrf).set('Origin', 'https://refwire.example.com').send(body).expect(201);
    // reads need no token: a page on another site cannot read the answers anyway
    await request(t.app).get('/api/v1/affiliates').set('Cookie', owner.cookie).set('X-Refwire-Project', a.id).expect(200);
  });

  it('an Authorization header is an API key, whatever cookie comes with it', async () => {
    const [a, b] = projects as [(typeof projects)[0], (typeof projects)[0]];
    const res = await request(t.app).get('/api/v1/affiliates').set('Authorization', `Bearer ${b.apiKey}`).set('Cookie', owner.cookie).set('X-Refwire-Project', a.id).expect(200);
    expect(res.body.data.map((x: any) => x.id)).toEqual([b.affiliateId]);
    await request(t.app).get('/api/v1/affiliates').set('Authorization', 'Bearer rw_wrong').set('Cookie', owner.cookie).set('X-Refwire-Project', a.id).expect(401);
  });

  it('the session signed in through the set-up works on the dashboard routes and /api/v1 alike', async () => {
    const me = (await request(t.app).get('/api/dashboard/me').set('Cookie', owner.cookie).expect(200)).body.data;
    expect(me.memberships.map((m: any) => [m.project_name, m.role]).sort()).toEqual([
      ['A', 'owner'],
      ['B', 'owner'],
    ]);
    expect(me.csrf_token).toBe(owner.csrf);
  });
});

describe('the request budget of a session', () => {
  it("is its user's, apart from the project's API keys", async () => {
    const tdb = await createTestDatabase();
    try {
      const t = buildTestApp(tdb.db, { rateLimit: { perMinute: 2 } });
      const p = await createProjectViaApi(t.app, 'A');
      const owner = await setUpOwner(t.app, p.id);
      await asBrowser(t.app, owner, 'get', '/api/v1/affiliates', p.id).expect(200);
      const last = await asBrowser(t.app, owner, 'get', '/api/v1/affiliates', p.id).expect(200);
      expect(last.headers['x-ratelimit-remaining']).toBe('0');
      expect((await asBrowser(t.app, owner, 'get', '/api/v1/affiliates', p.id).expect(429)).body.error).toMatch(/^rate limit exceeded: 2 requests a minute/);
      // the key still has its own two
      await request(t.app).get('/api/v1/affiliates').set('Authorization', `Bearer ${p.apiKey}`).expect(200);
      await t.runner.stop();
    } finally {
      await tdb.drop();
    }
  });
});
