import { mulDivRound } from '../../commission/money';
import { emptyHints, eventsOf, type Hints, type Normalized } from '../../domain/normalized-event';
import { arr, at, currencyCode, idOf, minor, obj, str, unique, unixSeconds, type Json } from '../shared/read';

/**
 * Stripe events → normalized events, for payloads before and after API version 2025-03-31 (basil):
 * invoice.subscription vs invoice.parent.subscription_details, discount.coupon vs discount.source.coupon,
 * line price vs pricing.price_details. Money for subscriptions is counted from invoice.paid only; Checkout in
 * subscription mode contributes attribution facts.
 */
export function normalizeStripeEvent(event: Json): Normalized {
  const type = str(event.type);
  const object = obj(at(event, 'data', 'object'));
  // an event Refwire does not use is ignored whatever it holds (as a failure, every replay of failed events took it up)
  // own entries only: a type named after an Object method (toString) is not a handler
  const handler = type && Object.hasOwn(HANDLERS, type) ? HANDLERS[type] : undefined;
  if (type && !handler) return { kind: 'ignored', reason: `event type "${type}" is not used by Refwire` };
  if (!handler || !object) return { kind: 'invalid', reason: 'event has no type or data.object' };
  const occurredAt = unixSeconds(event.created) ?? unixSeconds(object.created);
  if (!occurredAt) return { kind: 'invalid', reason: 'event has no created timestamp' };
  return handler(object, occurredAt);
}

type Handler = (object: Json, occurredAt: Date) => Normalized;


const currencyOf = (object: Json) => currencyCode(object.currency);

function referralCode(metadata: unknown): string | null {
  return str(obj(metadata)?.referral_code);
}

/** Coupon and promotion code ids of a Discount object, in any API version's shape. */
function discountCoupons(discount: unknown): string[] {
  const d = obj(discount);
  if (!d) return [];
  return unique([idOf(d.coupon), idOf(at(d, 'source', 'coupon')), idOf(d.promotion_code)]);
}

/** `discounts[]` holds ids (di_…) or expanded Discount objects; Checkout's holds {coupon, promotion_code}. */
function discountList(list: unknown): { couponIds: string[]; discountIds: string[] } {
  const couponIds: string[] = [];
  const discountIds: string[] = [];
  for (const item of arr(list)) {
    if (typeof item === 'string') discountIds.push(item);
    else {
      couponIds.push(...discountCoupons(item));
      const id = str(obj(item)?.id);
      if (id) discountIds.push(id);
    }
  }
  return { couponIds: unique(couponIds), discountIds: unique(discountIds) };
}

function checkoutSession(session: Json, occurredAt: Date, asyncSucceeded: boolean): Normalized {
  const id = str(session.id);
  if (!id) return { kind: 'invalid', reason: 'checkout session has no id' };
  const discounts = discountList(session.discounts);
  const hints: Hints = {
    ...emptyHints(),
    couponIds: discounts.couponIds,
    discountIds: discounts.discountIds,
    referralCode: referralCode(session.metadata),
    clientReferenceId: str(session.client_reference_id),
  };
  const customer = { id: idOf(session.customer), email: str(at(session, 'customer_details', 'email')) ?? str(session.customer_email) };
  const paymentIntent = idOf(session.payment_intent);
  const mode = str(session.mode);
  const paid = asyncSucceeded || str(session.payment_status) === 'paid';

  if (mode === 'payment' && paid) {
    const currency = currencyOf(session);
    const gross = minor(session.amount_total);
    if (!currency || gross === null) return { kind: 'invalid', reason: 'paid checkout session has no amount_total or currency' };
    if (gross === 0n) return { kind: 'ignored', reason: 'checkout session paid nothing (amount_total 0)' };
    return eventsOf({
      kind: 'purchase',
      paymentKey: paymentIntent ?? id,
      aliases: unique([id, paymentIntent]),
      occurredAt,
      customer,
      subscriptionId: null,
      // a payment-mode checkout cannot start a subscription
      oneOff: true,
      currency,
      grossMinor: gross,
      taxMinor: minor(at(session, 'total_details', 'amount_tax')) ?? 0n,
      productIds: [],
      hints,
    });
  }
  if (mode === 'payment' || mode === 'subscription') {
    // Subscription money arrives with invoice.paid; an unpaid payment-mode session waits for async success.
    return eventsOf({
      kind: 'facts',
      fact: 'checkout',
      occurredAt,
      customer,
      subscriptionId: idOf(session.subscription),
      discountId: null,
      paymentAliases: unique([id, paymentIntent]),
      paymentKey: mode === 'payment' ? (paymentIntent ?? id) : null,
      hints,
    });
  }
  return { kind: 'ignored', reason: `checkout session in ${mode ?? 'unknown'} mode carries no payment` };
}

