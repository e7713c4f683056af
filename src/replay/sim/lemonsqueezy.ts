import { randomUUID } from 'node:crypto';
import type { ProviderScript, Step, StepContext } from '../simulate';
import { formatMoney, type Json } from './kit';

/**
 * Lemon Squeezy: the referral code in `meta.custom_data.referral_code` (`checkout[custom][referral_code]`), which
 * Lemon Squeezy repeats on every event of the order and its subscription. Its ids are plain numbers, named by the
 * field that holds them: mapped here by field, as `<kind>_<number>`.
 */
const PER_PAYMENT = new Set(['order', 'invoice', 'item', 'identifier', 'license']);
const KINDS = ['order', 'invoice', 'item', 'identifier', 'license', 'customer', 'subscription', 'subitem'];

function classifyId(id: string): 'payment' | 'shared' | null {
  // only the `<kind>_<number or uuid>` names remap() asks for: never a payload's own strings ("order_created")
  const m = /^([a-z]+)_(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(id);
  const kind = m?.[1];
  if (!kind || !KINDS.includes(kind)) return null;
  return PER_PAYMENT.has(kind) ? 'payment' : 'shared';
}

const DATA_KINDS: Record<string, string> = { orders: 'order', 'subscription-invoices': 'invoice', subscriptions: 'subscription', 'license-keys': 'license' };
const ATTRIBUTE_KINDS: Record<string, string> = {
  customer_id: 'customer',
  subscription_id: 'subscription',
  order_id: 'order',
  order_item_id: 'item',
  order_number: 'order',
  identifier: 'identifier',
};

/** The fresh value of a numeric (or uuid) id, keeping its JSON type. */
function freshValue(value: unknown, kind: string, ctx: StepContext, scope: string, seen: Map<string, string>): unknown {
  if (value === null || value === undefined || value === '') return value;
  const original = String(value);
  const fresh = ctx.id(`${kind}_${original}`, scope).slice(kind.length + 1);
  seen.set(original, fresh);
  return typeof value === 'number' ? Number(fresh) : fresh;
}

function remap(p: Json, ctx: StepContext, scope: string): void {
  const seen = new Map<string, string>();
  const data = p.data as Json;
  const kind = DATA_KINDS[data.type as string];
  if (kind) data.id = freshValue(data.id, kind, ctx, scope, seen);
  const a = data.attributes as Json;
  for (const [key, k] of Object.entries(ATTRIBUTE_KINDS)) if (key in a) a[key] = freshValue(a[key], k, ctx, scope, seen);
  if (a.first_order_item) {
    a.first_order_item.id = freshValue(a.first_order_item.id, 'item', ctx, scope, seen);
    a.first_order_item.order_id = freshValue(a.first_order_item.order_id, 'order', ctx, scope, seen);
  }
  if (a.first_subscription_item) {
    a.first_subscription_item.id = freshValue(a.first_subscription_item.id, 'subitem', ctx, scope, seen);
    a.first_subscription_item.subscription_id = freshValue(a.first_subscription_item.subscription_id, 'subscription', ctx, scope, seen);
  }
  // the API links and receipt URLs name the same ids
  const originals = [...seen.keys()].sort((x, y) => y.length - x.length);
  const rewrite = (s: string) => {
    let out = s;
    for (const o of originals) out = out.replace(new RegExp(`/${o}(?=[/?]|$)`, 'g'), `/${seen.get(o)}`);
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return rewrite(v);
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (v as Json)[k] = walk(x);
    return v;
  };
  walk(data.links);
  walk(data.relationships);
  walk(a.urls);
}

/** A paid order or invoice of the amount: no tax, no discount. */
function money(a: Json, c: StepContext, refundedMinor = 0): void {
  const amount = c.o.amountMinor;
  const cur = c.o.currency;
  const set = (key: string, value: number) => {
    if (key in a) a[key] = value;
    if (`${key}_usd` in a) a[`${key}_usd`] = value;
    if (`${key}_formatted` in a) a[`${key}_formatted`] = formatMoney(value, cur);
  };
  a.currency = cur;
  if ('currency_rate' in a) a.currency_rate = '1.00000000';
  set('subtotal', amount);
  set('total', amount);
  set('tax', 0);
  set('discount_total', 0);
  set('setup_fee', 0);
  set('refunded_amount', refundedMinor);
  a.refunded = refundedMinor > 0 && refundedMinor >= amount;
  a.user_email = c.o.email;
  if (a.first_order_item) a.first_order_item.price = amount;
  if ('discount_code' in a) a.discount_code = null;
}

function custom(p: Json, c: StepContext): void {
  p.meta.custom_data = { referral_code: c.o.referralCode };
}

function order(p: Json, c: StepContext): void {
  Object.assign(p.data.attributes, { status: 'paid', refunded_at: null });
  if ('status_formatted' in p.data.attributes) p.data.attributes.status_formatted = 'Paid';
  money(p.data.attributes, c);
  custom(p, c);
}

function invoicePaid(p: Json, c: StepContext): void {
  Object.assign(p.data.attributes, { status: 'paid', refunded_at: null });
  money(p.data.attributes, c);
  custom(p, c);
}

function refunded(amountMinor: number, target?: string) {
  return (p: Json, c: StepContext) => {
    const a = p.data.attributes;
    const full = amountMinor >= c.o.amountMinor;
    if (target) p.data.id = c.id(target).slice(target.indexOf('_') + 1);
    money(a, c, amountMinor);
    a.status = full ? 'refunded' : 'partial_refund';
    if ('status_formatted' in a) a.status_formatted = full ? 'Refunded' : 'Partial refund';
    custom(p, c);
  };
}

function subscription(status: 'active' | 'cancelled') {
  return (p: Json, c: StepContext) => {
    const a = p.data.attributes;
    Object.assign(a, { status, cancelled: status === 'cancelled', user_email: c.o.email });
    if ('status_formatted' in a) a.status_formatted = status === 'active' ? 'Active' : 'Cancelled';
    custom(p, c);
  };
}

const step = (fixture: string, scope: string, patch: Step['patch']): Step => ({ fixture, scope, patch });

export const lemonSqueezyScript: ProviderScript = {
  provider: 'lemonsqueezy',
  classifyId,
  primaryTime: (p) => new Date(p.data.attributes.updated_at ?? p.data.attributes.created_at),
  eventType: (p) => p.meta.event_name,
  remap,
  finish(p) {
    p.meta.webhook_id = randomUUID();
    return {};
  },
  purchase: () => [step('order_created.oneoff.json', 'p0', order)],
  subscriptionStart: () => [
    step('order_created.subscription.json', 'p0', order),
    step('subscription_created.json', 'p0', subscription('active')),
    step('subscription_payment_success.initial.json', 'p0', invoicePaid),
  ],
  renewal: (n) => [step('subscription_payment_success.renewal.json', `p${n}`, invoicePaid)],
  refund: (payment, of, amountMinor) =>
    of === 'renewal'
      ? [step('subscription_payment_refunded.json', `p${payment}`, refunded(amountMinor))]
      : // the partial-refund fixture refunds the one-off order 5002; the first payment of a subscription is order 5001
        [step('order_refunded.partial.json', `p${payment}`, refunded(amountMinor, of === 'first' ? 'order_5001' : undefined))],
  cancel: () => [step('subscription_cancelled.json', 'p0', subscription('cancelled'))],
};
