import fc from 'fast-check';
import { balances, conversions, deliverAndProcess, deliverAndProcessInBatches, newAffiliate, newProject, stripeEvent, newStripeCoupon } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * Any arrival order and any number of duplicate deliveries of a purchase/renewal/refund history give the same
 * balances (and the same conversions per payment, and refund rows) as applying it once, in order.
 */
type History = { gross: number; refunds: number[]; renewals: number; firstByCoupon: boolean };

function eventsOf(h: History): Record<string, any>[] {
  const events: Record<string, any>[] = [];
  events.push(
    stripeEvent('checkout.session.completed.payment.json', (o) => {
      o.amount_total = h.gross;
    }),
  );
  let cumulative = 0;
  h.refunds.forEach((amount, i) => {
    cumulative += amount;
    const level = cumulative;
    // each refund an hour after the one before, its charge.refunded a second after it
    const refundedAt = 1750670400 + i * 3600;
    events.push(stripeEvent('refund.created.json', (o) => ((o.id = `re_prop_${i}`), (o.amount = amount), (o.created = refundedAt))));
    const report = stripeEvent('charge.refunded.json', (o) => ((o.amount = h.gross), (o.amount_refunded = level)));
    report.created = refundedAt + 1;
    events.push(report);
  });
  events.push(
    stripeEvent('invoice.paid.subscription_create.json', (o) => {
      if (!h.firstByCoupon) delete o.discount;
    }),
  );
  for (let k = 1; k <= h.renewals; k++) {
    events.push(
      stripeEvent('invoice.paid.subscription_cycle.basil.json', (o) => {
        o.id = `in_prop_renewal_${k}`;
        o.parent.subscription_details.metadata = {};
        o.discounts = [];
        o.total_discount_amounts = [];
        o.status_transitions.paid_at = 1764574946 + k * 30 * 86400;
      }),
    );
  }
  // the subscription ends: a lifecycle fact, no money
  events.push(stripeEvent('customer.subscription.deleted.json'));
  return events;
}

const history = fc
  .record({
    gross: fc.integer({ min: 100, max: 1_000_000 }),
    refundShares: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 3 }),
    renewals: fc.integer({ min: 0, max: 2 }),
    firstByCoupon: fc.boolean(),
  })
  .map(({ gross, refundShares, renewals, firstByCoupon }) => {
    const refunds: number[] = [];
    let left = gross;
    for (const share of refundShares) {
      const amount = Math.min(left, Math.max(1, Math.floor((gross * share) / 100)));
      if (amount <= 0) break;
      refunds.push(amount);
      left -= amount;
    }
    return { gross, refunds, renewals, firstByCoupon };
  });

describe('order independence (property)', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

  async function applyTo(events: Record<string, any>[], batchSizes: number[] | null = null) {
    const projectId = await newProject(tdb.db);
    const partner = await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    const couponOwner = await newAffiliate(tdb.db, projectId, 'COUPON-OWNER');
    await newStripeCoupon(tdb.db, projectId, couponOwner.id, 'RWFX20', 'RWFX20');
    if (batchSizes) {
      const outcomes = await deliverAndProcessInBatches(tdb.db, projectId, events, batchSizes);
      // a duplicate delivery is stored once, so its second processing finds nothing to claim
      expect(outcomes.every((o) => o.status === 'processed' || o.status === 'skipped')).toBe(true);
    } else for (const e of events) await deliverAndProcess(tdb.db, projectId, e);
    const rows = await conversions(tdb.db, projectId);
    const names = new Map([
      [partner.id, 'partner'],
      [couponOwner.id, 'coupon'],
    ]);
    const byAffiliate = Object.fromEntries(
      Object.entries(await balances(tdb.db, projectId)).map(([k, v]) => [`${names.get(k.split(':')[0]!)}:${k.split(':')[1]}`, v]),
    );
    const perPayment: Record<string, bigint> = {};
    for (const r of rows) perPayment[`${r.paymentKey}`] = (perPayment[`${r.paymentKey}`] ?? 0n) + r.valueMinor;
    // the refund rows too: one per level, each dated at its refund, whatever the arrival order
    const refundRows = rows.filter((r) => r.kind === 'refund').map((r) => [r.paymentKey, r.refundLevelMinor, r.amountMinor, r.valueMinor, r.occurredAt.toISOString()].join(' '));
    return { byAffiliate, perPayment, refundRows, payments: rows.filter((r) => r.kind !== 'refund').length };
  }

  it('shuffled, duplicated deliveries give the balances of one in-order pass', async () => {
    await fc.assert(
      fc.asyncProperty(
        history.chain((h) => {
          const events = eventsOf(h);
          return fc.record({
            h: fc.constant(h),
            events: fc.constant(events),
            order: fc.shuffledSubarray([...events.keys(), ...events.keys()], { minLength: events.length * 2 }),
            extra: fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 4 }),
          });
        }),
        async ({ events, order, extra }) => {
          const inOrder = await applyTo(events);
          const shuffled = await applyTo([...order, ...extra].map((i) => events[i]!));
          expect(shuffled).toEqual(inOrder);
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);

  it('the same deliveries processed in batches, two batches at a time, give the same balances', async () => {
    await fc.assert(
      fc.asyncProperty(
        history.chain((h) => {
          const events = eventsOf(h);
          return fc.record({
            events: fc.constant(events),
            order: fc.shuffledSubarray([...events.keys(), ...events.keys()], { minLength: events.length * 2 }),
            sizes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
          });
        }),
        async ({ events, order, sizes }) => {
          const inOrder = await applyTo(events);
          const batched = await applyTo(order.map((i) => events[i]!), sizes);
          expect(batched).toEqual(inOrder);
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);
});
