import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Publishable keys and POST /api/track/conversion: a page reports a sale with the project's pk_ key; secret keys
 * are refused there (and pk_ keys on /api/v1); the order_id makes it idempotent; the commission always waits for
 * the merchant's review; the per-address budget holds.
 */
describe('publishable keys and public conversions', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  let pk: string;
  let jane: string;
  let sam: string;
  const api = () => ({ Authorization: `Bearer ${key}` });
  const report = (body: Record<string, unknown>, auth: string | null = pk) => {
    const r = request(t.app).post('/api/track/conversion');
    if (auth) r.set('Authorization', `Bearer ${auth}`);
    return r.send(body);
  };
  const conversion = async (id: string) => (await request(t.app).get(`/api/v1/conversions/${id}`).set(api()).expect(200)).body.data;
  const earnings = async (email: string) => {
    const a = (await request(t.app).get(`/api/v1/affiliates/${encodeURIComponent(email)}`).set(api()).expect(200)).body.data;
    return { total: a.total_earnings_minor, pending: a.pending_earnings_minor, eligible: a.eligible_earnings_minor };
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000_000 }, outboundAllowPrivate: true });
    t.clock.now = new Date('2026-06-01T10:00:00Z');
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    // commission_review stays "auto": public conversions wait for review all the same
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
    jane = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201)).body.data.id;
    sam = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'sam@partners.test', referral_code: 'SAM' }).expect(201)).body.data.id;
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'gone@partners.test', referral_code: 'GONE', status: 'inactive' }).expect(201);
    await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: 'http://127.0.0.1:9/hooks' }).expect(201);
    pk = (await request(t.app).post('/api/v1/publishable-keys').set(api()).send({ name: 'storefront' }).expect(201)).body.data.key;
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('the merchant creates, lists (whole) and revokes publishable keys', async () => {
    expect(pk).toMatch(/^pk_[A-Za-z0-9_-]{32}$/);
    const second = (await request(t.app).post('/api/v1/publishable-keys').set(api()).send({}).expect(201)).body.data;
    const listed = (await request(t.app).get('/api/v1/publishable-keys').set(api()).expect(200)).body;
    expect(listed.data.map((k: any) => [k.name, k.key, k.revoked_at])).toEqual([
      ['storefront', pk, null],
      [null, second.key, null],
    ]);
    await request(t.app).delete(`/api/v1/publishable-keys/${second.id}`).set(api()).expect(204);
    expect((await request(t.app).delete(`/api/v1/publishable-keys/${second.id}`).set(api()).expect(404)).body).toEqual({ success: false, error: 'publishable key not found' });
    expect((await request(t.app).get('/api/v1/publishable-keys').set(api())).body.data[1].revoked_at).toBe(t.clock.now.toISOString());
    const revoked = await report({ order_id: 'R-1', amount: 10, referral_code: 'JANE' }, second.key).expect(401);
    expect(revoked.body).toEqual({ success: false, error: 'invalid publishable key' });
    expect((await request(t.app).post('/api/v1/publishable-keys').set(api()).send({ bogus: 1 }).expect(400)).body.success).toBe(false);
    // another project's key sees none of them
    const other = await createProjectViaApi(t.app, 'Other');
    expect((await request(t.app).get('/api/v1/publishable-keys').set('Authorization', `Bearer ${other.apiKey}`).expect(200)).body.data).toEqual([]);
  });

  it('keys stay in their lanes: a publishable key is refused on /api/v1, a secret key on the public endpoint', async () => {
    const onApi = await request(t.app).get('/api/v1/affiliates').set('Authorization', `Bearer ${pk}`).expect(401);
    expect(onApi.body).toEqual({ success: false, error: 'a publishable key (pk_…) is only for public endpoints: the API takes a secret API key' });
    const secret = await report({ order_id: 'S-1', amount: 10, referral_code: 'JANE' }, key).expect(401);
    expect(secret.body).toEqual({ success: false, error: 'this endpoint takes a publishable key (pk_…): secret API keys are never accepted on public endpoints' });
    expect((await report({ order_id: 'S-1', amount: 10, referral_code: 'JANE', publishable_key: key }, null).expect(401)).body.error).toMatch(/secret API keys are never accepted/);
    expect((await report({ order_id: 'S-1', amount: 10, referral_code: 'JANE' }, null).expect(401)).body.error).toBe(
      'missing publishable key: send Authorization: Bearer pk_… or "publishable_key" in the body',
    );
    expect((await report({ order_id: 'S-1', amount: 10, referral_code: 'JANE' }, 'pk_not_a_real_key').expect(401)).body.error).toBe('invalid publishable key');
    // two keys, one in the header and another in the body: refused, whichever project each names
    expect((await report({ order_id: 'S-1', amount: 10, referral_code: 'JANE', publishable_key: 'pk_another_key' }).expect(400)).body).toEqual({
      success: false,
      error: "publishable_key: differs from the Authorization header's key; send one of them",
    });
    expect(await tdb.db.prisma.conversion.count({ where: { projectId } })).toBe(0);
  });

  it('a reported sale is a commission waiting for review, whatever commission_review says; a repeat answers the same body', async () => {
    const first = await report({ order_id: 'ORD-1001', amount: 123.45, referral_code: 'jane', email: 'Buyer@Shop.test', coupon_code: 'SPRING' }).expect(201);
    expect(first.body).toEqual({
      success: true,
      data: {
        conversion_id: expect.any(String),
        order_id: 'ORD-1001',
        type: 'purchase',
        amount: 123.45,
        amount_minor: 12345,
        // 20% of the sale, waiting for review (Afflixo's commissionAmount)
        commission: 24.69,
        commission_minor: 2469,
        currency: 'USD',
        status: 'pending',
        created_at: t.clock.now.toISOString(),
      },
    });
    const id = first.body.data.conversion_id;
    expect(await conversion(id)).toMatchObject({
      kind: 'purchase',
      status: 'pending',
      affiliate_id: jane,
      email: 'buyer@shop.test',
      value_minor: 2469,
      base_value_minor: 12345,
      reference: 'ORD-1001',
      coupon_code_used: 'SPRING',
      attribution: { method: 'public_conversion', trace: [{ step: 'public_conversion', result: 'hit', detail: 'referral_code jane' }] },
    });
    expect(await earnings('jane@partners.test')).toEqual({ total: 0, pending: 2469, eligible: 0 });

    // the page reports it again, even with other figures: the same answer, nothing counted twice
    const again = await report({ order_id: 'ORD-1001', amount: 999, referral_code: 'SAM' }).expect(200);
    expect(again.body).toEqual(first.body);
    expect(await tdb.db.prisma.conversion.count({ where: { projectId, externalKey: 'manual:ORD-1001' } })).toBe(1);
    const announced = await tdb.db.prisma.webhookDelivery.findMany({ where: { projectId }, select: { eventType: true } });
    // announced as a manual conversion is (the endpoint has Refgrow's four events: commission.created is not among them)
    expect(announced.map((a) => a.eventType).sort()).toEqual(['referral_converted', 'referral_updated']);

    await request(t.app).post(`/api/v1/conversions/${id}/approve`).set(api()).expect(200);
    expect(await earnings('jane@partners.test')).toEqual({ total: 2469, pending: 0, eligible: 2469 });
    expect((await report({ order_id: 'ORD-1001', amount: 123.45, referral_code: 'JANE' }).expect(200)).body).toEqual(first.body);
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  it('the key may come in a text/plain body (no preflight); a preflight allows Authorization', async () => {
    const body = JSON.stringify({ publishable_key: pk, order_id: 'ORD-1002', amount: '40.00', referral_code: 'SAM' });
    const res = await request(t.app).post('/api/track/conversion').set('Content-Type', 'text/plain;charset=UTF-8').send(body).expect(201);
    expect(await conversion(res.body.data.conversion_id)).toMatchObject({ affiliate_id: sam, value_minor: 800, status: 'pending' });
    const preflight = await request(t.app).options('/api/track/conversion').set('Origin', 'https://shop.test').set('Access-Control-Request-Headers', 'authorization, content-type').expect(204);
    expect(preflight.headers['access-control-allow-headers']).toBe('Content-Type, Authorization, X-Affiliate-Code');
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });

  it("a customer whose referral credits another affiliate stays that affiliate's: the page's code is set aside", async () => {
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'loyal@shop.test', affiliate_id: sam }).expect(201);
    const res = await report({ order_id: 'ORD-1003', amount: 50, referral_code: 'JANE', email: 'loyal@shop.test' }).expect(201);
    expect(await conversion(res.body.data.conversion_id)).toMatchObject({
      affiliate_id: sam,
      value_minor: 1000,
      attribution: { trace: [{ detail: "referral for loyal@shop.test (the page's referral_code JANE set aside)" }] },
    });
  });

  it('an order the merchant recorded, an unknown or inactive code and bad amounts are refused, storing nothing', async () => {
    await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', referral_code: 'JANE', base_value: 10, reference: 'ORD-BACKEND' }).expect(201);
    const before = await tdb.db.prisma.conversion.count({ where: { projectId } });
    expect((await report({ order_id: 'ORD-BACKEND', amount: 10, referral_code: 'JANE' }).expect(409)).body).toEqual({
      success: false,
      error: 'order_id: this order is already recorded by the merchant',
    });
    expect((await report({ order_id: 'X-1', amount: 10, referral_code: 'NOPE' }).expect(404)).body.error).toBe('no active affiliate has this referral_code');
    expect((await report({ order_id: 'X-1', amount: 10, referral_code: 'GONE' }).expect(404)).body.error).toBe('no active affiliate has this referral_code');
    for (const [amount, error] of [
      [-5, 'amount: must not be negative'],
      [1.234, 'amount: USD amounts have at most 2 decimals'],
      ['lots', 'amount: "lots" is not a decimal amount'],
    ] as const) {
      expect((await report({ order_id: 'X-1', amount, referral_code: 'JANE' }).expect(400)).body).toEqual({ success: false, error });
    }
    expect((await report({ amount: 10, referral_code: 'JANE' }).expect(400)).body.error).toMatch(/^order_id: /);
    expect((await report({ order_id: 'X-1', amount: 10, referral_code: 'JANE', currency: 'EURO' }).expect(400)).body.error).toMatch(/^currency: /);
    const inexact = await request(t.app)
      .post('/api/track/conversion')
      .set('Authorization', `Bearer ${pk}`)
      .set('Content-Type', 'application/json')
      .send('{"order_id":"X-1","amount":12.345678901234567890,"referral_code":"JANE"}')
      .expect(400);
    expect(inexact.body.success).toBe(false);
    expect(await tdb.db.prisma.conversion.count({ where: { projectId } })).toBe(before);
  });

  it("Refferq's and Afflixo's field names are the same fields: exact minor units, the same commission", async () => {
    // Refferq: referralCode, amountCents (an integer of cents), the order id in metadata.orderId
    const refferq = await report({ referralCode: 'JANE', amountCents: 9900, metadata: { orderId: 'RQ-1' } }).expect(201);
    expect(refferq.body.data).toMatchObject({ order_id: 'RQ-1', amount: 99, amount_minor: 9900, currency: 'USD', status: 'pending' });
    expect(await conversion(refferq.body.data.conversion_id)).toMatchObject({ affiliate_id: jane, base_value_minor: 9900, value_minor: 1980, reference: 'RQ-1' });
    // a repeat under the other spelling is the same order
    expect((await report({ order_id: 'RQ-1', amount: '99.00', referral_code: 'JANE' }).expect(200)).body).toEqual(refferq.body);

    // Afflixo: orderId, amount in major units, affiliateCode, email; clickId, transactionId and productName are not kept
    const afflixo = await report({
      orderId: 'AF-1',
      amount: 10.01,
      currency: 'USD',
      affiliateCode: 'sam',
      email: 'Buyer2@Shop.test',
      clickId: 'c-1',
      transactionId: 't-1',
      productName: 'Pro plan',
    }).expect(201);
    expect(afflixo.body.data).toMatchObject({ order_id: 'AF-1', amount: 10.01, amount_minor: 1001, currency: 'USD' });
    expect(await conversion(afflixo.body.data.conversion_id)).toMatchObject({ affiliate_id: sam, email: 'buyer2@shop.test', base_value_minor: 1001, value_minor: 200 });

    // amountCents is minor units of the currency it comes with: 1500 in JPY (no decimals) is 1500 yen
    const yen = await report({ orderId: 'AF-2', amountCents: '1500', currency: 'JPY', referralCode: 'JANE' }).expect(201);
    expect(yen.body.data).toMatchObject({ amount: 1500, amount_minor: 1500, currency: 'JPY' });
    // a large amount stays exact: no float arithmetic on the way to major units
    const big = await report({ orderId: 'AF-3', amountCents: 123456789012, referralCode: 'JANE' }).expect(201);
    expect(big.body.data).toMatchObject({ amount_minor: 123456789012, amount: 1234567890.12 });

    // two spellings of one field that agree are one value (codes are matched without case, as they are looked up)
    const agreed = await report({ order_id: 'AF-4', orderId: 'AF-4', amount: 12.5, amountCents: 1250, referral_code: 'JANE', referralCode: 'jane' }).expect(201);
    expect(await conversion(agreed.body.data.conversion_id)).toMatchObject({ affiliate_id: jane, base_value_minor: 1250, value_minor: 250 });
  });

  it("Afflixo's code in its X-Affiliate-Code header, or only its clickId: the click's affiliate within cookie_days", async () => {
    const viaHeader = await report({ orderId: 'AF-H1', amount: 20 }).set('X-Affiliate-Code', 'sam').expect(201);
    expect(await conversion(viaHeader.body.data.conversion_id)).toMatchObject({ affiliate_id: sam, value_minor: 400 });
    expect((await report({ orderId: 'AF-H2', amount: 20, affiliateCode: 'JANE' }).set('X-Affiliate-Code', 'SAM').expect(400)).body.error).toBe(
      'affiliateCode, X-Affiliate-Code: two names of the same field with different values',
    );
    // a click through Jane's code by the script, then the order with only its click id
    const click = (await request(t.app).post('/api/track/click').send({ project_id: projectId, referral_code: 'JANE' }).expect(201)).body.data.click_id;
    const viaClick = await report({ orderId: 'AF-C1', amount: 30, clickId: click }).expect(201);
    expect(await conversion(viaClick.body.data.conversion_id)).toMatchObject({ affiliate_id: jane, value_minor: 600, attribution: { method: 'public_conversion' } });
    // an unknown click, a click id that is no id, or a click past cookie_days credits nobody: 404, nothing stored
    const before = await tdb.db.prisma.conversion.count({ where: { projectId } });
    for (const clickId of ['00000000-0000-4000-8000-000000000000', 'c-1']) {
      expect((await report({ orderId: 'AF-C2', amount: 30, clickId }).expect(404)).body.error).toBe('click_id: no click of an active affiliate within cookie_days has this id');
    }
    const { cookie_days } = (await request(t.app).get('/api/v1/settings').set(api()).expect(200)).body.data;
    const now = t.clock.now;
    t.clock.now = new Date(now.getTime() + (cookie_days + 1) * 86_400_000);
    try {
      await report({ orderId: 'AF-C3', amount: 30, click_id: click }).expect(404);
    } finally {
      t.clock.now = now;
    }
    expect(await tdb.db.prisma.conversion.count({ where: { projectId } })).toBe(before);
    // a preflight lets a page send the header
    const preflight = await request(t.app).options('/api/track/conversion').set({ Origin: 'https://shop.test', 'Access-Control-Request-Headers': 'x-affiliate-code' }).expect(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('X-Affiliate-Code');
  });

  it('two spellings of one field with different values, or a fractional amountCents, are a 400 naming them; nothing is stored', async () => {
    const before = await tdb.db.prisma.conversion.count({ where: { projectId } });
    for (const [body, error] of [
      [{ order_id: 'C-1', orderId: 'C-2', amount: 10, referral_code: 'JANE' }, 'order_id, orderId: two names of the same field with different values'],
      [{ orderId: 'C-1', metadata: { orderId: 'C-2' }, amount: 10, referral_code: 'JANE' }, 'orderId, metadata.orderId: two names of the same field with different values'],
      [{ order_id: 'C-1', amount: 10, referral_code: 'JANE', affiliateCode: 'SAM' }, 'referral_code, affiliateCode: two names of the same field with different values'],
      [{ order_id: 'C-1', amount: 99, amountCents: 9901, referral_code: 'JANE' }, 'amount, amountCents: two names of the same field with different values'],
      // an order already recorded is no excuse: the body is checked before the repeat answers
      [{ order_id: 'RQ-1', amount: 99, amountCents: 990, referral_code: 'JANE' }, 'amount, amountCents: two names of the same field with different values'],
      [{ order_id: 'C-1', amountCents: 99.5, referral_code: 'JANE' }, 'amountCents: must be a whole number of minor units (cents), not negative'],
      [{ order_id: 'C-1', amountCents: -100, referral_code: 'JANE' }, 'amountCents: must be a whole number of minor units (cents), not negative'],
      [{ order_id: 'C-1', amountCents: '12.00', referral_code: 'JANE' }, 'amountCents: must be a whole number of minor units (cents), not negative'],
      [{ order_id: 'C-1', referral_code: 'JANE' }, 'amount: is required'],
      [{ order_id: 'C-1', amount: 10 }, 'referral_code: is required'],
      [{ metadata: { orderId: '' }, amount: 10, referral_code: 'JANE' }, 'metadata.orderId: is required'],
    ] as const) {
      expect((await report(body).expect(400)).body).toEqual({ success: false, error });
    }
    // one minor unit past the API's bound (MAX_AMOUNT_MINOR, 10^15), as a number and as a string
    for (const amountCents of [1_000_000_000_000_001, '1000000000000001']) {
      expect((await report({ order_id: 'C-1', amountCents, referral_code: 'JANE' }).expect(400)).body.error).toBe('amountCents: must be at most 1000000000000000 minor units');
    }
    expect(await tdb.db.prisma.conversion.count({ where: { projectId } })).toBe(before);
  });

  it('the per-address budget holds: 429 past it', async () => {
    const limited = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 2 } });
    const send = (order: string) =>
      request(limited.app).post('/api/track/conversion').set('Authorization', `Bearer ${pk}`).send({ order_id: order, amount: 1, referral_code: 'JANE' });
    await send('RL-1').expect(201);
    await send('RL-1').expect(200);
    const third = await send('RL-2').expect(429);
    expect(third.body).toEqual({ success: false, error: 'rate limit exceeded: 2 requests a minute per client address; retry after the time in X-RateLimit-Reset' });
    expect(await tdb.db.prisma.conversion.count({ where: { projectId, externalKey: 'manual:RL-2' } })).toBe(0);
    await limited.runner.stop();
  });

  // last: it moves the clock on
  it("a public signup's referral past its cookie_days credits nobody: the page's code stands", async () => {
    await request(t.app).patch('/api/v1/settings').set(api()).send({ cookie_days: 1 }).expect(200);
    await request(t.app).post('/api/track/signup').send({ project_id: projectId, email: 'late@shop.test', referral_code: 'SAM' }).expect(201);
    const within = await report({ order_id: 'ORD-1104', amount: 50, referral_code: 'JANE', email: 'late@shop.test' }).expect(201);
    expect(await conversion(within.body.data.conversion_id)).toMatchObject({ affiliate_id: sam, value_minor: 1000 });
    t.clock.now = new Date(t.clock.now.getTime() + 2 * 86_400_000);
    const after = await report({ order_id: 'ORD-1105', amount: 50, referral_code: 'JANE', email: 'late@shop.test' }).expect(201);
    expect(await conversion(after.body.data.conversion_id)).toMatchObject({ affiliate_id: jane, value_minor: 1000, attribution: { trace: [{ detail: 'referral_code JANE' }] } });
  });
});
