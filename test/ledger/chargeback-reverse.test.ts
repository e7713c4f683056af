import request from 'supertest';
import { loadFixture } from '../helpers/fixtures';
import { ledgerStories } from '../helpers/ledger-story';

/**
 * PRODUCT.md §7 and §16 through signed Paddle webhooks: a chargeback reverses the commission like a refund of its
 * amount; when Paddle wins it, its `chargeback_reverse` adjustment gives the money back, and the commission is
 * earned again, in whichever order the events arrive.
 */
const SECRET = 'pdl_ntfset_01chargeback_secret_value_01';

const payment = () => structuredClone(loadFixture('paddle', 'transaction.completed.web.json').payload) as Record<string, any>;
function adjustment(id: string, action: 'refund' | 'chargeback' | 'chargeback_reverse', total: number, at: string) {
  const payload = structuredClone(loadFixture('paddle', 'adjustment.updated.refund.json').payload) as Record<string, any>;
  payload.event_id = `evt_${id}`;
  payload.notification_id = `ntf_${id}`;
  payload.occurred_at = at;
  Object.assign(payload.data, { id, action, status: 'approved', updated_at: at, created_at: at });
  // taxed as the payment is (784 of 4704: a sixth), so the untaxed share is the gross share
  payload.data.totals = { ...payload.data.totals, total: String(total), tax: String(total / 6), subtotal: String(total - total / 6) };
  return payload;
}

