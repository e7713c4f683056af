import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_server_gaps_secret_01';

/** Issue 17: bulk replay of failed events, integrations' activity, the overview's health, the trace in words. */
describe('dashboard server gaps', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  let eventId: string;
  const api = () => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'jane@partners.test', referral_code: 'jane' }).expect(201);
    const payload = stripeEvent('checkout.session.completed.payment.json', (o) => {
      o.metadata = { referral_code: 'jane' };
      o.client_reference_id = null;
      o.customer_details.email = 'bea@buyers.test';
    });
    payload.created = Math.floor(t.clock.now.getTime() / 1000);
    const body = JSON.stringify(payload);
    eventId = (await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200)).body.id;
    await t.runner.idle();
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('explains the trace in words on conversions and events', async () => {
    const list = (await request(t.app).get('/api/v1/conversions').set(api()).expect(200)).body.data;
    expect(list).toHaveLength(1);
    expect(list[0].attribution_explanation).toBe('referral code jane (metadata) → jane@partners.test');
    const one = (await request(t.app).get(`/api/v1/conversions/${list[0].id}`).set(api()).expect(200)).body.data;
    expect(one.attribution_explanation).toBe('referral code jane (metadata) → jane@partners.test');
    const event = (await request(t.app).get(`/api/v1/events/${eventId}`).set(api()).expect(200)).body.data;
    expect(event.conversions[0].attribution_explanation).toBe('referral code jane (metadata) → jane@partners.test');
  });

  it("integrations tell the last event and the last 24 hours' events and failures; health calls failures out; a bulk replay clears them without doubling", async () => {
    const stripe = (await request(t.app).get('/api/v1/integrations/stripe').set(api()).expect(200)).body.data;
    expect(stripe).toMatchObject({ events_last_24h: 1, failures_last_24h: 0 });
    expect(stripe.last_event_received_at).not.toBeNull();
    let health = (await request(t.app).get('/api/v1/reports/health').set(api()).expect(200)).body.data;
    expect(health).toMatchObject({ ok: true, events: { failed_total: 0, failed_last_24h: 0, newest: [] }, webhook_deliveries: { failing_total: 0, dead_total: 0 } });

    // the event's processing failed (as after a bug fixed since)
    await tdb.db.prisma.inboundEvent.update({ where: { id: eventId }, data: { status: 'failed', statusReason: 'boom' } });
    const [listed] = (await request(t.app).get('/api/v1/integrations').set(api()).expect(200)).body.data;
    expect(listed).toMatchObject({ provider: 'stripe', events_last_24h: 1, failures_last_24h: 1 });
    health = (await request(t.app).get('/api/v1/reports/health').set(api()).expect(200)).body.data;
    expect(health).toMatchObject({ ok: false, events: { failed_total: 1, failed_last_24h: 1, newest: [{ id: eventId, provider: 'stripe', type: 'checkout.session.completed', error: 'boom' }] } });

    const bad = await request(t.app).post('/api/v1/events/replay').set(api()).send({ status: 'processed' }).expect(400);
    expect(bad.body).toEqual({ success: false, error: expect.stringContaining('status') });
    const replay = await request(t.app).post('/api/v1/events/replay').set(api()).send({ status: 'failed', provider: 'stripe' }).expect(200);
    expect(replay.body.data).toEqual({ status: 'failed', provider: 'stripe', replayed: 1, outcomes: { processed: 1, ignored: 0, failed: 0, retry: 0, skipped: 0 }, busy: 0, remaining: 0 });
    const conversions = (await request(t.app).get('/api/v1/conversions').set(api()).expect(200)).body.data;
    expect(conversions).toHaveLength(1);
    expect(conversions[0].value_minor).toBe(conversions[0].base_value_minor / 5);
    expect((await request(t.app).get('/api/v1/reports/health').set(api()).expect(200)).body.data.events.failed_total).toBe(0);
    // nothing failed: nothing to do
    expect((await request(t.app).post('/api/v1/events/replay').set(api()).send({ status: 'failed' }).expect(200)).body.data).toMatchObject({ replayed: 0, remaining: 0 });
    const log = (await request(t.app).get('/api/v1/audit-log').set(api()).expect(200)).body.data;
    expect(log.filter((e: any) => e.path === '/api/v1/events/replay').map((e: any) => e.status).sort()).toEqual([200, 200, 400]);
  });
});
