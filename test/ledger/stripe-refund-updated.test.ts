import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * A Stripe refund created pending (a bank transfer's) is not counted until it succeeds, and Stripe says so in
 * `refund.updated`. Reported by both events once it succeeded, it is counted once (its refund id).
 */
const SECRET = 'whsec_refund_updated_secret_0001';

describe('a Stripe refund that succeeds after being created pending', () => {
  let tdb: TestDatabase;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => {
    for (const t of apps) await t.runner.stop();
    await tdb.drop();
  });

  async function run(deliveries: Record<string, any>[]) {
    const t = buildTestApp(tdb.db);
    apps.push(t);
    const { apiKey, id: projectId } = await createProjectViaApi(t.app);
    const api = () => ({ Authorization: `Bearer ${apiKey}` });
    await connectProvider(t.app, apiKey, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    for (const payload of deliveries) {
      const body = JSON.stringify(payload);
      await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: new Date() })).send(body).expect(200);
    }
    await t.runner.idle();
    const rows = ((await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data as any[]).map((c) => [c.kind, c.value_minor]).sort();
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
    return rows;
  }

  // 40.00 paid: 8.00; 10.00 of it refunded: −2.00
  const sale = () => stripeEvent('checkout.session.completed.payment.json');
  const refund = (type: 'refund.created' | 'refund.updated', status: string) => ({ ...stripeEvent('refund.created.json', (o) => Object.assign(o, { amount: 1000, status })), type });

  it('pending, then succeeded in refund.updated: reversed once', async () => {
    expect(await run([sale(), refund('refund.created', 'pending'), refund('refund.updated', 'succeeded')])).toEqual([
      ['purchase', 800],
      ['refund', -200],
    ]);
  });

  it('succeeded in both events: reversed once', async () => {
    expect(await run([sale(), refund('refund.created', 'succeeded'), refund('refund.updated', 'succeeded')])).toEqual([
      ['purchase', 800],
      ['refund', -200],
    ]);
  });

  it('still pending: nothing reversed', async () => {
    expect(await run([sale(), refund('refund.created', 'pending'), refund('refund.updated', 'pending')])).toEqual([['purchase', 800]]);
  });
});
