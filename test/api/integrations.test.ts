import request from 'supertest';
import { PROVIDER_NAMES } from '../../src/domain/provider-names';
import { findAdapter } from '../../src/providers/registry';
import { asBrowser, setUpOwner } from '../helpers/dashboard';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRETS = {
  stripe: 'whsec_integration_secret_abcdef',
  paddle: 'pdl_ntfset_01hs0t3tw21j988db1pam5xg8m_GrOWLNef',
  lemonsqueezy: 'lemon-secret-123',
  polar: 'whsec_polar_secret_0123456789',
};

describe('/api/v1/integrations', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const auth = () => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it.each(Object.entries(SECRETS))('connects %s and answers with the webhook URL, the events and a masked hint', async (provider, secret) => {
    const res = await request(t.app).put(`/api/v1/integrations/${provider}`).set(auth()).send({ webhook_secret: secret }).expect(200);
    expect(res.body.data).toMatchObject({
      provider,
      webhook_url: `https://refwire.example.com/webhook/${provider}/${projectId}`,
      events: expect.arrayContaining([expect.any(String)]),
      previous_secret: null,
      api_key_hint: null,
    });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const get = await request(t.app).get(`/api/v1/integrations/${provider}`).set(auth()).expect(200);
    expect(get.body.data.webhook_secret_hint).toBe(res.body.data.webhook_secret_hint);
  });

  it('keeps secrets encrypted at rest and out of every answer', async () => {
    await request(t.app)
      .put('/api/v1/integrations/stripe')
      .set(auth())
      .send({ webhook_secret: SECRETS.stripe, api_key: 'sk_test_abcdefghijklmnop' })
      .expect(200);
    const dump = JSON.stringify(await tdb.db.sql.query('SELECT * FROM integrations'));
    for (const secret of [...Object.values(SECRETS), 'sk_test_abcdefghijklmnop']) expect(dump).not.toContain(secret);
    const list = await request(t.app).get('/api/v1/integrations').set(auth()).expect(200);
    expect(list.body.data.map((i: { provider: string }) => i.provider)).toEqual(['lemonsqueezy', 'paddle', 'polar', 'stripe']);
    expect(JSON.stringify(list.body)).not.toMatch(/integration_secret_abcdef|abcdefghijklmnop|GrOWLNef|lemon-secret|polar_secret/);
    expect(list.body.data.find((i: { provider: string }) => i.provider === 'stripe').api_key_hint).toBe('sk_test_…mnop');
  });

  it('keeps the replaced secret for the rotation window, and drops it with ttl 0', async () => {
    const rotated = await request(t.app)
      .put('/api/v1/integrations/stripe')
      .set(auth())
      .send({ webhook_secret: 'whsec_integration_secret_rotated', previous_secret_ttl_hours: 2 })
      .expect(200);
    expect(rotated.body.data.previous_secret.hint).toBe('whsec_…cdef');
    expect(Date.parse(rotated.body.data.previous_secret.expires_at) - t.clock.now.getTime()).toBe(2 * 3_600_000);
    // re-sending the same secret is not a rotation
    const same = await request(t.app).put('/api/v1/integrations/stripe').set(auth()).send({ webhook_secret: 'whsec_integration_secret_rotated' }).expect(200);
    expect(same.body.data.previous_secret).toEqual(rotated.body.data.previous_secret);
    const dropped = await request(t.app)
      .put('/api/v1/integrations/stripe')
      .set(auth())
      .send({ webhook_secret: SECRETS.stripe, previous_secret_ttl_hours: 0 })
      .expect(200);
    expect(dropped.body.data.previous_secret).toBeNull();
  });

  it('updates only the API key when no secret is sent, and removes it with null', async () => {
    const res = await request(t.app).put('/api/v1/integrations/stripe').set(auth()).send({ api_key: 'rk_live_abcdefghijklmnop9876' }).expect(200);
    expect(res.body.data.api_key_hint).toBe('rk_live_…9876');
    const cleared = await request(t.app).put('/api/v1/integrations/stripe').set(auth()).send({ api_key: null }).expect(200);
    expect(cleared.body.data.api_key_hint).toBeNull();
  });

  it.each([
    ['an empty secret', 'stripe', { webhook_secret: '' }, 'webhook_secret: must not be empty'],
    ['a blank secret', 'stripe', { webhook_secret: '   ' }, 'webhook_secret: must not be empty'],
    ['a secret of the wrong shape', 'stripe', { webhook_secret: 'not-a-stripe-secret' }, 'webhook_secret: a Stripe webhook signing secret is "whsec_" followed by at least 8 characters, without spaces'],
    // the prefix right but too short: the message says what is missing
    ['a secret too short', 'stripe', { webhook_secret: 'whsec_x' }, 'webhook_secret: a Stripe webhook signing secret is "whsec_" followed by at least 8 characters, without spaces'],
    ['a non-string secret', 'stripe', { webhook_secret: 12345 }, expect.stringMatching(/^webhook_secret: /)],
    ['a Paddle secret of the wrong shape', 'paddle', { webhook_secret: 'whsec_abc' }, expect.stringMatching(/pdl_ntfset_/)],
    ['a Lemon Squeezy secret that is too long', 'lemonsqueezy', { webhook_secret: 'x'.repeat(41) }, expect.stringMatching(/6 to 40/)],
    ['a bad API key', 'stripe', { webhook_secret: SECRETS.stripe, api_key: 'pk_test_nope' }, expect.stringMatching(/^api_key: /)],
    ['a ttl out of range', 'stripe', { webhook_secret: SECRETS.stripe, previous_secret_ttl_hours: 10_000 }, expect.stringMatching(/previous_secret_ttl_hours/)],
  ])('answers 400 to %s and changes nothing', async (_name, provider, body, error) => {
    const before = await tdb.db.sql.query('SELECT * FROM integrations ORDER BY provider');
    const res = await request(t.app).put(`/api/v1/integrations/${provider}`).set(auth()).send(body).expect(400);
    expect(res.body).toEqual({ success: false, error });
    expect(await tdb.db.sql.query('SELECT * FROM integrations ORDER BY provider')).toEqual(before);
  });

  it('shows at most 4 characters of a secret in its hint, beside a prefix only the provider issues', async () => {
    const hintOf = async (provider: string, webhook_secret: string, extra: Record<string, unknown> = {}) =>
      (await request(t.app).put(`/api/v1/integrations/${provider}`).set(auth()).send({ webhook_secret, previous_secret_ttl_hours: 0, ...extra }).expect(200)).body.data;
    // a Lemon Squeezy signing secret is the merchant's choice: nothing before a "_" is a public prefix
    expect((await hintOf('lemonsqueezy', 'abcdefgh_')).webhook_secret_hint).toBe('…');
    expect((await hintOf('lemonsqueezy', 'my_chosen_secret_1234')).webhook_secret_hint).toBe('…1234');
    expect((await hintOf('lemonsqueezy', 'whsec_chosen_by_hand_9876')).webhook_secret_hint).toBe('…9876');
    expect((await hintOf('lemonsqueezy', 'lemon-secret-123', { api_key: 'ls_key_abcdefghijklmnopqrstuvwxyz' })).api_key_hint).toBe('…wxyz');
    expect((await hintOf('paddle', SECRETS.paddle, { api_key: 'pdl_sdbx_apikey_01abcdefghijklmnopqrstuv' })).api_key_hint).toBe('pdl_sdbx_apikey_…stuv');
    expect((await hintOf('paddle', SECRETS.paddle)).webhook_secret_hint).toBe('pdl_ntfset_…LNef');
  });

  it('answers 400 when connecting without a secret', async () => {
    const other = await createProjectViaApi(t.app, 'Other');
    const res = await request(t.app).put('/api/v1/integrations/polar').set('Authorization', `Bearer ${other.apiKey}`).send({}).expect(400);
    expect(res.body).toEqual({ success: false, error: 'webhook_secret is required to connect a provider' });
  });

  it('answers 404 to an unknown provider', async () => {
    for (const method of ['put', 'get', 'delete'] as const) {
      const res = await request(t.app)[method]('/api/v1/integrations/braintree').set(auth()).send({ webhook_secret: 'x' }).expect(404);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(/unknown provider "braintree"/) });
    }
  });

  it('answers 401 without a key or with a wrong one', async () => {
    const missing = await request(t.app).get('/api/v1/integrations').expect(401);
    expect(missing.body).toEqual({ success: false, error: 'missing API key: send Authorization: Bearer <api_key>' });
    const wrong = await request(t.app).get('/api/v1/integrations').set('Authorization', 'Bearer rw_wrong').expect(401);
    expect(wrong.body).toEqual({ success: false, error: 'invalid API key' });
  });

  it("does not show or change another project's integrations", async () => {
    const other = await createProjectViaApi(t.app, 'Tenant B');
    const res = await request(t.app).get('/api/v1/integrations').set('Authorization', `Bearer ${other.apiKey}`).expect(200);
    expect(res.body.data).toEqual([]);
    await request(t.app).get('/api/v1/integrations/stripe').set('Authorization', `Bearer ${other.apiKey}`).expect(404);
    await request(t.app).delete('/api/v1/integrations/stripe').set('Authorization', `Bearer ${other.apiKey}`).expect(404);
    await request(t.app).get('/api/v1/integrations/stripe').set(auth()).expect(200);
  });

  it('disconnects with 204, then 404', async () => {
    await request(t.app).delete('/api/v1/integrations/polar').set(auth()).expect(204);
    await request(t.app).get('/api/v1/integrations/polar').set(auth()).expect(404);
    await request(t.app).delete('/api/v1/integrations/polar').set(auth()).expect(404);
  });
});

