import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { ProviderName } from '../../src/domain/provider-names';
import { getAdapter } from '../../src/providers/registry';
import { loadFixture } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** A local HTTP server standing in for the providers' APIs, recording what it was asked. */
function fakeProviderApi() {
  const requests: { url: string; authorization: string | undefined }[] = [];
  let failing = false;
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url!, authorization: req.headers.authorization });
    if (failing) {
      res.writeHead(503).end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    if (req.url === '/paddle/customers/ctm_01rwfxdemocustomer0001') {
      res.end(JSON.stringify({ data: { id: 'ctm_01rwfxdemocustomer0001', email: 'jamie.rivera@example.com' } }));
    } else if (req.url === '/lemon/v1/discount-redemptions?filter[order_id]=5002') {
      res.end(JSON.stringify({ data: [{ type: 'discount-redemptions', id: '1', attributes: { discount_code: 'LEMON10', order_id: 5002 } }] }));
    } else if (req.url === '/lemon/v1/variants/402' || req.url === '/lemon/v1/variants/401') {
      // the fixtures' one-time product (Template Pack) and subscription plan (Pro Plan, Monthly)
      res.end(JSON.stringify({ data: { type: 'variants', id: req.url.slice(-3), attributes: { name: 'Default', is_subscription: req.url.endsWith('401') } } }));
    } else if (req.url === '/lemon/v1/discount-redemptions?filter[order_id]=5003') {
      res.end(JSON.stringify({ data: [{ type: 'discount-redemptions', id: '2', attributes: { discount_code: 'LEMON10', order_id: 5003 } }] }));
    } else {
      res.writeHead(404).end('{}');
    }
  });
  return {
    requests,
    fail: (on: boolean) => (failing = on),
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('what provider APIs add, with a stored API key', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  const fake = fakeProviderApi();
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const SECRETS = { paddle: 'pdl_ntfset_01enrich_test_secret_0001', lemonsqueezy: 'lemon-enrich-secret' };

  async function deliver(provider: ProviderName, file: string, patch: (p: Record<string, any>) => void = () => undefined) {
    const payload = structuredClone(loadFixture(provider, file).payload) as Record<string, any>;
    patch(payload);
    const body = JSON.stringify(payload);
    const secret = SECRETS[provider as keyof typeof SECRETS];
    const res = await request(t.app).post(`/webhook/${provider}/${project.id}`).set(getAdapter(provider).sign(body, secret, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    return res.body.id as string;
  }

  beforeAll(async () => {
    const base = await fake.listen();
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { providerApiBaseUrls: { paddle: `${base}/paddle`, lemonsqueezy: `${base}/lemon` } });
    project = await createProjectViaApi(t.app);
    await connectProvider(t.app, project.apiKey, 'paddle', SECRETS.paddle, { api_key: 'pdl_sdbx_apikey_01enrichtestkey' });
    await connectProvider(t.app, project.apiKey, 'lemonsqueezy', SECRETS.lemonsqueezy, { api_key: 'lemon_api_key_for_the_enrich_test_0001' });
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
    await fake.close();
  });

  it("Paddle: the customer's email comes from Paddle's API, so the email step attributes the payment", async () => {
    const affiliate = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'emailpartner@p.test', referral_code: 'EMAILP' }).expect(201);
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'jamie.rivera@example.com', affiliate_id: affiliate.body.data.id }).expect(201);
    // the one-off transaction carries a referral code nobody owns here, so only the email can attribute it
    await deliver('paddle', 'transaction.completed.oneoff.json');
    const [conversion] = (await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data;
    expect(conversion).toMatchObject({ email: 'jamie.rivera@example.com', affiliate_id: affiliate.body.data.id, attribution: { method: 'email' } });
    // Paddle's SDK writes the scheme in lower case (auth schemes are case-insensitive, RFC 9110 §11.1)
    expect(fake.requests).toContainEqual({ url: '/paddle/customers/ctm_01rwfxdemocustomer0001', authorization: 'bearer pdl_sdbx_apikey_01enrichtestkey' });
  });

  it('Lemon Squeezy: the discount code comes from the order\'s discount redemptions and matches a coupon', async () => {
    const owner = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'lemon@p.test', referral_code: 'LEMONP' }).expect(201);
    await request(t.app)
      .post('/api/v1/coupons')
      .set(api())
      .send({ affiliate_id: owner.body.data.id, coupon_code: 'LEMON10', lemonsqueezy_discount_code: 'LEMON10' })
      .expect(201);
    await deliver('lemonsqueezy', 'order_created.oneoff.json');
    const conversion = (await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data.find(
      (c: any) => c.payment_key === 'order:5002',
    );
    expect(conversion).toMatchObject({ affiliate_id: owner.body.data.id, attribution: { method: 'coupon' }, value_minor: 500 });
  });

  it("Lemon Squeezy: an order of a one-time product is known as one from its variant (an order names no subscription); a plan's is not; the variant is asked once", async () => {
    await deliver('lemonsqueezy', 'order_created.oneoff.json', (p) => {
      p.meta.webhook_id = 'second-template-pack';
      p.data.id = '5005';
      Object.assign(p.data.attributes, { discount_total: 0, total: 2900, subtotal: 2900 });
    });
    await deliver('lemonsqueezy', 'order_created.subscription.json');
    const rows = await tdb.db.sql.query<{ payment_key: string; one_off: boolean }>(
      `SELECT payment_key, one_off FROM conversions WHERE project_id = $1 AND provider = 'lemonsqueezy' AND payment_key IN ('order:5002', 'order:5005', 'order:5001') ORDER BY payment_key`,
      [project.id],
    );
    expect(rows.map((r) => [r.payment_key, r.one_off])).toEqual([
      ['order:5001', false],
      ['order:5002', true],
      ['order:5005', true],
    ]);
    expect(fake.requests.filter((r) => r.url === '/lemon/v1/variants/402')).toHaveLength(1);
    expect(fake.requests.filter((r) => r.url === '/lemon/v1/variants/401')).toHaveLength(1);
  });

  it("Lemon Squeezy: a first order made free by an affiliate's code attributes the customer's paid renewals", async () => {
    const owner = (await request(t.app).get('/api/v1/affiliates/lemon%40p.test').set(api()).expect(200)).body.data;
    // 100% off the first month with LEMON10 (the previous test's coupon): nothing charged, no sale
    const free = await deliver('lemonsqueezy', 'order_created.oneoff.json', (p) => {
      delete p.meta.custom_data;
      p.meta.webhook_id = 'free-first-order';
      Object.assign(p.data.attributes, { total: 0, subtotal: 4900, discount_total: 4900, tax: 0, customer_id: 2001, user_email: 'free.month@example.com' });
      p.data.id = '5003';
    });
    expect((await request(t.app).get(`/api/v1/events/${free}`).set(api()).expect(200)).body.data).toMatchObject({ status: 'processed', conversions: [] });
    await deliver('lemonsqueezy', 'subscription_payment_success.renewal.json', (p) => {
      p.meta.webhook_id = 'paid-second-month';
      p.data.id = '6101';
      Object.assign(p.data.attributes, { customer_id: 2001, subscription_id: 8001, user_email: 'free.month@example.com', created_at: '2025-11-05T09:41:52.000000Z', updated_at: '2025-11-05T09:41:53.000000Z' });
    });
    const renewal = (await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data.find((c: any) => c.payment_key === 'invoice:6101');
    expect(renewal).toMatchObject({ kind: 'renewal', affiliate_id: owner.id, attribution: { method: 'coupon' }, value_minor: 980 });
    expect(fake.requests.map((r) => r.url)).toContain('/lemon/v1/discount-redemptions?filter[order_id]=5003');
  });

  it('a failing provider API retries the event instead of applying it half-informed', async () => {
    fake.fail(true);
    try {
      const id = await deliver('paddle', 'transaction.completed.renewal.json');
      const event = (await request(t.app).get(`/api/v1/events/${id}`).set(api()).expect(200)).body.data;
      expect(event).toMatchObject({ status: 'received', attempts: 1, status_reason: expect.stringMatching(/paddle API: GET \/customers\/.* answered with a body that is not JSON/) });

      // the last attempt applies the event without the API's details rather than losing it
      await tdb.db.sql.query('UPDATE inbound_events SET attempts = 4 WHERE id = $1', [id]);
      t.runner.notify(id);
      await t.runner.idle();
      const last = (await request(t.app).get(`/api/v1/events/${id}`).set(api()).expect(200)).body.data;
      expect(last).toMatchObject({ status: 'processed', attempts: 5, conversions: [expect.objectContaining({ kind: 'renewal' })] });
    } finally {
      fake.fail(false);
    }
  });
});
