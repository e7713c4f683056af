import { emptyHints, eventsOf, type Normalized, type NormalizedEvent } from '../../domain/normalized-event';
import { arr, at, currencyCode, isoDate, minor, obj, str, unique, type Json } from '../shared/read';

/**
 * Polar webhooks → normalized events. One order is reported by order.created / order.updated / order.paid: all
 * normalize to one payment key, counted once it is paid. A refund is reported by refund.created/updated (one
 * refund, counted when succeeded) and order.refunded (cumulative refunded_amount): the ledger counts it once.
 * Polar's refund amounts are net of tax, its order's total_amount is not: see refundedOf.
 */
export function normalizePolarEvent(event: Json): Normalized {
  const type = str(event.type);
  const data = obj(event.data);
  // an event Refwire does not use is ignored whatever it holds (as a failure, every replay of failed events took it up)
  // own entries only: a type named after an Object method (toString) is not a handler
  const handler = type && Object.hasOwn(HANDLERS, type) ? HANDLERS[type] : undefined;
  if (type && !handler) return { kind: 'ignored', reason: `event type "${type}" is not used by Refwire` };
  if (!handler || !data) return { kind: 'invalid', reason: 'webhook has no type or data' };
  const occurredAt = isoDate(event.timestamp) ?? isoDate(data.modified_at) ?? isoDate(data.created_at);
  if (!occurredAt) return { kind: 'invalid', reason: 'webhook has no timestamp' };
  return handler(data, occurredAt);
}

type Handler = (data: Json, occurredAt: Date) => Normalized;



const currencyOf = (data: Json) => currencyCode(data.currency);

/**
 * What a refund gave back, and the tax within it. Polar reports a refund net of tax with its tax beside it
 * (Refund.amount and tax_amount, whose sum is what Stripe refunded; Order.refunded_amount and refunded_tax_amount)
 * and counts the order at total_amount, tax included. Like with like (PRODUCT.md §11): the refund's untaxed part is
 * compared with the order's untaxed base (RefundEvent.taxMinor, as Paddle's adjustments), so 100.00 given back of a
 * 100.00 + 20.00 order reverses the whole commission whatever tax went with it, and tax given back alone reverses
 * nothing. Measured against the tax-inclusive total, a refund whose tax was not in the order's proportion reversed
 * too little or too much (100.00 without its tax: 16.67 of a 20.00 commission). No tax field is no tax given back.
 */
function refundedOf(amount: unknown, tax: unknown): { amountMinor: bigint; taxMinor: bigint } | null {
  const net = minor(amount);
  if (net === null) return null;
  const given = minor(tax);
  const taxMinor = given !== null && given > 0n ? given : 0n;
  return { amountMinor: net + taxMinor, taxMinor };
}

const REASONS: Record<string, 'purchase' | 'renewal'> = {
  purchase: 'purchase',
  subscription_create: 'purchase',
  subscription_cycle: 'renewal',
  subscription_update: 'renewal',
  subscription_meter_cycle: 'renewal',
};

function discountHints(data: Json): string[] {
  return unique([str(data.discount_id), str(at(data, 'discount', 'id')), str(at(data, 'discount', 'code'))]);
}

function customerOf(data: Json) {
  return { id: str(data.customer_id) ?? str(at(data, 'customer', 'id')), email: str(at(data, 'customer', 'email')) };
}

/**
 * `metadata.referral_code` when the merchant's checkout set it; else `metadata.reference_id`, the one value a Polar
 * checkout link takes from its URL, which Refwire's tracking script fills with the referral code.
 */
function referralCodeOf(data: Json): string | null {
  const metadata = obj(data.metadata);
  return str(metadata?.referral_code) ?? str(metadata?.reference_id);
}

