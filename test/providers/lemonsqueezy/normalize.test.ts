import type { FactsEvent, PaymentEvent, RefundEvent } from '../../../src/domain/normalized-event';
import { normalizeLemonSqueezyEvent } from '../../../src/providers/lemonsqueezy/normalize';
import { loadFixture } from '../../helpers/fixtures';

const normalize = (file: string, patch: (p: Record<string, any>) => void = () => undefined) => {
  const payload = structuredClone(loadFixture('lemonsqueezy', file).payload) as Record<string, any>;
  patch(payload);
  return normalizeLemonSqueezyEvent(payload);
};
const only = <T>(file: string, patch?: (p: Record<string, any>) => void): T => {
  const n = normalize(file, patch);
  if (n.kind !== 'events') throw new Error(JSON.stringify(n));
  expect(n.events).toHaveLength(1);
  return n.events[0] as T;
};

describe('Lemon Squeezy normalization', () => {
  it('order_created is the purchase, keyed by the order, with meta.custom_data.referral_code', () => {
    expect(only<PaymentEvent>('order_created.subscription.json')).toMatchObject({
      kind: 'purchase',
      paymentKey: 'order:5001',
      customer: { id: '1001', email: 'jamie.rivera@example.com' },
      currency: 'USD',
      grossMinor: 4900n,
      productIds: ['301', '401'],
      hints: { referralCode: 'ACME-PARTNER-42' },
    });
  });

  it('the initial subscription_payment_success adds facts only: the order counts the first payment once', () => {
    expect(only<FactsEvent>('subscription_payment_success.initial.json')).toMatchObject({ kind: 'facts', subscriptionId: '7001' });
  });

  it('subscription_created links the subscription to its first order', () => {
    expect(only<FactsEvent>('subscription_created.json')).toMatchObject({ subscriptionId: '7001', paymentKey: 'order:5001' });
  });

  it('a renewal invoice is keyed apart from orders', () => {
    expect(only<PaymentEvent>('subscription_payment_success.renewal.json')).toMatchObject({ kind: 'renewal', paymentKey: 'invoice:6002', subscriptionId: '7001', grossMinor: 4900n });
  });

  it('refunds carry the cumulative refunded_amount', () => {
    expect(only<RefundEvent>('order_refunded.partial.json')).toMatchObject({ paymentRefs: ['order:5002'], refundId: null, amountMinor: 1000n });
    expect(only<RefundEvent>('subscription_payment_refunded.json')).toMatchObject({ paymentRefs: ['invoice:6002'], amountMinor: 4900n });
  });

  it('ignores an unpaid order and unused events, and refuses a fractional total', () => {
    expect(normalize('order_created.oneoff.json', (p) => (p.data.attributes.status = 'pending')).kind).toBe('ignored');
    expect(normalize('license_key_created.json').kind).toBe('ignored');
    expect(normalize('order_created.oneoff.json', (p) => (p.data.attributes.total = 25.5)).kind).toBe('invalid');
  });

  it('a plan change that credits the customer (a negative total) is ignored with a reason, not refused', () => {
    expect(
      normalize('subscription_payment_success.renewal.json', (p) => Object.assign(p.data.attributes, { billing_reason: 'updated', total: -1500, subtotal: -1500, tax: 0 })),
    ).toEqual({ kind: 'ignored', reason: 'invoice credited the customer (total -1500), no sale' });
  });
});