const INVOICE_KINDS: Record<string, 'purchase' | 'renewal'> = {
  subscription_create: 'purchase',
  subscription_cycle: 'renewal',
  subscription_update: 'renewal',
  // metered billing invoiced early, when usage reaches a threshold: the subscription's money like a cycle's
  subscription_threshold: 'renewal',
  // a subscription's pending invoice items collected on its pending_invoice_item_interval, between cycles
  automatic_pending_invoice_item_invoice: 'renewal',
};

function invoicePaid(invoice: Json, occurredAt: Date): Normalized {
  const id = str(invoice.id);
  if (!id) return { kind: 'invalid', reason: 'invoice has no id' };
  const reason = str(invoice.billing_reason);
  const kind = reason ? INVOICE_KINDS[reason] : undefined;
  if (!kind) return { kind: 'ignored', reason: `invoice billing_reason "${reason ?? 'none'}" is not a subscription payment` };
  const currency = currencyOf(invoice);
  const gross = minor(invoice.amount_paid);
  if (!currency || gross === null) return { kind: 'invalid', reason: 'invoice has no amount_paid or currency' };
  if (gross === 0n) return { kind: 'ignored', reason: 'invoice paid nothing (amount_paid 0)' };

  const subscriptionDetails = obj(at(invoice, 'parent', 'subscription_details')) ?? obj(invoice.subscription_details);
  const subscriptionId = idOf(invoice.subscription) ?? idOf(subscriptionDetails?.subscription);
  const listed = discountList(invoice.discounts);
  const amountDiscounts = arr(invoice.total_discount_amounts).map((d) => idOf(obj(d)?.discount));
  const lines = arr(at(invoice, 'lines', 'data')).map(obj);
  const productIds = unique(
    lines.flatMap((line) => [
      idOf(at(line, 'price')),
      idOf(at(line, 'price', 'product')),
      str(at(line, 'pricing', 'price_details', 'price')),
      str(at(line, 'pricing', 'price_details', 'product')),
      idOf(at(line, 'plan')),
      str(at(line, 'plan', 'product')),
    ]),
  );
  const invoiceTax =
    minor(invoice.tax) ??
    sum(arr(invoice.total_taxes).map((t) => minor(obj(t)?.amount))) ??
    sum(arr(invoice.total_tax_amounts).map((t) => minor(obj(t)?.amount))) ??
    0n;
  // Part of the invoice paid from the customer's credit balance (a downgrade's proration, a credit note) is not
  // paid now: amount_paid is what was, and it carries its share of the invoice's tax, not all of it.
  const total = minor(invoice.total);
  const share = total !== null && total > gross ? mulDivRound(invoiceTax, gross, total) : invoiceTax;
  // A customer who owed from before (a positive starting_balance) pays that debt with this invoice: amount_paid is
  // above the invoice's total, and only the total is this sale's money (as Polar's positive applied balance). An
  // invoice totalling nothing that collects such a debt is no sale.
  const saleGross = total !== null && gross > total ? (total > 0n ? total : 0n) : gross;
  if (saleGross === 0n) return { kind: 'ignored', reason: `invoice total ${total} is no sale: amount_paid settles an earlier balance` };
  // A proration's credit line can carry more tax than the new charge (a customer now reverse-charged, or taxed
  // lower): the invoice's net tax is negative. A commission is never on more than was paid, so the tax counted is
  // kept within [0, what was paid], as Paddle's is.
  const tax = share < 0n ? 0n : share > saleGross ? saleGross : share;

  return eventsOf({
    kind,
    paymentKey: id,
    aliases: unique([idOf(invoice.charge), idOf(invoice.payment_intent)]),
    occurredAt: unixSeconds(at(invoice, 'status_transitions', 'paid_at')) ?? occurredAt,
    customer: { id: idOf(invoice.customer), email: str(invoice.customer_email) },
    subscriptionId,
    currency,
    grossMinor: saleGross,
    taxMinor: tax,
    productIds,
    hints: {
      ...emptyHints(),
      couponIds: unique([...discountCoupons(invoice.discount), ...listed.couponIds]),
      discountIds: unique([...listed.discountIds, ...amountDiscounts]),
      referralCode: referralCode(invoice.metadata),
      subscriptionReferralCode: referralCode(subscriptionDetails?.metadata),
    },
  });
}

