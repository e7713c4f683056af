import request from 'supertest';
import { stripeEvent } from '../helpers/ledger';
import { ledgerStories } from '../helpers/ledger-story';
import type { TestApp } from '../helpers/refwire';

/**
 * A Stripe refund that fails (or is canceled) after it was counted: the money went back to the merchant, so the
 * commission it reversed is earned again. Stripe says so in `refund.updated`; the charge's `amount_refunded`
 * reported since the refund was created included it, and no longer counts it.
 */
const SECRET = 'whsec_refund_failed_secret_00001';

describe('a Stripe refund that fails', () => {
  const { story: newStory, database } = ledgerStories();

  /** deliveries in turn; 'pay out' pays the affiliate what is eligible then (a payout, completed) */
  let lastStory: { t: TestApp; api: Record<string, string> } | null = null;
  async function run(deliveries: (Record<string, any> | 'pay out')[]) {
    const { t, api, deliver, outcome } = await newStory('stripe', SECRET);
    lastStory = { t, api };
    for (const step of deliveries) {
      if (step === 'pay out') {
        await t.runner.idle();
        const affiliate = (await request(t.app).get('/api/v1/affiliates/acme%40partners.test').set(api).expect(200)).body.data;
        const payout = (await request(t.app).post('/api/v1/payouts').set(api).send({ affiliate_id: affiliate.id, method: 'manual' }).expect(201)).body.data;
        await request(t.app).post(`/api/v1/payouts/${payout.id}/complete`).set(api).send({ reference: 'paid' }).expect(200);
      } else await deliver([step]);
    }
    const { conversions, affiliate } = await outcome();
    const events = (await request(t.app).get('/api/v1/events?limit=100').set(api).expect(200)).body.data as any[];
    expect(events.filter((e) => e.status === 'failed' || e.status === 'invalid')).toEqual([]);
    const rows = conversions.map((c) => [c.kind, c.value_minor]).sort();
    const purchase = conversions.find((c) => c.kind === 'purchase');
    return { rows, total: affiliate.total_earnings_minor, refunded: purchase?.refunded_minor, conversions };
  }

  // 40.00 paid on 2025-06-20: 8.00 earned. Refunds from 2025-06-23, a day apart; failures five days later.
  const day = 86_400;
  const T1 = 1_750_670_400;
  const sale = () => stripeEvent('checkout.session.completed.payment.json');
  function refund(type: 'refund.created' | 'refund.updated', id: string, amount: number, status: string, createdAt: number, eventAt = createdAt + 1) {
    const payload = stripeEvent('refund.created.json', (o) => Object.assign(o, { id, amount, status, created: createdAt }));
    return Object.assign(payload, { type, created: eventAt });
  }
  function charge(amountRefunded: number, eventAt: number) {
    return Object.assign(
      stripeEvent('charge.refunded.json', (o) => Object.assign(o, { amount_refunded: amountRefunded, refunded: amountRefunded === 4000 })),
      { created: eventAt },
    );
  }
  const createdA = () => refund('refund.created', 're_A', 1000, 'succeeded', T1);
  const failedA = (status = 'failed') => refund('refund.updated', 're_A', 1000, status, T1, T1 + 5 * day);

  it.each([
    ['in time order', () => [sale(), createdA(), charge(1000, T1 + 1), failedA()]],
    ['in reverse order', () => [failedA(), charge(1000, T1 + 1), createdA(), sale()]],
    ['canceled after charge.refunded counted it pending', () => [sale(), refund('refund.created', 're_A', 1000, 'pending', T1), charge(1000, T1 + 1), failedA('canceled')]],
    ['failed while pending, never counted', () => [sale(), refund('refund.created', 're_A', 1000, 'pending', T1), failedA()]],
  ])('its reversal is removed, the commission stands (%s)', async (_label, deliveries) => {
    const { rows, total, refunded } = await run(deliveries());
    expect(rows).toEqual([['purchase', 800]]);
    expect(total).toBe(800);
    expect(refunded).toBe(0);
  });

  it('the merchant hears the commission come back: referral_canceled when the refund counted, referral_updated when it failed', async () => {
    const { t, api, deliver, outcome } = await newStory('stripe', SECRET);
    // a public address (the test app refuses private ones); nothing is sent here, the deliveries are only queued
    const endpoint = (await request(t.app).post('/api/v1/webhooks').set(api).send({ url: 'https://93.184.215.14/hook', events: ['referral_converted', 'referral_canceled', 'referral_updated'] }).expect(201)).body.data;
    const announced = async () => {
      await t.runner.idle();
      return database().db.sql.query<{ event_type: string; payload: any }>('SELECT event_type, payload FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at, id', [endpoint.id]);
    };
    await deliver([sale(), createdA(), charge(1000, T1 + 1)]);
    await outcome();
    const counted = await announced();
    expect(counted.map((d) => d.event_type)).toEqual(['referral_converted', 'referral_canceled']);
    const before = counted.length;
    await deliver([failedA()]);
    const { conversions } = await outcome();
    const purchase = conversions.find((c) => c.kind === 'purchase');
    const after = (await announced()).slice(before);
    expect(after.map((d) => [d.event_type, d.payload.conversion?.id ?? null])).toEqual([['referral_updated', purchase.id]]);
  });

  it('only the refund that failed comes back; a later refund is counted from what stands', async () => {
    const B = T1 + day;
    const C = T1 + 10 * day;
    const base = [sale(), createdA(), charge(1000, T1 + 1), refund('refund.created', 're_B', 500, 'succeeded', B), charge(1500, B + 1)];
    const failedB = refund('refund.updated', 're_B', 500, 'failed', B, B + 5 * day);
    // 1,000 of 4,000 refunded: 800 × 1,000 / 4,000 = 200 reversed
    expect((await run([...base, failedB])).rows).toEqual([['purchase', 800], ['refund', -200]]);
    // then 300 more (the charge now reports 1,300): 800 × 1,300 / 4,000 = 260 in all
    const withC = await run([...base, failedB, refund('refund.created', 're_C', 300, 'succeeded', C), charge(1300, C + 1)]);
    expect(withC.rows).toEqual([['purchase', 800], ['refund', -200], ['refund', -60]]);
    expect(withC.total).toBe(540);
    expect(withC.refunded).toBe(1300);
    // B never happened: the level C takes the payment to is dated when C was made
    expect(new Date(withC.conversions.find((c) => c.value_minor === -60).occurred_at).getTime()).toBe(C * 1000);
  });

  it('reported by charge.refunded alone, the cumulative totals since the refund was created are lowered', async () => {
    const B = T1 + day;
    const { rows } = await run([sale(), charge(1000, T1 + 1), charge(1500, B + 1), refund('refund.updated', 're_B', 500, 'failed', B, B + 5 * day)]);
    expect(rows).toEqual([['purchase', 800], ['refund', -200]]);
  });

  it('a refund that failed before any report counted it lowers no earlier report', async () => {
    const B = T1 + day;
    const { rows } = await run([sale(), createdA(), charge(1000, T1 + 1), refund('refund.created', 're_B', 500, 'pending', B), refund('refund.updated', 're_B', 500, 'failed', B, B + day)]);
    expect(rows).toEqual([['purchase', 800], ['refund', -200]]);
  });

  it('a refund after a failure that takes amount_refunded back to a figure reported before is counted', async () => {
    // Stripe lowers amount_refunded when A fails (1,000 → 0); B then takes it to 1,000 again, reported by charge.refunded alone
    const story = [sale(), charge(1000, T1 + 1), failedA(), charge(1000, T1 + 7 * day)];
    expect((await run(story)).rows).toEqual([['purchase', 800], ['refund', -200]]);
    // and when A's reversal was paid out before it failed: nothing to give back, B's reversal stands paid
    const paid = await run([sale(), charge(1000, T1 + 1), 'pay out', failedA(), charge(1000, T1 + 7 * day)]);
    expect(paid.rows).toEqual([['purchase', 800], ['refund', -200]]);
    expect(paid.total).toBe(600);
    expect(paid.refunded).toBe(1000);
  });

  it('after its reversal was paid out, one more row earns it again, dated when the refund failed', async () => {
    const { rows, total, refunded, conversions } = await run([sale(), createdA(), charge(1000, T1 + 1), 'pay out', failedA()]);
    expect(rows).toEqual([['purchase', 800], ['refund', -200], ['refund', 200]]);
    expect(total).toBe(800);
    expect(refunded).toBe(0);
    const givenBack = conversions.find((c) => c.kind === 'refund' && c.value_minor === 200);
    expect(givenBack.paid).toBe(false);
    expect(new Date(givenBack.occurred_at).getTime()).toBe((T1 + 5 * day) * 1000);
    // the report counts one refund (the row earning it back is none), and nothing refunded in the end, for all time
    // (the maintained totals) and for a period (its rows)
    const { t, api } = lastStory!;
    for (const query of ['', '?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z']) {
      const summary = (await request(t.app).get(`/api/v1/reports/summary${query}`).set(api).expect(200)).body.data;
      expect([summary.purchases, summary.refunds]).toEqual([1, 1]);
      expect(summary.by_currency.map((m: any) => [m.currency, m.revenue.value_minor, m.refunded.value_minor, m.commission.value_minor])).toEqual([['USD', 4000, 0, 800]]);
    }
  });
});
