import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { getAdapter } from '../../src/providers/registry';
import type { ProviderName } from '../../src/domain/provider-names';
import { bodyOf, loadFixture } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** What the stand-in for a provider's API saw. */
type Seen = { method: string; path: string; headers: http.IncomingHttpHeaders; body: string };
type Reply = { status: number; body: unknown };

/** One local server standing in for all four providers' APIs; each test decides the answers. */
class FakeProviderApis {
  seen: Seen[] = [];
  replies = new Map<string, Reply>();
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      this.seen.push({ method: req.method ?? '', path, headers: req.headers, body });
      const reply = this.replies.get(`${req.method} ${path}`) ?? { status: 404, body: { error: 'no such route' } };
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
  });
  url = '';
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
  last(method: string, path: string): Seen {
    const found = [...this.seen].reverse().find((s) => s.method === method && s.path === path);
    if (!found) throw new Error(`${method} ${path} was not called`);
    return found;
  }
}

const STRIPE_SECRET = 'whsec_created_by_fake_stripe_0123456789';
const PADDLE_SECRET = 'pdl_ntfset_01jfakefakefakefakefakefake_SeCrEt';
const POLAR_SECRET = 'polar_whs_created_by_fake_polar_0123456789';

describe('POST /api/v1/integrations/:provider/connect', () => {
  const fake = new FakeProviderApis();
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const auth = () => ({ Authorization: `Bearer ${key}` });
  const webhookUrl = (provider: string) => `https://refwire.example.com/webhook/${provider}/${projectId}`;

  /** A real-shaped delivery signed with `secret` reaches the receiver: 200 when the stored secret is that one. */
  const deliver = (provider: ProviderName, file: string, secret: string) => {
    const body = bodyOf(loadFixture(provider, file));
    return request(t.app).post(`/webhook/${provider}/${projectId}`).set(getAdapter(provider).sign(body, secret, { now: t.clock.now })).send(body);
  };

  beforeAll(async () => {
    await fake.start();
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, {
      runner: false,
      providerApiBaseUrls: { stripe: fake.url, paddle: fake.url, lemonsqueezy: fake.url, polar: fake.url },
    });
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
    await fake.stop();
  });
  beforeEach(() => {
    fake.seen = [];
    fake.replies.clear();
  });

  it('stripe: creates the endpoint through the SDK with the events Refwire needs, and the returned secret verifies', async () => {
    fake.replies.set('POST /v1/webhook_endpoints', {
      status: 200,
      body: { id: 'we_fake_1', object: 'webhook_endpoint', secret: STRIPE_SECRET, url: webhookUrl('stripe'), enabled_events: [] },
    });
    const res = await request(t.app).post('/api/v1/integrations/stripe/connect').set(auth()).send({ api_key: 'sk_test_abcdefghijklmnop' }).expect(201);
    expect(res.body.data).toMatchObject({ provider: 'stripe', webhook_url: webhookUrl('stripe'), provider_endpoint_id: 'we_fake_1', api_key_hint: null });
    expect(JSON.stringify(res.body)).not.toContain(STRIPE_SECRET);

    const call = fake.last('POST', '/v1/webhook_endpoints');
    expect(call.headers.authorization).toBe('Bearer sk_test_abcdefghijklmnop');
    const form = new URLSearchParams(call.body);
    expect(form.get('url')).toBe(webhookUrl('stripe'));
    const events = [...form.entries()].filter(([k]) => k.startsWith('enabled_events')).map(([, v]) => v);
    expect(events.sort()).toEqual([...getAdapter('stripe').webhookEvents].sort());
    expect(form.get('api_version')).toMatch(/^\d{4}-\d{2}-\d{2}/);

    await deliver('stripe', 'checkout.session.completed.payment.basil.json', STRIPE_SECRET).expect(200);
    await deliver('stripe', 'checkout.session.completed.payment.basil.json', 'whsec_some_other_secret_0000').expect(400);
  });

  it('stripe: a key Stripe refuses is a 400 naming the refusal, and nothing is stored', async () => {
    const before = await request(t.app).get('/api/v1/integrations/stripe').set(auth()).expect(200);
    fake.replies.set('POST /v1/webhook_endpoints', {
      status: 401,
      body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_*****mnop' } },
    });
    const res = await request(t.app).post('/api/v1/integrations/stripe/connect').set(auth()).send({ api_key: 'sk_test_revokedrevoked' }).expect(400);
    expect(res.body).toEqual({ success: false, error: expect.stringMatching(/^api_key: stripe refused it .*401.*Invalid API Key/) });
    const after = await request(t.app).get('/api/v1/integrations/stripe').set(auth()).expect(200);
    expect(after.body.data.webhook_secret_hint).toBe(before.body.data.webhook_secret_hint);
  });

  it('paddle: creates a notification setting, keeps its endpoint_secret_key, and keeps the API key for lookups', async () => {
    // the shape of PaddleHQ/paddle-node-sdk src/__tests__/mocks/resources/notification-settings.mock.ts @122dcc7
    fake.replies.set('POST /notification-settings', {
      status: 201,
      body: {
        data: {
          id: 'ntfset_01fakefakefakefakefakefake',
          endpoint_secret_key: PADDLE_SECRET,
          type: 'url',
          description: 'Refwire',
          destination: webhookUrl('paddle'),
          active: true,
          api_version: 1,
          include_sensitive_fields: false,
          subscribed_events: [{ name: 'transaction.completed', description: 'Transaction completed', group: 'Transaction', available_versions: [1] }],
        },
        meta: { request_id: 'req_fake_1' },
      },
    });
    const apiKey = 'pdl_sdbx_apikey_01fakefakefakefake_abcdef';
    const res = await request(t.app).post('/api/v1/integrations/paddle/connect').set(auth()).send({ api_key: apiKey }).expect(201);
    expect(res.body.data).toMatchObject({ provider: 'paddle', provider_endpoint_id: 'ntfset_01fakefakefakefakefakefake', api_key_hint: expect.any(String) });

    const call = fake.last('POST', '/notification-settings');
    // Paddle's SDK writes the scheme in lower case (auth schemes are case-insensitive, RFC 9110 §11.1)
    expect(call.headers.authorization).toBe(`bearer ${apiKey}`);
    expect(JSON.parse(call.body)).toEqual({
      description: expect.stringContaining(projectId),
      type: 'url',
      destination: webhookUrl('paddle'),
      subscribed_events: [...getAdapter('paddle').webhookEvents],
      include_sensitive_fields: false,
    });
    await deliver('paddle', 'transaction.completed.oneoff.json', PADDLE_SECRET).expect(200);
  });

  it("lemonsqueezy: finds the key's only store, creates the webhook with a secret Refwire chose, and that secret verifies", async () => {
    fake.replies.set('GET /v1/stores', { status: 200, body: { data: [{ type: 'stores', id: '4242', attributes: { name: 'Acme' } }] } });
    fake.replies.set('POST /v1/webhooks', { status: 201, body: { data: { type: 'webhooks', id: '77', attributes: {} } } });
    const res = await request(t.app).post('/api/v1/integrations/lemonsqueezy/connect').set(auth()).send({ api_key: 'ls_test_key_abcdefghijklmnopqrstuvwxyz' }).expect(201);
    // the store is kept: reconciliation reads its orders alone
    expect(res.body.data).toMatchObject({ provider: 'lemonsqueezy', provider_endpoint_id: '77', store_id: '4242' });

    const call = fake.last('POST', '/v1/webhooks');
    expect(call.headers['content-type']).toBe('application/vnd.api+json');
    const sent = JSON.parse(call.body).data;
    expect(sent).toMatchObject({
      type: 'webhooks',
      attributes: { url: webhookUrl('lemonsqueezy'), events: [...getAdapter('lemonsqueezy').webhookEvents] },
      relationships: { store: { data: { type: 'stores', id: '4242' } } },
    });
    const secret: string = sent.attributes.secret;
    expect(secret.length).toBeGreaterThanOrEqual(6);
    expect(secret.length).toBeLessThanOrEqual(40);
    await deliver('lemonsqueezy', 'order_created.oneoff.json', secret).expect(200);
  });

  it('lemonsqueezy: a key that sees several stores must name one; a named store is used as given', async () => {
    fake.replies.set('GET /v1/stores', { status: 200, body: { data: [{ type: 'stores', id: '1' }, { type: 'stores', id: '2' }] } });
    fake.replies.set('POST /v1/webhooks', { status: 201, body: { data: { type: 'webhooks', id: '78' } } });
    const res = await request(t.app).post('/api/v1/integrations/lemonsqueezy/connect').set(auth()).send({ api_key: 'ls_test_key_abcdefghijklmnopqrstuvwxyz' }).expect(400);
    expect(res.body.error).toMatch(/several stores \(1, 2\).*store_id/);
    expect(fake.seen.some((s) => s.method === 'POST')).toBe(false);

    const named = await request(t.app).post('/api/v1/integrations/lemonsqueezy/connect').set(auth()).send({ api_key: 'ls_test_key_abcdefghijklmnopqrstuvwxyz', store_id: 2 }).expect(201);
    expect(named.body.data.store_id).toBe('2');
    expect(JSON.parse(fake.last('POST', '/v1/webhooks').body).data.relationships.store.data.id).toBe('2');
  });

  it('polar: creates a raw-format endpoint (with the organization when named) and keeps the secret Polar returns', async () => {
    // every field @polar-sh/sdk 0.49's WebhookEndpoint schema requires (models/components/webhookendpoint.d.ts)
    fake.replies.set('POST /v1/webhooks/endpoints', {
      status: 201,
      body: {
        created_at: '2026-11-21T12:00:00Z',
        modified_at: null,
        id: '6b1f0e1c-0000-4000-8000-000000000001',
        url: webhookUrl('polar'),
        format: 'raw',
        secret: POLAR_SECRET,
        organization_id: 'org-1',
        events: ['order.paid'],
        enabled: true,
      },
    });
    const res = await request(t.app)
      .post('/api/v1/integrations/polar/connect')
      .set(auth())
      .send({ api_key: 'polar_oat_abcdefghijklmnop', organization_id: 'org-1' })
      .expect(201);
    expect(res.body.data).toMatchObject({ provider: 'polar', provider_endpoint_id: '6b1f0e1c-0000-4000-8000-000000000001', api_key_hint: null });
    expect(JSON.parse(fake.last('POST', '/v1/webhooks/endpoints').body)).toEqual({
      url: webhookUrl('polar'),
      format: 'raw',
      events: [...getAdapter('polar').webhookEvents],
      organization_id: 'org-1',
    });
    await deliver('polar', 'order.paid.purchase.json', POLAR_SECRET).expect(200);
  });

  it('connecting again rotates: the secret it replaced keeps verifying for the rotation window', async () => {
    fake.replies.set('POST /v1/webhook_endpoints', { status: 200, body: { id: 'we_fake_2', secret: 'whsec_second_endpoint_secret_abcdef' } });
    const res = await request(t.app).post('/api/v1/integrations/stripe/connect').set(auth()).send({ api_key: 'sk_test_abcdefghijklmnop' }).expect(201);
    expect(res.body.data.previous_secret).toEqual({ hint: expect.any(String), expires_at: expect.any(String) });
    await deliver('stripe', 'checkout.session.completed.payment.basil.json', 'whsec_second_endpoint_secret_abcdef').expect(200);
    await deliver('stripe', 'checkout.session.completed.payment.basil.json', STRIPE_SECRET).expect(200);
  });

  it("a provider's failure is a 502, an unreachable provider too; bad input is a 400 before any call", async () => {
    // Paddle's error envelope (PaddleHQ/paddle-node-sdk src/__tests__/mocks/resources/errors.mock.ts @5a1d75f); its
    // SDK passes on the body, not the status: api_error is Paddle's own failure
    fake.replies.set('POST /notification-settings', {
      status: 500,
      body: { error: { type: 'api_error', code: 'internal_error', detail: 'internal error', documentation_url: 'https://developer.paddle.com/errors/shared/internal_error' }, meta: { request_id: 'req_fake_2' } },
    });
    const failed = await request(t.app).post('/api/v1/integrations/paddle/connect').set(auth()).send({ api_key: 'pdl_live_apikey_01fakefakefakefake_abcdef' }).expect(502);
    expect(failed.body).toEqual({ success: false, error: 'paddle API: POST /notification-settings failed (api_error internal_error): internal error' });

    const down = buildTestApp(tdb.db, { runner: false, providerApiBaseUrls: { polar: 'http://127.0.0.1:9' } });
    const unreachable = await request(down.app).post('/api/v1/integrations/polar/connect').set(auth()).send({ api_key: 'polar_oat_abcdefghijklmnop' }).expect(502);
    expect(unreachable.body.error).toMatch(/^polar API: request failed/);
    await down.runner.stop();

    fake.seen = [];
    for (const [provider, body, message] of [
      ['stripe', {}, /api_key/],
      ['stripe', { api_key: 'pk_test_publishablekey123' }, /api_key: a Stripe API key is "sk_test_"/],
      ['paypal', { api_key: 'x' }, /unknown provider "paypal"/],
    ] as const) {
      const res = await request(t.app).post(`/api/v1/integrations/${provider}/connect`).set(auth()).send(body);
      expect([400, 404]).toContain(res.status);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(message) });
    }
    expect(fake.seen).toEqual([]);
  });

  it('refuses when PUBLIC_URL is an address the provider cannot reach', async () => {
    const local = buildTestApp(tdb.db, { runner: false, publicUrl: 'http://localhost:3000', providerApiBaseUrls: { stripe: fake.url } });
    const res = await request(local.app).post('/api/v1/integrations/stripe/connect').set(auth()).send({ api_key: 'sk_test_abcdefghijklmnop' }).expect(400);
    expect(res.body.error).toMatch(/could not deliver to http:\/\/localhost:3000\/webhook\/stripe\/.*set PUBLIC_URL/);
    expect(fake.seen).toEqual([]);
    await local.runner.stop();
  });
});
