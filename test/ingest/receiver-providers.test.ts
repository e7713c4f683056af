import request from 'supertest';
import type { ProviderName } from '../../src/domain/provider-names';
import { getAdapter } from '../../src/providers/registry';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** `now` is the app's clock (t.clock.now), which also signs: the body's own time is not a second clock. */
const CASES: { provider: ProviderName; secret: string; other: string; unknownType: (now: Date) => string }[] = [
  {
    provider: 'paddle',
    secret: 'pdl_ntfset_01receiver_test_secret_one',
    other: 'pdl_ntfset_01receiver_test_secret_two',
    unknownType: (now) => JSON.stringify({ event_id: `evt_${now.getTime()}`, event_type: 'payout.paid', occurred_at: now.toISOString(), data: { id: 'pay_1' } }),
  },
  {
    provider: 'lemonsqueezy',
    secret: 'lemon-receiver-secret',
    other: 'lemon-other-secret',
    unknownType: (now) =>
      JSON.stringify({
        meta: { event_name: 'license_key_created', webhook_id: `wh-${now.getTime()}` },
        data: { type: 'license-keys', id: '1', attributes: { created_at: now.toISOString() } },
      }),
  },
  {
    provider: 'polar',
    secret: 'whsec_polar_receiver_secret_1',
    other: 'whsec_polar_receiver_secret_2',
    unknownType: (now) => JSON.stringify({ type: 'checkout.created', timestamp: now.toISOString(), data: { id: 'co_1' } }),
  },
];

describe.each(CASES)('the $provider receiver', ({ provider, secret, other, unknownType }) => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  const adapter = getAdapter(provider);
  const count = async () => Number((await tdb.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM inbound_events'))[0]!.n);
  const post = (body: string, headers: Record<string, string>) => request(t.app).post(`/webhook/${provider}/${project.id}`).set(headers).send(body);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    project = await createProjectViaApi(t.app);
    await connectProvider(t.app, project.apiKey, provider, secret);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('stores a verified event of a type Refwire does not use, once, and marks it ignored', async () => {
    const body = unknownType(t.clock.now);
    const headers = adapter.sign(body, secret, { now: t.clock.now, eventId: 'msg_unknown_1' });
    const first = await post(body, headers).expect(200);
    const again = await post(body, headers).expect(200);
    expect(again.body).toEqual({ received: true, id: first.body.id, duplicate: true });
    await t.runner.idle();
    const res = await request(t.app).get(`/api/v1/events/${first.body.id}`).set('Authorization', `Bearer ${project.apiKey}`).expect(200);
    expect(res.body.data).toMatchObject({ provider, status: 'ignored', status_reason: expect.stringMatching(/is not used by Refwire/) });
  });

  it('refuses a wrong secret, a tampered body and a missing signature with 400, storing nothing', async () => {
    const before = await count();
    const body = unknownType(t.clock.now);
    await post(body, adapter.sign(body, other, { now: t.clock.now })).expect(400);
    const headers = adapter.sign(body, secret, { now: t.clock.now });
    await post(body.replace('"', ' "'), headers).expect(400);
    await post(body, { 'content-type': 'application/json' }).expect(400);
    expect(await count()).toBe(before);
  });
});