function sum(values: (bigint | null)[]): bigint | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  return values.reduce<bigint>((a, b) => a + b!, 0n);
}

function chargeRefunded(charge: Json, occurredAt: Date): Normalized {
  const id = str(charge.id);
  const currency = currencyOf(charge);
  const refunded = minor(charge.amount_refunded);
  if (!id || !currency || refunded === null) return { kind: 'invalid', reason: 'charge has no id, currency or amount_refunded' };
  return eventsOf({
    kind: 'refund',
    paymentRefs: unique([id, idOf(charge.payment_intent), idOf(charge.invoice)]),
    refundId: null,
    amountMinor: refunded,
    currency,
    occurredAt,
    customer: { id: idOf(charge.customer), email: str(at(charge, 'billing_details', 'email')) ?? str(charge.receipt_email) },
  });
}

function refundCreated(refund: Json, occurredAt: Date): Normalized {
  const id = str(refund.id);
  const currency = currencyOf(refund);
  const amount = minor(refund.amount);
  if (!id || !currency || amount === null) return { kind: 'invalid', reason: 'refund has no id, currency or amount' };
  const status = str(refund.status);
  // Failed and canceled are the ends of a refund that did not go through: the money went back to the merchant.
  const unsuccessful = status === 'failed' || status === 'canceled';
  // A pending refund can still fail: it counts once refund.updated (or charge.refunded) says it went through.
  if (status !== 'succeeded' && !unsuccessful) return { kind: 'ignored', reason: `refund status "${status ?? 'none'}" is not succeeded` };
  const refs = unique([idOf(refund.charge), idOf(refund.payment_intent)]);
  if (refs.length === 0) return { kind: 'invalid', reason: 'refund names neither a charge nor a payment intent' };
  const createdAt = unixSeconds(refund.created) ?? occurredAt;
  return eventsOf({
    kind: 'refund',
    paymentRefs: refs,
    refundId: id,
    amountMinor: amount,
    currency,
    // a refund counts from when it was made; its failure from when Stripe said so
    occurredAt: unsuccessful ? occurredAt : createdAt,
    customer: { id: idOf(refund.customer), email: null },
    ...(unsuccessful ? { unsuccessful: { createdAt } } : {}),
  });
}

/**
 * A dispute (chargeback) opened: Stripe withdraws the disputed amount, but gives it back if the merchant wins, so
 * the commission stands until the dispute closes; only a lost one takes the money away for good.
 */
function disputeCreated(dispute: Json): Normalized {
  return { kind: 'ignored', reason: `dispute ${str(dispute.id) ?? ''} opened: the commission stands until it is closed as lost` };
}

/**
 * A lost dispute reverses like a refund of the disputed amount (which may be part of the charge). The dispute id is
 * the refund's id: a redelivery counts once, and a real refund of the same charge adds to it. It is a withdrawal:
 * the charge's amount_refunded (charge.refunded's cumulative report) never includes disputed money.
 */
function disputeClosed(dispute: Json, occurredAt: Date): Normalized {
  const id = str(dispute.id);
  const currency = currencyOf(dispute);
  const amount = minor(dispute.amount);
  if (!id || !currency || amount === null) return { kind: 'invalid', reason: 'dispute has no id, currency or amount' };
  const status = str(dispute.status);
  if (status !== 'lost') return { kind: 'ignored', reason: `dispute closed as "${status ?? 'none'}": the money stays with the merchant` };
  const refs = unique([idOf(dispute.charge), idOf(dispute.payment_intent)]);
  if (refs.length === 0) return { kind: 'invalid', reason: 'dispute names neither a charge nor a payment intent' };
  return eventsOf({
    kind: 'refund',
    paymentRefs: refs,
    refundId: id,
    amountMinor: amount,
    currency,
    occurredAt,
    customer: { id: null, email: null },
    withdrawal: true,
  });
}

