import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * PRODUCT.md §11, "public calls never move money": a public signup reaches only payments made after it and never
 * takes a customer over; the merchant's own calls (referrals API, store-attribution) still attribute earlier
 * payments, and each trace says who recorded the referral.
 */
const SECRET = 'whsec_public_calls_secret';
const DAY = 86_400_000;

describe('public calls never move money', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const T0 = new Date('2026-04-01T09:00:00Z');
  const at = (days: number) => new Date(T0.getTime() + days * DAY);
  const api = () => ({ Authorization: `Bearer ${key}` });
  let n = 0;

  /** A one-off Stripe checkout payment of a customer, paid at `paidAt`, carrying no referral of its own. */
  const checkout = (email: string, paidAt: Date, amount = 10_000, coupon?: string) =>
    stripeEvent('checkout.session.completed.payment.json', (o) => {
      const id = `pc_${++n}`;
      o.id = `cs_${id}`;
      o.payment_intent = `pi_${id}`;
      o.customer = `cus_${email.split('@')[0]}`;
      o.customer_details = { ...o.customer_details, email };
      o.customer_email = email;
      o.amount_total = amount;
      o.amount_subtotal = amount;
      o.client_reference_id = null;
      o.metadata = {};
      o.discounts = coupon ? [{ coupon, promotion_code: null }] : [];
      o.total_details = { ...o.total_details, amount_discount: 0, amount_tax: 0 };
    });
  /** Delivered when it arrives (never before it was paid): the checkout's event time is when it was paid. */
  const deliver = async (payload: Record<string, any>, paidAt: Date, arrivesAt = paidAt) => {
    payload.created = Math.floor(paidAt.getTime() / 1000);
    t.clock.now = new Date(Math.max(t.clock.now.getTime(), arrivesAt.getTime()));
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
  };
  const purchasesOf = async (email: string) =>
    (await request(t.app).get(`/api/v1/conversions?kind=purchase&referred_user_id=${encodeURIComponent(email)}&limit=100`).set(api()).expect(200)).body.data.sort(
      (a: any, b: any) => a.occurred_at.localeCompare(b.occurred_at),
    );
  const signup = (email: string, code: string) => request(t.app).post('/api/track/signup').send({ project_id: projectId, email, referral_code: code });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000_000 } });
    t.clock.now = at(0);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    for (const [email, code] of [['jane@partners.test', 'JANE'], ['mallory@partners.test', 'MALLORY'], ['sam@partners.test', 'SAM']]) {
      await request(t.app).post('/api/v1/affiliates').set(api()).send({ email, referral_code: code }).expect(201);
    }
    await request(t.app).post('/api/v1/coupons').set(api()).send({ affiliate_id: (await affiliateId('sam@partners.test')), coupon_code: 'SAM10', stripe_coupon_id: 'SAM10' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });
  const affiliateId = async (email: string) => (await request(t.app).get(`/api/v1/affiliates/${encodeURIComponent(email)}`).set(api()).expect(200)).body.data.id as string;

  it('a public signup cannot attribute a payment made before it, only those after', async () => {
    await deliver(checkout('early@customers.test', at(1)), at(1));
    t.clock.now = at(2);
    await signup('early@customers.test', 'MALLORY').expect(201);
    let rows = await purchasesOf('early@customers.test');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ affiliate_id: null, value_minor: 0, reason: 'unattributed' });
    expect(rows[0].attribution.trace.at(-1)).toEqual({
      step: 'email',
      result: 'miss',
      detail: `the referral for early@customers.test was recorded by a public signup at ${at(2).toISOString()}, after this payment`,
    });

    await deliver(checkout('early@customers.test', at(3)), at(3));
    rows = await purchasesOf('early@customers.test');
    expect(rows.map((r: any) => [r.affiliate_id, r.value_minor])).toEqual([
      [null, 0],
      [await affiliateId('mallory@partners.test'), 2000],
    ]);
    expect(rows[1].attribution.trace.at(-1)).toEqual({ step: 'email', result: 'hit', detail: 'referral for early@customers.test, recorded by a public signup' });
    // an earlier payment reported late (after the signup) is still out of the public call's reach
    await deliver(checkout('early@customers.test', at(0.5)), at(0.5), at(4));
    expect((await purchasesOf('early@customers.test')).map((r: any) => r.value_minor)).toEqual([0, 0, 2000]);
  });

  it("a payment stamped in the signup's own second (providers stamp whole seconds) follows it; one a second earlier does not", async () => {
    const signedUpAt = new Date(at(4.5).getTime() - (at(4.5).getTime() % 1000) + 731);
    t.clock.now = signedUpAt;
    await signup('quick@customers.test', 'MALLORY').expect(201);
    // the checkout completed within that second: Stripe's created is the second, 731 ms before the signup's stamp
    await deliver(checkout('quick@customers.test', signedUpAt), signedUpAt);
    await deliver(checkout('quick@customers.test', new Date(signedUpAt.getTime() - 1000)), new Date(signedUpAt.getTime() - 1000), signedUpAt);
    const rows = await purchasesOf('quick@customers.test');
    expect(rows.map((r: any) => [r.affiliate_id, r.value_minor])).toEqual([
      [null, 0],
      [await affiliateId('mallory@partners.test'), 2000],
    ]);
  });

  it("a public signup never takes over a customer already attributed, and says nothing about it", async () => {
    t.clock.now = at(5);
    await deliver(checkout('loyal@customers.test', at(5), 10_000, 'SAM10'), at(5));
    const sam = await affiliateId('sam@partners.test');
    expect((await purchasesOf('loyal@customers.test'))[0]).toMatchObject({ affiliate_id: sam, value_minor: 2000 });
    const answer = await signup('loyal@customers.test', 'MALLORY').expect(200);
    expect(answer.body).toEqual({ success: true, data: { email: 'loyal@customers.test', status: null, created: false, created_at: null } });
    expect((await request(t.app).get('/api/v1/referrals/loyal%40customers.test').set(api())).status).toBe(404);
    // the customer's next purchase, without a coupon, still goes nowhere near Mallory
    await deliver(checkout('loyal@customers.test', at(6)), at(6));
    const mallory = await affiliateId('mallory@partners.test');
    expect((await purchasesOf('loyal@customers.test')).every((r: any) => r.affiliate_id !== mallory)).toBe(true);
  });

  it("the merchant's referral (API key) attributes earlier payments, and the trace says the merchant recorded it", async () => {
    await deliver(checkout('offline@customers.test', at(7)), at(7));
    t.clock.now = at(8);
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'offline@customers.test', affiliate_id: await affiliateId('jane@partners.test') }).expect(201);
    const [row] = await purchasesOf('offline@customers.test');
    expect(row).toMatchObject({ affiliate_id: await affiliateId('jane@partners.test'), value_minor: 2000 });
    expect(row.attribution.trace.at(-1)).toEqual({ step: 'email', result: 'hit', detail: 'referral for offline@customers.test, recorded by the merchant through the API' });

    await deliver(checkout('stored@customers.test', at(9)), at(9));
    t.clock.now = at(10);
    await request(t.app).post('/api/store-attribution').set(api()).send({ email: 'stored@customers.test', referral_code: 'JANE' }).expect((r) => expect([200, 201]).toContain(r.status));
    const [stored] = await purchasesOf('stored@customers.test');
    expect(stored).toMatchObject({ value_minor: 2000 });
    expect(stored.attribution.trace.at(-1).detail).toBe('referral for stored@customers.test, recorded by the merchant through store-attribution');
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  it("the merchant's word on an email a public signup named first reaches its earlier payments too", async () => {
    const jane = await affiliateId('jane@partners.test');
    const sam = await affiliateId('sam@partners.test');
    for (const [email, via] of [
      ['claimed@customers.test', 'store-attribution'],
      ['corrected@customers.test', 'PUT'],
    ] as const) {
      t.clock.now = at(11);
      await deliver(checkout(email, at(11)), at(11));
      t.clock.now = at(12);
      await signup(email, 'MALLORY').expect(201);
      expect((await purchasesOf(email))[0]).toMatchObject({ affiliate_id: null, value_minor: 0 });
      if (via === 'store-attribution') {
        await request(t.app).post('/api/store-attribution').set(api()).send({ email, referral_code: 'JANE' }).expect(200);
      } else {
        await request(t.app).put(`/api/v1/referrals/${encodeURIComponent(email)}`).set(api()).send({ affiliate_id: sam }).expect(200);
      }
      const referral = (await request(t.app).get(`/api/v1/referrals/${encodeURIComponent(email)}`).set(api()).expect(200)).body.data;
      expect(referral).toMatchObject({ source: via === 'PUT' ? 'api' : 'store_attribution', expires_at: null });
      const [row] = await purchasesOf(email);
      expect(row).toMatchObject({ affiliate_id: via === 'PUT' ? sam : jane, value_minor: 2000 });
      expect(row.attribution.trace.at(-1).detail).toBe(
        `referral for ${email}, recorded by the merchant through ${via === 'PUT' ? 'the API' : 'store-attribution'}`,
      );
    }
    // a PUT that names no affiliate (a status only) leaves a public signup's referral public
    t.clock.now = at(13);
    await deliver(checkout('status@customers.test', at(13)), at(13));
    t.clock.now = at(14);
    await signup('status@customers.test', 'MALLORY').expect(201);
    await request(t.app).put('/api/v1/referrals/status%40customers.test').set(api()).send({ status: 'converted' }).expect(200);
    expect((await request(t.app).get('/api/v1/referrals/status%40customers.test').set(api()).expect(200)).body.data.source).toBe('signup');
    expect((await purchasesOf('status@customers.test'))[0]).toMatchObject({ affiliate_id: null, value_minor: 0 });
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });
});
