import { randomUUID } from 'node:crypto';
import type { ProviderScript, Step, StepContext } from '../simulate';
import type { Json } from './kit';

/**
 * Polar: the referral code in the checkout's `metadata.referral_code`, which Polar copies onto the order and the
 * subscription. The event id is the `webhook-id` header. The fixture set's ids are UUIDs whose first group names
 * the kind of object: 66666666 orders, 77777777 refunds, 13131313 order items (new per payment); 11111111
 * customers, 22222222 subscriptions, 55555555 discounts, 88888888 checkouts (new per sequence); the rest
 * (products, prices, the organization) are catalog and kept.
 */
const UUID = /^([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PER_PAYMENT = new Set(['66666666', '77777777', '13131313']);
const SHARED = new Set(['11111111', '22222222', '55555555', '88888888']);

function classifyId(id: string): 'payment' | 'shared' | null {
  const m = UUID.exec(id);
  if (!m) return null;
  if (PER_PAYMENT.has(m[1]!)) return 'payment';
  return SHARED.has(m[1]!) ? 'shared' : null;
}

function customer(d: Json, c: StepContext): void {
  if (d.customer) d.customer.email = c.o.email;
  if (d.user) d.user.email = c.o.email;
}

/** A paid order of the amount: no tax, no discount; `refundedMinor` of it refunded. */
function orderMoney(d: Json, c: StepContext, refundedMinor = 0): void {
  const a = c.o.amountMinor;
  Object.assign(d, {
    subtotal_amount: a,
    discount_amount: 0,
    net_amount: a,
    tax_amount: 0,
    total_amount: a,
    due_amount: a,
    amount: a,
    refunded_amount: refundedMinor,
    refunded_tax_amount: 0,
    refundable_amount: a - refundedMinor,
    refundable_tax_amount: 0,
    currency: c.o.currency.toLowerCase(),
    discount_id: null,
    discount: null,
    metadata: { referral_code: c.o.referralCode },
  });
  for (const item of d.items ?? []) Object.assign(item, { amount: a, tax_amount: 0 });
  if (d.subscription) Object.assign(d.subscription, { amount: a, currency: c.o.currency.toLowerCase(), discount_id: null, metadata: { referral_code: c.o.referralCode } });
  customer(d, c);
}

function order(type: 'order.created' | 'order.paid') {
  return (p: Json, c: StepContext) => {
    p.type = type;
    Object.assign(p.data, { status: 'paid', paid: true });
    orderMoney(p.data, c);
  };
}

function orderRefunded(amountMinor: number) {
  return (p: Json, c: StepContext) => {
    p.type = 'order.refunded';
    orderMoney(p.data, c, amountMinor);
    Object.assign(p.data, { status: amountMinor >= c.o.amountMinor ? 'refunded' : 'partially_refunded', paid: true });
  };
}

function refund(type: 'refund.created' | 'refund.updated', amountMinor: number, target: { order: string; subscription: boolean }) {
  return (p: Json, c: StepContext) => {
    p.type = type;
    const d = p.data;
    Object.assign(d, {
      status: type === 'refund.created' ? 'pending' : 'succeeded',
      amount: amountMinor,
      tax_amount: 0,
      currency: c.o.currency.toLowerCase(),
      order_id: c.id(target.order),
      subscription_id: target.subscription ? c.id('22222222-aaaa-4bbb-8ccc-000000000001') : null,
    });
  };
}

function subscription(type: string, status: string) {
  return (p: Json, c: StepContext) => {
    p.type = type;
    Object.assign(p.data, {
      status,
      amount: c.o.amountMinor,
      currency: c.o.currency.toLowerCase(),
      discount_id: null,
      discount: null,
      metadata: { referral_code: c.o.referralCode },
    });
    customer(p.data, c);
  };
}

const step = (fixture: string, scope: string, patch: Step['patch']): Step => ({ fixture, scope, patch });

/** The order each kind of payment is, in the fixture set. */
const ORDERS = {
  purchase: { fixture: 'order.paid.purchase.json', order: '66666666-aaaa-4bbb-8ccc-000000000003', subscription: false },
  first: { fixture: 'order.paid.subscription_create.json', order: '66666666-aaaa-4bbb-8ccc-000000000001', subscription: true },
  renewal: { fixture: 'order.paid.subscription_cycle.json', order: '66666666-aaaa-4bbb-8ccc-000000000002', subscription: true },
};

export const polarScript: ProviderScript = {
  provider: 'polar',
  classifyId,
  primaryTime: (p) => new Date(p.timestamp),
  eventType: (p) => p.type,
  finish: () => ({ eventId: `msg_${randomUUID()}` }),
  purchase: () => [
    step('order.paid.purchase.json', 'p0', order('order.created')),
    step('order.paid.purchase.json', 'p0', order('order.paid')),
  ],
  subscriptionStart: () => [
    step('order.created.subscription_create.json', 'p0', order('order.created')),
    step('subscription.created.json', 'p0', subscription('subscription.created', 'active')),
    step('order.paid.subscription_create.json', 'p0', order('order.paid')),
    step('subscription.active.json', 'p0', subscription('subscription.active', 'active')),
  ],
  renewal: (n) => [step('order.paid.subscription_cycle.json', `p${n}`, order('order.paid'))],
  refund: (payment, of, amountMinor) => {
    const scope = `p${payment}`;
    const target = ORDERS[of];
    return [
      step('refund.created.json', scope, refund('refund.created', amountMinor, target)),
      step('refund.updated.json', scope, refund('refund.updated', amountMinor, target)),
      step(target.fixture, scope, orderRefunded(amountMinor)),
    ];
  },
  cancel: () => [
    step('subscription.canceled.json', 'p0', subscription('subscription.canceled', 'canceled')),
    step('subscription.revoked.json', 'p0', subscription('subscription.revoked', 'canceled')),
  ],
};
