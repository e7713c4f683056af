import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_reports_totals_0123';
const DAY = 86_400_000;
/** a period holding every row: the summary then sums the rows themselves */
const EVERYTHING = 'from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z';

/**
 * The all-time summary is read from per-affiliate totals kept by triggers (src/db/affiliate-totals.ts), a period's
 * from its rows. Through every way a conversion is written — webhooks, refunds partial and full, manual sales and
 * signups, review approved and rejected, recalculation, a payout, a deletion, an affiliate deleted — the two must
 * agree to the cent, and ledger/verify must hold the totals equal to the rows (and say so when they are not).
 */
describe('reports/summary for all time, from maintained totals', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  let sequence = 0;
  const api = () => ({ Authorization: `Bearer ${key}` });

  const deliver = async (payload: Record<string, any>) => {
    payload.created = Math.floor(t.clock.now.getTime() / 1000);
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
  };
  /** a $40 Stripe checkout by a new customer, referred by `code` */
  const purchase = async (code: string) => {
    const payment = `pi_totals_${++sequence}`;
    await deliver(
      stripeEvent('checkout.session.completed.payment.json', (o) => {
        o.id = `cs_${payment}`;
        o.payment_intent = payment;
        o.customer = `cus_totals_${sequence}`;
        o.metadata = { referral_code: code };
        o.client_reference_id = null;
        o.customer_details.email = `buyer${sequence}@buyers.test`;
      }),
    );
    return payment;
  };
  const refund = (payment: string, amount: number) =>
    deliver(stripeEvent('charge.refunded.json', (o) => ((o.id = `ch_${payment}`), (o.payment_intent = payment), (o.customer = null), (o.amount_refunded = amount))));
  const manual = (body: Record<string, unknown>) => request(t.app).post('/api/v1/conversions').set(api()).send(body).expect(201);
  const summary = async (query = '') => (await request(t.app).get(`/api/v1/reports/summary?top=100${query ? `&${query}` : ''}`).set(api()).expect(200)).body.data;
  const failing = async () =>
    (await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name);

  async function expectAllTimeEqualsRows() {
    const { from: _f, to: _t, ...allTime } = await summary();
    const { from: _f2, to: _t2, ...rows } = await summary(EVERYTHING);
    expect(allTime).toEqual(rows);
    expect(await failing()).toEqual([]);
    return allTime;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    t.clock.now = new Date(Date.now() - 60 * DAY);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
    for (const [email, code] of [['jane@partners.test', 'JANE'], ['sam@partners.test', 'SAM'], ['lee@partners.test', 'LEE'], ['zed@partners.test', 'ZED']]) {
      await request(t.app).post('/api/v1/affiliates').set(api()).send({ email, referral_code: code, paypal_email: email }).expect(201);
    }
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('agrees with the rows through webhooks, refunds, manual sales, signups and a deletion', async () => {
    const empty = await expectAllTimeEqualsRows();
    expect(empty).toMatchObject({ signups: 0, purchases: 0, by_currency: [], top_affiliates: [] });

    const jane = [await purchase('JANE'), await purchase('JANE'), await purchase('JANE')];
    const sam = [await purchase('SAM'), await purchase('SAM')];
    await purchase('NOBODY'); // unattributed: in no total
    await refund(jane[0]!, 1500);
    await refund(jane[0]!, 2500); // the rest of it
    await refund(sam[1]!, 4000);
    await manual({ type: 'purchase', referral_code: 'LEE', base_value: 55.55, reference: 'offline-1' });
    await manual({ type: 'signup', referral_code: 'JANE', email: 'lead1@buyers.test' });
    const gone = await manual({ type: 'purchase', referral_code: 'SAM', base_value: 10, reference: 'offline-2' });
    await request(t.app).delete(`/api/v1/conversions/${gone.body.data.id}`).set(api()).expect(204);

    const s = await expectAllTimeEqualsRows();
    // 3 + 2 Stripe purchases of $40 and Lee's $55.55; Jane's first refunded to $25.00 in two steps (Stripe's
    // amount_refunded is cumulative), Sam's second in full. Commission at 20%: Jane 3 × 8.00 − 5.00, Sam 2 × 8.00 −
    // 8.00, Lee 11.11
    expect(s).toMatchObject({ signups: 1, purchases: 6, refunds: 3, sales: 6 });
    expect(s.by_currency).toEqual([
      expect.objectContaining({ currency: 'USD', revenue: { value: '255.55', value_minor: 25_555 }, refunded: { value: '65.00', value_minor: 6500 }, commission: { value: '38.11', value_minor: 3811 } }),
    ]);
    expect(s.top_affiliates.map((a: { referral_code: string }) => a.referral_code)).toEqual(['JANE', 'LEE', 'SAM']);
  });

  it('agrees through manual review (pending, approved, rejected), recalculation, a payout and a deleted affiliate', async () => {
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_review: 'manual' }).expect(200);
    // a minute apart, so the review queue's order (newest first) is known
    for (const code of ['LEE', 'SAM', 'JANE']) {
      t.clock.now = new Date(t.clock.now.getTime() + 60_000);
      await purchase(code);
    }
    const pending = (await request(t.app).get('/api/v1/conversions?review=pending').set(api()).expect(200)).body.data;
    expect(pending).toHaveLength(3);
    let s = await expectAllTimeEqualsRows();
    expect(s.by_currency[0].commission_pending).toEqual({ value: '24.00', value_minor: 2400 });
    await request(t.app).post(`/api/v1/conversions/${pending[0].id}/approve`).set(api()).expect(200);
    await request(t.app).post(`/api/v1/conversions/${pending[1].id}/reject`).set(api()).send({ reason: 'self-referral' }).expect(200);
    s = await expectAllTimeEqualsRows();
    expect(s.by_currency[0]).toMatchObject({ commission_pending: { value_minor: 800 }, commission_rejected: { value_minor: 800 } });

    // a new rate, applied to everything by an explicit recalculation
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_value: 30 }).expect(200);
    t.clock.now = new Date(t.clock.now.getTime() + DAY);
    await request(t.app)
      .post('/api/v1/conversions/recalculate')
      .set(api())
      .send({ from: new Date(t.clock.now.getTime() - 100 * DAY).toISOString(), to: t.clock.now.toISOString() })
      .expect(200);
    await expectAllTimeEqualsRows();

    t.clock.now = new Date(t.clock.now.getTime() + 40 * DAY);
    const jane = (await request(t.app).get('/api/v1/affiliates/jane%40partners.test').set(api()).expect(200)).body.data;
    const paid = await request(t.app).post('/api/v1/payouts').set(api()).send({ affiliate_id: jane.id, method: 'paypal' });
    expect([paid.status, paid.body.error]).toEqual([201, undefined]);
    // Zed only brought a signup worth nothing: deletable, and its row leaves every total
    await manual({ type: 'signup', referral_code: 'ZED', email: 'lead2@buyers.test', value: 0 });
    const withZed = await expectAllTimeEqualsRows();
    await request(t.app).delete('/api/v1/affiliates/zed%40partners.test').set(api()).expect(204);
    s = await expectAllTimeEqualsRows();
    expect(s.signups).toBe(withZed.signups - 1);
  });

  it("top affiliates compare amounts within a currency only, the program's first", async () => {
    // 100,000.00 HUF at 20%: 2,000,000 minor units, more than any USD commission here and worth far less
    await manual({ type: 'purchase', referral_code: 'SAM', base_value: 100000, base_value_currency: 'HUF', reference: 'huf-1' });
    const s = await expectAllTimeEqualsRows();
    const currencies = s.top_affiliates.map((a: { currency: string }) => a.currency);
    expect(currencies.at(-1)).toBe('HUF');
    expect(currencies.slice(0, -1).length).toBeGreaterThan(1);
    expect(currencies.slice(0, -1).every((c: string) => c === 'USD')).toBe(true);
  });

  it('an affiliate whose commissions are all waiting for review ranks by 0 counted commission, last, in a period as in all time', async () => {
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_review: 'manual' }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'wait@partners.test', referral_code: 'WAIT' }).expect(201);
    await purchase('WAIT');
    const all = await expectAllTimeEqualsRows();
    const usd = all.top_affiliates.filter((a: { currency: string }) => a.currency === 'USD');
    expect(usd.at(-1)).toMatchObject({ email: 'wait@partners.test', commission: { value_minor: 0 } });
    expect(usd.map((a: { commission: { value_minor: number } }) => a.commission.value_minor)).toEqual([...usd.map((a: { commission: { value_minor: number } }) => a.commission.value_minor)].sort((x, y) => y - x));
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_review: 'auto' }).expect(200);
  });

  it('ledger/verify names totals or counts that disagree with the rows', async () => {
    await tdb.db.sql.query(`UPDATE affiliate_totals SET commission_minor = commission_minor + 1 WHERE id = (SELECT max(id) FROM affiliate_totals WHERE project_id = $1)`, [projectId]);
    await tdb.db.sql.query(`UPDATE row_counts SET n = n + 1 WHERE id = (SELECT max(id) FROM row_counts WHERE project_id = $1 AND table_name = 'conversions')`, [projectId]);
    expect(await failing()).toEqual([
      "the summary's maintained totals equal the sum of the conversions, per affiliate and currency",
      "the lists' maintained totals equal their rows, per key",
    ]);
  });
});
