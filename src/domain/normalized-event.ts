/**
 * The provider-neutral vocabulary. Only src/providers/<name>/ turns payloads into these; everything after
 * normalization reads nothing else. Amounts are bigint minor units; currencies upper-case ISO 4217.
 */

/** What a payload says about who referred the customer, each kind kept apart for the attribution chain. */
export type Hints = {
  /** provider coupon ids, promotion code ids or discount codes, matched against the project's coupons */
  couponIds: string[];
  /** provider discount object ids whose coupon is learned from other events (Stripe di_…) */
  discountIds: string[];
  /** metadata referral_code of the payment or its checkout */
  referralCode: string | null;
  /** Stripe client_reference_id */
  clientReferenceId: string | null;
  /** the subscription's own metadata referral_code */
  subscriptionReferralCode: string | null;
};

export type Customer = { id: string | null; email: string | null };

/** Money received: counted once per `paymentKey`, whichever and however many events report it. */
export type PaymentEvent = {
  kind: 'purchase' | 'renewal';
  paymentKey: string;
  /** every other provider id of this payment (checkout session, payment intent, charge, …) */
  aliases: string[];
  occurredAt: Date;
  customer: Customer;
  subscriptionId: string | null;
  currency: string;
  /** what the customer paid, tax included */
  grossMinor: bigint;
  taxMinor: bigint;
  /** product and price ids of the lines, for product commission rules */
  productIds: string[];
  hints: Hints;
};

/**
 * A refund of a payment named by any of its ids. `refundId` set: one refund of `amountMinor`; null: the payment's
 * cumulative refunded total is `amountMinor` (Stripe charge.refunded, Lemon Squeezy refunded_amount).
 */
export type RefundEvent = {
  kind: 'refund';
  paymentRefs: string[];
  refundId: string | null;
  /** tax included, like the payment's `grossMinor`: the ledger reverses the commission by their ratio */
  amountMinor: bigint;
  currency: string;
  occurredAt: Date;
  customer: Customer;
};

/**
 * Facts without money: a checkout, a subscription's life, a discount applied, or more ids of a payment.
 * Their hints attach to the subjects named, so a later (or earlier) payment of those subjects can use them.
 */
export type FactsEvent = {
  kind: 'facts';
  fact: 'checkout' | 'subscription_started' | 'subscription_changed' | 'subscription_canceled' | 'discount' | 'payment_ids' | 'customer';
  occurredAt: Date;
  customer: Customer;
  subscriptionId: string | null;
  discountId: string | null;
  /** ids of one payment; with `paymentKey`, they become its aliases */
  paymentAliases: string[];
  paymentKey: string | null;
  hints: Hints;
};

export type NormalizedEvent = PaymentEvent | RefundEvent | FactsEvent;

/** What a provider event means: events to apply, a reason to ignore it, or a reason it cannot be used. */
export type Normalized =
  | { kind: 'events'; events: NormalizedEvent[] }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

export function emptyHints(): Hints {
  return { couponIds: [], discountIds: [], referralCode: null, clientReferenceId: null, subscriptionReferralCode: null };
}

export function eventsOf(...events: NormalizedEvent[]): Normalized {
  return { kind: 'events', events };
}
