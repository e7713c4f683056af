import { emptyHints, eventsOf, type Normalized } from '../../domain/normalized-event';
import { currencyCode, isoDate, minor, obj, str, unique, type Json } from '../shared/read';

/**
 * Lemon Squeezy webhooks (JSON:API) → normalized events. A subscription's first payment is reported by
 * order_created, subscription_created and subscription_payment_success (billing_reason "initial"): the order
 * carries the money, the other two only facts. Refunds carry a cumulative refunded_amount. The referral code
 * is in meta.custom_data (checkout[custom][referral_code]).
 */
export function normalizeLemonSqueezyEvent(event: Json): Normalized {
  const meta = obj(event.meta);
  const data = obj(event.data);
  const type = str(meta?.event_name);
  const attributes = obj(data?.attributes);
  const id = data?.id !== undefined && data.id !== null ? String(data.id) : null;
  // an event Refwire does not use is ignored whatever it holds: judged invalid, it counted as a failure and every
  // replay of failed events took it up again
  // own entries only: a type named after an Object method (toString) is not a handler
  const handler = type && Object.hasOwn(HANDLERS, type) ? HANDLERS[type] : undefined;
  if (type && !handler) return { kind: 'ignored', reason: `event type "${type}" is not used by Refwire` };
  if (!handler || !attributes || !id) return { kind: 'invalid', reason: 'webhook has no meta.event_name, data.id or data.attributes' };
  const occurredAt = isoDate(attributes.updated_at) ?? isoDate(attributes.created_at);
  if (!occurredAt) return { kind: 'invalid', reason: 'webhook has no created_at/updated_at' };
  return handler({ id, attributes, referralCode: str(obj(meta?.custom_data)?.referral_code), occurredAt });
}

type Input = { id: string; attributes: Json; referralCode: string | null; occurredAt: Date };
type Handler = (input: Input) => Normalized;


/** Order and invoice ids are both plain numbers: the prefix keeps their payment keys apart. */
const orderKey = (id: unknown) => (id === null || id === undefined ? null : `order:${String(id)}`);
const invoiceKey = (id: unknown) => (id === null || id === undefined ? null : `invoice:${String(id)}`);
/**
 * A subscription's first payment under a name both sides know: its initial invoice names the subscription but not
 * the order that carries the money, and subscription_* events name that order. The subscription's events make it an
 * alias of the order, and a refund of the initial invoice names it, so the refund finds the order's payment.
 */
const firstPaymentKey = (subscriptionId: string | null) => (subscriptionId === null ? null : `subscription:${subscriptionId}:first`);
const idString = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && v !== '') ? String(v) : null);


const currencyOf = (a: Json) => currencyCode(a.currency);

function orderCreated({ id, attributes: a, referralCode, occurredAt }: Input): Normalized {
  const status = str(a.status);
  if (status !== 'paid') return { kind: 'ignored', reason: `order status "${status ?? 'none'}" is not paid` };
  const currency = currencyOf(a);
  const total = minor(a.total);
  if (!currency || total === null) return { kind: 'invalid', reason: 'order has no total or currency' };
  const customer = { id: idString(a.customer_id), email: str(a.user_email) };
  const hints = { ...emptyHints(), couponIds: unique([str(a.discount_code)]), referralCode };
  if (total === 0n) {
    // Nothing charged (a first month free with an affiliate's code): no sale, but what the order carries (its
    // discount code, found by the enricher, and the referral code) attributes the customer's later payments, as a
    // checkout does.
    return eventsOf({ kind: 'facts', fact: 'checkout', occurredAt: isoDate(a.created_at) ?? occurredAt, customer, subscriptionId: null, discountId: null, paymentAliases: [], paymentKey: null, hints });
  }
  const item = obj(a.first_order_item);
  return eventsOf({
    kind: 'purchase',
    paymentKey: orderKey(id)!,
    aliases: [],
    occurredAt: isoDate(a.created_at) ?? occurredAt,
    customer,
    subscriptionId: null,
    currency,
    grossMinor: total,
    taxMinor: minor(a.tax) ?? 0n,
    productIds: unique([idString(item?.product_id), idString(item?.variant_id)]),
    hints,
  });
}

