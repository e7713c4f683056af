import type { FactsEvent, PaymentEvent, RefundEvent } from '../../../src/domain/normalized-event';
import { stripeAdapter } from '../../../src/providers/stripe/adapter';
import { normalizeStripeEvent } from '../../../src/providers/stripe/normalize';
import { loadFixture, loadFixtures } from '../../helpers/fixtures';

const normalize = (file: string, patch: (o: Record<string, any>) => void = () => undefined) => {
  const payload = structuredClone(loadFixture('stripe', file).payload) as Record<string, any>;
  patch(payload.data.object);
  return normalizeStripeEvent(payload);
};
const only = <T>(n: ReturnType<typeof normalizeStripeEvent>): T => {
  if (n.kind !== 'events') throw new Error(`expected events, got ${JSON.stringify(n)}`);
  expect(n.events).toHaveLength(1);
  return n.events[0] as T;
};

describe('Stripe normalization', () => {
  it('every fixture normalizes to events or a typed ignore, never invalid', () => {
    for (const f of loadFixtures('stripe')) expect(['events', 'ignored']).toContain(normalizeStripeEvent(f.payload).kind);
  });

  it('checkout.session.completed in payment mode is a purchase keyed by its payment intent', () => {
    expect(only<PaymentEvent>(normalize('checkout.session.completed.payment.json'))).toEqual({
      kind: 'purchase',
      paymentKey: 'pi_3RwFxDemoPayIntent01',
      aliases: ['cs_test_a1RwFxDemoPaymentSession0001', 'pi_3RwFxDemoPayIntent01'],
      occurredAt: expect.any(Date),
      customer: { id: 'cus_RwFxDemoCust01', email: 'jamie.rivera@example.com' },
      subscriptionId: null,
      // a payment-mode checkout starts no subscription
      oneOff: true,
      currency: 'USD',
      grossMinor: 4000n,
      taxMinor: 0n,
      productIds: [],
      hints: { couponIds: [], discountIds: [], referralCode: 'ACME-PARTNER-42', clientReferenceId: 'rw_user_7f3c2a91', subscriptionReferralCode: null },
    });
  });

  it('async_payment_succeeded reports the same payment key as the completed session', () => {
    const completed = loadFixture('stripe', 'checkout.session.completed.payment.json').payload as Record<string, any>;
    const unpaid = structuredClone(completed);
    unpaid.data.object.payment_status = 'unpaid';
    const succeeded = { ...structuredClone(unpaid), id: 'evt_async', type: 'checkout.session.async_payment_succeeded' };
    const a = only<PaymentEvent>(normalizeStripeEvent(completed));
    const b = only<PaymentEvent>(normalizeStripeEvent(succeeded));
    expect(b.paymentKey).toBe(a.paymentKey);
    expect(only<PaymentEvent>(normalize('checkout.session.async_payment_succeeded.json')).kind).toBe('purchase');
  });

  it('an unpaid payment-mode session is a fact, waiting for async success', () => {
    const facts = only<FactsEvent>(normalize('checkout.session.completed.payment.json', (o) => (o.payment_status = 'unpaid')));
    expect(facts).toMatchObject({ kind: 'facts', fact: 'checkout', paymentKey: 'pi_3RwFxDemoPayIntent01' });
  });

  it('checkout in subscription mode gives attribution facts for the subscription and customer, no money', () => {
    expect(only<FactsEvent>(normalize('checkout.session.completed.subscription.json'))).toMatchObject({
      kind: 'facts',
      fact: 'checkout',
      subscriptionId: 'sub_1RwFxDemoSubscr0001',
      customer: { id: 'cus_RwFxDemoCust01', email: 'jamie.rivera@example.com' },
      paymentKey: null,
      hints: { referralCode: 'ACME-PARTNER-42', clientReferenceId: 'rw_user_7f3c2a91' },
    });
  });

  it('reads Checkout discounts[] coupons and promotion codes', () => {
    const p = only<PaymentEvent>(
      normalize('checkout.session.completed.payment.json', (o) => (o.discounts = [{ coupon: 'RWFX20', promotion_code: 'promo_1' }])),
    );
    expect(p.hints.couponIds).toEqual(['RWFX20', 'promo_1']);
  });

  it('invoice.paid before basil: subscription, charge and payment intent, discount.coupon, line price', () => {
    expect(only<PaymentEvent>(normalize('invoice.paid.subscription_create.json'))).toEqual({
      kind: 'purchase',
      paymentKey: 'in_1RwFxDemoInvCreate01',
      aliases: ['ch_3RwFxDemoSubCharge01', 'pi_3RwFxDemoSubIntent01'],
      occurredAt: new Date(1714549346 * 1000),
      customer: { id: 'cus_RwFxDemoCust01', email: 'jamie.rivera@example.com' },
      subscriptionId: 'sub_1RwFxDemoSubscr0001',
      currency: 'USD',
      grossMinor: 3920n,
      taxMinor: 0n,
      productIds: ['price_1RwFxDemoProMonth1', 'prod_RwFxDemoProPl1'],
      hints: {
        couponIds: ['RWFX20', 'promo_1RwFxDemoPromo0001'],
        discountIds: ['di_1RwFxDemoDiscount001'],
        referralCode: null,
        clientReferenceId: null,
        // 2023-era invoices carry a subscription_details.metadata snapshot
        subscriptionReferralCode: 'ACME-PARTNER-42',
      },
    });
  });

  it('invoice.paid in the basil shape: parent.subscription_details and pricing.price_details', () => {
    expect(only<PaymentEvent>(normalize('invoice.paid.subscription_cycle.basil.json'))).toMatchObject({
      kind: 'renewal',
      paymentKey: 'in_1RwFxDemoInvCycle001',
      aliases: [],
      subscriptionId: 'sub_1RwFxDemoSubscr0001',
      grossMinor: 3920n,
      productIds: ['price_1RwFxDemoProMonth1', 'prod_RwFxDemoProPl1'],
      hints: { discountIds: ['di_1RwFxDemoDiscount001'], subscriptionReferralCode: 'ACME-PARTNER-42', couponIds: [] },
    });
  });

  it('reads clover discounts (discount.source.coupon) and tax', () => {
    const p = only<PaymentEvent>(
      normalize('invoice.paid.subscription_create.json', (o) => {
        o.discount = { id: 'di_2', source: { type: 'coupon', coupon: 'CLOVER10' } };
        o.tax = 320;
      }),
    );
    expect(p.hints.couponIds).toEqual(['CLOVER10']);
    expect(p.taxMinor).toBe(320n);
  });

  it.each([
    ['subscription_update', 'renewal'],
    ['subscription_cycle', 'renewal'],
    ['subscription_threshold', 'renewal'],
    ['automatic_pending_invoice_item_invoice', 'renewal'],
    ['subscription_create', 'purchase'],
  ])('billing_reason %s is a %s', (reason, kind) => {
    expect(only<PaymentEvent>(normalize('invoice.paid.subscription_create.json', (o) => (o.billing_reason = reason))).kind).toBe(kind);
  });

  it.each([
    // 5,390 with 490 tax, 5,000 of it from the customer's credit balance: 390 paid, with 490 × 390 / 5,390 of tax
    [-5000, 390, 35n],
    [-2000, 3390, 308n],
    [0, 5390, 490n],
  ])('an invoice paid partly from a credit balance of %d carries the tax share of what was paid (%d)', (balance, paid, tax) => {
    const p = only<PaymentEvent>(
      normalize('invoice.paid.subscription_create.json', (o) => Object.assign(o, { subtotal: 4900, tax: 490, total: 5390, starting_balance: balance, amount_due: paid, amount_paid: paid })),
    );
    expect([p.grossMinor, p.taxMinor]).toEqual([BigInt(paid), tax]);
  });

  it("an invoice that also collects the customer's earlier debt (a positive starting_balance) counts only its own total", () => {
    const p = only<PaymentEvent>(
      normalize('invoice.paid.subscription_create.json', (o) => Object.assign(o, { subtotal: 4900, tax: 490, total: 5390, starting_balance: 1000, amount_due: 6390, amount_paid: 6390 })),
    );
    expect([p.grossMinor, p.taxMinor]).toEqual([5390n, 490n]);
  });

  it("a proration whose credit carries more tax than its charge (net tax below zero) counts no tax, not a base above what was paid", () => {
    const p = only<PaymentEvent>(
      normalize('invoice.paid.subscription_create.json', (o) => {
        Object.assign(o, { billing_reason: 'subscription_update', subtotal: 3000, total: 2000, amount_due: 2000, amount_paid: 2000 });
        delete o.tax;
        o.total_taxes = [
          { amount: 0, tax_behavior: 'exclusive', taxability_reason: 'reverse_charge', taxable_amount: 5000 },
          { amount: -1000, tax_behavior: 'exclusive', taxability_reason: 'standard_rated', taxable_amount: -5000 },
        ];
      }),
    );
    expect([p.kind, p.grossMinor, p.taxMinor]).toEqual(['renewal', 2000n, 0n]);
  });

  it.each([
    ['a manual invoice', (o: any) => (o.billing_reason = 'manual'), /billing_reason "manual"/],
    // nothing of its own: what it collected is the customer's earlier debt
    ['an invoice totalling 0 that settles an earlier balance', (o: any) => Object.assign(o, { total: 0, subtotal: 0, tax: 0, starting_balance: 500, amount_due: 500, amount_paid: 500 }), /total 0 is no sale/],
    ['a zero invoice (trial)', (o: any) => (o.amount_paid = 0), /paid nothing/],
  ])('ignores %s with a reason', (_l, patch, reason) => {
    expect(normalize('invoice.paid.subscription_create.json', patch)).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  it('charge.refunded is a cumulative refund of the charge and its payment intent', () => {
    expect(only<RefundEvent>(normalize('charge.refunded.json'))).toMatchObject({
      kind: 'refund',
      paymentRefs: ['ch_3RwFxDemoCharge0001', 'pi_3RwFxDemoPayIntent01'],
      refundId: null,
      amountMinor: 4000n,
      currency: 'USD',
    });
  });

  it('a lost dispute is a withdrawal of the disputed amount keyed by the dispute id; opened and won are ignored', () => {
    expect(only<RefundEvent>(normalize('charge.dispute.closed.lost.json', (o) => (o.amount = 1500)))).toEqual({
      kind: 'refund',
      paymentRefs: ['ch_3RwFxDemoCharge0001', 'pi_3RwFxDemoPayIntent01'],
      refundId: 'dp_1RwFxDemoDispute0001',
      amountMinor: 1500n,
      currency: 'USD',
      occurredAt: new Date(1753012801 * 1000),
      customer: { id: null, email: null },
      withdrawal: true,
    });
    expect(normalize('charge.dispute.created.json')).toEqual({ kind: 'ignored', reason: expect.stringContaining('until it is closed as lost') });
    expect(normalize('charge.dispute.closed.won.json')).toEqual({ kind: 'ignored', reason: expect.stringContaining('"won"') });
    for (const status of ['warning_closed', 'prevented']) expect(normalize('charge.dispute.closed.lost.json', (o) => (o.status = status)).kind).toBe('ignored');
    expect(normalize('charge.dispute.closed.lost.json', (o) => ((o.charge = null), (o.payment_intent = null))).kind).toBe('invalid');
    expect(normalize('charge.dispute.closed.lost.json', (o) => delete o.amount).kind).toBe('invalid');
    // auto-connect asks Stripe for exactly the adapter's list
    expect(stripeAdapter.webhookEvents).toEqual(expect.arrayContaining(['charge.dispute.created', 'charge.dispute.closed']));
  });

  it('refund.created is one refund with its id; a refund that has not succeeded is ignored', () => {
    expect(only<RefundEvent>(normalize('refund.created.json'))).toMatchObject({ refundId: 're_3RwFxDemoRefund0001', amountMinor: 4000n });
    expect(normalize('refund.created.json', (o) => (o.status = 'pending')).kind).toBe('ignored');
  });

  it('subscription events are lifecycle facts carrying subscription metadata and coupons', () => {
    expect(only<FactsEvent>(normalize('customer.subscription.created.json'))).toMatchObject({
      fact: 'subscription_started',
      subscriptionId: 'sub_1RwFxDemoSubscr0001',
      customer: { id: 'cus_RwFxDemoCust01' },
      hints: { subscriptionReferralCode: 'ACME-PARTNER-42', couponIds: ['RWFX20', 'promo_1RwFxDemoPromo0001'] },
    });
    expect(only<FactsEvent>(normalize('customer.subscription.deleted.json')).fact).toBe('subscription_canceled');
  });

  it('customer.discount.created teaches which coupon a discount id stands for', () => {
    expect(only<FactsEvent>(normalize('customer.discount.created.json'))).toMatchObject({
      fact: 'discount',
      discountId: 'di_1RwFxDemoDiscount001',
      hints: { couponIds: ['RWFX20', 'promo_1RwFxDemoPromo0001'] },
    });
  });

  it.each([
    ['no data.object', (e: any) => delete e.data.object],
    ['a paid session without amount', (e: any) => delete e.data.object.amount_total],
    ['a fractional amount', (e: any) => (e.data.object.amount_total = 40.5)],
  ])('marks an event with %s invalid, with a reason', (_l, patch) => {
    const payload = structuredClone(loadFixture('stripe', 'checkout.session.completed.payment.json').payload) as any;
    patch(payload);
    expect(normalizeStripeEvent(payload)).toEqual({ kind: 'invalid', reason: expect.any(String) });
  });

  it('ignores event types it does not use', () => {
    expect(normalizeStripeEvent(loadFixture('stripe', 'product.created.json').payload)).toEqual({
      kind: 'ignored',
      reason: 'event type "product.created" is not used by Refwire',
    });
  });
});

describe('Stripe normalization: payment ids', () => {
  it('invoice_payment.paid links a basil invoice to its payment intent', () => {
    const n = normalizeStripeEvent(loadFixture('stripe', 'invoice_payment.paid.basil.json').payload);
    expect(n).toEqual({
      kind: 'events',
      events: [expect.objectContaining({ kind: 'facts', fact: 'payment_ids', paymentKey: 'in_1RwFxDemoInvCycle001', paymentAliases: ['pi_3RwFxDemoCycIntent01'] })],
    });
  });
});

describe('Stripe normalization: the other payload shapes', () => {
  it('a basil first invoice reads parent.subscription_details and pricing.price_details', () => {
    expect(only<PaymentEvent>(normalize('invoice.paid.subscription_create.basil.json'))).toMatchObject({
      kind: 'purchase',
      subscriptionId: 'sub_1RwFxDemoSubscr0001',
      grossMinor: 3920n,
      productIds: expect.arrayContaining(['price_1RwFxDemoProMonth1', 'prod_RwFxDemoProPl1']),
      hints: { subscriptionReferralCode: 'ACME-PARTNER-42', discountIds: ['di_1RwFxDemoDiscount001'] },
    });
  });

  it('an acacia renewal reads invoice.subscription, its charge and payment intent, and discount.coupon', () => {
    const renewal = only<PaymentEvent>(normalize('invoice.paid.subscription_cycle.json'));
    expect(renewal).toMatchObject({ kind: 'renewal', subscriptionId: 'sub_1RwFxDemoSubscr0001', hints: { couponIds: expect.arrayContaining(['RWFX20']) } });
    expect(renewal.aliases).toEqual(expect.arrayContaining(['pi_3RwFxDemoCycIntent01']));
  });

  it('a clover discount names its coupon in source.coupon', () => {
    expect(only<FactsEvent>(normalize('customer.discount.created.clover.json')).hints.couponIds).toEqual(
      expect.arrayContaining(['RWFX20']),
    );
  });

  it('a basil subscription update carries its metadata', () => {
    expect(only<FactsEvent>(normalize('customer.subscription.updated.basil.json'))).toMatchObject({
      fact: 'subscription_changed',
      subscriptionId: 'sub_1RwFxDemoSubscr0001',
      hints: { subscriptionReferralCode: 'ACME-PARTNER-42' },
    });
  });

  it('a basil Checkout session lists its coupon in discounts[] and a basil charge.refunded is cumulative', () => {
    const purchase = only<PaymentEvent>(normalize('checkout.session.completed.payment.basil.json'));
    expect(purchase).toMatchObject({ paymentKey: 'pi_3RwFxDemoPayIntent02', hints: { couponIds: ['RWFX20'] } });
    const refund = only<RefundEvent>(normalize('charge.refunded.basil.json'));
    expect(refund).toMatchObject({ refundId: null, amountMinor: 1000n, paymentRefs: expect.arrayContaining(['pi_3RwFxDemoPayIntent02']) });
  });
});
