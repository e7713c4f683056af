import type { ProviderScript, Step, StepContext } from '../simulate';
import { randomChars } from '../inputs';
import type { Json } from './kit';

/**
 * Stripe: the referral code in the Checkout Session's and the subscription's `metadata.referral_code` (which
 * invoices carry as `subscription_details.metadata`). Pre-basil shapes, whose invoices name their charge and
 * payment intent, so refunds find them.
 */
const ID = /^(evt|cs_test|cs_live|pi|ch|in|il|ii|re|txn|inpay|py|sub|si|cus|di|promo|card|pm|src)_([A-Za-z0-9]+)$/;
const PER_PAYMENT = new Set(['evt', 'cs_test', 'cs_live', 'pi', 'ch', 'in', 'il', 'ii', 're', 'txn', 'inpay', 'py']);

function classifyId(id: string): 'payment' | 'shared' | null {
  const m = ID.exec(id);
  if (!m || !/[A-Z0-9]/.test(m[2]!)) return null;
  return PER_PAYMENT.has(m[1]!) ? 'payment' : 'shared';
}

const object = (p: Json): Json => p.data.object;

/** Every price and plan in the payload charges the amount, in the currency. */
function prices(value: unknown, c: StepContext): void {
  if (Array.isArray(value)) value.forEach((v) => prices(v, c));
  else if (value && typeof value === 'object') {
    const o = value as Json;
    if (o.object === 'price') Object.assign(o, { unit_amount: c.o.amountMinor, unit_amount_decimal: String(c.o.amountMinor), currency: c.o.currency.toLowerCase() });
    if (o.object === 'plan') Object.assign(o, { amount: c.o.amountMinor, amount_decimal: String(c.o.amountMinor), currency: c.o.currency.toLowerCase() });
    for (const v of Object.values(o)) if (v && typeof v === 'object') prices(v, c);
  }
}

function session(mode: 'payment' | 'subscription') {
  return (p: Json, c: StepContext) => {
    const s = object(p);
    Object.assign(s, {
      mode,
      amount_subtotal: c.o.amountMinor,
      amount_total: c.o.amountMinor,
      currency: c.o.currency.toLowerCase(),
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      customer_email: null,
      client_reference_id: null,
      metadata: { referral_code: c.o.referralCode },
      payment_status: 'paid',
      status: 'complete',
    });
    s.customer_details = { ...(s.customer_details ?? {}), email: c.o.email };
    if ('discounts' in s) s.discounts = [];
  };
}

function subscription(status: string) {
  return (p: Json, c: StepContext) => {
    const s = object(p);
    Object.assign(s, { metadata: { referral_code: c.o.referralCode }, discount: null, currency: c.o.currency.toLowerCase(), status });
    if ('discounts' in s) s.discounts = [];
    prices(s, c);
  };
}

function invoice(p: Json, c: StepContext): void {
  const inv = object(p);
  const a = c.o.amountMinor;
  Object.assign(inv, {
    amount_due: a,
    amount_paid: a,
    amount_remaining: 0,
    subtotal: a,
    subtotal_excluding_tax: a,
    total: a,
    total_excluding_tax: a,
    tax: null,
    total_tax_amounts: [],
    currency: c.o.currency.toLowerCase(),
    customer_email: c.o.email,
    discount: null,
    discounts: [],
    total_discount_amounts: [],
    subscription_details: { metadata: { referral_code: c.o.referralCode } },
  });
  for (const line of inv.lines?.data ?? []) {
    Object.assign(line, { amount: a, amount_excluding_tax: a, unit_amount_excluding_tax: String(a), discount_amounts: [], currency: c.o.currency.toLowerCase() });
  }
  prices(inv, c);
}

/** charge.refunded for payment `scope`: the charge, payment intent and invoice ids that payment was sent with. */
function chargeRefunded(amountMinor: number, ids: { charge: string; paymentIntent: string; invoice: string | null }) {
  return (p: Json, c: StepContext) => {
    const ch = object(p);
    const full = amountMinor === c.o.amountMinor;
    Object.assign(ch, {
      id: c.id(ids.charge),
      payment_intent: c.id(ids.paymentIntent),
      invoice: ids.invoice ? c.id(ids.invoice) : null,
      amount: c.o.amountMinor,
      amount_captured: c.o.amountMinor,
      amount_refunded: amountMinor,
      refunded: full,
      currency: c.o.currency.toLowerCase(),
      receipt_email: c.o.email,
    });
    ch.billing_details = { ...(ch.billing_details ?? {}), email: c.o.email };
    for (const r of ch.refunds?.data ?? []) Object.assign(r, { amount: amountMinor, charge: ch.id, currency: c.o.currency.toLowerCase(), payment_intent: ch.payment_intent });
    if (p.data.previous_attributes) p.data.previous_attributes = { amount_refunded: 0, refunded: false };
  };
}

const step = (fixture: string, scope: string, patch: Step['patch']): Step => ({ fixture, scope, patch });

export const stripeScript: ProviderScript = {
  provider: 'stripe',
  classifyId,
  primaryTime: (p) => new Date((p.created as number) * 1000),
  eventType: (p) => p.type,
  finish(p) {
    p.id = `evt_${randomChars(24)}`;
    p.request = { id: null, idempotency_key: null };
    return {};
  },
  purchase: () => [step('checkout.session.completed.payment.json', 'p0', session('payment'))],
  subscriptionStart: () => [
    step('checkout.session.completed.subscription.json', 'p0', session('subscription')),
    step('customer.subscription.created.json', 'p0', subscription('active')),
    step('invoice.paid.subscription_create.json', 'p0', invoice),
  ],
  renewal: (n) => [step('invoice.paid.subscription_cycle.json', `p${n}`, invoice)],
  refund: (payment, of, amountMinor) => {
    const scope = `p${payment}`;
    const ids =
      of === 'purchase'
        ? { charge: 'ch_3RwFxDemoCharge0001', paymentIntent: 'pi_3RwFxDemoPayIntent01', invoice: null }
        : of === 'first'
          ? { charge: 'ch_3RwFxDemoSubCharge01', paymentIntent: 'pi_3RwFxDemoSubIntent01', invoice: 'in_1RwFxDemoInvCreate01' }
          : { charge: 'ch_3RwFxDemoCycCharge01', paymentIntent: 'pi_3RwFxDemoCycIntent01', invoice: 'in_1RwFxDemoInvCycle001' };
    return [step('charge.refunded.json', scope, chargeRefunded(amountMinor, ids))];
  },
  cancel: () => [step('customer.subscription.deleted.json', 'p0', subscription('canceled'))],
};