const INVOICE_KINDS: Record<string, 'renewal'> = { renewal: 'renewal', updated: 'renewal' };

function paymentSuccess({ id, attributes: a, referralCode, occurredAt }: Input): Normalized {
  const reason = str(a.billing_reason);
  const subscriptionId = idString(a.subscription_id);
  if (reason === 'initial') {
    // The first payment's money is counted from order_created; this event adds facts only.
    return eventsOf({
      kind: 'facts',
      fact: 'payment_ids',
      occurredAt,
      customer: { id: idString(a.customer_id), email: str(a.user_email) },
      subscriptionId,
      discountId: null,
      paymentAliases: [invoiceKey(id)!],
      paymentKey: null,
      hints: { ...emptyHints(), subscriptionReferralCode: referralCode },
    });
  }
  const kind = reason ? INVOICE_KINDS[reason] : undefined;
  if (!kind) return { kind: 'ignored', reason: `invoice billing_reason "${reason ?? 'none'}" is not a payment Refwire counts` };
  const currency = currencyOf(a);
  const total = minor(a.total);
  if (!currency || total === null) return { kind: 'invalid', reason: 'invoice has no total or currency' };
  if (total === 0n) return { kind: 'ignored', reason: 'invoice charged nothing (total 0)' };
  // a plan change that credits the customer (a downgrade's proration) totals below zero: no sale, as Paddle's
  if (total < 0n) return { kind: 'ignored', reason: `invoice credited the customer (total ${total}), no sale` };
  return eventsOf({
    kind,
    paymentKey: invoiceKey(id)!,
    aliases: [],
    occurredAt: isoDate(a.created_at) ?? occurredAt,
    customer: { id: idString(a.customer_id), email: str(a.user_email) },
    subscriptionId,
    currency,
    grossMinor: total,
    taxMinor: minor(a.tax) ?? 0n,
    productIds: [],
    hints: { ...emptyHints(), couponIds: unique([str(a.discount_code)]), subscriptionReferralCode: referralCode },
  });
}

/** refunded_amount is cumulative on orders and invoices: reverse only what is new. */
function refunded(key: (id: unknown) => string | null): Handler {
  return ({ id, attributes: a, occurredAt }) => {
    const currency = currencyOf(a);
    const amount = minor(a.refunded_amount);
    if (!currency || amount === null) return { kind: 'invalid', reason: 'refund has no refunded_amount or currency' };
    const initial = str(a.billing_reason) === 'initial' ? firstPaymentKey(idString(a.subscription_id)) : null;
    return eventsOf({
      kind: 'refund',
      paymentRefs: unique([key(id), initial]),
      refundId: null,
      amountMinor: amount,
      currency,
      occurredAt: isoDate(a.refunded_at) ?? occurredAt,
      customer: { id: idString(a.customer_id), email: str(a.user_email) },
    });
  };
}

function subscription(fact: 'subscription_started' | 'subscription_changed' | 'subscription_canceled'): Handler {
  return ({ id, attributes: a, referralCode, occurredAt }) => {
    const firstOrder = orderKey(a.order_id);
    return eventsOf({
      kind: 'facts',
      fact,
      occurredAt,
      customer: { id: idString(a.customer_id), email: str(a.user_email) },
      subscriptionId: id,
      discountId: null,
      paymentAliases: firstOrder ? unique([firstOrder, firstPaymentKey(id)]) : [],
      paymentKey: firstOrder,
      hints: { ...emptyHints(), subscriptionReferralCode: referralCode },
      // its renewals' invoices name no product: what the subscription is on rates them (product rules)
      productIds: unique([idString(a.product_id), idString(a.variant_id)]),
    });
  };
}

const HANDLERS: Record<string, Handler> = {
  order_created: orderCreated,
  order_refunded: refunded(orderKey),
  subscription_payment_success: paymentSuccess,
  subscription_payment_refunded: refunded(invoiceKey),
  subscription_created: subscription('subscription_started'),
  subscription_updated: subscription('subscription_changed'),
  subscription_cancelled: subscription('subscription_canceled'),
  subscription_expired: subscription('subscription_canceled'),
};
