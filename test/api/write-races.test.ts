import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_write_races';

/**
 * Requests that are each right, sent at once on PostgreSQL: each answers as it would alone (or the documented 409),
 * never a 500 or a 503 for a database that was only busy with the other. Found by a concurrency audit: a
 * recalculation locked its payments in scan order, so approvals and payouts (which lock in id order) deadlocked
 * with it and PostgreSQL cancelled one; two creations of one group name both passed the name check, and the
 * unique index's refusal came back as 500.
 */
describe('concurrent writes', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const post = (path: string, body: object) => request(t.app).post(path).set(api()).send(body).then((r) => r);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    project = await createProjectViaApi(t.app);
    await connectProvider(t.app, project.apiKey, 'stripe', SECRET);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('20 creations of one group name at once: one 201, nineteen 409, one group', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => post('/api/v1/groups', { name: 'Creators', commission_type: 'percentage', commission_value: 25 })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status !== 201).map((a) => [a.status, a.body.error])).toEqual(
      Array.from({ length: 19 }, () => [409, 'a group with this name already exists']),
    );
    const groups = (await request(t.app).get('/api/v1/groups').set(api()).expect(200)).body.data as { name: string }[];
    expect(groups.filter((g) => g.name === 'Creators')).toHaveLength(1);
  });

  it('recalculations racing approvals and payouts of the same commissions: every request answered, the ledger exact', async () => {
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0, commission_review: 'manual' }).expect(200);
    const affiliateId = (await post('/api/v1/affiliates', { email: 'recalc@partners.test', referral_code: 'RECALC' })).body.data.id as string;
    // 60 sales of 10.00, a customer each, so the recalculation takes 60 customers' payments in one transaction
    const created = Math.floor(t.clock.now.getTime() / 1000) - 3600;
    for (let i = 0; i < 60; i++) {
      const body = JSON.stringify({
        ...stripeEvent('checkout.session.completed.payment.json', (o) => {
          Object.assign(o, { id: `cs_recalc_${i}`, payment_intent: `pi_recalc_${i}`, customer: `cus_recalc_${i}`, amount_total: 1000, amount_subtotal: 1000, client_reference_id: null });
          o.metadata = { referral_code: 'RECALC' };
          o.customer_details.email = `buyer${i}@recalc.test`;
          o.total_details = { amount_discount: 0, amount_shipping: 0, amount_tax: 0 };
        }),
        created,
      });
      await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    }
    await t.runner.idle();
    const ids = ((await request(t.app).get(`/api/v1/conversions?affiliate_id=${affiliateId}&limit=100`).set(api()).expect(200)).body.data as { id: string }[]).map((c) => c.id);
    expect(ids).toHaveLength(60);
    const period = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

    const statuses: number[] = [];
    for (let round = 0; round < 6; round++) {
      await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_value: 21 + round }).expect(200);
      const slice = ids.slice(round * 10, round * 10 + 10);
      const answers = await Promise.all([
        post('/api/v1/conversions/recalculate', period),
        post('/api/v1/conversions/approve', { ids: slice.slice(0, 5) }),
        post('/api/v1/conversions/approve', { ids: slice.slice(5) }),
        ...(round > 0 ? [post('/api/v1/payouts', { affiliate_id: affiliateId })] : []),
      ]);
      statuses.push(...answers.map((a) => (a.status === 409 && /nothing eligible|no eligible/i.test(a.body.error) ? 201 : a.status)));
    }
    // each answer as it would be alone: recalculations and approvals 200, payouts 201
    expect(statuses.filter((s) => s >= 500)).toEqual([]);

    // what is left unpaid takes today's 26%: paid-out commissions keep the rate they were paid at
    await post('/api/v1/conversions/recalculate', period);
    const rows = (await request(t.app).get(`/api/v1/conversions?affiliate_id=${affiliateId}&limit=100`).set(api()).expect(200)).body.data as {
      value_minor: number;
      payout_id: string | null;
      status: string;
    }[];
    expect(rows.filter((r) => r.payout_id === null).map((r) => r.value_minor)).toEqual(rows.filter((r) => r.payout_id === null).map(() => 260));
    expect(rows.filter((r) => r.status === 'pending')).toHaveLength(0);
    const payouts = (await request(t.app).get(`/api/v1/payouts?affiliate_id=${affiliateId}&limit=100`).set(api()).expect(200)).body.data as { id: string; amount_minor: number }[];
    const inPayouts = rows.filter((r) => r.payout_id !== null);
    expect(payouts.reduce((sum, p) => sum + p.amount_minor, 0)).toBe(inPayouts.reduce((sum, r) => sum + r.value_minor, 0));
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  }, 120_000);
});
