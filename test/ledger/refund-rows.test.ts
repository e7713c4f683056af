import { createPayout } from '../../src/ledger/payouts';
import { verifyLedger } from '../../src/ledger/verify';
import { deliverAndProcess, newAffiliate, newProject, stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * A payment's refund rows follow from the refunds in time order, whatever order their events arrived in: one row per
 * level reached, dated when it was reached and naming the event that reported it. A refund that arrives late moves
 * the rows not yet paid out; rows a payout holds are never rewritten.
 */
const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const T1 = '2025-06-25T10:00:00.000Z';
const T2 = '2025-06-27T10:00:00.000Z';

/** the fixture's one-off payment: 40.00, 20% → 8.00 to PARTNER */
const payment = () =>
  stripeEvent('checkout.session.completed.payment.json', (o) => {
    o.payment_intent = 'pi_rows';
    o.customer = 'cus_rows';
    o.client_reference_id = null;
    o.metadata = { referral_code: 'PARTNER' };
  });
const refund = (id: string, amount: number, when: string) =>
  stripeEvent('refund.created.json', (o) => {
    o.id = id;
    o.amount = amount;
    o.created = at(when);
    o.charge = 'ch_rows';
    o.payment_intent = 'pi_rows';
  });
/** charge.refunded: Stripe's cumulative report, dated by its event */
const cumulativeReport = (refunded: number, when: string) => {
  const event = stripeEvent('charge.refunded.json', (o) => {
    o.id = 'ch_rows';
    o.payment_intent = 'pi_rows';
    o.customer = 'cus_rows';
    o.amount_refunded = refunded;
    delete o.refunds;
  });
  event.created = at(when);
  return event;
};

describe('refund rows whatever the arrival order', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

  async function project() {
    const projectId = await newProject(tdb.db);
    const partner = await newAffiliate(tdb.db, projectId, 'PARTNER');
    const events = new Map<string, string>();
    const deliver = async (name: string, payload: Record<string, any>) => {
      const { id, outcome } = await deliverAndProcess(tdb.db, projectId, payload);
      expect(outcome.status).toBe('processed');
      events.set(id, name);
    };
    const rows = async () =>
      (
        await tdb.db.sql.query<{ level: string; amount: string; value: string; at: Date; hold: Date; event: string | null; paid: boolean }>(
          `SELECT refund_level_minor AS level, amount_minor AS amount, value_minor AS value, occurred_at AS at, hold_until AS hold,
                  inbound_event_id AS event, payout_id IS NOT NULL AS paid
           FROM conversions WHERE project_id = $1 AND kind = 'refund' ORDER BY refund_level_minor`,
          [projectId],
        )
      ).map((r) => ({ level: Number(r.level), amount: Number(r.amount), value: Number(r.value), at: r.at.toISOString(), event: r.event ? events.get(r.event) : null, paid: r.paid, hold: r.hold.toISOString() }));
    const verified = async () => (await verifyLedger(tdb.db.prisma, projectId, new Date())).ok;
    return { projectId, partner, deliver, rows, verified };
  }

  const inOrder = [
    { level: 1000, amount: -1000, value: -200, at: T1, event: 'A', paid: false },
    { level: 1500, amount: -500, value: -100, at: T2, event: 'B', paid: false },
  ];

  it('two partial refunds in order make a row each, at its own date', async () => {
    const p = await project();
    await p.deliver('payment', payment());
    await p.deliver('A', refund('re_rows_a', 1000, T1));
    await p.deliver('B', refund('re_rows_b', 500, T2));
    expect((await p.rows()).map(({ hold: _, ...r }) => r)).toEqual(inOrder);
    expect(await p.verified()).toBe(true);
  });

  it('refunds delivered before their payment make the same rows once it arrives', async () => {
    const p = await project();
    await p.deliver('B', refund('re_rows_b', 500, T2));
    await p.deliver('A', refund('re_rows_a', 1000, T1));
    await p.deliver('payment', payment());
    expect((await p.rows()).map(({ hold: _, ...r }) => r)).toEqual(inOrder);
    expect(await p.verified()).toBe(true);
  });

  it('an earlier refund arriving after a later one moves the later row to its level', async () => {
    const p = await project();
    await p.deliver('payment', payment());
    await p.deliver('B', refund('re_rows_b', 500, T2));
    const [only] = await p.rows();
    expect(only).toMatchObject({ level: 500, amount: -500, value: -100, at: T2, event: 'B' });
    await p.deliver('A', refund('re_rows_a', 1000, T1));
    const rows = await p.rows();
    expect(rows.map(({ hold: _, ...r }) => r)).toEqual(inOrder);
    // the refunds follow their payment's hold (it is not paid out): the same for both
    expect(new Set(rows.map((r) => r.hold)).size).toBe(1);
    expect(await p.verified()).toBe(true);
  });

  it('rows a payout holds keep their level; the late refund makes the levels above them', async () => {
    const p = await project();
    await p.deliver('payment', payment());
    await p.deliver('B', refund('re_rows_b', 500, T2));
    const payout = await createPayout(tdb.db.prisma, { projectId: p.projectId, affiliateId: p.partner.id, currency: 'USD', method: 'paypal', destination: { email: 'partner@partners.test' }, now: new Date() }, null);
    expect(payout).toMatchObject({ amountMinor: 700n }); // 8.00 − 1.00
    await p.deliver('A', refund('re_rows_a', 1000, T1));
    const rows = await p.rows();
    // 10.00 at T1 then 5.00 at T2 reach 10.00 and 15.00; the 5.00 the payout holds stays as it was paid out, and
    // the levels above it follow: each a further 5.00, dated at its refund and due then (the payment is paid out)
    expect(rows.map(({ hold: _, ...r }) => r)).toEqual([
      { level: 500, amount: -500, value: -100, at: T2, event: 'B', paid: true },
      { level: 1000, amount: -500, value: -100, at: T1, event: 'A', paid: false },
      { level: 1500, amount: -500, value: -100, at: T2, event: 'B', paid: false },
    ]);
    expect(rows.slice(1).map((r) => r.hold)).toEqual([T1, T2]);
    expect(await p.verified()).toBe(true);
  });

  it('a refund reported twice is dated by its earliest report, whichever arrived first', async () => {
    for (const order of [['late', 'early'], ['early', 'late']]) {
      const p = await project();
      await p.deliver('payment', payment());
      // the same refund (one id) and the same cumulative total, each reported at T1 and again at T2
      const reports: Record<string, Record<string, any>[]> = {
        early: [refund('re_rows_a', 1000, T1), cumulativeReport(1500, T1)],
        late: [refund('re_rows_a', 1000, T2), cumulativeReport(1500, T2)],
      };
      for (const name of order) for (const event of reports[name]!) await p.deliver(name, event);
      expect((await p.rows()).map(({ hold: _, ...r }) => r)).toEqual([
        { level: 1000, amount: -1000, value: -200, at: T1, event: 'early', paid: false },
        { level: 1500, amount: -500, value: -100, at: T1, event: 'early', paid: false },
      ]);
      expect(await p.verified()).toBe(true);
    }
  });

  it('a refund in another currency than its payment is never counted: refused when the payment is known, left out when it comes later', async () => {
    const p = await project();
    const foreign = (id: string, when: string) => {
      const event = refund(id, 1000, when);
      event.data.object.currency = 'eur';
      return event;
    };
    // before its payment: stored (the payment's currency is not known yet), and left out once it is
    await p.deliver('eur-early', foreign('re_rows_eur1', T1));
    await p.deliver('payment', payment());
    expect(await p.rows()).toEqual([]);
    // after it: the event fails, naming why
    const { outcome } = await deliverAndProcess(tdb.db, p.projectId, foreign('re_rows_eur2', T2));
    expect(outcome).toMatchObject({ status: 'failed', reason: 'refund in EUR of a payment in USD: not counted (a provider refunds in the currency it charged)' });
    expect(await p.rows()).toEqual([]);
    // a refund in the payment's currency still counts alone
    await p.deliver('A', refund('re_rows_a', 1000, T1));
    expect((await p.rows()).map(({ hold: _, ...r }) => r)).toEqual([inOrder[0]]);
    expect(await p.verified()).toBe(true);
  });

  it('a row left without a level is removed, the total reversed staying exact', async () => {
    const p = await project();
    await p.deliver('payment', payment());
    await p.deliver('A', refund('re_rows_a', 1000, T1));
    await p.deliver('B', refund('re_rows_b', 500, T2));
    // a cumulative report dated before both (the charge's event stamped earlier than its refunds): 15.00 refunded
    // from then on, so one level, reached then
    await p.deliver('report', cumulativeReport(1500, '2025-06-24T10:00:00.000Z'));
    expect((await p.rows()).map(({ hold: _, ...r }) => r)).toEqual([{ level: 1500, amount: -1500, value: -300, at: '2025-06-24T10:00:00.000Z', event: 'report', paid: false }]);
    expect(await p.verified()).toBe(true);
  });
});