describe('a chargeback Paddle wins gives the commission back', () => {
  const { story: newStory } = ledgerStories();

  /**
   * deliveries in turn; 'pay out' pays the affiliate what is eligible then (a payout, completed); 'hold' takes it
   * into a payout left pending, which 'fail held' fails
   */
  async function run(deliveries: (Record<string, any> | 'pay out' | 'hold' | 'fail held' | 'refused')[]) {
    let held: string | null = null;
    const { t, api, deliver, outcome } = await newStory('paddle', SECRET);
    for (const step of deliveries) {
      if (step === 'refused') {
        // a payout now is refused, naming why
        await t.runner.idle();
        const affiliate = (await request(t.app).get('/api/v1/affiliates/acme%40partners.test').set(api).expect(200)).body.data;
        const refused = await request(t.app).post('/api/v1/payouts').set(api).send({ affiliate_id: affiliate.id, method: 'manual' }).expect(409);
        expect(refused.body.error).toMatch(/waiting for a pending payout/);
        continue;
      }
      if (step === 'pay out' || step === 'hold') {
        await t.runner.idle();
        const affiliate = (await request(t.app).get('/api/v1/affiliates/acme%40partners.test').set(api).expect(200)).body.data;
        const payout = (await request(t.app).post('/api/v1/payouts').set(api).send({ affiliate_id: affiliate.id, method: 'manual' }).expect(201)).body.data;
        if (step === 'hold') held = payout.id;
        else await request(t.app).post(`/api/v1/payouts/${payout.id}/complete`).set(api).send({ reference: 'paid' }).expect(200);
      } else if (step === 'fail held') {
        await request(t.app).post(`/api/v1/payouts/${held}/fail`).set(api).send({ reason: 'bounced' }).expect(200);
        await t.runner.idle();
      } else await deliver([step]);
    }
    const { conversions, affiliate } = await outcome();
    const events = (await request(t.app).get('/api/v1/events?limit=100').set(api).expect(200)).body.data as any[];
    expect(events.filter((e) => e.status === 'failed')).toEqual([]);
    const rows = conversions.map((c) => [c.kind, c.value_minor]).sort();
    const refunded = conversions.find((c) => c.kind === 'purchase')?.refunded_minor;
    return { rows, total: affiliate.total_earnings_minor, affiliate, refunded };
  }

  // 4704 paid with 784 tax: 20% of 3920 is 784
  const refund = adjustment('adj_refund', 'refund', 1176, '2024-04-20T10:00:00Z');
  const chargeback = adjustment('adj_chargeback', 'chargeback', 3528, '2024-04-25T10:00:00Z');
  const reverse = adjustment('adj_chargeback_reverse', 'chargeback_reverse', 3528, '2024-05-20T10:00:00Z');
  const half = (id: string, at: string) => adjustment(id, 'refund', 2352, at);

  it.each([
    ['in time order', [payment(), refund, chargeback, reverse]],
    ['in reverse order', [reverse, chargeback, refund, payment()]],
  ])('a refund of a quarter stays reversed, the chargeback of the rest is given back (%s)', async (_label, deliveries) => {
    const { rows, total } = await run(deliveries);
    expect(rows).toEqual([['purchase', 784], ['refund', -196]]);
    expect(total).toBe(588);
  });

  it.each([
    ['in time order', () => [payment(), reverse, half('adj_half_1', '2024-05-25T10:00:00Z'), half('adj_half_2', '2024-05-26T10:00:00Z')]],
    ['refunds first', () => [half('adj_half_2', '2024-05-26T10:00:00Z'), half('adj_half_1', '2024-05-25T10:00:00Z'), payment(), reverse]],
  ])('a chargeback reversed whose chargeback was never counted gives nothing back: the refunds after it reverse all (%s)', async (_label, deliveries) => {
    const { rows, total } = await run(deliveries());
    expect(rows).toEqual([['purchase', 784], ['refund', -392], ['refund', -392]]);
    expect(total).toBe(0);
  });

  it('without the reversal, the chargeback reverses the rest of the commission', async () => {
    const { rows, total } = await run([payment(), refund, chargeback]);
    expect(rows).toEqual([['purchase', 784], ['refund', -196], ['refund', -588]]);
    expect(total).toBe(0);
  });

  it('a chargeback already paid out (its reversal taken from a payout) is earned again when Paddle wins it', async () => {
    const { rows, total, affiliate, refunded } = await run([payment(), chargeback, 'pay out', reverse]);
    // the paid-out payment tells how much of it stays refunded: nothing
    expect(refunded).toBe(0);
    // the payout paid 784 − 588 = 196; the chargeback's −588 stays as paid, and +588 earns it back
    expect(rows).toEqual([['purchase', 784], ['refund', -588], ['refund', 588]]);
    expect(total).toBe(784);
    expect(affiliate.earnings_by_currency).toEqual([expect.objectContaining({ currency: 'USD', paid_earnings_minor: 196, eligible_earnings_minor: 588 })]);
  });

  it('a refund after the reversal was given back reverses again, from the paid-out level', async () => {
    const later = adjustment('adj_refund_later', 'refund', 1176, '2024-06-01T10:00:00Z');
    const { rows, total, refunded } = await run([payment(), chargeback, 'pay out', reverse, later]);
    expect(refunded).toBe(1176);
    // given back to nothing refunded, then a quarter refunded: +588 becomes +392 (the level 1176 against 3528 paid out)
    expect(rows).toEqual([['purchase', 784], ['refund', -588], ['refund', 392]]);
    expect(total).toBe(588);
  });

  it('once the given-back row is paid out too, later refunds are reversed from what the paid rows leave', async () => {
    const later = adjustment('adj_refund_later', 'refund', 1176, '2024-06-01T10:00:00Z');
    const rest = adjustment('adj_refund_rest', 'refund', 3528, '2024-06-10T10:00:00Z');
    // paid 196, then 588 given back and paid: 784 paid, nothing refunded; a quarter refunded, then the rest
    const quarter = await run([payment(), chargeback, 'pay out', reverse, 'pay out', later]);
    expect(quarter.rows).toEqual([['purchase', 784], ['refund', -196], ['refund', -588], ['refund', 588]]);
    expect([quarter.total, quarter.refunded]).toEqual([588, 1176]);
    const all = await run([payment(), chargeback, 'pay out', reverse, 'pay out', later, rest]);
    expect(all.rows).toEqual([['purchase', 784], ['refund', -588], ['refund', -784], ['refund', 588]]);
    expect(all.total).toBe(0);
  });

  it('a refund of a commission in a pending payout is not taken into another payout before that one settles, nor paid out by it', async () => {
    const second = payment();
    second.event_id = 'evt_second_sale';
    second.notification_id = 'ntf_second_sale';
    second.data.id = 'txn_01second0000000000000000';
    // the first sale held in a payout; a quarter of it refunded; the second sale in; the held payout fails
    const { rows, total, affiliate } = await run([payment(), 'hold', refund, second, 'refused', 'fail held', 'pay out']);
    // no payout took the first's reversal apart from its commission; while it waited, the balance it lowers (784 − 196)
    // held no whole commission, so nothing was paid; once the held payout failed, one payout took all three rows
    expect(rows).toEqual([['purchase', 784], ['purchase', 784], ['refund', -196]]);
    expect(total).toBe(784 + 588);
    expect(affiliate.earnings_by_currency).toEqual([expect.objectContaining({ currency: 'USD', paid_earnings_minor: 1372, eligible_earnings_minor: 0 })]);
  });
});
