import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Conversions as Refgrow documents them: coupon_code_used, the default page of 20, the Node example's body, PUT
 * announcing referral_updated; and Refgrow's Stripe customer referral info.
 */
const SECRET = 'whsec_conversions_refgrow';

describe("conversions and the Stripe customer's referral info, as Refgrow documents them", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  let jane: string;
  let sam: string;
  const api = () => ({ Authorization: `Bearer ${key}` });
  let n = 0;

  const pay = async (customer: string, email: string, amount: number, opts: { coupon?: string; tax?: number; refund?: number } = {}) => {
    const payload = stripeEvent('checkout.session.completed.payment.json', (o) => {
      const id = `cr_${++n}`;
      o.id = `cs_${id}`;
      o.payment_intent = `pi_${id}`;
      o.customer = customer;
      o.customer_details = { ...o.customer_details, email };
      o.customer_email = email;
      o.amount_total = amount;
      o.amount_subtotal = amount - (opts.tax ?? 0);
      o.client_reference_id = null;
      o.metadata = {};
      o.discounts = opts.coupon ? [{ coupon: opts.coupon, promotion_code: null }] : [];
      o.total_details = { ...o.total_details, amount_discount: 0, amount_tax: opts.tax ?? 0 };
    });
    payload.created = Math.floor(t.clock.now.getTime() / 1000);
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    return payload.data.object.payment_intent as string;
  };
  const refund = async (paymentIntent: string, customer: string, amount: number, refunded: number) => {
    const payload = stripeEvent('charge.refunded.json', (o) => {
      o.id = `ch_${++n}`;
      o.payment_intent = paymentIntent;
      o.customer = customer;
      o.amount = amount;
      o.amount_captured = amount;
      o.amount_refunded = refunded;
      o.refunded = refunded === amount;
      if (o.refunds?.data) o.refunds.data = [];
    });
    payload.created = Math.floor(t.clock.now.getTime() / 1000);
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
  };
  const info = (customer: string, project = projectId) => request(t.app).get(`/api/v1/projects/${project}/stripe-customer-referral-info/${customer}`).set(api());

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    t.clock.now = new Date('2026-07-01T12:00:00Z');
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
    jane = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'jane@partners.test', referral_code: 'REF123' }).expect(201)).body.data.id;
    sam = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'sam@partners.test', referral_code: 'SAM' }).expect(201)).body.data.id;
    await request(t.app).post('/api/v1/coupons').set(api()).send({ affiliate_id: sam, coupon_code: 'SUMMER2024', stripe_coupon_id: 'co_summer' }).expect(201);
    await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: 'http://127.0.0.1:9/hooks' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it("Refgrow's Node example body (customer_email, amount, referral_code, no type) records a purchase", async () => {
    const res = await request(t.app)
      .post('/api/v1/conversions')
      .set(api())
      .send({ customer_email: 'customer@example.com', amount: 49.99, referral_code: 'REF123' })
      .expect(201);
    expect(res.body.data).toMatchObject({
      type: 'purchase',
      kind: 'purchase',
      affiliate_id: jane,
      email: 'customer@example.com',
      base_value: 49.99,
      base_value_minor: 4999,
      value: 10,
      value_minor: 1000,
      coupon_code_used: null,
    });
    // the currency as /api/track/conversion names it is the sale's, not dropped for the project's
    const inEuros = (await request(t.app).post('/api/v1/conversions').set(api()).send({ amount: 30, currency: 'eur', referral_code: 'SAM' }).expect(201)).body.data;
    expect(inEuros).toMatchObject({ base_value: 30, base_value_minor: 3000, base_value_currency: 'EUR' });
    // the order id as /api/track/conversion names it is the reference: a repeat is refused, not a second sale
    const order = { amount: 12, order_id: 'ORDER-77', referral_code: 'SAM' };
    expect((await request(t.app).post('/api/v1/conversions').set(api()).send(order).expect(201)).body.data.reference).toBe('ORDER-77');
    await request(t.app).post('/api/v1/conversions').set(api()).send(order).expect(409);
    await request(t.app).post('/api/v1/conversions').set(api()).send({ ...order, order_id: undefined, reference: 'ORDER-77' }).expect(409);
    // a field the request does not have is named, not dropped
    expect((await request(t.app).post('/api/v1/conversions').set(api()).send({ amount: 12, referral_code: 'SAM', orderid: 'X-1' }).expect(400)).body).toEqual({
      success: false,
      error: 'not a field of this request: "orderid"',
    });
    // agreeing aliases are one value; disagreeing ones, or neither type nor amount, are refused
    await request(t.app).post('/api/v1/conversions').set(api()).send({ amount: '10.00', base_value: 10, email: 'a@x.test', customer_email: 'A@x.test', referral_code: 'SAM' }).expect(201);
    for (const [body, error] of [
      [{ amount: 10, base_value: 11, referral_code: 'SAM' }, 'amount: differs from base_value; send one of them'],
      [{ amount: 10, email: 'a@x.test', customer_email: 'b@x.test', referral_code: 'SAM' }, 'customer_email: differs from email; send one of them'],
      [{ amount: 10, base_value_currency: 'USD', currency: 'EUR', referral_code: 'SAM' }, 'currency: differs from base_value_currency; send one of them'],
      [{ amount: 10, reference: 'A-1', order_id: 'A-2', referral_code: 'SAM' }, 'order_id: differs from reference; send one of them'],
      [{ referral_code: 'SAM' }, 'type: required (signup or purchase) unless amount or base_value is given'],
      [{ amount: -1, referral_code: 'SAM' }, 'amount: must not be negative'],
    ] as const) {
      expect((await request(t.app).post('/api/v1/conversions').set(api()).send(body).expect(400)).body).toEqual({ success: false, error });
    }
  });

  it("referred_user_id as Refgrow types it, an integer (501), or a string; kept and answered as the id's text", async () => {
    const created = await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', affiliate_id: jane, referred_user_id: 501, base_value: 250, reference: 'ORDER-501' }).expect(201);
    expect(created.body.data.referred_user_id).toBe('501');
    const id = created.body.data.id;
    expect((await request(t.app).get('/api/v1/conversions?referred_user_id=501').set(api()).expect(200)).body.data.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await request(t.app).put(`/api/v1/conversions/${id}`).set(api()).send({ referred_user_id: 502 }).expect(200)).body.data.referred_user_id).toBe('502');
    expect((await request(t.app).patch(`/api/v1/conversions/${id}`).set(api()).send({ referred_user_id: 'usr_9' }).expect(200)).body.data.referred_user_id).toBe('usr_9');

    const refused = async (value: unknown, error: string) => {
      const res = await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'signup', affiliate_id: jane, referred_user_id: value }).expect(400);
      expect(res.body).toEqual({ success: false, error: `referred_user_id: ${error}` });
      const update = await request(t.app).put(`/api/v1/conversions/${id}`).set(api()).send({ referred_user_id: value }).expect(400);
      expect(update.body).toEqual({ success: false, error: `referred_user_id: ${error}` });
    };
    await refused(501.5, 'must be a whole number or a string');
    await refused(-501, 'must not be negative');
    await refused(2 ** 53, `must be at most ${Number.MAX_SAFE_INTEGER} as a number (send a larger id as a string)`);
    await refused(true, 'must be a string or an integer');
    expect((await request(t.app).get(`/api/v1/conversions/${id}`).set(api()).expect(200)).body.data.referred_user_id).toBe('usr_9');
  });

  it("referred_user_id naming a referral's id (Refgrow links a conversion to its referred user so) is that referral's customer", async () => {
    const referral = (await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'rory@customers.test', affiliate_id: jane }).expect(201)).body.data;
    const created = await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', affiliate_id: jane, referred_user_id: referral.id, base_value: 40 }).expect(201);
    expect(created.body.data.referred_user_id).toBe('rory@customers.test');
    // found by either name, and the referral converted by it, as with the email
    const byId = (await request(t.app).get(`/api/v1/conversions?referred_user_id=${referral.id}`).set(api()).expect(200)).body.data.map((c: { id: string }) => c.id);
    const byEmail = (await request(t.app).get('/api/v1/conversions?referred_user_id=rory%40customers.test').set(api()).expect(200)).body.data.map((c: { id: string }) => c.id);
    expect(byId).toEqual([created.body.data.id]);
    expect(byEmail).toEqual(byId);
    expect((await request(t.app).get('/api/v1/referrals/rory%40customers.test').set(api()).expect(200)).body.data.conversion_status).toBe('converted');
    // a UUID that names no referral of the project stays the client's own id
    const other = '00000000-0000-4000-8000-000000000501';
    const kept = await request(t.app).put(`/api/v1/conversions/${created.body.data.id}`).set(api()).send({ referred_user_id: other }).expect(200);
    expect(kept.body.data.referred_user_id).toBe('rory@customers.test');
    expect((await request(t.app).get(`/api/v1/conversions?referred_user_id=${other}`).set(api()).expect(200)).body.data.map((c: { id: string }) => c.id)).toEqual([created.body.data.id]);
  });

  it("without affiliate_id or referral_code, a referred customer's conversion is their referrer's; nobody's customer is refused", async () => {
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'lou@customers.test', affiliate_id: jane }).expect(201);
    const byReferral = (await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', email: 'lou@customers.test', base_value: 50 }).expect(201)).body.data;
    const named = (await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', affiliate_id: jane, email: 'lou@customers.test', base_value: 50 }).expect(201)).body.data;
    expect(byReferral).toMatchObject({ affiliate_id: jane, value_minor: named.value_minor, attribution: { method: 'manual' } });
    expect(byReferral.value_minor).toBeGreaterThan(0);
    const refused = { success: false, error: 'affiliate_id or referral_code is required: no referral of this customer credits an affiliate' };
    expect((await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', email: 'nobody@customers.test', base_value: 50 }).expect(400)).body).toEqual(refused);
    // a direct referral credits nobody
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'dee@customers.test', status: 'direct' }).expect(201);
    expect((await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'signup', email: 'dee@customers.test' }).expect(400)).body).toEqual(refused);
    expect((await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'signup' }).expect(400)).body).toEqual({ success: false, error: 'affiliate_id or referral_code is required' });
  });

  it("without affiliate_id or referral_code, an active coupon's code credits its affiliate, ahead of the customer's referral", async () => {
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'cody@customers.test', affiliate_id: jane }).expect(201);
    // SUMMER2024 is Sam's (any case); the customer is Jane's referral: the coupon comes first in the chain
    const byCoupon = (await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', email: 'cody@customers.test', coupon_code_used: 'summer2024', base_value: 50 }).expect(201)).body.data;
    expect(byCoupon).toMatchObject({ affiliate_id: sam, value_minor: 1000, coupon_code_used: 'summer2024' });
    // an inactive coupon credits nobody: the referral does
    await request(t.app).post('/api/v1/coupons').set(api()).send({ affiliate_id: sam, coupon_code: 'RETIRED', status: 'inactive' }).expect(201);
    const byReferral = (await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', email: 'cody@customers.test', coupon_code_used: 'RETIRED', base_value: 50 }).expect(201)).body.data;
    expect(byReferral.affiliate_id).toBe(jane);
    // an affiliate named wins over both
    const named = (await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', referral_code: 'REF123', coupon_code_used: 'SUMMER2024', base_value: 50 }).expect(201)).body.data;
    expect(named.affiliate_id).toBe(jane);
    expect((await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', coupon_code_used: 'NOSUCH', base_value: 50 }).expect(400)).body).toEqual({
      success: false,
      error: 'affiliate_id or referral_code is required: no active coupon has this coupon_code_used',
    });
  });

  it('coupon_code_used: the coupon given with a manual conversion, and the coupon a payment was attributed by', async () => {
    const manual = await request(t.app)
      .post('/api/v1/conversions')
      .set(api())
      .send({ type: 'purchase', affiliate_id: jane, base_value: 250, reference: 'ORDER-123', coupon_code_used: 'WINTER' })
      .expect(201);
    expect(manual.body.data).toMatchObject({ coupon_code_used: 'WINTER', value_minor: 5000, reference: 'ORDER-123' });
    t.clock.now = new Date('2026-07-02T12:00:00Z');
    await pay('cus_coupon', 'kim@customers.test', 10_000, { coupon: 'co_summer' });
    const [paid] = (await request(t.app).get('/api/v1/conversions?referred_user_id=kim%40customers.test').set(api()).expect(200)).body.data;
    expect(paid).toMatchObject({ affiliate_id: sam, value_minor: 2000, coupon_code_used: 'SUMMER2024', attribution: { method: 'coupon' } });

    const cleared = await request(t.app).put(`/api/v1/conversions/${manual.body.data.id}`).set(api()).send({ coupon_code_used: null }).expect(200);
    expect(cleared.body.data.coupon_code_used).toBeNull();
    const set = await request(t.app).put(`/api/v1/conversions/${manual.body.data.id}`).set(api()).send({ coupon_code_used: 'AUTUMN' }).expect(200);
    expect(set.body.data.coupon_code_used).toBe('AUTUMN');
    const derived = await request(t.app).put(`/api/v1/conversions/${paid.id}`).set(api()).send({ coupon_code_used: 'X' }).expect(409);
    expect(derived.body.error).toBe('this conversion is derived from provider events: only "paid" can change');

    // the whole conversion sent back, as Refgrow's update takes it, to mark it paid: what it shows is no change
    for (const row of [paid, (await request(t.app).get(`/api/v1/conversions/${manual.body.data.id}`).set(api()).expect(200)).body.data]) {
      const marked = (await request(t.app).put(`/api/v1/conversions/${row.id}`).set(api()).send({ ...row, paid: true }).expect(200)).body.data;
      // what the list adds (affiliate_email, attribution_explanation) is not in the change's answer
      const { paid: _was, paid_at: _never, updated_at: _written, status: _eligible, affiliate_email: _a, attribution_explanation: _e, ...rest } = row;
      expect(marked).toMatchObject({ ...rest, paid: true, status: 'paid' });
    }
    // and a field sent with another value than it shows is still one
    const changed = await request(t.app).put(`/api/v1/conversions/${paid.id}`).set(api()).send({ ...paid, value: paid.value + 1 }).expect(409);
    expect(changed.body.error).toBe('this conversion is derived from provider events: only "paid" can change');
  });

  it('PUT on a conversion announces referral_updated, with the change', async () => {
    const created = (await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', affiliate_id: jane, base_value: 100, reference: 'ORDER-PUT' }).expect(201)).body.data;
    await request(t.app).put(`/api/v1/conversions/${created.id}`).set(api()).send({ value: 12.5 }).expect(200);
    // Refgrow's type and currency are refused by name, not ignored, and change nothing
    for (const change of [{ type: 'signup' }, { base_value_currency: 'EUR', value: 1 }]) {
      const refused = await request(t.app).put(`/api/v1/conversions/${created.id}`).set(api()).send(change).expect(400);
      expect(refused.body).toEqual({ success: false, error: expect.stringMatching(new RegExp(`^${Object.keys(change)[0]}: fixed once recorded`)) });
    }
    expect((await request(t.app).get(`/api/v1/conversions/${created.id}`).set(api()).expect(200)).body.data).toMatchObject({ type: 'purchase', value: 12.5 });
    // an array is no conversion: refused as every route refuses it, not taken for an empty change
    for (const method of ['put', 'patch'] as const) {
      const refused = await request(t.app)[method](`/api/v1/conversions/${created.id}`).set(api()).send([{ value: 99 }]).expect(400);
      expect(refused.body).toEqual({ success: false, error: 'request body must be a JSON object' });
    }
    // as recorded, they are no change: the rest of the update goes through
    const same = await request(t.app).put(`/api/v1/conversions/${created.id}`).set(api()).send({ type: 'purchase', base_value_currency: 'usd', value: 15 }).expect(200);
    expect(same.body.data).toMatchObject({ type: 'purchase', value: 15 });
    const deliveries = await tdb.db.prisma.webhookDelivery.findMany({ where: { projectId, eventType: 'referral_updated' }, orderBy: { createdAt: 'asc' } });
    const announced = deliveries.map((d) => d.payload as any).filter((p) => p.conversion?.id === created.id);
    // one as it was created (Refgrow announces a new conversion as updated too), one with the change, in Refgrow's shape
    expect(announced.map((p) => p.conversion.commission_amount)).toEqual([20, 12.5, 15]);
  });

  it("a list holds 50 conversions unless limit says otherwise (Refgrow's default; up to 100)", async () => {
    for (let i = 0; i < 50; i++) await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'signup', referral_code: 'SAM', email: `s${i}@x.test` }).expect(201);
    const page = (await request(t.app).get('/api/v1/conversions').set(api()).expect(200)).body;
    expect(page.data).toHaveLength(50);
    expect(page.pagination).toMatchObject({ limit: 50, offset: 0, has_more: true });
    expect(page.pagination.total).toBeGreaterThan(50);
    expect((await request(t.app).get('/api/v1/conversions?limit=20').set(api()).expect(200)).body.data).toHaveLength(20);
    expect((await request(t.app).get('/api/v1/conversions?limit=101').set(api()).expect(400)).body.error).toMatch(/^limit: /);
  });

  it('from/to is a half-open period, as the reports and the CSV read it: a payment made at `to` is in the next one', async () => {
    const at = new Date('2026-07-20T00:00:00Z');
    t.clock.now = at;
    const pi = await pay('cus_boundary', 'boundary@customers.test', 5000);
    const period = (from: string, to: string) => `from=${from}&to=${to}`;
    const listed = async (q: string) =>
      (await request(t.app).get(`/api/v1/conversions?${q}&limit=100`).set(api()).expect(200)).body.data.filter((c: any) => c.payment_key?.includes(pi)).length;
    const exported = async (q: string) => (await request(t.app).get(`/api/v1/reports/conversions.csv?${q}`).set(api()).expect(200)).text.split('\r\n').filter((l) => l.includes(pi)).length;
    const before = period('2026-07-19T00:00:00Z', at.toISOString());
    const after = period(at.toISOString(), '2026-07-21T00:00:00Z');
    expect([await listed(before), await exported(before)]).toEqual([0, 0]);
    expect([await listed(after), await exported(after)]).toEqual([1, 1]);
    // a period that ends before it starts is said to be one, as the reports say it, not answered with nothing
    const backwards = period('2026-07-21T00:00:00Z', at.toISOString());
    expect((await request(t.app).get(`/api/v1/conversions?${backwards}`).set(api()).expect(400)).body).toEqual({ success: false, error: 'from: must be before to' });
    expect((await request(t.app).get(`/api/v1/audit-log?${backwards}`).set(api()).expect(400)).body.error).toBe('from: must be before to');
  });

  it("the Stripe customer's referral info: its affiliate, how, its payments and totals net of refunds", async () => {
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'lee@customers.test', affiliate_id: jane }).expect(201);
    t.clock.now = new Date('2026-07-03T12:00:00Z');
    const first = await pay('cus_lee', 'lee@customers.test', 12_000, { tax: 2_000 });
    t.clock.now = new Date('2026-07-04T12:00:00Z');
    await pay('cus_lee', 'lee@customers.test', 6_000);
    await refund(first, 'cus_lee', 12_000, 3_000);
    const res = await info('cus_lee').expect(200);
    // sales without tax: 10000 + 6000, less the refunded quarter of the first (2500); commissions 2000 + 1200 - 500
    expect(res.body).toEqual({
      success: true,
      data: {
        stripe_customer_id: 'cus_lee',
        customer_email: 'lee@customers.test',
        referred: true,
        affiliate_id: jane,
        affiliate_code: 'REF123',
        affiliate_email: 'jane@partners.test',
        attribution_method: 'email',
        first_conversion_date: '2026-07-03T12:00:00.000Z',
        payments: 2,
        totals: [{ currency: 'USD', sales: '135.00', sales_minor: 13_500, commission: '27.00', commission_minor: 2_700 }],
        referral: expect.objectContaining({ user_email: 'lee@customers.test', affiliate_id: jane, affiliate_code: 'REF123', conversion_status: 'converted' }),
      },
    });

    await pay('cus_walkin', 'walkin@customers.test', 1_000);
    expect((await info('cus_walkin').expect(200)).body.data).toMatchObject({ referred: false, affiliate_id: null, affiliate_code: null, payments: 1, referral: null });
    expect((await info('cus_nobody').expect(404)).body).toEqual({ success: false, error: 'no Stripe customer cus_nobody is known to this project' });
    // another project's id, even a real one: as unknown
    const other = await createProjectViaApi(t.app, 'Other');
    expect((await info('cus_lee', other.id).expect(404)).body).toEqual({ success: false, error: 'project not found' });
    expect((await request(t.app).get(`/api/v1/projects/${projectId}/stripe-customer-referral-info/cus_lee`).set('Authorization', `Bearer ${other.apiKey}`).expect(404)).body.error).toBe('project not found');
    expect((await info('cus_lee', 'not-a-uuid').expect(400)).body.error).toBe('invalid project id: "not-a-uuid" is not a UUID');
  });
});