function order(data: Json, occurredAt: Date): Normalized {
  const id = str(data.id);
  if (!id) return { kind: 'invalid', reason: 'order has no id' };
  const paid = data.paid === true || str(data.status) === 'paid' || str(data.status) === 'refunded' || str(data.status) === 'partially_refunded';
  const hints = { ...emptyHints(), couponIds: discountHints(data), referralCode: referralCodeOf(data) };
  if (!paid) {
    // Not paid yet: what it says about attribution is kept for when it is.
    return eventsOf({
      kind: 'facts',
      fact: 'checkout',
      occurredAt,
      customer: customerOf(data),
      subscriptionId: str(data.subscription_id),
      discountId: null,
      paymentAliases: unique([str(data.checkout_id)]),
      paymentKey: id,
      hints,
    });
  }
  const reason = str(data.billing_reason);
  const kind = reason ? REASONS[reason] : undefined;
  if (!kind) return { kind: 'ignored', reason: `order billing_reason "${reason ?? 'none'}" is not a sale` };
  const currency = currencyOf(data);
  // payloads from before total_amount (replayed) carry amount, which was before tax (net_amount's former name)
  const before = minor(data.amount);
  const total = minor(data.total_amount) ?? (before === null ? null : before + (minor(data.tax_amount) ?? 0n));
  if (!currency || total === null) return { kind: 'invalid', reason: 'order has no total_amount or currency' };
  if (total === 0n) return { kind: 'ignored', reason: 'order charged nothing (total_amount 0)' };
  // a subscription update that credits the customer (a downgrade's proration) totals below zero: no sale, as Paddle's
  if (total < 0n) return { kind: 'ignored', reason: `order credited the customer (total_amount ${total}), no sale` };
  // Part of the order paid from the customer's credit (an earlier downgrade's, say; applied_balance_amount is then
  // negative: Polar's due_amount is total_amount + applied_balance_amount) was not paid now, as Stripe's amount_paid
  // leaves it out. Polar takes it off the untaxed amount (its refundable amount is net + applied), so the tax stays
  // whole within what was paid. A positive applied amount settles an earlier debt: not this sale's money.
  const credit = minor(data.applied_balance_amount) ?? 0n;
  const charged = credit < 0n ? total + credit : total;
  if (charged <= 0n) return { kind: 'ignored', reason: `order paid from the customer's balance (total_amount ${total}, applied_balance_amount ${credit}), nothing charged` };
  const tax = minor(data.tax_amount) ?? 0n;
  const payment: NormalizedEvent = {
    kind,
    paymentKey: id,
    aliases: unique([str(data.checkout_id)]),
    occurredAt: isoDate(data.created_at) ?? occurredAt,
    customer: customerOf(data),
    subscriptionId: str(data.subscription_id),
    // a one-time product's order; every subscription's order has its own billing reason
    oneOff: reason === 'purchase' && str(data.subscription_id) === null,
    currency,
    grossMinor: charged,
    taxMinor: tax < charged ? tax : charged,
    productIds: unique([
      str(data.product_id),
      str(at(data, 'product', 'id')),
      ...arr(data.items).map((i) => str(obj(i)?.product_price_id)),
    ]),
    hints,
  };
  // An order already (partly) refunded reports its cumulative refund: counted once with order.refunded.
  const refunded = refundedOf(data.refunded_amount, data.refunded_tax_amount);
  return refunded !== null && refunded.amountMinor > 0n
    ? eventsOf(payment, { kind: 'refund', paymentRefs: [id], refundId: null, ...refunded, currency, occurredAt, customer: customerOf(data) })
    : eventsOf(payment);
}

function orderRefunded(data: Json, occurredAt: Date): Normalized {
  const id = str(data.id);
  const currency = currencyOf(data);
  const refunded = refundedOf(data.refunded_amount, data.refunded_tax_amount);
  if (!id || !currency || refunded === null) return { kind: 'invalid', reason: 'order has no id, currency or refunded_amount' };
  return eventsOf({ kind: 'refund', paymentRefs: [id], refundId: null, ...refunded, currency, occurredAt, customer: customerOf(data) });
}

function refund(data: Json, occurredAt: Date): Normalized {
  const id = str(data.id);
  const orderId = str(data.order_id);
  const currency = currencyOf(data);
  const refunded = refundedOf(data.amount, data.tax_amount);
  if (!id || !orderId || !currency || refunded === null) return { kind: 'invalid', reason: 'refund has no id, order_id, currency or amount' };
  const status = str(data.status);
  if (status !== 'succeeded') return { kind: 'ignored', reason: `refund status "${status ?? 'none'}" is not succeeded` };
  return eventsOf({ kind: 'refund', paymentRefs: [orderId], refundId: id, ...refunded, currency, occurredAt, customer: customerOf(data) });
}

function subscription(fact: 'subscription_started' | 'subscription_changed' | 'subscription_canceled'): Handler {
  return (data, occurredAt) => {
    const id = str(data.id);
    if (!id) return { kind: 'invalid', reason: 'subscription has no id' };
    return eventsOf({
      kind: 'facts',
      fact,
      occurredAt,
      customer: customerOf(data),
      subscriptionId: id,
      discountId: null,
      paymentAliases: unique([str(data.checkout_id)]),
      paymentKey: null,
      hints: { ...emptyHints(), couponIds: discountHints(data), subscriptionReferralCode: referralCodeOf(data) },
    });
  };
}

const HANDLERS: Record<string, Handler> = {
  'order.created': order,
  'order.updated': order,
  'order.paid': order,
  'order.refunded': orderRefunded,
  'refund.created': refund,
  'refund.updated': refund,
  'subscription.created': subscription('subscription_started'),
  // Becoming active (at once, or after a trial) is a change of the subscription created before: what it says then is
  // dated, as an update's is. Taken as a second start, its metadata or discount and the creation's were merged in
  // arrival order, and whichever came first decided the whole subscription's affiliate.
  'subscription.active': subscription('subscription_changed'),
  'subscription.updated': subscription('subscription_changed'),
  'subscription.canceled': subscription('subscription_canceled'),
  'subscription.revoked': subscription('subscription_canceled'),
};
