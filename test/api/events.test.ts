import request from 'supertest';
import { storeInboundEvent } from '../../src/inbox/inbound-events';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeBody } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_events_api_secret_1';

describe('/api/v1/events', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  const ids: Record<string, string> = {};

  async function deliver(projectId: string, id: string, type: string, at: Date) {
    t.clock.now = at;
    const fixture = { 'invoice.paid': 'invoice.paid.subscription_create.json', 'charge.refunded': 'charge.refunded.json' }[type] ?? 'product.created.json';
    const body = stripeBody(fixture, { id, type, created: Math.floor(at.getTime() / 1000), livemode: true });
    const res = await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: at })).send(body).expect(200);
    ids[id] = res.body.id;
  }
  const get = (key: string, query = '') => request(t.app).get(`/api/v1/events${query}`).set('Authorization', `Bearer ${key}`);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    // the setup happens on the deliveries' timeline too, not at the wall-clock time the app was built
    t.clock.now = new Date('2026-11-01T09:00:00Z');
    a = await createProjectViaApi(t.app, 'A');
    b = await createProjectViaApi(t.app, 'B');
    await connectProvider(t.app, a.apiKey, 'stripe', SECRET);
    await connectProvider(t.app, b.apiKey, 'stripe', SECRET);
    await deliver(a.id, 'evt_a1', 'invoice.paid', new Date('2026-11-01T10:00:00Z'));
    await deliver(a.id, 'evt_a2', 'charge.refunded', new Date('2026-11-02T10:00:00Z'));
    await deliver(a.id, 'evt_a3', 'product.created', new Date('2026-11-03T10:00:00Z'));
    await deliver(b.id, 'evt_b1', 'invoice.paid', new Date('2026-11-02T12:00:00Z'));
    await t.runner.idle();
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('lists exactly what was accepted for the project, newest first, in the list envelope', async () => {
    const res = await get(a.apiKey).expect(200);
    expect(res.body.success).toBe(true);
    expect(res.body.pagination).toEqual({ limit: 20, offset: 0, total: 3, has_more: false, next_cursor: null });
    expect(res.body.data.map((e: { provider_event_id: string }) => e.provider_event_id)).toEqual(['evt_a3', 'evt_a2', 'evt_a1']);
    expect(res.body.data[2]).toEqual({
      id: ids.evt_a1,
      provider: 'stripe',
      provider_event_id: 'evt_a1',
      type: 'invoice.paid',
      status: 'processed',
      status_reason: null,
      livemode: true,
      attempts: 1,
      origin: 'webhook',
      occurred_at: '2026-11-01T10:00:00.000Z',
      received_at: '2026-11-01T10:00:00.000Z',
      processed_at: expect.any(String),
    });
  });

  it.each([
    ['?provider=stripe', ['evt_a3', 'evt_a2', 'evt_a1']],
    ['?provider=paddle', []],
    ['?status=ignored', ['evt_a3']],
    ['?status=processed', ['evt_a2', 'evt_a1']],
    ['?type=charge.refunded', ['evt_a2']],
    ['?from=2026-11-02T00:00:00Z', ['evt_a3', 'evt_a2']],
    // a period is half-open, as the reports read it: an event received at `to` belongs to the next one
    ['?to=2026-11-02T10:00:00Z', ['evt_a1']],
    ['?to=2026-11-02T10:00:00.001Z', ['evt_a2', 'evt_a1']],
    ['?from=2026-11-02T10:00:00Z&to=2026-11-03T10:00:00Z', ['evt_a2']],
    ['?from=2026-11-01T12:00:00Z&to=2026-11-02T23:00:00Z', ['evt_a2']],
    ['?limit=1&offset=1', ['evt_a2']],
  ])('filters %s', async (query, expected) => {
    const res = await get(a.apiKey, query).expect(200);
    expect(res.body.data.map((e: { provider_event_id: string }) => e.provider_event_id)).toEqual(expected);
  });

  it('paginates with has_more', async () => {
    const res = await get(a.apiKey, '?limit=2').expect(200);
    expect(res.body.pagination).toEqual({ limit: 2, offset: 0, total: 3, has_more: true, next_cursor: expect.any(String) });
  });

  it.each([
    ['?limit=0', /limit/],
    ['?limit=101', /limit/],
    ['?offset=-1', /offset/],
    ['?status=done', /status/],
    ['?provider=braintree', /provider/],
    ['?from=yesterday', /from: must be an ISO 8601/],
    ['?from=2026-11-03&to=2026-11-01', /from must not be after to/],
  ])('answers 400 to %s', async (query, message) => {
    const res = await get(a.apiKey, query).expect(400);
    expect(res.body).toEqual({ success: false, error: expect.stringMatching(message) });
  });

  it('returns one event with its payload and kept headers', async () => {
    const res = await request(t.app).get(`/api/v1/events/${ids.evt_a3}`).set('Authorization', `Bearer ${a.apiKey}`).expect(200);
    expect(res.body.data).toMatchObject({
      id: ids.evt_a3,
      status: 'ignored',
      status_reason: 'event type "product.created" is not used by Refwire',
      payload: { id: 'evt_a3', type: 'product.created' },
      headers: { 'stripe-signature': expect.stringMatching(/^t=\d+,v1=/) },
    });
  });

  it("isolates tenants: another project's key sees none of it", async () => {
    const list = await get(b.apiKey).expect(200);
    expect(list.body.data.map((e: { provider_event_id: string }) => e.provider_event_id)).toEqual(['evt_b1']);
    const res = await request(t.app).get(`/api/v1/events/${ids.evt_a1}`).set('Authorization', `Bearer ${b.apiKey}`).expect(404);
    expect(res.body).toEqual({ success: false, error: 'event not found' });
    await request(t.app).get('/api/v1/events/not-a-uuid').set('Authorization', `Bearer ${a.apiKey}`).expect(400);
  });

  it('shows and replays an event stored before receivers refused deep JSON, leaving its payload out', async () => {
    const project = await createProjectViaApi(t.app, 'Deep');
    const body = `{"id":"evt_deep_old","type":"invoice.paid","created":1763700000,"data":{"object":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
    const stored = await storeInboundEvent(tdb.db.sql, {
      projectId: project.id,
      provider: 'stripe',
      event: { eventId: 'evt_deep_old', type: 'invoice.paid', payload: null, occurredAt: null, livemode: null },
      rawBody: Buffer.from(body),
      headers: {},
      receivedAt: t.clock.now,
    });
    const auth = { Authorization: `Bearer ${project.apiKey}` };
    const shown = await request(t.app).get(`/api/v1/events/${stored.id}`).set(auth).expect(200);
    expect(shown.body.data).toMatchObject({ id: stored.id, payload: null, payload_omitted: 'nested deeper than 64 levels' });
    const replayed = await request(t.app).post(`/api/v1/events/${stored.id}/replay`).set(auth).expect(200);
    expect(replayed.body.data).toMatchObject({ id: stored.id, status: 'failed', payload: null });
  });
});
