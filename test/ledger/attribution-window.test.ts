import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { payByCheckout } from '../helpers/stripe-checkout';

/**
 * PRODUCT.md §12, "cookie_days holds on the server": a public signup's referral attributes payments made within
 * cookie_days of the signup, the window fixed when the signup was recorded (§11: a later settings change moves no
 * commission). Coupons and the merchant's own referrals are not windowed. One test clock throughout.
 */
const SECRET = 'whsec_attribution_window';
const DAY = 86_400_000;

describe('the attribution window (cookie_days)', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const T0 = new Date('2026-03-01T09:00:00Z');
  const at = (days: number, seconds = 0) => new Date(T0.getTime() + days * DAY + seconds * 1000);
  const api = () => ({ Authorization: `Bearer ${key}` });
  const ids: Record<string, string> = {};

  const signup = (email: string, code = 'JANE') => request(t.app).post('/api/track/signup').send({ project_id: projectId, email, referral_code: code }).expect(201);
  const pay = (email: string, paidAt: Date, coupon?: string) => payByCheckout(t, projectId, SECRET, { email, paidAt, coupon });
  const purchases = async (email: string) =>
    (await request(t.app).get(`/api/v1/conversions?kind=purchase&referred_user_id=${encodeURIComponent(email)}&limit=100`).set(api()).expect(200)).body.data.sort(
      (a: any, b: any) => a.occurred_at.localeCompare(b.occurred_at),
    );
  const outcome = async (email: string) => (await purchases(email)).map((r: any) => [r.occurred_at, r.affiliate_id, r.value_minor]);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000_000 } });
    t.clock.now = T0;
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    for (const code of ['JANE', 'SAM']) {
      ids[code] = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: `${code.toLowerCase()}@partners.test`, referral_code: code }).expect(201)).body.data.id;
    }
    await request(t.app).post('/api/v1/coupons').set(api()).send({ affiliate_id: ids.SAM, coupon_code: 'SAM10', stripe_coupon_id: 'SAM10' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('a signup fixes its window with the cookie_days in force: day 90 attributes, a second later does not, day 91 does not', async () => {
    // all recorded at T0, under the default cookie_days of 90
    for (const email of ['ninety@c.test', 'late@c.test', 'ninetyone@c.test', 'kept@c.test']) {
      const res = await signup(email);
      expect(res.body.data.created_at).toBe(T0.toISOString());
    }
    const referral = (await request(t.app).get('/api/v1/referrals/ninety%40c.test').set(api()).expect(200)).body.data;
    expect(referral).toMatchObject({ source: 'signup', created_at: T0.toISOString(), expires_at: at(90).toISOString(), link_id: null });

    // a shorter window from T0 + 1 day on: for signups recorded from then, never for those before
    t.clock.now = at(1);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ cookie_days: 10 }).expect(200);
    await signup('short@c.test');
    expect((await request(t.app).get('/api/v1/referrals/short%40c.test').set(api()).expect(200)).body.data.expires_at).toBe(at(11).toISOString());

    await pay('short@c.test', at(11, 1));
    await pay('kept@c.test', at(11, 1));
    const [short] = await purchases('short@c.test');
    expect(short).toMatchObject({ affiliate_id: null, value_minor: 0, reason: 'unattributed' });
    expect(short.attribution.trace.at(-1)).toEqual({
      step: 'email',
      result: 'miss',
      detail: `the referral for short@c.test was recorded by a public signup on ${at(1).toISOString()}, outside the 10-day window`,
    });
    expect(await outcome('kept@c.test')).toEqual([[at(11, 1).toISOString(), ids.JANE, 2000]]);

    await pay('ninety@c.test', at(90));
    await pay('late@c.test', at(90, 1));
    await pay('ninetyone@c.test', at(91));
    expect(await outcome('ninety@c.test')).toEqual([[at(90).toISOString(), ids.JANE, 2000]]);
    expect(await outcome('late@c.test')).toEqual([[at(90, 1).toISOString(), null, 0]]);
    expect(await outcome('ninetyone@c.test')).toEqual([[at(91).toISOString(), null, 0]]);
    const [late] = await purchases('late@c.test');
    expect(late.attribution.trace.at(-1).detail).toBe(`the referral for late@c.test was recorded by a public signup on ${T0.toISOString()}, outside the 90-day window`);
    const [ninety] = await purchases('ninety@c.test');
    expect(ninety.attribution.trace.at(-1)).toEqual({ step: 'email', result: 'hit', detail: 'referral for ninety@c.test, recorded by a public signup' });
  });

  it('a longer cookie_days later reopens no window, and recorded commissions stay as they were', async () => {
    t.clock.now = at(92);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ cookie_days: 365 }).expect(200);
    await pay('ninetyone@c.test', at(93));
    await pay('ninety@c.test', at(93));
    // ninetyone's referral still ends at day 90; ninety's customer is bound to Jane by the payment in the window
    expect(await outcome('ninetyone@c.test')).toEqual([
      [at(91).toISOString(), null, 0],
      [at(93).toISOString(), null, 0],
    ]);
    expect(await outcome('ninety@c.test')).toEqual([
      [at(90).toISOString(), ids.JANE, 2000],
      [at(93).toISOString(), ids.JANE, 2000],
    ]);
    const [, again] = await purchases('ninety@c.test');
    expect(again.attribution.trace.at(-1)).toMatchObject({ step: 'subscription', result: 'hit' });
  });

  it("coupons and the merchant's referrals are not windowed; store-attribution lifts a signup's window", async () => {
    t.clock.now = at(100);
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'merchant@c.test', affiliate_id: ids.JANE }).expect(201);
    expect((await request(t.app).get('/api/v1/referrals/merchant%40c.test').set(api()).expect(200)).body.data.expires_at).toBeNull();
    await signup('confirmed@c.test');
    t.clock.now = at(101);
    await request(t.app).post('/api/store-attribution').set(api()).send({ email: 'confirmed@c.test', referral_code: 'JANE' }).expect(200);
    expect((await request(t.app).get('/api/v1/referrals/confirmed%40c.test').set(api()).expect(200)).body.data.expires_at).toBeNull();

    await pay('merchant@c.test', at(700));
    await pay('confirmed@c.test', at(700));
    await pay('coupon@c.test', at(700), 'SAM10');
    expect(await outcome('merchant@c.test')).toEqual([[at(700).toISOString(), ids.JANE, 2000]]);
    expect(await outcome('confirmed@c.test')).toEqual([[at(700).toISOString(), ids.JANE, 2000]]);
    expect(await outcome('coupon@c.test')).toEqual([[at(700).toISOString(), ids.SAM, 2000]]);
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });
});