const SUBSCRIPTION_FACTS = {
  'customer.subscription.created': 'subscription_started',
  'customer.subscription.updated': 'subscription_changed',
  'customer.subscription.deleted': 'subscription_canceled',
} as const;

function subscription(fact: (typeof SUBSCRIPTION_FACTS)[keyof typeof SUBSCRIPTION_FACTS]): Handler {
  return (sub, occurredAt) => {
    const id = str(sub.id);
    if (!id) return { kind: 'invalid', reason: 'subscription has no id' };
    const listed = discountList(sub.discounts);
    return eventsOf({
      kind: 'facts',
      fact,
      occurredAt,
      customer: { id: idOf(sub.customer), email: null },
      subscriptionId: id,
      discountId: null,
      paymentAliases: [],
      paymentKey: null,
      hints: {
        ...emptyHints(),
        couponIds: unique([...discountCoupons(sub.discount), ...listed.couponIds]),
        discountIds: listed.discountIds,
        subscriptionReferralCode: referralCode(sub.metadata),
      },
    });
  };
}

function discountCreated(discount: Json, occurredAt: Date): Normalized {
  const id = str(discount.id);
  const couponIds = discountCoupons(discount);
  if (!id || couponIds.length === 0) return { kind: 'invalid', reason: 'discount has no id or coupon' };
  return eventsOf({
    kind: 'facts',
    fact: 'discount',
    occurredAt,
    customer: { id: idOf(discount.customer), email: null },
    subscriptionId: idOf(discount.subscription),
    discountId: id,
    paymentAliases: unique([idOf(discount.checkout_session)]),
    paymentKey: null,
    hints: { ...emptyHints(), couponIds },
  });
}

/** basil+: the only event linking an invoice to its payment intent, so refunds of invoices find their payment. */
function invoicePaymentPaid(invoicePayment: Json, occurredAt: Date): Normalized {
  const invoice = idOf(invoicePayment.invoice);
  if (!invoice) return { kind: 'invalid', reason: 'invoice payment names no invoice' };
  const payment = obj(invoicePayment.payment);
  return eventsOf({
    kind: 'facts',
    fact: 'payment_ids',
    occurredAt,
    customer: { id: null, email: null },
    subscriptionId: null,
    discountId: null,
    paymentAliases: unique([idOf(payment?.payment_intent), idOf(payment?.charge)]),
    paymentKey: invoice,
    hints: emptyHints(),
  });
}

/** Each event type Refwire reads, and what it means: the one list (the adapter enables exactly these at Stripe). */
const HANDLERS: Record<string, Handler> = {
  'checkout.session.completed': (o, t) => checkoutSession(o, t, false),
  'checkout.session.async_payment_succeeded': (o, t) => checkoutSession(o, t, true),
  'invoice.paid': invoicePaid,
  // basil+ invoices no longer name their payment intent; this event links them, so refunds find the invoice
  'invoice_payment.paid': invoicePaymentPaid,
  'charge.refunded': chargeRefunded,
  'refund.created': refundCreated,
  // a refund created pending (a bank transfer's) reports its success here only: counted once with refund.created's;
  // a refund that fails or is canceled, even after it succeeded, reports it here (refund.failed says the same again)
  'refund.updated': refundCreated,
  'charge.dispute.created': disputeCreated,
  'charge.dispute.closed': disputeClosed,
  'customer.subscription.created': subscription(SUBSCRIPTION_FACTS['customer.subscription.created']),
  'customer.subscription.updated': subscription(SUBSCRIPTION_FACTS['customer.subscription.updated']),
  'customer.subscription.deleted': subscription(SUBSCRIPTION_FACTS['customer.subscription.deleted']),
  'customer.discount.created': discountCreated,
};

export const STRIPE_NORMALIZED_TYPES = Object.keys(HANDLERS);
