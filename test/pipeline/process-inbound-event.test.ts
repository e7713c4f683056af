import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { loadFixture } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_unusable_events_secret';

/**
 * Issue 13: an event Refwire cannot use — an unknown currency, an amount out of bounds, a string no column holds —
 * is marked failed at once with the reason (one attempt, no retries, nothing recorded), whichever provider sent it.
 */
describe('normalized events checked before they are applied', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  const auth = () => ({ Authorization: `Bearer ${project.apiKey}` });

  /** A paid Stripe checkout session of the fixture, with the session's fields changed. */
  function checkout(eventId: string, session: Record<string, unknown>): string {
    const payload = structuredClone(loadFixture('stripe', 'checkout.session.completed.payment.json').payload) as { data: { object: Record<string, unknown> } };
    Object.assign(payload.data.object, { id: `cs_${eventId}`, payment_intent: `pi_${eventId}` }, session);
    return JSON.stringify({ ...payload, id: eventId, created: Math.floor(t.clock.now.getTime() / 1000) });
  }
  async function deliver(body: string): Promise<string> {
    return (await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200)).body.id;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    project = await createProjectViaApi(t.app);
    await connectProvider(t.app, project.apiKey, 'stripe', SECRET);
    await request(t.app).post('/api/v1/affiliates').set(auth()).send({ email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it.each([
    ['a currency that is not ISO 4217', { currency: 'zzz' }, 'invalid event: currency "ZZZ" is not an ISO 4217 code'],
    ['a 400-character email', { customer_details: { email: `${'a'.repeat(388)}@example.com` } }, 'invalid event: customer.email is longer than 320 characters'],
    ['a payment id longer than its column', { payment_intent: `pi_${'r'.repeat(256)}` }, 'invalid event: paymentKey is longer than 255 characters'],
    ['an amount above 10^15 minor units', { amount_total: 1_000_000_000_000_001 }, 'invalid event: grossMinor 1000000000000001 is outside 0 to 1000000000000000 minor units'],
    ['tax above the amount', { amount_total: 100, total_details: { amount_tax: 101 } }, 'invalid event: taxMinor 101 exceeds grossMinor 100'],
  ])('%s: failed at once, with the reason, nothing recorded', async (name, session, reason) => {
    const eventId = `evt_${name.replace(/\W+/g, '_')}`;
    const id = await deliver(checkout(eventId, session));
    await t.runner.idle();
    const event = (await request(t.app).get(`/api/v1/events/${id}`).set(auth()).expect(200)).body.data;
    expect(event).toMatchObject({ status: 'failed', status_reason: reason, attempts: 1, conversions: [] });
    const listed = (await request(t.app).get('/api/v1/events?status=failed&limit=100').set(auth()).expect(200)).body.data;
    expect(listed).toContainEqual(expect.objectContaining({ id, status_reason: reason }));
    expect((await tdb.db.sql.query(`SELECT id FROM conversions WHERE payment_key = $1`, [`pi_${eventId}`])).length).toBe(0);
  });

  // No coupon, code or id of Refwire's holds such a hint, so it matches nothing: the payment is kept and credited by
  // the hints it has besides (it failed the whole event, and a sale attributed by its coupon was lost)
  it.each([
    ['a NUL in metadata', { metadata: { referral_code: 'ACME\u0000PARTNER' }, client_reference_id: 'ACME-PARTNER-42' }],
    ['half a surrogate pair in metadata', { metadata: { referral_code: 'ACME\uD800' }, client_reference_id: 'ACME-PARTNER-42' }],
    ['a 300-character metadata referral_code', { metadata: { referral_code: 'R'.repeat(300) }, client_reference_id: 'ACME-PARTNER-42' }],
    ['a client_reference_id longer than any code', { metadata: { referral_code: 'ACME-PARTNER-42' }, client_reference_id: 'r'.repeat(256) }],
  ])('%s: a hint that could match nothing is left out, and the payment is credited by its other hints', async (name, session) => {
    const eventId = `evt_hint_${name.replace(/\W+/g, '_')}`;
    const id = await deliver(checkout(eventId, session));
    await t.runner.idle();
    const event = (await request(t.app).get(`/api/v1/events/${id}`).set(auth()).expect(200)).body.data;
    expect(event).toMatchObject({ status: 'processed', attempts: 1 });
    expect(event.conversions).toEqual([expect.objectContaining({ kind: 'purchase', amount_minor: 4000 })]);
    const [row] = await tdb.db.sql.query<{ email: string }>(`SELECT a.email FROM conversions c JOIN affiliates a ON a.id = c.affiliate_id WHERE c.payment_key = $1`, [`pi_${eventId}`]);
    expect(row?.email).toBe('acme@partners.test');
  });

  // The reason quotes the event's own value: with a NUL in it, the statement recording the batch's outcomes failed,
  // and the event stayed in processing, retried for ever.
  it('an event ignored for a value holding a NUL ends ignored, its reason quoting the value without the NUL', async () => {
    const id = await deliver(checkout('evt_nul_mode', { mode: 'sub\u0000scription' }));
    await t.runner.idle();
    const event = (await request(t.app).get(`/api/v1/events/${id}`).set(auth()).expect(200)).body.data;
    expect(event).toMatchObject({ status: 'ignored', status_reason: 'checkout session in sub\uFFFDscription mode carries no payment', attempts: 1 });
  });

  it('applies the good events processed beside an unusable one', async () => {
    const bad = await deliver(checkout('evt_batch_bad', { currency: 'xyz' }));
    const good = await deliver(checkout('evt_batch_good', {}));
    await t.runner.idle();
    const statuses = await tdb.db.sql.query<{ id: string; status: string; attempts: number }>('SELECT id, status, attempts FROM inbound_events WHERE id = ANY($1::uuid[])', [[bad, good]]);
    expect(Object.fromEntries(statuses.map((s) => [s.id, [s.status, s.attempts]]))).toEqual({ [bad]: ['failed', 1], [good]: ['processed', 1] });
    const conversions = (await request(t.app).get(`/api/v1/events/${good}`).set(auth()).expect(200)).body.data.conversions;
    expect(conversions).toEqual([expect.objectContaining({ kind: 'purchase', currency: 'USD', amount_minor: 4000 })]);
  });
});