describe('GET /api/v1/integrations/providers', () => {
  const PUBLIC_URL = 'https://affiliates.acme.test';
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { publicUrl: PUBLIC_URL });
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  const expected = (connected: Set<string>) =>
    [
      ['stripe', 'Stripe'],
      ['paddle', 'Paddle'],
      ['lemonsqueezy', 'Lemon Squeezy'],
      ['polar', 'Polar'],
    ].map(([provider, name]) => ({
      provider,
      name,
      webhook_url: `${PUBLIC_URL}/webhook/${provider}/${projectId}`,
      events: findAdapter(provider!)!.webhookEvents,
      connected: connected.has(provider!),
      auto_connect: true,
    }));

  it("lists every provider, connected or not, with the webhook URL on PUBLIC_URL and its adapter's events", async () => {
    const res = await request(t.app).get('/api/v1/integrations/providers').set({ Authorization: `Bearer ${key}` }).expect(200);
    expect(res.body).toEqual({ success: true, data: expected(new Set()) });
    expect(res.body.data.map((p: { provider: string }) => p.provider)).toEqual([...PROVIDER_NAMES]);

    // connecting one changes only its `connected`; the URL is the one its integration answers with
    const put = await request(t.app).put('/api/v1/integrations/paddle').set({ Authorization: `Bearer ${key}` }).send({ webhook_secret: SECRETS.paddle }).expect(200);
    const after = await request(t.app).get('/api/v1/integrations/providers').set({ Authorization: `Bearer ${key}` }).expect(200);
    expect(after.body.data).toEqual(expected(new Set(['paddle'])));
    expect(after.body.data[1]).toMatchObject({ webhook_url: put.body.data.webhook_url, events: put.body.data.events });
  });

  it('answers a dashboard session the same, and 401 without credentials', async () => {
    const owner = await setUpOwner(t.app, projectId);
    const viaSession = await asBrowser(t.app, owner, 'get', '/api/v1/integrations/providers', projectId).expect(200);
    const viaKey = await request(t.app).get('/api/v1/integrations/providers').set({ Authorization: `Bearer ${key}` }).expect(200);
    expect(viaSession.body).toEqual(viaKey.body);
    await request(t.app).get('/api/v1/integrations/providers').expect(401);
  });
});
