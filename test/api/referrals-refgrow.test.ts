import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Referrals in Refgrow's shape: its four statuses, conversion_date, affiliate_code, direct signups without an
 * affiliate, and PUT changing the email or clearing the affiliate, with what that does to the ledger in cents.
 */
const SECRET = 'whsec_referrals_refgrow';
const DAY = 86_400_000;

describe("referrals in Refgrow's shape", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  let jane: string;
  let sam: string;
  const T0 = new Date('2026-05-01T09:00:00Z');
  const at = (days: number) => new Date(T0.getTime() + days * DAY);
  const api = () => ({ Authorization: `Bearer ${key}` });
  let n = 0;

  const checkout = (email: string, amount: number) =>
    stripeEvent('checkout.session.completed.payment.json', (o) => {
      const id = `rr_${++n}`;
      o.id = `cs_${id}`;
      o.payment_intent = `pi_${id}`;
      o.customer = `cus_${email.split('@')[0]}`;
      o.customer_details = { ...o.customer_details, email };
      o.customer_email = email;
      o.amount_total = amount;
      o.amount_subtotal = amount;
      o.client_reference_id = null;
      o.metadata = {};
      o.discounts = [];
      o.total_details = { ...o.total_details, amount_discount: 0, amount_tax: 0 };
    });
  const pay = async (email: string, amount: number, paidAt: Date) => {
    const payload = checkout(email, amount);
    payload.created = Math.floor(paidAt.getTime() / 1000);
    t.clock.now = new Date(Math.max(t.clock.now.getTime(), paidAt.getTime()));
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
  };
  const purchasesOf = async (email: string) =>
    (await request(t.app).get(`/api/v1/conversions?kind=purchase&referred_user_id=${encodeURIComponent(email)}&limit=100`).set(api()).expect(200)).body.data.sort(
      (a: any, b: any) => a.occurred_at.localeCompare(b.occurred_at),
    );
  const earnings = async (email: string) => {
    const a = (await request(t.app).get(`/api/v1/affiliates/${encodeURIComponent(email)}`).set(api()).expect(200)).body.data;
    return { total: a.total_earnings_minor, paid: a.paid_earnings_minor, unpaid: a.unpaid_earnings_minor, purchases: a.purchases };
  };
  const verified = async () => (await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok;
  const referral = (email: string) => request(t.app).get(`/api/v1/referrals/${encodeURIComponent(email)}`).set(api());
  const put = (email: string, body: Record<string, unknown>) => request(t.app).put(`/api/v1/referrals/${encodeURIComponent(email)}`).set(api()).send(body);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    t.clock.now = at(0);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
    jane = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201)).body.data.id;
    sam = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'sam@partners.test', referral_code: 'SAM' }).expect(201)).body.data.id;
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('a referral is pending, then converted from the first purchase its affiliate is credited with', async () => {
    const created = await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'Ada@Customers.test', affiliate_id: jane }).expect(201);
    expect(created.body.data).toMatchObject({
      user_email: 'ada@customers.test',
      affiliate_id: jane,
      affiliate_code: 'JANE',
      conversion_status: 'pending',
      conversion_date: null,
      status: 'active',
    });
    await pay('ada@customers.test', 5_000, at(1));
    expect((await referral('ada@customers.test').expect(200)).body.data).toMatchObject({ conversion_status: 'converted', conversion_date: at(1).toISOString() });
    const converted = (await request(t.app).get(`/api/v1/referrals?status=converted&affiliate_id=${jane}`).set(api()).expect(200)).body;
    expect(converted.data.map((r: any) => r.user_email)).toEqual(['ada@customers.test']);
    expect(converted.pagination).toEqual({ limit: 20, offset: 0, total: 1, has_more: false });
    expect((await request(t.app).get('/api/v1/referrals?status=pending').set(api()).expect(200)).body.pagination.total).toBe(0);
  });

  it('a referral without an affiliate is a direct signup: it credits nobody, and needs no affiliate', async () => {
    const res = await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'walkin@customers.test' }).expect(201);
    expect(res.body.data).toMatchObject({ affiliate_id: null, affiliate_code: null, conversion_status: 'direct_signup', conversion_date: null, status: 'inactive' });
    await pay('walkin@customers.test', 3_000, at(2));
    const [row] = await purchasesOf('walkin@customers.test');
    expect(row).toMatchObject({ affiliate_id: null, value_minor: 0, reason: 'unattributed' });
    expect(row.attribution.trace.at(-1)).toEqual({ step: 'email', result: 'miss', detail: 'the referral for walkin@customers.test is direct_signup, with no affiliate: it credits nobody' });
    const direct = (await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'dir@customers.test', status: 'direct' }).expect(201)).body.data;
    expect(direct).toMatchObject({ conversion_status: 'direct', conversion_date: t.clock.now.toISOString() });
    const refused = await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'x@customers.test', status: 'converted' }).expect(400);
    expect(refused.body).toEqual({ success: false, error: 'status: "converted" needs an affiliate (affiliate_id or referral_code); a referral without one is direct or direct_signup' });
    expect((await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'y@customers.test', status: 'won' }).expect(400)).body.error).toMatch(/^status: /);
    expect((await referral('x@customers.test')).status).toBe(404);
  });

  it('the earlier active and inactive are still accepted: inactive is direct, keeping its affiliate as a record', async () => {
    const res = await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'old@customers.test', referral_code: 'sam', status: 'inactive' }).expect(201);
    expect(res.body.data).toMatchObject({ affiliate_id: sam, affiliate_code: 'SAM', conversion_status: 'direct', status: 'inactive' });
    await pay('old@customers.test', 1_000, at(3));
    expect((await purchasesOf('old@customers.test'))[0]).toMatchObject({ affiliate_id: null, value_minor: 0 });
    // active again: it credits Sam, the unpaid payment included (a merchant's call may attribute earlier payments)
    expect((await put('old@customers.test', { status: 'active' }).expect(200)).body.data).toMatchObject({ conversion_status: 'converted', status: 'active' });
    expect((await purchasesOf('old@customers.test'))[0]).toMatchObject({ affiliate_id: sam, value_minor: 200 });
    const inactive = (await request(t.app).get('/api/v1/referrals?status=inactive').set(api()).expect(200)).body.data.map((r: any) => r.user_email);
    expect(inactive).toEqual(['walkin@customers.test', 'dir@customers.test']);

    // an answer sent back as it is (its `status` is active or inactive) changes nothing: a converted referral stays
    // converted with its date, a direct_signup stays one (they became pending, undated, and direct)
    for (const email of ['old@customers.test', 'walkin@customers.test']) {
      const before = (await referral(email)).body.data;
      const { user_email, affiliate_id, status } = before;
      t.clock.now = new Date(t.clock.now.getTime() + 60_000);
      const { updated_at: _written, ...after } = (await put(email, { email: user_email, affiliate_id, status }).expect(200)).body.data;
      expect(after).toEqual({ ...before, updated_at: undefined });
    }
    // and one on the other side moves as before: active makes a direct referral pending, inactive a pending one direct
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'flip@customers.test', referral_code: 'sam', status: 'direct' }).expect(201);
    expect((await put('flip@customers.test', { status: 'active' }).expect(200)).body.data).toMatchObject({ conversion_status: 'pending', status: 'active' });
    expect((await put('flip@customers.test', { status: 'inactive' }).expect(200)).body.data).toMatchObject({ conversion_status: 'direct', status: 'inactive' });
  });

  it("clearing the affiliate: the customer's unpaid commissions leave it, a paid one stays where it was paid", async () => {
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'bea@customers.test', affiliate_id: jane }).expect(201);
    await pay('bea@customers.test', 10_000, at(4));
    await pay('bea@customers.test', 7_350, at(5));
    let rows = await purchasesOf('bea@customers.test');
    expect(rows.map((r: any) => [r.affiliate_id, r.value_minor])).toEqual([
      [jane, 2000],
      [jane, 1470],
    ]);
    // Jane: ada's 1000 + bea's 2000 + 1470; the first of bea's is paid out by hand
    await request(t.app).put(`/api/v1/conversions/${rows[0].id}`).set(api()).send({ paid: true }).expect(200);
    expect(await earnings('jane@partners.test')).toEqual({ total: 4470, paid: 2000, unpaid: 2470, purchases: 3 });

    const cleared = await put('bea@customers.test', { affiliate_id: null, status: 'direct' }).expect(200);
    expect(cleared.body.data).toMatchObject({ affiliate_id: null, affiliate_code: null, conversion_status: 'direct', conversion_date: t.clock.now.toISOString(), status: 'inactive' });
    rows = await purchasesOf('bea@customers.test');
    expect(rows.map((r: any) => [r.affiliate_id, r.value_minor, r.reason, r.paid])).toEqual([
      [jane, 2000, null, true],
      [null, 0, 'unattributed', false],
    ]);
    expect(rows[1].attribution.trace.at(-1).detail).toBe('the referral for bea@customers.test is direct, with no affiliate: it credits nobody');
    expect(await earnings('jane@partners.test')).toEqual({ total: 3000, paid: 2000, unpaid: 1000, purchases: 2 });
    // a later payment of the customer is the merchant's own too
    await pay('bea@customers.test', 2_000, at(6));
    expect((await purchasesOf('bea@customers.test'))[2]).toMatchObject({ affiliate_id: null, value_minor: 0 });
    expect(await verified()).toBe(true);
  });

  it('clearing the affiliate alone makes the referral direct; pending without one is refused', async () => {
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'cy@customers.test', affiliate_id: sam }).expect(201);
    expect((await put('cy@customers.test', { affiliate_id: null }).expect(200)).body.data).toMatchObject({ affiliate_id: null, conversion_status: 'direct' });
    const refused = await put('cy@customers.test', { status: 'pending' }).expect(400);
    expect(refused.body.error).toBe('status: "pending" needs an affiliate (affiliate_id or referral_code); a referral without one is direct or direct_signup');
    expect((await put('cy@customers.test', { affiliate_id: null, referral_code: 'SAM' }).expect(400)).body.error).toBe('affiliate_id: null clears the affiliate; send no referral_code with it');
    // given an affiliate again with a status that credits it
    expect((await put('cy@customers.test', { referral_code: 'SAM', status: 'pending' }).expect(200)).body.data).toMatchObject({ affiliate_id: sam, conversion_status: 'pending', status: 'active' });
  });

  it("changing the email moves the referral: the old address's payments leave the affiliate, the new one's join it", async () => {
    await pay('dan.old@customers.test', 4_000, at(7));
    await pay('dan.new@customers.test', 6_000, at(7.5));
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'dan.old@customers.test', affiliate_id: sam }).expect(201);
    expect((await purchasesOf('dan.old@customers.test'))[0]).toMatchObject({ affiliate_id: sam, value_minor: 800 });
    const before = await earnings('sam@partners.test');

    const moved = await put('dan.old@customers.test', { email: 'Dan.New@customers.test' }).expect(200);
    expect(moved.body.data).toMatchObject({ user_email: 'dan.new@customers.test', affiliate_id: sam, conversion_status: 'converted', conversion_date: at(7.5).toISOString() });
    expect((await referral('dan.old@customers.test')).status).toBe(404);
    expect((await purchasesOf('dan.old@customers.test'))[0]).toMatchObject({ affiliate_id: null, value_minor: 0 });
    expect((await purchasesOf('dan.new@customers.test'))[0]).toMatchObject({ affiliate_id: sam, value_minor: 1200 });
    expect(await earnings('sam@partners.test')).toEqual({ ...before, total: before.total - 800 + 1200, unpaid: before.unpaid - 800 + 1200 });

    // the new address must be free
    expect((await put('dan.new@customers.test', { email: 'ada@customers.test' }).expect(409)).body).toEqual({ success: false, error: 'a referral for this email already exists' });
    expect((await put('dan.new@customers.test', { email: 'not-an-email' }).expect(400)).body.error).toMatch(/^email: /);
    expect(await verified()).toBe(true);
  });

  it('naming an affiliate on a direct referral attaches it, as store-attribution does: it credits that affiliate, earlier payments included', async () => {
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'eve@customers.test' }).expect(201);
    await pay('eve@customers.test', 5_000, at(8));
    expect((await purchasesOf('eve@customers.test'))[0]).toMatchObject({ affiliate_id: null, value_minor: 0, reason: 'unattributed' });
    const before = await earnings('jane@partners.test');

    const attached = await put('eve@customers.test', { affiliate_id: jane }).expect(200);
    // converted: the payment already made is credited to Jane now (an authenticated merchant call may do so)
    expect(attached.body.data).toMatchObject({ affiliate_id: jane, affiliate_code: 'JANE', conversion_status: 'converted', conversion_date: at(8).toISOString(), status: 'active', source: 'api' });
    expect((await purchasesOf('eve@customers.test'))[0]).toMatchObject({ affiliate_id: jane, value_minor: 1000 });
    expect(await earnings('jane@partners.test')).toEqual({ ...before, total: before.total + 1000, unpaid: before.unpaid + 1000, purchases: before.purchases + 1 });

    // without a payment yet: pending, as a referral recorded with its affiliate
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'fay@customers.test', status: 'direct' }).expect(201);
    expect((await put('fay@customers.test', { referral_code: 'SAM' }).expect(200)).body.data).toMatchObject({ affiliate_id: sam, conversion_status: 'pending', conversion_date: null, status: 'active' });
    // a status sent with it still decides: direct keeps the affiliate as a record and credits nobody
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'gus@customers.test' }).expect(201);
    expect((await put('gus@customers.test', { affiliate_id: jane, status: 'direct' }).expect(200)).body.data).toMatchObject({ affiliate_id: jane, conversion_status: 'direct', status: 'inactive' });
    expect(await verified()).toBe(true);
  });
});
