import type { FactsEvent, PaymentEvent, RefundEvent } from '../../../src/domain/normalized-event';
import { normalizePolarEvent } from '../../../src/providers/polar/normalize';
import { loadFixture } from '../../helpers/fixtures';

const normalize = (file: string, patch: (d: Record<string, any>) => void = () => undefined) => {
  const payload = structuredClone(loadFixture('polar', file).payload) as Record<string, any>;
  patch(payload.data);
  return normalizePolarEvent(payload);
};
const events = (file: string, patch?: (d: Record<string, any>) => void) => {
  const n = normalize(file, patch);
  if (n.kind !== 'events') throw new Error(JSON.stringify(n));
  return n.events;
};

describe('Polar normalization', () => {
  it('order.paid for a subscription_create is a purchase with its discount id and code and metadata', () => {
    expect(events('order.paid.subscription_create.json')).toEqual([
      expect.objectContaining({
        kind: 'purchase',
        paymentKey: '66666666-aaaa-4bbb-8ccc-000000000001',
        customer: { id: '11111111-aaaa-4bbb-8ccc-000000000001', email: 'jamie.rivera@example.com' },
        subscriptionId: '22222222-aaaa-4bbb-8ccc-000000000001',
        grossMinor: 3920n,
        hints: expect.objectContaining({ couponIds: expect.arrayContaining(['55555555-aaaa-4bbb-8ccc-000000000001', 'ACME20']), referralCode: 'ACME-PARTNER-42' }),
      }),
    ]);
  });

  it("a checkout link's reference_id (what the tracking script sets) is the referral code when referral_code is absent", () => {
    const fromLink = events('order.paid.purchase.json', (d) => (d.metadata = { reference_id: 'PARTNER7' }))[0] as PaymentEvent;
    expect(fromLink.hints.referralCode).toBe('PARTNER7');
    const both = events('order.paid.purchase.json', (d) => (d.metadata = { referral_code: 'EXPLICIT', reference_id: 'PARTNER7' }))[0] as PaymentEvent;
    expect(both.hints.referralCode).toBe('EXPLICIT');
    const sub = events('subscription.created.json', (d) => (d.metadata = { reference_id: 'PARTNER7' }))[0] as FactsEvent;
    expect(sub.hints.subscriptionReferralCode).toBe('PARTNER7');
  });

  it('order.created (pending), order.updated and order.paid name one order: facts first, then one payment key', () => {
    expect(events('order.created.subscription_create.json')[0]).toMatchObject({ kind: 'facts', paymentKey: '66666666-aaaa-4bbb-8ccc-000000000001' });
    const updated = events('order.updated.subscription_create.json')[0] as PaymentEvent;
    const paid = events('order.paid.subscription_create.json')[0] as PaymentEvent;
    expect(updated.paymentKey).toBe(paid.paymentKey);
  });

  it.each([
    ['subscription_cycle', 'renewal'],
    ['subscription_update', 'renewal'],
    ['purchase', 'purchase'],
  ])('billing_reason %s is a %s', (reason, kind) => {
    expect((events('order.paid.purchase.json', (d) => (d.billing_reason = reason))[0] as PaymentEvent).kind).toBe(kind);
  });

  it("a one-time product's order (billing_reason purchase) is known to belong to no subscription; a subscription's first is not", () => {
    expect((events('order.paid.purchase.json')[0] as PaymentEvent).oneOff).toBe(true);
    expect((events('order.paid.subscription_create.json')[0] as PaymentEvent).oneOff).toBe(false);
    expect((events('order.paid.subscription_cycle.json')[0] as PaymentEvent).oneOff).toBe(false);
  });

  it('refund.created counts only once succeeded; order.refunded carries the cumulative amount', () => {
    expect(normalize('refund.created.json').kind).toBe('ignored');
    expect(events('refund.updated.json')[0]).toMatchObject({ kind: 'refund', refundId: '77777777-aaaa-4bbb-8ccc-000000000001', amountMinor: 1000n });
    expect(events('order.refunded.json')[0] as RefundEvent).toMatchObject({ refundId: null, amountMinor: 1000n, paymentRefs: ['66666666-aaaa-4bbb-8ccc-000000000003'] });
  });

  it('refunds carry the tax Polar gave back with them, so the ledger compares their untaxed part with the order\'s (Polar reports them net of tax)', () => {
    expect(events('order.paid.purchase.taxed.json')[0]).toMatchObject({ kind: 'purchase', grossMinor: 12000n, taxMinor: 2000n });
    // full: amount 10000 + tax_amount 2000; refunded_amount 10000 + refunded_tax_amount 2000
    expect(events('refund.created.taxed.full.json')).toEqual([
      expect.objectContaining({
        kind: 'refund',
        refundId: '77777777-aaaa-4bbb-8ccc-000000000002',
        paymentRefs: ['66666666-aaaa-4bbb-8ccc-000000000004'],
        amountMinor: 12000n,
        taxMinor: 2000n,
        currency: 'USD',
      }),
    ]);
    expect(events('order.refunded.taxed.full.json')).toEqual([
      expect.objectContaining({ kind: 'refund', refundId: null, paymentRefs: ['66666666-aaaa-4bbb-8ccc-000000000004'], amountMinor: 12000n, taxMinor: 2000n }),
    ]);
    // partial: 5000 + 1000 of 10000 + 2000, from the refund and from the order's cumulative totals alike
    expect(events('refund.created.taxed.partial.json')[0]).toMatchObject({ refundId: '77777777-aaaa-4bbb-8ccc-000000000003', amountMinor: 6000n, taxMinor: 1000n });
    expect(events('order.refunded.taxed.partial.json')[0]).toMatchObject({ refundId: null, amountMinor: 6000n, taxMinor: 1000n });
    const updated = events('order.updated.taxed.partial.json');
    expect(updated).toEqual([
      expect.objectContaining({ kind: 'purchase', paymentKey: '66666666-aaaa-4bbb-8ccc-000000000005', grossMinor: 12000n, taxMinor: 2000n }),
      expect.objectContaining({ kind: 'refund', refundId: null, paymentRefs: ['66666666-aaaa-4bbb-8ccc-000000000005'], amountMinor: 6000n, taxMinor: 1000n }),
    ]);
    // tax given back alone (amount 0): a refund of 2000 that is all tax
    expect(events('refund.created.taxed.full.json', (d) => Object.assign(d, { amount: 0 }))[0]).toMatchObject({ amountMinor: 2000n, taxMinor: 2000n });
  });

  it('an order from before total_amount (replayed) reads amount as before tax, as it was', () => {
    const old = events('order.paid.purchase.taxed.json', (d) => {
      for (const field of ['total_amount', 'net_amount', 'subtotal_amount']) delete d[field];
    });
    expect(old[0]).toMatchObject({ kind: 'purchase', grossMinor: 12000n, taxMinor: 2000n });
  });

  it('a refund without its tax field gave back no tax: its amount is all untaxed', () => {
    expect(events('refund.created.taxed.partial.json', (d) => delete d.tax_amount)[0]).toMatchObject({ amountMinor: 5000n, taxMinor: 0n });
    expect(events('order.refunded.taxed.partial.json', (d) => delete d.refunded_tax_amount)[0]).toMatchObject({ amountMinor: 5000n, taxMinor: 0n });
    expect(normalize('order.refunded.taxed.partial.json', (d) => delete d.refunded_amount).kind).toBe('invalid');
  });

  it('subscription events are facts with the subscription metadata', () => {
    expect(events('subscription.created.json')[0] as FactsEvent).toMatchObject({
      kind: 'facts',
      subscriptionId: '22222222-aaaa-4bbb-8ccc-000000000001',
      hints: expect.objectContaining({ subscriptionReferralCode: 'ACME-PARTNER-42' }),
    });
  });

  it("what the customer's credit paid (a negative applied_balance_amount) is not part of the payment; a debt settled is not either", () => {
    // 100.00 + 20.00 tax, 30.00 of it from credit: 90.00 paid, the tax whole within it
    const taxed = (applied: number) =>
      events('order.paid.purchase.taxed.json', (d) => Object.assign(d, { applied_balance_amount: applied, due_amount: Math.max(0, 12000 + applied) }))[0] as PaymentEvent;
    expect(taxed(-3000)).toMatchObject({ grossMinor: 9000n, taxMinor: 2000n });
    // credit past the untaxed amount: what was paid is tax
    expect(taxed(-11000)).toMatchObject({ grossMinor: 1000n, taxMinor: 1000n });
    // a debt paid off with this order (a positive amount) is not this sale's
    expect(taxed(500)).toMatchObject({ grossMinor: 12000n, taxMinor: 2000n });
    expect(taxed(0)).toMatchObject({ grossMinor: 12000n, taxMinor: 2000n });
    expect(normalize('order.paid.purchase.taxed.json', (d) => Object.assign(d, { applied_balance_amount: -12000, due_amount: 0 }))).toEqual({
      kind: 'ignored',
      reason: "order paid from the customer's balance (total_amount 12000, applied_balance_amount -12000), nothing charged",
    });
  });

  it('a subscription update that credits the customer (a negative total) is ignored with a reason, not refused', () => {
    expect(
      normalize('order.paid.subscription_cycle.json', (d) => Object.assign(d, { billing_reason: 'subscription_update', total_amount: -1500, net_amount: -1500, amount: -1500, subtotal_amount: -1500, tax_amount: 0 })),
    ).toEqual({ kind: 'ignored', reason: 'order credited the customer (total_amount -1500), no sale' });
  });
});
