import { mulDivRound } from '../../commission/money';
import { emptyHints, eventsOf, type Normalized } from '../../domain/normalized-event';
import { arr, at, currencyCode, isoDate, minor, obj, str, unique, type Json } from '../shared/read';

/**
 * Paddle Billing notifications → normalized events. Amounts are strings of minor units; payloads carry no email
 * (customer.created/updated teach it) and no discount code (coupons match on the discount id). A transaction is
 * reported by transaction.paid and transaction.completed: both normalize to one payment key.
 */
export function normalizePaddleEvent(event: Json): Normalized {
  const type = str(event.event_type);
  const data = obj(event.data);
  // an event Refwire does not use is ignored whatever it holds (as a failure, every replay of failed events took it up)
  // own entries only: a type named after an Object method (toString) is not a handler
  const handler = type && Object.hasOwn(HANDLERS, type) ? HANDLERS[type] : undefined;
  if (type && !handler) return { kind: 'ignored', reason: `event type "${type}" is not used by Refwire` };
  if (!handler || !data) return { kind: 'invalid', reason: 'notification has no event_type or data' };
  const occurredAt = isoDate(event.occurred_at);
  if (!occurredAt) return { kind: 'invalid', reason: 'notification has no occurred_at' };
  return handler(data, occurredAt);
}

type Handler = (data: Json, occurredAt: Date) => Normalized;



const currencyOf = (data: Json) => currencyCode(data.currency_code);

/** origin → what the payment is; other origins (payment method change…) carry no new sale. */
const ORIGINS: Record<string, 'purchase' | 'renewal'> = {
  web: 'purchase',
  api: 'purchase',
  subscription_recurring: 'renewal',
  subscription_update: 'renewal',
  subscription_charge: 'renewal',
};

function transaction(data: Json, occurredAt: Date): Normalized {
  const id = str(data.id);
  if (!id) return { kind: 'invalid', reason: 'transaction has no id' };
  const origin = str(data.origin);
  const kind = origin ? ORIGINS[origin] : undefined;
  if (!kind) return { kind: 'ignored', reason: `transaction origin "${origin ?? 'none'}" is not a sale` };
  const totals = obj(at(data, 'details', 'totals'));
  const currency = currencyOf(data);
  const gross = minor(totals?.grand_total) ?? minor(totals?.total);
  if (!currency || gross === null) return { kind: 'invalid', reason: 'transaction has no details.totals.grand_total or currency_code' };
  if (gross === 0n) return { kind: 'ignored', reason: 'transaction charged nothing (grand_total 0)' };
  // a subscription update that credits the customer (a downgrade's proration) totals below zero: no sale, and the
  // credit is spent by the later payments, which are rated on what they charge
  if (gross < 0n) return { kind: 'ignored', reason: `transaction credited the customer (grand_total ${gross}), no sale` };
  const items = arr(data.items).map(obj);
  return eventsOf({
    kind,
    paymentKey: id,
    aliases: [],
    occurredAt: isoDate(data.billed_at) ?? occurredAt,
    customer: { id: str(data.customer_id), email: null },
    subscriptionId: str(data.subscription_id),
    oneOff: oneTimePricesOnly(data, items),
    currency,
    grossMinor: gross,
    taxMinor: chargedTax(totals, gross),
    productIds: unique(items.flatMap((i) => [str(at(i, 'price', 'id')), str(at(i, 'price', 'product_id'))])),
    hints: {
      ...emptyHints(),
      couponIds: unique([str(data.discount_id)]),
      referralCode: str(obj(data.custom_data)?.referral_code),
    },
  });
}

/**
 * A transaction whose every item has a price without a billing cycle buys nothing recurring, so it starts no
 * subscription. Its subscription id alone cannot say: transaction.paid names none for the checkout that creates one
 * (the subscription exists from transaction.completed on). An item without its price says nothing either way.
 */
function oneTimePricesOnly(data: Json, items: (Json | null)[]): boolean {
  if (str(data.subscription_id) !== null || items.length === 0) return false;
  return items.every((item) => {
    const price = obj(item?.price);
    return price !== null && 'billing_cycle' in price && price.billing_cycle === null;
  });
}

/**
 * The tax within what the transaction charged (`grand_total`). A credit from the customer's balance pays part of the
 * total, and with it part of the tax: Paddle reports the tax on the grand total as `grand_total_tax` (its example:
 * total 12000 with tax 2000, a credit of 9000, grand_total 3000 with grand_total_tax 500). A payload without it (older
 * ones) carries the total's tax, of which the grand total bears its share. Never above what was charged.
 */
