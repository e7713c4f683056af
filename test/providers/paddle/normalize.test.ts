import type { FactsEvent, PaymentEvent, RefundEvent } from '../../../src/domain/normalized-event';
import { normalizePaddleEvent } from '../../../src/providers/paddle/normalize';
import { loadFixture } from '../../helpers/fixtures';

const normalize = (file: string, patch: (d: Record<string, any>) => void = () => undefined) => {
  const payload = structuredClone(loadFixture('paddle', file).payload) as Record<string, any>;
  patch(payload.data);
  return normalizePaddleEvent(payload);
};
const only = <T>(file: string, patch?: (d: Record<string, any>) => void): T => {
  const n = normalize(file, patch);
  if (n.kind !== 'events') throw new Error(JSON.stringify(n));
  expect(n.events).toHaveLength(1);
  return n.events[0] as T;
};

describe('Paddle normalization', () => {
  it('transaction.completed (origin web) is a purchase: string amounts, tax, discount id, custom_data', () => {
    expect(only<PaymentEvent>('transaction.completed.web.json')).toMatchObject({
      kind: 'purchase',
      paymentKey: 'txn_01rwfxdemotxnfirst001',
      customer: { id: 'ctm_01rwfxdemocustomer0001', email: null },
      subscriptionId: 'sub_01rwfxdemosubscr0001',
      currency: 'USD',
      grossMinor: 4704n,
      taxMinor: 784n,
      productIds: ['pri_01rwfxdemopromonth01', 'pro_01rwfxdemoproplan01'],
      hints: { couponIds: ['dsc_01rwfxdemodiscount001'], referralCode: 'ACME-PARTNER-42' },
    });
  });

  it("a credit from the customer's balance pays part of the total and of its tax: the tax is the grand total's", () => {
    const credited = (totals: Record<string, string>) =>
      only<PaymentEvent>('transaction.completed.web.json', (d) => {
        d.details.totals = { subtotal: '10000', discount: '0', tax: '2000', total: '12000', credit: '9000', balance: '0', grand_total: '3000', currency_code: 'USD', ...totals };
      });
    // Paddle's own example: grand_total 3000 with grand_total_tax 500, so 2500 paid before tax
    expect(credited({ grand_total_tax: '500' })).toMatchObject({ grossMinor: 3000n, taxMinor: 500n });
    // without grand_total_tax (older payloads), the grand total's share of the tax
    expect(credited({})).toMatchObject({ grossMinor: 3000n, taxMinor: 500n });
    // a credit above the untaxed amount: the tax is what was charged of it, never more than the charge (it was refused)
    expect(credited({ credit: '11000', grand_total: '1000', grand_total_tax: '167' })).toMatchObject({ grossMinor: 1000n, taxMinor: 167n });
    expect(credited({ credit: '11000', grand_total: '1000', grand_total_tax: '2000' })).toMatchObject({ grossMinor: 1000n, taxMinor: 1000n });
  });

  it('transaction.paid reports the same payment key as transaction.completed', () => {
    expect(only<PaymentEvent>('transaction.paid.web.json').paymentKey).toBe(only<PaymentEvent>('transaction.completed.web.json').paymentKey);
  });

  it('a transaction of one-time prices only is known to belong to no subscription; transaction.paid of a new subscription is not, though it names none yet', () => {
    expect(only<PaymentEvent>('transaction.completed.oneoff.json')).toMatchObject({ kind: 'purchase', subscriptionId: null, oneOff: true });
    // the checkout that creates a subscription: transaction.paid comes before the subscription exists
    expect(only<PaymentEvent>('transaction.paid.web.json')).toMatchObject({ subscriptionId: null, oneOff: false });
    expect(only<PaymentEvent>('transaction.completed.web.json').oneOff).toBe(false);
    // one recurring item among one-time ones starts a subscription
    const mixed = only<PaymentEvent>('transaction.completed.oneoff.json', (d) => {
      d.items.push({ ...structuredClone(d.items[0]), price: { ...d.items[0].price, id: 'pri_monthly', billing_cycle: { interval: 'month', frequency: 1 } } });
    });
    expect(mixed.oneOff).toBe(false);
    // a payload whose items carry no price says nothing either way
    expect(only<PaymentEvent>('transaction.completed.oneoff.json', (d) => d.items.forEach((i: Record<string, unknown>) => delete i.price)).oneOff).toBe(false);
  });

  it('origin subscription_recurring is a renewal; other origins are no sale', () => {
    expect(only<PaymentEvent>('transaction.completed.renewal.json').kind).toBe('renewal');
    expect(normalize('transaction.completed.web.json', (d) => (d.origin = 'subscription_payment_method_change')).kind).toBe('ignored');
  });

  it('a subscription update that credits the customer (negative totals) is no sale, not a failure', () => {
    const credit = normalize('transaction.completed.renewal.json', (d) => {
      d.origin = 'subscription_update';
      Object.assign(d.details.totals, { subtotal: '-1500', tax: '0', total: '-1500', grand_total: '-1500' });
    });
    expect(credit).toEqual({ kind: 'ignored', reason: 'transaction credited the customer (grand_total -1500), no sale' });
  });

  it('only an approved refund adjustment reverses', () => {
    expect(normalize('adjustment.created.refund.json').kind).toBe('ignored');
    expect(only<RefundEvent>('adjustment.updated.refund.json')).toMatchObject({
      refundId: 'adj_01rwfxdemoadjust0001',
      paymentRefs: ['txn_01rwfxdemotxnfirst001'],
      amountMinor: 2352n,
      // the tax given back with it: the commission is reversed by the untaxed part
      taxMinor: 392n,
    });
    // a tax above the total is no tax Refwire can share out: the refund counts by its gross
    expect(only<RefundEvent>('adjustment.updated.refund.json', (d) => (d.totals.tax = '9999'))).not.toHaveProperty('taxMinor');
    expect(normalize('adjustment.updated.refund.json', (d) => (d.action = 'credit')).kind).toBe('ignored');
  });

  it('a chargeback Paddle wins (chargeback_reverse) gives the money back', () => {
    // a chargeback is money taken outside refunds: what its reversal gives back is bounded by it
    expect(only<RefundEvent>('adjustment.updated.refund.json', (d) => (d.action = 'chargeback'))).toMatchObject({ withdrawal: true });
    expect(only<RefundEvent>('adjustment.updated.refund.json', (d) => (d.action = 'chargeback'))).not.toHaveProperty('reinstatement');
    expect(only<RefundEvent>('adjustment.updated.refund.json')).not.toHaveProperty('withdrawal');
    expect(only<RefundEvent>('adjustment.updated.refund.json', (d) => ((d.action = 'chargeback_reverse'), (d.id = 'adj_reverse')))).toMatchObject({
      refundId: 'adj_reverse',
      paymentRefs: ['txn_01rwfxdemotxnfirst001'],
      amountMinor: 2352n,
      reinstatement: true,
    });
  });

  it('customer events teach the email Paddle payloads never carry', () => {
    expect(only<FactsEvent>('customer.created.json').customer).toEqual({ id: 'ctm_01rwfxdemocustomer0001', email: 'jamie.rivera@example.com' });
  });

  it('refuses a numeric amount with a fraction, never reading it as a float', () => {
    expect(normalize('transaction.completed.web.json', (d) => ((d.details.totals.grand_total = '47.04'), (d.details.totals.total = '47.04'))).kind).toBe('invalid');
  });
});
