import { createHash } from 'node:crypto';
import type { ProviderScript, Step, StepContext } from '../simulate';
import { freshEventId } from '../inputs';
import type { Json } from './kit';

/**
 * Paddle Billing: the referral code in the transaction's and the subscription's `custom_data.referral_code`
 * (`customData` at checkout). Transactions carry no email: customer.created teaches it, as Paddle sends it.
 */
const ID = /^(evt|ntf|txn|txnitm|adj|adjitm|inv|sub|ctm|add|biz|paymtd|dsc)_01[a-z0-9]+$/;
const PER_PAYMENT = new Set(['evt', 'ntf', 'txn', 'txnitm', 'adj', 'adjitm', 'inv']);

/** Paddle's bare UUIDs: a payment's `stored_payment_method_id` (the saved card, one per customer) and its attempt's. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function classifyId(id: string): 'payment' | 'shared' | null {
  if (UUID.test(id)) return 'shared';
  const m = ID.exec(id);
  if (!m) return null;
  return PER_PAYMENT.has(m[1]!) ? 'payment' : 'shared';
}

/** A payment attempt's id, the same in a transaction's paid and completed events and new for every transaction. */
function attemptIdOf(transactionId: string): string {
  const h = createHash('sha256').update(`payment-attempt:${transactionId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Paddle's fee on an amount, as its sandbox charges it: 5% + 50 minor units (never more than the amount). */
const feeOf = (amount: number) => Math.min(amount, Math.round(amount * 0.05) + 50);

/** Every totals object (totals, unit_totals, payout_totals, adjusted_totals…): `amount`, no tax, no discount. */
function totals(value: unknown, amount: number, currency: string): void {
  if (Array.isArray(value)) value.forEach((v) => totals(v, amount, currency));
  else if (value && typeof value === 'object') {
    const o = value as Json;
    if (typeof o.subtotal === 'string' && typeof o.total === 'string') {
      const fee = feeOf(amount);
      o.subtotal = String(amount);
      o.total = String(amount);
      if ('tax' in o) o.tax = '0';
      if ('discount' in o) o.discount = '0';
      if ('grand_total' in o) o.grand_total = String(amount);
      if ('fee' in o) o.fee = String(fee);
      if ('earnings' in o) o.earnings = String(amount - fee);
      if ('currency_code' in o) o.currency_code = currency;
    }
    if (o.unit_price && typeof o.unit_price === 'object') o.unit_price = { amount: String(amount), currency_code: currency };
    if ('tax_rate' in o && typeof o.tax_rate === 'string') o.tax_rate = '0';
    for (const v of Object.values(o)) if (v && typeof v === 'object') totals(v, amount, currency);
  }
}

function transaction(eventType: 'transaction.paid' | 'transaction.completed') {
  return (p: Json, c: StepContext) => {
    const d = p.data;
    p.event_type = eventType;
    Object.assign(d, {
      status: eventType === 'transaction.paid' ? 'paid' : 'completed',
      custom_data: { referral_code: c.o.referralCode },
      discount_id: null,
      currency_code: c.o.currency,
    });
    totals(d.items, c.o.amountMinor, c.o.currency);
    totals(d.details, c.o.amountMinor, c.o.currency);
    // one captured payment of the whole amount
    d.payments = (d.payments ?? [])
      .filter((x: Json) => x.status === 'captured')
      .map((x: Json) => ({ ...x, amount: String(c.o.amountMinor), payment_attempt_id: attemptIdOf(d.id) }));
  };
}

function customerCreated(p: Json, c: StepContext): void {
  p.data.email = c.o.email;
}

function subscription(eventType: string, status: string) {
  return (p: Json, c: StepContext) => {
    p.event_type = eventType;
    Object.assign(p.data, { status, custom_data: { referral_code: c.o.referralCode }, discount: null, currency_code: c.o.currency });
    totals(p.data.items, c.o.amountMinor, c.o.currency);
  };
}

/** adjustment.created (pending approval) then adjustment.updated (approved): only an approved refund counts. */
function adjustment(status: 'pending_approval' | 'approved', amountMinor: number, target: { transaction: string; item: string; subscription: boolean }) {
  return (p: Json, c: StepContext) => {
    const d = p.data;
    p.event_type = status === 'approved' ? 'adjustment.updated' : 'adjustment.created';
    Object.assign(d, { status, transaction_id: c.id(target.transaction), currency_code: c.o.currency });
    if (!target.subscription) d.subscription_id = null;
    totals(d, amountMinor, c.o.currency);
    for (const item of d.items ?? []) {
      Object.assign(item, { amount: String(amountMinor), type: amountMinor === c.o.amountMinor ? 'full' : 'partial', item_id: c.id(target.item) });
    }
  };
}

const step = (fixture: string, scope: string, patch: Step['patch']): Step => ({ fixture, scope, patch });

const TARGETS = {
  purchase: { transaction: 'txn_01rwfxdemotxnoneoff01', item: 'txnitm_01rwfxdemotxnitem0003', subscription: false },
  first: { transaction: 'txn_01rwfxdemotxnfirst001', item: 'txnitm_01rwfxdemotxnitem0001', subscription: true },
  renewal: { transaction: 'txn_01rwfxdemotxnrenew001', item: 'txnitm_01rwfxdemotxnitem0002', subscription: true },
};

export const paddleScript: ProviderScript = {
  provider: 'paddle',
  classifyId,
  primaryTime: (p) => new Date(p.occurred_at),
  eventType: (p) => p.event_type,
  finish(p) {
    p.event_id = freshEventId('paddle');
    p.notification_id = `ntf_${p.event_id.slice(4)}`;
    return {};
  },
  purchase: () => [
    step('customer.created.json', 'p0', customerCreated),
    step('transaction.completed.oneoff.json', 'p0', transaction('transaction.paid')),
    step('transaction.completed.oneoff.json', 'p0', transaction('transaction.completed')),
  ],
  subscriptionStart: () => [
    step('customer.created.json', 'p0', customerCreated),
    step('transaction.paid.web.json', 'p0', transaction('transaction.paid')),
    step('subscription.created.json', 'p0', subscription('subscription.created', 'active')),
    step('transaction.completed.web.json', 'p0', transaction('transaction.completed')),
  ],
  renewal: (n) => [step('transaction.completed.renewal.json', `p${n}`, transaction('transaction.completed'))],
  refund: (payment, of, amountMinor) => [
    step('adjustment.created.refund.json', `p${payment}`, adjustment('pending_approval', amountMinor, TARGETS[of])),
    step('adjustment.updated.refund.json', `p${payment}`, adjustment('approved', amountMinor, TARGETS[of])),
  ],
  cancel: () => [step('subscription.canceled.json', 'p0', subscription('subscription.canceled', 'canceled'))],
};