function chargedTax(totals: Json | null, gross: bigint): bigint {
  const tax = minor(totals?.tax) ?? 0n;
  const total = minor(totals?.total);
  const onGrandTotal = minor(totals?.grand_total_tax) ?? (total !== null && total > gross ? mulDivRound(tax, gross, total) : tax);
  return onGrandTotal < 0n ? 0n : onGrandTotal > gross ? gross : onGrandTotal;
}

const SUBSCRIPTION_FACTS = {
  'subscription.created': 'subscription_started',
  'subscription.updated': 'subscription_changed',
  'subscription.canceled': 'subscription_canceled',
} as const;

function subscription(fact: (typeof SUBSCRIPTION_FACTS)[keyof typeof SUBSCRIPTION_FACTS]): Handler {
  return (data, occurredAt) => {
    const id = str(data.id);
    if (!id) return { kind: 'invalid', reason: 'subscription has no id' };
    const firstTransaction = str(data.transaction_id);
    return eventsOf({
      kind: 'facts',
      fact,
      occurredAt,
      customer: { id: str(data.customer_id), email: null },
      subscriptionId: id,
      discountId: null,
      paymentAliases: unique([firstTransaction]),
      paymentKey: firstTransaction,
      hints: {
        ...emptyHints(),
        couponIds: unique([str(at(data, 'discount', 'id'))]),
        subscriptionReferralCode: str(obj(data.custom_data)?.referral_code),
      },
    });
  };
}

/**
 * Only approved refunds (and chargebacks, which Paddle approves itself) reverse commission; a chargeback Paddle
 * wins comes back as `chargeback_reverse`, which gives the money back. A chargeback is money taken outside refunds
 * (a withdrawal), so what a `chargeback_reverse` gives back is bounded by the chargebacks counted before it: one
 * whose chargeback was never counted (not delivered, or delivered only as `reversed`) gives nothing back, and so
 * cancels no real refund. A `credit` returns no money: it goes to the
 * customer's balance and lowers the grand_total of the transactions that spend it, which are rated on what they
 * charge, so reversing it too would count it twice.
 */
function adjustment(data: Json, occurredAt: Date): Normalized {
  const id = str(data.id);
  const action = str(data.action);
  if (!id) return { kind: 'invalid', reason: 'adjustment has no id' };
  if (action !== 'refund' && action !== 'chargeback' && action !== 'chargeback_reverse') {
    return { kind: 'ignored', reason: `adjustment action "${action ?? 'none'}" is not a refund` };
  }
  const status = str(data.status);
  if (status !== 'approved') return { kind: 'ignored', reason: `adjustment status "${status ?? 'none'}" is not approved` };
  const transactionId = str(data.transaction_id);
  const currency = currencyOf(data);
  const amount = minor(at(data, 'totals', 'total'));
  if (!transactionId || !currency || amount === null) return { kind: 'invalid', reason: 'adjustment has no transaction_id, currency_code or totals.total' };
  // the tax given back with it: Paddle refunds tax alone (type "tax", a VAT number given later), or items whose
  // rates differ, so the untaxed part is what the commission is reversed by
  const tax = minor(at(data, 'totals', 'tax'));
  return eventsOf({
    kind: 'refund',
    paymentRefs: [transactionId],
    refundId: id,
    amountMinor: amount,
    ...(tax !== null && tax >= 0n && tax <= amount ? { taxMinor: tax } : {}),
    ...(action === 'chargeback_reverse' ? { reinstatement: true } : action === 'chargeback' ? { withdrawal: true } : {}),
    currency,
    occurredAt: isoDate(data.updated_at) ?? occurredAt,
    customer: { id: str(data.customer_id), email: null },
  });
}

/** Paddle's only source of a customer's email: the email step of the chain needs it. */
function customer(data: Json, occurredAt: Date): Normalized {
  const id = str(data.id);
  if (!id) return { kind: 'invalid', reason: 'customer has no id' };
  return eventsOf({
    kind: 'facts',
    fact: 'customer',
    occurredAt,
    customer: { id, email: str(data.email) },
    subscriptionId: null,
    discountId: null,
    paymentAliases: [],
    paymentKey: null,
    hints: emptyHints(),
  });
}

const HANDLERS: Record<string, Handler> = {
  'transaction.completed': transaction,
  'transaction.paid': transaction,
  'subscription.created': subscription(SUBSCRIPTION_FACTS['subscription.created']),
  'subscription.updated': subscription(SUBSCRIPTION_FACTS['subscription.updated']),
  'subscription.canceled': subscription(SUBSCRIPTION_FACTS['subscription.canceled']),
  'adjustment.created': adjustment,
  'adjustment.updated': adjustment,
  'customer.created': customer,
  'customer.updated': customer,
};
