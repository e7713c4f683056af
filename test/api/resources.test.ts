import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

describe('REST resources: validation, conflicts, tenancy', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  const as = (key: string) => ({ Authorization: `Bearer ${key}` });
  let affiliateId: string;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    a = await createProjectViaApi(t.app, 'A');
    b = await createProjectViaApi(t.app, 'B');
    affiliateId = (await request(t.app).post('/api/v1/affiliates').set(as(a.apiKey)).send({ email: 'one@p.test', referral_code: 'ONE' }).expect(201)).body.data.id;
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it.each([
    ['/api/v1/affiliates', { email: 'ONE@p.test' }, 'an affiliate with this email already exists'],
    ['/api/v1/affiliates', { email: 'two@p.test', referral_code: 'one' }, 'referral_code is already in use'],
  ])('POST %s answers 409 to a duplicate (%j)', async (path, body, error) => {
    const res = await request(t.app).post(path).set(as(a.apiKey)).send(body).expect(409);
    expect(res.body).toEqual({ success: false, error });
  });

  it('409 on a duplicate coupon code, provider id, referral email and product id', async () => {
    await request(t.app).post('/api/v1/coupons').set(as(a.apiKey)).send({ affiliate_id: affiliateId, coupon_code: 'SAVE10', stripe_coupon_id: 'co_1' }).expect(201);
    expect((await request(t.app).post('/api/v1/coupons').set(as(a.apiKey)).send({ affiliate_id: affiliateId, coupon_code: 'save10' }).expect(409)).body.error).toBe(
      'coupon_code already belongs to another coupon',
    );
    expect(
      (await request(t.app).post('/api/v1/coupons').set(as(a.apiKey)).send({ affiliate_id: affiliateId, coupon_code: 'OTHER', stripe_coupon_id: 'co_1' }).expect(409)).body
        .error,
    ).toBe('stripe_coupon_id already belongs to another coupon');
    await request(t.app).post('/api/v1/referrals').set(as(a.apiKey)).send({ email: 'buyer@x.test', affiliate_id: affiliateId }).expect(201);
    await request(t.app).post('/api/v1/referrals').set(as(a.apiKey)).send({ email: 'BUYER@x.test', referral_code: 'ONE' }).expect(409);
    await request(t.app).post('/api/v1/products').set(as(a.apiKey)).send({ product_id: 'prod_1', commission_type: 'percentage', commission_value: 10 }).expect(201);
    await request(t.app).post('/api/v1/products').set(as(a.apiKey)).send({ product_id: 'prod_1', commission_type: 'percentage', commission_value: 15 }).expect(409);
  });

  it("a coupon's provider ids: one per provider, set, kept when left out, removed with null", async () => {
    const created = await request(t.app)
      .post('/api/v1/coupons')
      .set(as(a.apiKey))
      .send({ affiliate_id: affiliateId, coupon_code: 'MULTI', stripe_coupon_id: 'promo_multi', paddle_discount_id: 'dsc_multi' })
      .expect(201);
    expect(created.body.data).toMatchObject({ stripe_coupon_id: 'promo_multi', paddle_discount_id: 'dsc_multi', polar_discount_id: null, lemonsqueezy_discount_code: null });
    const id = created.body.data.id;
    const updated = await request(t.app).patch(`/api/v1/coupons/${id}`).set(as(a.apiKey)).send({ paddle_discount_id: null, polar_discount_id: 'pol_multi' }).expect(200);
    expect(updated.body.data).toMatchObject({ stripe_coupon_id: 'promo_multi', paddle_discount_id: null, polar_discount_id: 'pol_multi' });
    // the same id at another provider is another coupon's to take
    await request(t.app).post('/api/v1/coupons').set(as(a.apiKey)).send({ affiliate_id: affiliateId, coupon_code: 'MULTI2', paddle_discount_id: 'promo_multi' }).expect(201);
    expect((await request(t.app).get(`/api/v1/coupons/${id}`).set(as(a.apiKey)).expect(200)).body.data).toMatchObject({ stripe_coupon_id: 'promo_multi', polar_discount_id: 'pol_multi' });
    const rows = await tdb.db.sql.query<{ provider: string; provider_coupon_id: string }>('SELECT provider, provider_coupon_id FROM coupon_provider_ids WHERE coupon_id = $1 ORDER BY provider', [id]);
    expect(rows).toEqual([
      { provider: 'polar', provider_coupon_id: 'pol_multi' },
      { provider: 'stripe', provider_coupon_id: 'promo_multi' },
    ]);
  });

  it.each([
    ['/api/v1/affiliates', { email: 'not-an-email' }, /^email: /],
    ['/api/v1/affiliates', { email: 'x@p.test', commission_type: 'percentage' }, /^commission_value: required/],
    ['/api/v1/affiliates', { email: 'x@p.test', commission_type: 'percentage', commission_value: 120 }, /^commission_value: must be at most 100/],
    ['/api/v1/affiliates', { email: 'x@p.test', commission_type: 'fixed', commission_value: 1.234 }, /^commission_value: USD amounts have at most 2 decimals/],
    ['/api/v1/affiliates', { email: 'x@p.test', referral_code: 'has space' }, /^referral_code: /],
    ['/api/v1/coupons', { coupon_code: 'AB' }, /affiliate_id|coupon_code/],
    ['/api/v1/products', { product_id: 'p', commission_type: 'bonus', commission_value: 1 }, /^commission_type: /],
    ['/api/v1/referrals', { email: 'y@x.test', status: 'pending' }, /^status: "pending" needs an affiliate/],
    ['/api/v1/conversions', { type: 'purchase', affiliate_id: '00000000-0000-4000-8000-000000000000' }, /affiliate not found/],
    ['/api/v1/conversions', { type: 'purchase', referral_code: 'ONE' }, /^base_value: required/],
    ['/api/v1/conversions', { type: 'refund', referral_code: 'ONE' }, /^type: /],
  ])('POST %s %j answers with an error naming the field', async (path, body, error) => {
    const res = await request(t.app).post(path).set(as(a.apiKey)).send(body);
    expect([400, 404]).toContain(res.status);
    expect(res.body).toEqual({ success: false, error: expect.stringMatching(error) });
  });

  it('an affiliate as GET answers it is taken back whole by PUT (Refgrow updates take the whole object); a null name clears it', async () => {
    const path = '/api/v1/affiliates/one%40p.test';
    const before = (await request(t.app).get(path).set(as(a.apiKey)).expect(200)).body.data;
    expect(before.name).toBeNull();
    const back = (await request(t.app).put(path).set(as(a.apiKey)).send(before).expect(200)).body.data;
    expect(back).toEqual({ ...before, updated_at: back.updated_at });
    expect((await request(t.app).put(path).set(as(a.apiKey)).send({ name: 'One' }).expect(200)).body.data.name).toBe('One');
    expect((await request(t.app).put(path).set(as(a.apiKey)).send({ name: null }).expect(200)).body.data.name).toBeNull();
  });

  it('a misspelt field is refused by name, not dropped; each resource as GET answers it is still taken back whole', async () => {
    const key = as(a.apiKey);
    const misspelt = async (method: 'post' | 'put' | 'patch', path: string, body: object, field: string) =>
      expect((await request(t.app)[method](path).set(key).send(body).expect(400)).body).toEqual({ success: false, error: `not a field of this request: "${field}"` });
    await misspelt('patch', '/api/v1/affiliates/one%40p.test', { comission_value: 50 }, 'comission_value');
    await misspelt('post', '/api/v1/affiliates', { email: 'new@p.test', refferal_code: 'NEW' }, 'refferal_code');
    await misspelt('post', '/api/v1/payouts', { affiliate_id: affiliateId, methd: 'paypal' }, 'methd');
    const coupon = (await request(t.app).post('/api/v1/coupons').set(key).send({ affiliate_id: affiliateId, coupon_code: 'BACK-WHOLE' }).expect(201)).body.data;
    await misspelt('put', `/api/v1/coupons/${coupon.id}`, { coupon: 'X' }, 'coupon');
    const product = (await request(t.app).post('/api/v1/products').set(key).send({ product_id: 'prod_whole', commission_type: 'percentage', commission_value: 10 }).expect(201)).body.data;
    await misspelt('put', `/api/v1/products/${product.id}`, { comission_value: 5 }, 'comission_value');
    await misspelt('post', '/api/v1/referrals', { email: 'r@p.test', affiliate: affiliateId }, 'affiliate');
    await request(t.app).post('/api/v1/referrals').set(key).send({ email: 'whole@p.test', affiliate_id: affiliateId }).expect(201);
    await request(t.app).patch('/api/v1/settings').set(key).send({ allowed_domains: ['shop.p.test'] }).expect(200);
    await request(t.app).post('/api/v1/affiliates/one%40p.test/links').set(key).send({ target_url: 'https://shop.p.test/', slug: 'whole-link' }).expect(201);
    await misspelt('patch', '/api/v1/affiliates/one%40p.test/links/whole-link', { enabled: false }, 'enabled');
    const paths = ['/api/v1/affiliates/one%40p.test', `/api/v1/coupons/${coupon.id}`, `/api/v1/products/${product.id}`, '/api/v1/referrals/whole%40p.test', '/api/v1/affiliates/one%40p.test/links/whole-link'];
    for (const path of paths) {
      const before = (await request(t.app).get(path).set(key).expect(200)).body.data;
      const answer = await request(t.app).put(path).set(key).send(before);
      expect([path, answer.status, answer.body.error]).toEqual([path, 200, undefined]);
      const back = answer.body.data;
      expect(back).toEqual({ ...before, updated_at: back.updated_at });
    }
    // unchanged by the refusals
    expect((await request(t.app).get('/api/v1/affiliates/one%40p.test').set(key).expect(200)).body.data.commission_value).toBeNull();
  });

  it('settings validate and round-trip', async () => {
    await request(t.app).patch('/api/v1/settings').set(as(a.apiKey)).send({ commission_duration: 'months' }).expect(400);
    const res = await request(t.app)
      .patch('/api/v1/settings')
      .set(as(a.apiKey))
      .send({ commission_type: 'fixed', commission_value: '12.50', commission_duration: 'months', commission_months: 12, minimum_payout: 50 })
      .expect(200);
    expect(res.body.data).toMatchObject({
      commission_type: 'fixed',
      commission_value: 12.5,
      commission_value_minor: 1250,
      commission_duration: 'months',
      commission_months: 12,
      minimum_payout: 50,
      minimum_payout_minor: 5000,
    });
    await request(t.app).patch('/api/v1/settings').set(as(a.apiKey)).send({ unknown_field: 1 }).expect(400);
    // a type alone never reads the other type's number (12.50 USD is no 12.5%): refused, the rule kept
    expect((await request(t.app).patch('/api/v1/settings').set(as(a.apiKey)).send({ commission_type: 'percentage' }).expect(400)).body).toEqual({
      success: false,
      error: 'commission_value: required to change commission_type from fixed to percentage',
    });
    // the same type alone, or a value alone, keeps the other
    await request(t.app).patch('/api/v1/settings').set(as(a.apiKey)).send({ commission_type: 'fixed' }).expect(200);
    expect((await request(t.app).patch('/api/v1/settings').set(as(a.apiKey)).send({ commission_value: 15 }).expect(200)).body.data).toMatchObject({
      commission_type: 'fixed',
      commission_value_minor: 1500,
    });
  });

  it('a manual purchase computes its commission from the rules when value is omitted; a signup earns nothing', async () => {
    await request(t.app).patch('/api/v1/settings').set(as(a.apiKey)).send({ commission_type: 'percentage', commission_value: 25 }).expect(200);
    const purchase = await request(t.app)
      .post('/api/v1/conversions')
      .set(as(a.apiKey))
      .send({ type: 'purchase', referral_code: 'ONE', base_value: 99.99, reference: 'INV-1', email: 'buyer@x.test' })
      .expect(201);
    expect(purchase.body.data).toMatchObject({ type: 'purchase', kind: 'purchase', value: 25, value_minor: 2500, base_value_minor: 9999, reference: 'INV-1', paid: false });
    await request(t.app).post('/api/v1/conversions').set(as(a.apiKey)).send({ type: 'purchase', referral_code: 'ONE', base_value: 1, reference: 'INV-1' }).expect(409);
    const signup = await request(t.app).post('/api/v1/conversions').set(as(a.apiKey)).send({ type: 'signup', affiliate_id: affiliateId, email: 'new@x.test' }).expect(201);
    expect(signup.body.data).toMatchObject({ kind: 'signup', value: 0, status: 'none' });

    const paid = await request(t.app).put(`/api/v1/conversions/${purchase.body.data.id}`).set(as(a.apiKey)).send({ paid: true }).expect(200);
    expect(paid.body.data).toMatchObject({ paid: true, status: 'paid' });
    const listed = await request(t.app).get('/api/v1/conversions?type=signup').set(as(a.apiKey)).expect(200);
    expect(listed.body.data.map((c: any) => c.id)).toEqual([signup.body.data.id]);
    const stats = (await request(t.app).get('/api/v1/affiliates/one%40p.test').set(as(a.apiKey)).expect(200)).body.data;
    expect(stats).toMatchObject({ signups: 1, purchases: 1, paid_earnings: '25.00', unpaid_earnings: '0.00', total_earnings: '25.00' });

    await request(t.app).delete(`/api/v1/conversions/${signup.body.data.id}`).set(as(a.apiKey)).expect(204);
    await request(t.app).delete('/api/v1/affiliates/one%40p.test').set(as(a.apiKey)).expect(409);

    // an affiliate without commissions goes with what was recorded for it (Refgrow: "and all associated data")
    const two = (await request(t.app).post('/api/v1/affiliates').set(as(a.apiKey)).send({ email: 'two@p.test', referral_code: 'TWO' }).expect(201)).body.data;
    const twoSignup = await request(t.app).post('/api/v1/conversions').set(as(a.apiKey)).send({ type: 'signup', affiliate_id: two.id, email: 'two-new@x.test' }).expect(201);
    await request(t.app).post('/api/v1/referrals').set(as(a.apiKey)).send({ email: 'two-ref@x.test', affiliate_id: two.id }).expect(201);
    await request(t.app).delete('/api/v1/affiliates/two%40p.test').set(as(a.apiKey)).expect(204);
    await request(t.app).get(`/api/v1/conversions/${twoSignup.body.data.id}`).set(as(a.apiKey)).expect(404);
    await request(t.app).get('/api/v1/referrals/two-ref%40x.test').set(as(a.apiKey)).expect(404);
    await request(t.app).get('/api/v1/affiliates/two%40p.test').set(as(a.apiKey)).expect(404);
  });

  it("answers 404 for another project's ids and emails, and lists nothing of it", async () => {
    const coupon = (await request(t.app).get('/api/v1/coupons').set(as(a.apiKey)).expect(200)).body.data[0];
    const conversion = (await request(t.app).get('/api/v1/conversions').set(as(a.apiKey)).expect(200)).body.data[0];
    const product = (await request(t.app).get('/api/v1/products').set(as(a.apiKey)).expect(200)).body.data[0];
    for (const path of [
      '/api/v1/affiliates/one%40p.test',
      `/api/v1/coupons/${coupon.id}`,
      `/api/v1/conversions/${conversion.id}`,
      `/api/v1/products/${product.id}`,
      '/api/v1/referrals/buyer%40x.test',
    ]) {
      await request(t.app).get(path).set(as(b.apiKey)).expect(404);
      await request(t.app).delete(path).set(as(b.apiKey)).expect((res) => expect([404, 405]).toContain(res.status));
    }
    await request(t.app).post('/api/v1/coupons').set(as(b.apiKey)).send({ affiliate_id: affiliateId, coupon_code: 'STEAL' }).expect(404);
    await request(t.app).post('/api/v1/conversions').set(as(b.apiKey)).send({ type: 'signup', affiliate_id: affiliateId }).expect(404);
    for (const path of ['/api/v1/affiliates', '/api/v1/coupons', '/api/v1/conversions', '/api/v1/products', '/api/v1/referrals']) {
      expect((await request(t.app).get(path).set(as(b.apiKey)).expect(200)).body.data).toEqual([]);
    }
  });

  it('store-attribution records a referral for an email by referral code', async () => {
    const res = await request(t.app).post('/api/store-attribution').set(as(a.apiKey)).send({ email: 'Signup@X.test', referral_code: 'one' }).expect(201);
    expect(res.body.data).toMatchObject({ email: 'signup@x.test', affiliate_id: affiliateId, source: 'store_attribution' });
    await request(t.app).post('/api/store-attribution').set(as(a.apiKey)).send({ email: 'signup@x.test', referral_code: 'ONE' }).expect(200);
    await request(t.app).post('/api/store-attribution').set(as(a.apiKey)).send({ email: 'signup@x.test', referral_code: 'NOPE' }).expect(404);
    await request(t.app).post('/api/store-attribution').send({ email: 'signup@x.test', referral_code: 'ONE' }).expect(401);
  });

  it('store-attribution sent several times at once for a new email makes one referral: one 201, the rest 200, never 409', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => request(t.app).post('/api/store-attribution').set(as(a.apiKey)).send({ email: 'race@x.test', referral_code: 'ONE' })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(answers.every((r) => r.body.data?.email === 'race@x.test' && r.body.data.affiliate_id === affiliateId)).toBe(true);
    const listed = (await request(t.app).get('/api/v1/referrals?limit=100').set(as(a.apiKey)).expect(200)).body.data.filter((r: { email: string }) => r.email === 'race@x.test');
    expect(listed).toHaveLength(1);
  });
});
