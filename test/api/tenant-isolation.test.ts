import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeBody } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_tenant_isolation_secret';

/** Two projects with identical provider ids, referral codes and coupon codes: nothing crosses between them. */
describe('tenant isolation with identical ids', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  const tenants: { id: string; apiKey: string; affiliateId: string; couponId: string; productId: string; conversionId: string; eventId: string }[] = [];

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
      const product = await request(t.app).post('/api/v1/products').set(auth).send({ product_id: 'prod_same', commission_type: 'percentage', commission_value: 30 }).expect(201);
      const event = await request(t.app).post(`/webhook/stripe/${p.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
      expect(event.body.duplicate).toBe(false);
      await t.runner.idle();
      const conversion = (await request(t.app).get('/api/v1/conversions').set(auth).expect(200)).body.data[0];
      tenants.push({ ...p, affiliateId: affiliate.body.data.id, couponId: coupon.body.data.id, productId: product.body.data.id, conversionId: conversion.id, eventId: event.body.id });
    }
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('stores the same provider event once per project, each attributed to its own affiliate', async () => {
    for (const tenant of tenants) {
      const list = (await request(t.app).get('/api/v1/conversions').set('Authorization', `Bearer ${tenant.apiKey}`).expect(200)).body;
      expect(list.data.map((c: any) => [c.affiliate_id, c.value_minor])).toEqual([[tenant.affiliateId, 800]]);
    }
  });

  it("answers 404 on every route given the other project's ids, and changes nothing", async () => {
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const asB = { Authorization: `Bearer ${b.apiKey}` };
    const aKey = (await request(t.app).post('/api/v1/publishable-keys').set('Authorization', `Bearer ${a.apiKey}`).send({}).expect(201)).body.data;
    const aCustomer = (await tdb.db.prisma.conversion.findUniqueOrThrow({ where: { id: a.conversionId } })).customerId;
    const routes: [string, string, object?][] = [
      ['delete', `/api/v1/publishable-keys/${aKey.id}`],
      ['get', `/api/v1/projects/${a.id}/stripe-customer-referral-info/${aCustomer}`],
      ['get', `/api/v1/events/${a.eventId}`],
      ['post', `/api/v1/events/${a.eventId}/replay`],
      ['get', `/api/v1/conversions/${a.conversionId}`],
      ['put', `/api/v1/conversions/${a.conversionId}`, { paid: true }],
      ['delete', `/api/v1/conversions/${a.conversionId}`],
      ['get', `/api/v1/coupons/${a.couponId}`],
      ['put', `/api/v1/coupons/${a.couponId}`, { status: 'inactive' }],
      ['delete', `/api/v1/coupons/${a.couponId}`],
      ['get', `/api/v1/products/${a.productId}`],
      ['put', `/api/v1/products/${a.productId}`, { name: 'x' }],
      ['delete', `/api/v1/products/${a.productId}`],
      ['post', '/api/v1/coupons', { affiliate_id: a.affiliateId, coupon_code: 'CROSS' }],
      ['post', '/api/v1/referrals', { email: 'x@y.test', affiliate_id: a.affiliateId }],
      ['post', '/api/v1/conversions', { type: 'signup', affiliate_id: a.affiliateId }],
      ['get', `/api/v1/referrals?affiliate_id=${a.affiliateId}`],
    ];
    const before = await tdb.db.sql.query('SELECT id, value_minor, paid_at FROM conversions ORDER BY id');
    for (const [method, path, body] of routes) {
      const res = await (request(t.app) as any)[method](path).set(asB).send(body ?? {});
      if (path.includes('?')) expect(res.body.data).toEqual([]);
      else expect(res.status).toBe(404);
    }
    expect(await tdb.db.sql.query('SELECT id, value_minor, paid_at FROM conversions ORDER BY id')).toEqual(before);
    expect(await tdb.db.prisma.coupon.count()).toBe(2);
    expect(await tdb.db.prisma.productRule.count()).toBe(2);
    expect((await tdb.db.prisma.publishableKey.findUniqueOrThrow({ where: { id: aKey.id } })).revokedAt).toBeNull();
    // B's own path to the customer: B has the same Stripe customer, and sees only its own affiliate
    const own = await request(t.app).get(`/api/v1/projects/${b.id}/stripe-customer-referral-info/${aCustomer}`).set(asB).expect(200);
    expect(own.body.data).toMatchObject({ affiliate_id: b.affiliateId, payments: 1 });
  });
});
