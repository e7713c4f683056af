import { hasLoneSurrogate } from '../util/text';
import { DATE_RANGE_TEXT, isStorableDate, MAX_AMOUNT_MINOR } from './bounds';
import { isIsoCurrency } from '../util/iso-currency';

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
  /**
   * The provider says the payment belongs to no subscription (Stripe's payment-mode checkout, a Paddle transaction
   * of one-time prices only, a Polar `purchase`, a Lemon Squeezy order whose variant its API says is no
   * subscription's). Absent where it cannot say: a Lemon Squeezy order without an API key may be a subscription's
   * first, known only once that subscription's events name it.
   */
  oneOff?: boolean;
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
  /**
   * The tax within `amountMinor`, when the provider says (Paddle's adjustments; Polar's refunds and refunded totals).
   * The commission was computed on the payment's base (tax excluded), so such a refund, or refunded total, reverses
   * it by its own untaxed share of that base: a refund of
   * tax alone (a VAT number given after the purchase) reverses nothing, and items taxed at different rates each
   * reverse what they earned. Without it, the refund's share of the gross.
   */
  taxMinor?: bigint;
  currency: string;
  occurredAt: Date;
  customer: Customer;
  /**
   * Money taken back outside refunds (a lost dispute, a chargeback): no cumulative refund report includes it, so it
   * adds to the refunds instead of being compared with them. Needs a `refundId`.
   */
  withdrawal?: boolean;
  /**
   * Money given back after a chargeback (Paddle's `chargeback_reverse`, when Paddle wins it): lowers the refunded
   * total by `amountMinor`, at most by what the withdrawals before it took. Needs a `refundId`.
   */
  reinstatement?: boolean;
  /**
   * The refund `refundId` did not go through after all (Stripe: it failed or was canceled, and the money went back
   * to the merchant): it no longer counts, nor in the cumulative totals reported since it was created
   * (`createdAt`), which included it. `amountMinor` is the refund's amount; `occurredAt` is when it failed.
   */
  unsuccessful?: { createdAt: Date };
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
  /** what the subscription is on from `occurredAt`, where the provider's renewals do not say (Lemon Squeezy) */
  productIds?: string[];
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

/**
 * Events as the ledger keeps them, whichever provider made them: a customer's email trimmed and lower-cased (an empty
 * one is none), as every email in Refwire is, so the email step and the self-referral check read one address; and
 * hints no column could hold left out.
 */
export function canonicalEvents(events: readonly NormalizedEvent[]): NormalizedEvent[] {
  return events.map((e) => {
    const email = e.customer.email?.trim().toLowerCase() || null;
    const canonical = email === e.customer.email ? e : ({ ...e, customer: { ...e.customer, email } } as NormalizedEvent);
    return 'hints' in canonical ? ({ ...canonical, hints: usableHints(canonical.hints) } as NormalizedEvent) : canonical;
  });
}

/**
 * A hint no coupon, referral code or id of Refwire's could be (longer than its column, a NUL, half a surrogate pair)
 * matches nothing: it is left out, and the payment is kept and attributed by its other hints, where it would have
 * failed the whole event (a 300-character metadata referral_code beside a coupon that names the affiliate).
 */
function usableHints(h: Hints): Hints {
  const usable = (v: string) => textProblem(v, MAX_ID_LENGTH) === null;
  const one = (v: string | null) => (v === null || usable(v) ? v : null);
  return {
    couponIds: h.couponIds.filter(usable),
    discountIds: h.discountIds.filter(usable),
    referralCode: one(h.referralCode),
    clientReferenceId: one(h.clientReferenceId),
    subscriptionReferralCode: one(h.subscriptionReferralCode),
  };
}

/** The widest id, code or key a column takes (VARCHAR(255)); emails VARCHAR(320). */
const MAX_ID_LENGTH = 255;
const MAX_EMAIL_LENGTH = 320;

/** Why a text cannot be stored in a column of `max` characters, or null. */
function textProblem(value: string, max: number): string | null {
  // PostgreSQL text and jsonb cannot hold U+0000
  if (value.includes('\u0000')) return 'holds a NUL character';
  if (hasLoneSurrogate(value)) return 'holds half of a UTF-16 surrogate pair';
  return value.length > max ? `is longer than ${max} characters` : null;
}

/** Why a value (an event, or a part of one at `path`) cannot be stored, or null. */
function valueProblem(value: unknown, path: string): string | null {
  if (typeof value === 'string') {
    const problem = textProblem(value, /(^|\.)email$/.test(path) ? MAX_EMAIL_LENGTH : MAX_ID_LENGTH);
    return problem ? `${path} ${problem}` : null;
  }
  if (typeof value === 'bigint') return value < 0n || value > MAX_AMOUNT_MINOR ? `${path} ${value} is outside 0 to ${MAX_AMOUNT_MINOR} minor units` : null;
  if (value instanceof Date) return isStorableDate(value) ? null : `${path} is not a date ${DATE_RANGE_TEXT}`;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = valueProblem(item, `${path}.${i}`);
      if (problem) return problem;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const problem = valueProblem(item, path === '' ? key : `${path}.${key}`);
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * Why normalized events cannot be applied, or null: checked once, after normalization and enrichment, for every
 * provider alike. Such an event would fail in the database on each attempt (a NUL, an id longer than its column,
 * an amount no bigint holds) or be stored wrong (a currency that is not ISO 4217), so it is marked failed at once
 * instead of retried.
 */
export function unusableReason(events: readonly NormalizedEvent[]): string | null {
  for (const event of events) {
    if (event.kind !== 'facts' && !isIsoCurrency(event.currency)) return `currency "${event.currency}" is not an ISO 4217 code`;
    if (event.kind !== 'refund' && event.kind !== 'facts' && event.taxMinor > event.grossMinor) return `taxMinor ${event.taxMinor} exceeds grossMinor ${event.grossMinor}`;
    const problem = valueProblem(event, '');
    if (problem) return problem;
  }
  return null;
}
