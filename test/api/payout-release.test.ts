import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Rows a payout held keep their level while it is pending, and a refund reported meanwhile is laid out around them.
 * When the payout fails (alone or with its batch), or a row is unmarked paid by hand, the rows are free again and
 * lie as the refunds' time order says: one row per level, each at its own refund's date.
 */
const SECRET = 'whsec_payout_release_secret';
const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const T1 = '2025-06-25T10:00:00.000Z';
const T2 = '2025-06-27T10:00:00.000Z';

describe('rows let go by a payout are laid out again', () => {
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

  async function setUp(n: number) {
    const { apiKey, id: projectId } = await createProjectViaApi(t.app, `Release ${n}`);
    const api = { Authorization: `Bearer ${apiKey}` };
    await connectProvider(t.app, apiKey, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
    const jane = (await request(t.app).post('/api/v1/affiliates').set(api).send({ email: `jane${n}@partners.test`, referral_code: `JANE${n}`, payout_method: 'paypal', paypal_email: `jane${n}@paypal.test` }).expect(201)).body.data;
    const deliver = async (payload: Record<string, any>) => {
      const body = JSON.stringify(payload);
      await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: new Date() })).send(body).expect(200);
      await t.runner.idle();
    };
    const pi = `pi_release_${n}`;
    // 40.00 at 20%: 8.00 to Jane
    await deliver(
      stripeEvent('checkout.session.completed.payment.json', (o) => {
        o.id = `cs_release_${n}`;
        o.payment_intent = pi;
        o.customer = `cus_release_${n}`;
        o.client_reference_id = null;
        o.metadata = { referral_code: `JANE${n}` };
      }),
    );
    const refund = (id: string, amount: number, when: string) =>
      deliver(
        stripeEvent('refund.created.json', (o) => {
          o.id = `${id}_${n}`;
          o.amount = amount;
          o.created = at(when);
          o.charge = `ch_release_${n}`;
          o.payment_intent = pi;
        }),
      );
    const rows = async () =>
      (await request(t.app).get('/api/v1/conversions?kind=refund&limit=100').set(api).expect(200)).body.data
        .map((r: any) => ({ value: r.value_minor, amount: r.amount_minor, at: r.occurred_at }))
        .sort((a: any, b: any) => a.at.localeCompare(b.at) || b.value - a.value);
    const verified = async () => (await request(t.app).get('/api/v1/ledger/verify').set(api).expect(200)).body.data.ok;
    return { api, jane, refund, rows, verified };
  }

  /** 10.00 refunded at T1 and 5.00 at T2: a row each, at its own date */
  const inTimeOrder = [
    { value: -200, amount: -1000, at: T1 },
    { value: -100, amount: -500, at: T2 },
  ];

  it.each([['a payout that fails'], ['a batch that fails'], ['a row unmarked paid by hand']])('%s', async (how) => {
    const s = await setUp(['a payout that fails', 'a batch that fails', 'a row unmarked paid by hand'].indexOf(how));
    // the later refund first, then a payout holds it (8.00 − 1.00), then the earlier refund arrives
    await s.refund('re_b', 500, T2);
    let release: () => Promise<unknown>;
    if (how === 'a payout that fails') {
      const payout = (await request(t.app).post('/api/v1/payouts').set(s.api).send({ affiliate_id: s.jane.id }).expect(201)).body.data;
      expect(payout.amount_minor).toBe(700);
      release = () => request(t.app).post(`/api/v1/payouts/${payout.id}/fail`).set(s.api).send({ reason: 'bounced' }).expect(200);
    } else if (how === 'a batch that fails') {
      const batch = (await request(t.app).post('/api/v1/payout-batches').set(s.api).send({}).expect(201)).body.data;
      release = () => request(t.app).post(`/api/v1/payout-batches/${batch.id}/fail`).set(s.api).send({ reason: 'bank down' }).expect(200);
    } else {
      const [refundRow] = (await request(t.app).get('/api/v1/conversions?kind=refund').set(s.api).expect(200)).body.data;
      const [purchase] = (await request(t.app).get('/api/v1/conversions?kind=purchase').set(s.api).expect(200)).body.data;
      const mark = (id: string, paid: boolean) => request(t.app).put(`/api/v1/conversions/${id}`).set(s.api).send({ paid });
      // a refund of an unpaid commission is paid with it or after it, and unmarked before it
      expect((await mark(refundRow.id, true).expect(409)).body.error).toBe(`this refund reverses conversion ${purchase.id}, which is not paid: mark that one paid first (or pay both in a payout)`);
      await mark(purchase.id, true).expect(200);
      await mark(refundRow.id, true).expect(200);
      expect((await mark(purchase.id, false).expect(409)).body.error).toBe(`refund ${refundRow.id} of this conversion is paid or in a payout: unmark it first`);
      release = async () => {
        await mark(refundRow.id, false).expect(200);
        await mark(purchase.id, false).expect(200);
      };
    }
    await s.refund('re_a', 1000, T1);
    // held: the 5.00 row keeps its level, and the levels above it are a further 5.00 each
    expect(await s.rows()).toEqual([
      { value: -100, amount: -500, at: T1 },
      { value: -100, amount: -500, at: T2 },
      { value: -100, amount: -500, at: T2 },
    ]);
    await release();
    expect(await s.rows()).toEqual(inTimeOrder);
    const affiliate = (await request(t.app).get(`/api/v1/affiliates/${encodeURIComponent(s.jane.user_email)}`).set(s.api).expect(200)).body.data;
    expect(affiliate).toMatchObject({ total_earnings_minor: 500, paid_earnings_minor: 0 });
    expect(await s.verified()).toBe(true);
  });
});
