import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * docs/earnings.md, Holds: a payment's hold is fixed when it is attributed, from the affiliate's, its group's or the
 * project's hold_days as they are then. A late webhook of a sale made before the holds were lengthened is held by
 * the longer hold whichever of the three sets it, and what was already recorded does not move.
 */
const SECRET = 'whsec_hold_days_secret';
const DAY_MS = 86_400_000;

function sale(id: string, code: string, at: Date) {
  const payload = stripeEvent('checkout.session.completed.payment.json', (s) => {
    s.id = `cs_${id}`;
    s.payment_intent = `pi_${id}`;
    s.customer = `cus_${id}`;
    s.customer_details.email = `${id}@customers.test`;
    s.client_reference_id = null;
    s.metadata = { referral_code: code };
    s.amount_total = 10_000;
    s.amount_subtotal = 10_000;
    s.total_details = { amount_discount: 0, amount_shipping: 0, amount_tax: 0 };
    s.discounts = [];
  });
  payload.created = Math.floor(at.getTime() / 1000);
  return payload;
}

describe('the hold of a payment attributed now', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it("takes the project's and the group's hold_days as they are when it is attributed", async () => {
    const { apiKey, id: projectId } = await createProjectViaApi(t.app);
    const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) => request(t.app)[method](path).set('Authorization', `Bearer ${apiKey}`).send(body);
    await connectProvider(t.app, apiKey, 'stripe', SECRET);
    expect((await api('patch', '/api/v1/settings', { commission_type: 'percentage', commission_value: 20, hold_days: 7 })).status).toBe(200);
    const group = (await api('post', '/api/v1/groups', { name: 'Resellers', hold_days: 7 })).body.data;
    expect((await api('post', '/api/v1/affiliates', { email: 'pat@partners.test', referral_code: 'PAT' })).status).toBe(201);
    expect((await api('post', '/api/v1/affiliates', { email: 'quinn@partners.test', referral_code: 'QUINN', group_id: group.id })).status).toBe(201);
    const deliver = async (payload: Record<string, any>) => {
      const body = JSON.stringify(payload);
      await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
      await t.runner.idle();
    };
    // Stripe dates to the second
    const now = new Date(Math.floor(t.clock.now.getTime() / 1000) * 1000);
    // recorded under the 7-day holds: they keep them
    await deliver(sale('early_pat', 'PAT', new Date(now.getTime() - 40 * DAY_MS)));
    await deliver(sale('early_quinn', 'QUINN', new Date(now.getTime() - 40 * DAY_MS)));

    expect((await api('patch', '/api/v1/settings', { hold_days: 90 })).status).toBe(200);
    expect((await api('patch', `/api/v1/groups/${group.id}`, { hold_days: 90 })).status).toBe(200);
    // sales made 30 days ago whose webhooks come only now
    const occurred = new Date(now.getTime() - 30 * DAY_MS);
    await deliver(sale('late_pat', 'PAT', occurred));
    await deliver(sale('late_quinn', 'QUINN', occurred));

    const rows = (await api('get', '/api/v1/conversions?limit=100')).body.data as any[];
    const holdOf = (key: string) => rows.find((r) => r.payment_key === key).hold_until;
    expect(holdOf('pi_early_pat')).toBe(new Date(now.getTime() - 33 * DAY_MS).toISOString());
    expect(holdOf('pi_early_quinn')).toBe(new Date(now.getTime() - 33 * DAY_MS).toISOString());
    expect(holdOf('pi_late_pat')).toBe(new Date(occurred.getTime() + 90 * DAY_MS).toISOString());
    expect(holdOf('pi_late_quinn')).toBe(new Date(occurred.getTime() + 90 * DAY_MS).toISOString());
    for (const name of ['pat', 'quinn']) {
      const a = (await api('get', `/api/v1/affiliates/${name}%40partners.test`)).body.data;
      expect({ eligible: a.eligible_earnings_minor, held: a.held_earnings_minor }).toEqual({ eligible: 2000, held: 2000 });
    }
    expect((await api('get', '/api/v1/ledger/verify')).body.data.ok).toBe(true);
  });
});
