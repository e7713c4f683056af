import request from 'supertest';
import { lemonSqueezyAdapter } from '../../src/providers/lemonsqueezy/adapter';
import { paddleAdapter } from '../../src/providers/paddle/adapter';
import { polarAdapter } from '../../src/providers/polar/adapter';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { loadFixture } from '../helpers/fixtures';
import { stripeEvent } from '../helpers/ledger';
import { blockDatabase } from '../helpers/ledger-story';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * PRODUCT.md §11 and §6 through HTTP: what a subscription or a customer learns later (a coupon applied weeks after
 * the sale, a renewal's own metadata, the customer's next checkout) reaches later payments only; a commission
 * already recorded keeps its affiliate, whichever order the events arrive in. A sale's own facts, reported around
 * its payment, still attribute it.
 */
const SECRET = 'whsec_dated_hints_secret';
const DAY = 86_400;
const T0 = Math.floor(Date.parse('2026-05-01T10:00:00Z') / 1000);

function paymentCheckout(o: { id: string; customer: string; code: string; amount: number; at: number }) {
  const payload = stripeEvent('checkout.session.completed.payment.json', (s) => {
    s.id = `cs_${o.id}`;
    s.payment_intent = `pi_${o.id}`;
    s.customer = o.customer;
    s.customer_details.email = `${o.customer}@customers.test`;
    s.client_reference_id = null;
    s.metadata = { referral_code: o.code };
    s.amount_total = o.amount;
    s.amount_subtotal = o.amount;
    s.total_details = { amount_discount: 0, amount_shipping: 0, amount_tax: 0 };
    s.discounts = [];
  });
  payload.created = o.at;
  return payload;
}

function subscriptionCheckout(o: { id: string; customer: string; subscription: string; clientReferenceId: string; at: number }) {
  const payload = stripeEvent('checkout.session.completed.subscription.json', (s) => {
    s.id = `cs_${o.id}`;
    s.customer = o.customer;
    s.subscription = o.subscription;
    s.client_reference_id = o.clientReferenceId;
    s.metadata = {};
    s.discounts = [];
    delete s.discount;
  });
  payload.created = o.at;
  return payload;
}

function invoicePaid(o: { id: string; customer: string; subscription: string; reason: 'subscription_create' | 'subscription_cycle'; amount: number; at: number; code?: string; subscriptionCode?: string }) {
  const payload = stripeEvent('invoice.paid.subscription_create.json', (i) => {
    i.id = o.id;
    i.charge = `ch_${o.id}`;
    i.payment_intent = `pi_${o.id}`;
    i.customer = o.customer;
    i.subscription = o.subscription;
    i.billing_reason = o.reason;
    i.amount_paid = o.amount;
    i.total = o.amount;
    i.subtotal = o.amount;
    i.status_transitions.paid_at = o.at;
    i.customer_email = `${o.customer}@customers.test`;
    i.metadata = o.code ? { referral_code: o.code } : {};
    i.subscription_details = { metadata: o.subscriptionCode ? { referral_code: o.subscriptionCode } : {} };
    delete i.discount;
    i.discounts = [];
    i.total_discount_amounts = [];
  });
  payload.created = o.at;
  return payload;
}

/** A coupon applied to a customer (and, when named, a subscription) at `at`. */
function discountCreated(o: { id: string; customer: string; subscription: string | null; coupon: string; at: number }) {
  const payload = stripeEvent('customer.discount.created.json', (d) => {
    d.id = o.id;
    d.customer = o.customer;
    d.subscription = o.subscription;
    d.start = o.at;
    d.promotion_code = null;
    d.coupon.id = o.coupon;
  });
  payload.created = o.at;
  return payload;
}

function subscriptionUpdated(o: { subscription: string; customer: string; code: string; at: number }) {
  const payload = stripeEvent('customer.subscription.updated.json', (s) => {
    s.id = o.subscription;
    s.customer = o.customer;
    s.metadata = { referral_code: o.code };
    s.discounts = [];
    s.discount = null;
  });
  payload.created = o.at;
  return payload;
}

const POLAR_SECRET = 'polar_whs_dated_hints_secret';
const iso = (unix: number) => new Date(unix * 1000).toISOString();
let polarCounter = 0;

/**
 * A Polar order of subscription `sub`, with no code of its own; the first one shares the subscription's checkout id.
 * A `purchase` (a one-time product) belongs to no subscription and may carry a code.
 */
function polarOrder(
  o: { id: string; sub: string; reason: 'subscription_create' | 'subscription_cycle'; at: number; customer?: string } | { id: string; sub: null; reason: 'purchase'; at: number; customer: string; code: string },
) {
  const customer = o.customer ?? `cust_${o.sub}`;
  const payload = structuredClone(loadFixture('polar', `order.paid.${o.reason}.json`).payload) as Record<string, any>;
  Object.assign(payload.data, {
    id: o.id,
    created_at: iso(o.at),
    subscription_id: o.sub,
    customer_id: customer,
    checkout_id: o.reason === 'subscription_create' ? `checkout_${o.sub}` : o.reason === 'purchase' ? `checkout_${o.id}` : null,
    metadata: o.reason === 'purchase' ? { referral_code: o.code } : {},
    discount_id: null,
  });
  payload.data.customer = { ...payload.data.customer, id: customer, email: `${customer}@customers.test` };
  payload.timestamp = iso(o.at + 2);
  return payload;
}

/** A Polar subscription event; Polar names the subscription's checkout in each. */
function polarSubscription(o: { type: 'subscription.created' | 'subscription.updated'; sub: string; at: number; code?: string; customer?: string }) {
  const customer = o.customer ?? `cust_${o.sub}`;
  const payload = structuredClone(loadFixture('polar', 'subscription.created.json').payload) as Record<string, any>;
  payload.type = o.type;
  Object.assign(payload.data, {
    id: o.sub,
    customer_id: customer,
    checkout_id: `checkout_${o.sub}`,
    discount_id: null,
    metadata: o.code ? { referral_code: o.code } : {},
    created_at: iso(o.type === 'subscription.created' ? o.at : T0 - 2),
    modified_at: o.type === 'subscription.updated' ? iso(o.at) : null,
  });
  payload.data.customer = { ...payload.data.customer, id: customer, email: `${customer}@customers.test` };
  payload.timestamp = iso(o.at);
  return payload;
}

const PADDLE_SECRET = 'pdl_ntfset_01dated_hints_secret';
let paddleCounter = 0;

/** A Paddle delivery: the fixture's payload with this data, sent at `at`. */
function paddle(fixture: string, at: number, data: Record<string, unknown>) {
  const payload = structuredClone(loadFixture('paddle', fixture).payload) as Record<string, any>;
  Object.assign(payload.data, data);
  payload.event_id = `evt_dated_hints_${++paddleCounter}`;
  payload.notification_id = `ntf_dated_hints_${paddleCounter}`;
  payload.occurred_at = iso(at);
  return payload;
}

/** A Paddle transaction of one-time prices only (40.00 + 8.00 tax): it starts no subscription. */
const paddleOneOff = (o: { id: string; customer: string; code: string; at: number }) =>
  paddle('transaction.completed.oneoff.json', o.at + 1, { id: o.id, customer_id: o.customer, subscription_id: null, billed_at: iso(o.at), custom_data: { referral_code: o.code }, discount_id: null });

/** A Paddle subscription's created event naming its first transaction (one of a trial charges nothing: no payment). */
const paddleSubscription = (o: { id: string; customer: string; firstTransaction: string; code: string; at: number }) =>
  paddle('subscription.created.json', o.at, { id: o.id, customer_id: o.customer, transaction_id: o.firstTransaction, custom_data: { referral_code: o.code }, discount: null });

/** A Paddle subscription's billed cycle (49.00 + 9.80 tax): after a trial, its first money too. */
const paddleCycle = (o: { id: string; customer: string; subscription: string; at: number }) =>
  paddle('transaction.completed.renewal.json', o.at + 1, { id: o.id, customer_id: o.customer, subscription_id: o.subscription, billed_at: iso(o.at), discount_id: null, custom_data: null });

const LS_SECRET = 'ls_dated_hints_secret';

/** A Lemon Squeezy delivery: the fixture's payload with these attributes and custom data. */
function lemonSqueezy(fixture: string, o: { id: string; at: number; code?: string; attributes: Record<string, unknown> }) {
  const payload = structuredClone(loadFixture('lemonsqueezy', fixture).payload) as Record<string, any>;
  payload.data.id = o.id;
  Object.assign(payload.data.attributes, { created_at: iso(o.at), updated_at: iso(o.at + 1), ...o.attributes });
  payload.meta.custom_data = o.code ? { referral_code: o.code } : {};
  payload.meta.webhook_id = `wh_${payload.meta.event_name}_${o.id}`;
  return payload;
}

/** A Lemon Squeezy order (it names no subscription); `total` 0 for a subscription that starts with a trial. */
const lsOrder = (o: { id: string; customer: number; total: number; at: number; code?: string }) =>
  lemonSqueezy('order_created.subscription.json', {
    ...o,
    attributes: { customer_id: o.customer, user_email: `ls${o.customer}@customers.test`, total: o.total, subtotal: o.total, total_usd: o.total, subtotal_usd: o.total, tax: 0, status: 'paid' },
  });

/** subscription_created, naming its first order. */
const lsSubscription = (o: { id: string; order: string; customer: number; at: number; code?: string }) =>
  lemonSqueezy('subscription_created.json', { ...o, attributes: { order_id: Number(o.order), customer_id: o.customer, user_email: `ls${o.customer}@customers.test` } });

/** A subscription invoice paid: `renewal` is also how Lemon Squeezy bills the first money after a trial. */
const lsInvoice = (o: { id: string; subscription: string; customer: number; total: number; at: number }) =>
  lemonSqueezy('subscription_payment_success.renewal.json', {
    ...o,
    attributes: { subscription_id: Number(o.subscription), customer_id: o.customer, user_email: `ls${o.customer}@customers.test`, billing_reason: 'renewal', total: o.total, subtotal: o.total, total_usd: o.total, subtotal_usd: o.total, tax: 0 },
  });

describe('facts learned later reach later payments only (PRODUCT.md §11)', () => {
  const { database, apps } = blockDatabase();

  /** A project at 10% with Ann (coupon LOYAL10), Ben and Cy; deliveries in the given order. */
  /** Stripe payloads, or Polar and Lemon Squeezy ones marked so. */
  async function run(deliveries: Delivery[], settings: Record<string, unknown> = {}) {
    const t = buildTestApp(database().db);
    apps.push(t);
    t.clock.now = new Date((T0 + 200 * DAY) * 1000);
    const { apiKey, id: projectId } = await createProjectViaApi(t.app);
    await connectProvider(t.app, apiKey, 'stripe', SECRET);
    await connectProvider(t.app, apiKey, 'polar', POLAR_SECRET);
    await connectProvider(t.app, apiKey, 'lemonsqueezy', LS_SECRET);
    await connectProvider(t.app, apiKey, 'paddle', PADDLE_SECRET);
    const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) => request(t.app)[method](path).set('Authorization', `Bearer ${apiKey}`).send(body);
    expect((await api('patch', '/api/v1/settings', { commission_type: 'percentage', commission_value: 10, hold_days: 0, ...settings })).status).toBe(200);
    const ids: Record<string, string> = {};
    for (const [email, code] of [['ann@partners.test', 'ANN'], ['ben@partners.test', 'BEN'], ['cy@partners.test', 'CY']] as const) {
      ids[code] = (await api('post', '/api/v1/affiliates', { email, referral_code: code })).body.data.id;
    }
    expect((await api('post', '/api/v1/coupons', { affiliate_id: ids.ANN, coupon_code: 'LOYAL', stripe_coupon_id: 'LOYAL10' })).status).toBe(201);
    for (const delivery of deliveries) {
      const [provider, payload, headers] =
        'polar' in delivery
          ? (['polar', delivery.polar, (body: string) => polarAdapter.sign(body, POLAR_SECRET, { now: t.clock.now, eventId: `wh_${++polarCounter}` })] as const)
          : 'lemonsqueezy' in delivery
            ? (['lemonsqueezy', delivery.lemonsqueezy, (body: string) => lemonSqueezyAdapter.sign(body, LS_SECRET, { now: t.clock.now })] as const)
            : 'paddle' in delivery
              ? (['paddle', delivery.paddle, (body: string) => paddleAdapter.sign(body, PADDLE_SECRET, { now: t.clock.now })] as const)
              : (['stripe', delivery, (body: string) => stripeAdapter.sign(body, SECRET, { now: t.clock.now })] as const);
      const body = JSON.stringify(payload);
      const res = await request(t.app).post(`/webhook/${provider}/${projectId}`).set(headers(body)).send(body);
      expect(res.status).toBe(200);
    }
    await t.runner.idle();
    const rows = [...(await api('get', '/api/v1/conversions?limit=100&kind=purchase')).body.data, ...(await api('get', '/api/v1/conversions?limit=100&kind=renewal')).body.data];
    const byPayment = Object.fromEntries(rows.map((r: any) => [r.payment_key, { affiliate: r.affiliate_email?.split('@')[0].toUpperCase() ?? null, value: r.value_minor, method: r.attribution.method }]));
    const earned = Object.fromEntries(
      await Promise.all(['ann', 'ben', 'cy'].map(async (n) => [n, (await api('get', `/api/v1/affiliates/${n}%40partners.test`)).body.data.total_earnings_minor])),
    );
    expect((await api('get', '/api/v1/ledger/verify')).body.data.ok).toBe(true);
    return { byPayment, earned };
  }

  type Delivery = Record<string, any> | { polar: Record<string, any> } | { lemonsqueezy: Record<string, any> } | { paddle: Record<string, any> };
  const bothOrders = (deliveries: Delivery[]) => [
    ['in time order', deliveries],
    ['in reverse order', [...deliveries].reverse()],
  ] as const;

  it.each(bothOrders([
    paymentCheckout({ id: 'one', customer: 'cus_one', code: 'BEN', amount: 10_000, at: T0 }),
    discountCreated({ id: 'di_one', customer: 'cus_one', subscription: null, coupon: 'LOYAL10', at: T0 + 60 * DAY }),
  ]))('a coupon applied to the customer 60 days after a one-off purchase leaves it with its own referral code (%s)', async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries);
    expect(byPayment.pi_one).toEqual({ affiliate: 'BEN', value: 1000, method: 'metadata' });
    expect(earned).toEqual({ ann: 0, ben: 1000, cy: 0 });
  });

  it.each(bothOrders([
    subscriptionCheckout({ id: 'sub_start', customer: 'cus_two', subscription: 'sub_two', clientReferenceId: 'BEN', at: T0 + 2 }),
    invoicePaid({ id: 'in_two_1', customer: 'cus_two', subscription: 'sub_two', reason: 'subscription_create', amount: 10_000, at: T0 }),
    discountCreated({ id: 'di_two', customer: 'cus_two', subscription: 'sub_two', coupon: 'LOYAL10', at: T0 + 45 * DAY }),
    invoicePaid({ id: 'in_two_2', customer: 'cus_two', subscription: 'sub_two', reason: 'subscription_cycle', amount: 10_000, at: T0 + 30 * DAY }),
    invoicePaid({ id: 'in_two_3', customer: 'cus_two', subscription: 'sub_two', reason: 'subscription_cycle', amount: 10_000, at: T0 + 60 * DAY, code: 'CY' }),
  ]))(
    "a subscription's checkout (seconds after its first invoice) attributes it; a later coupon and a renewal's own code move no earlier payment (%s)",
    async (_label, deliveries) => {
      const { byPayment, earned } = await run(deliveries);
      expect(byPayment.in_two_1).toEqual({ affiliate: 'BEN', value: 1000, method: 'client_reference_id' });
      expect(byPayment.in_two_2).toEqual({ affiliate: 'BEN', value: 1000, method: 'subscription' });
      // the renewal carries its own code: its own hint wins for it, and for it only
      expect(byPayment.in_two_3).toEqual({ affiliate: 'CY', value: 1000, method: 'metadata' });
      expect(earned).toEqual({ ann: 0, ben: 2000, cy: 1000 });
    },
  );

  it.each(bothOrders([
    invoicePaid({ id: 'in_three_1', customer: 'cus_three', subscription: 'sub_three', reason: 'subscription_create', amount: 10_000, at: T0 }),
    // the merchant's code tags the new subscription with the code right after the checkout
    subscriptionUpdated({ subscription: 'sub_three', customer: 'cus_three', code: 'BEN', at: T0 + 20 }),
    invoicePaid({ id: 'in_four_1', customer: 'cus_four', subscription: 'sub_four', reason: 'subscription_create', amount: 10_000, at: T0 }),
    // a code set on a subscription three weeks after its first payment
    subscriptionUpdated({ subscription: 'sub_four', customer: 'cus_four', code: 'BEN', at: T0 + 21 * DAY }),
    invoicePaid({ id: 'in_four_2', customer: 'cus_four', subscription: 'sub_four', reason: 'subscription_cycle', amount: 10_000, at: T0 + 30 * DAY }),
  ]))('metadata set on a subscription reaches its payments from around that time on (%s)', async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries);
    expect(byPayment.in_three_1).toEqual({ affiliate: 'BEN', value: 1000, method: 'subscription' });
    expect(byPayment.in_four_1).toEqual({ affiliate: null, value: 0, method: null });
    expect(byPayment.in_four_2).toEqual({ affiliate: 'BEN', value: 1000, method: 'subscription' });
    expect(earned).toEqual({ ann: 0, ben: 2000, cy: 0 });
  });
  it.each(bothOrders([
    // the first invoice knows its affiliate from its subscription's metadata
    invoicePaid({ id: 'in_five_1', customer: 'cus_five', subscription: 'sub_five', reason: 'subscription_create', amount: 10_000, at: T0, subscriptionCode: 'BEN' }),
    // a plan change invoiced 20 s later carries another code in its own metadata (a step above the subscription's):
    // its own, reaching no earlier payment, grace or not
    invoicePaid({ id: 'in_five_2', customer: 'cus_five', subscription: 'sub_five', reason: 'subscription_cycle', amount: 10_000, at: T0 + 20, code: 'CY' }),
  ]))("another payment's own code reaches no earlier payment, even seconds later (%s)", async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries);
    expect(byPayment.in_five_1).toEqual({ affiliate: 'BEN', value: 1000, method: 'subscription' });
    expect(byPayment.in_five_2).toEqual({ affiliate: 'CY', value: 1000, method: 'metadata' });
    expect(earned).toEqual({ ann: 0, ben: 1000, cy: 1000 });
  });

  it.each(bothOrders([
    { polar: polarSubscription({ type: 'subscription.created', sub: 'psub_six', at: T0 - 2 }) },
    { polar: polarOrder({ id: 'pord_six_1', sub: 'psub_six', reason: 'subscription_create', at: T0 }) },
    { polar: polarOrder({ id: 'pord_six_2', sub: 'psub_six', reason: 'subscription_cycle', at: T0 + 30 * DAY }) },
    // a code set on the subscription 34 days on: Polar names the subscription's checkout, the first order's id, with it
    { polar: polarSubscription({ type: 'subscription.updated', sub: 'psub_six', at: T0 + 34 * DAY, code: 'ANN' }) },
    { polar: polarOrder({ id: 'pord_six_3', sub: 'psub_six', reason: 'subscription_cycle', at: T0 + 60 * DAY }) },
  ]))('a later subscription event that names the first payment does not reach it (Polar, %s)', async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries);
    expect(byPayment.pord_six_1).toEqual({ affiliate: null, value: 0, method: null });
    expect(byPayment.pord_six_2).toEqual({ affiliate: null, value: 0, method: null });
    expect(byPayment.pord_six_3).toMatchObject({ affiliate: 'ANN', value: 490 });
    expect(earned).toEqual({ ann: 490, ben: 0, cy: 0 });
  });

  it.each(bothOrders([
    subscriptionCheckout({ id: 'sub_seven_a', customer: 'cus_seven', subscription: 'sub_seven_a', clientReferenceId: 'ANN', at: T0 + 2 }),
    invoicePaid({ id: 'in_seven_a1', customer: 'cus_seven', subscription: 'sub_seven_a', reason: 'subscription_create', amount: 10_000, at: T0 }),
    invoicePaid({ id: 'in_seven_a2', customer: 'cus_seven', subscription: 'sub_seven_a', reason: 'subscription_cycle', amount: 10_000, at: T0 + 30 * DAY }),
    // two months on, the same customer starts a second subscription through Ben's link
    subscriptionCheckout({ id: 'sub_seven_b', customer: 'cus_seven', subscription: 'sub_seven_b', clientReferenceId: 'BEN', at: T0 + 60 * DAY + 2 }),
    invoicePaid({ id: 'in_seven_b1', customer: 'cus_seven', subscription: 'sub_seven_b', reason: 'subscription_create', amount: 5_000, at: T0 + 60 * DAY }),
    invoicePaid({ id: 'in_seven_b2', customer: 'cus_seven', subscription: 'sub_seven_b', reason: 'subscription_cycle', amount: 5_000, at: T0 + 90 * DAY }),
    invoicePaid({ id: 'in_seven_a3', customer: 'cus_seven', subscription: 'sub_seven_a', reason: 'subscription_cycle', amount: 10_000, at: T0 + 90 * DAY }),
  ]))("a customer's second subscription, sold through another affiliate, is that affiliate's, renewals included (%s)", async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries);
    for (const id of ['in_seven_a1', 'in_seven_a2', 'in_seven_a3']) expect(byPayment[id]).toMatchObject({ affiliate: 'ANN', value: 1000 });
    for (const id of ['in_seven_b1', 'in_seven_b2']) expect(byPayment[id]).toMatchObject({ affiliate: 'BEN', value: 500 });
    expect(earned).toEqual({ ann: 3000, ben: 1000, cy: 0 });
  });

  it.each(bothOrders([
    subscriptionCheckout({ id: 'sub_nine_a', customer: 'cus_nine', subscription: 'sub_nine_a', clientReferenceId: 'ANN', at: T0 + 2 }),
    invoicePaid({ id: 'in_nine_a1', customer: 'cus_nine', subscription: 'sub_nine_a', reason: 'subscription_create', amount: 10_000, at: T0 }),
    invoicePaid({ id: 'in_nine_a2', customer: 'cus_nine', subscription: 'sub_nine_a', reason: 'subscription_cycle', amount: 10_000, at: T0 + 30 * DAY }),
    subscriptionCheckout({ id: 'sub_nine_b', customer: 'cus_nine', subscription: 'sub_nine_b', clientReferenceId: 'BEN', at: T0 + 60 * DAY + 2 }),
    invoicePaid({ id: 'in_nine_b1', customer: 'cus_nine', subscription: 'sub_nine_b', reason: 'subscription_create', amount: 5_000, at: T0 + 60 * DAY }),
    invoicePaid({ id: 'in_nine_b2', customer: 'cus_nine', subscription: 'sub_nine_b', reason: 'subscription_cycle', amount: 5_000, at: T0 + 90 * DAY }),
    // and a one-off purchase through Ann's link, months after her subscription's first payment
    paymentCheckout({ id: 'nine_c', customer: 'cus_nine', code: 'ANN', amount: 2_000, at: T0 + 100 * DAY }),
  ]))("under first_payment renewals stop, counted from the customer's first payment to that affiliate; a purchase earns (%s)", async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries, { commission_duration: 'first_payment' });
    expect(byPayment.in_nine_a1).toMatchObject({ affiliate: 'ANN', value: 1000 });
    expect(byPayment.in_nine_a2).toMatchObject({ affiliate: 'ANN', value: 0 });
    expect(byPayment.in_nine_b1).toMatchObject({ affiliate: 'BEN', value: 500 });
    expect(byPayment.in_nine_b2).toMatchObject({ affiliate: 'BEN', value: 0 });
    expect(byPayment.pi_nine_c).toMatchObject({ affiliate: 'ANN', value: 200 });
    expect(earned).toEqual({ ann: 1200, ben: 500, cy: 0 });
  });

  it.each(bothOrders([
    subscriptionCheckout({ id: 'sub_ten_a', customer: 'cus_ten', subscription: 'sub_ten_a', clientReferenceId: 'ANN', at: T0 + 2 }),
    invoicePaid({ id: 'in_ten_a1', customer: 'cus_ten', subscription: 'sub_ten_a', reason: 'subscription_create', amount: 10_000, at: T0 }),
    // five months on, a second subscription through Ann's link, starting with a 14-day trial: its $0 invoice is no
    // payment, and the first money it brings is billed as a subscription_cycle
    subscriptionCheckout({ id: 'sub_ten_b', customer: 'cus_ten', subscription: 'sub_ten_b', clientReferenceId: 'ANN', at: T0 + 150 * DAY + 2 }),
    invoicePaid({ id: 'in_ten_b1', customer: 'cus_ten', subscription: 'sub_ten_b', reason: 'subscription_cycle', amount: 9_900, at: T0 + 164 * DAY }),
    invoicePaid({ id: 'in_ten_b2', customer: 'cus_ten', subscription: 'sub_ten_b', reason: 'subscription_cycle', amount: 9_900, at: T0 + 194 * DAY }),
    { polar: polarSubscription({ type: 'subscription.created', sub: 'psub_ten_a', customer: 'cust_ten', at: T0 - 2, code: 'ANN' }) },
    { polar: polarOrder({ id: 'pord_ten_a1', sub: 'psub_ten_a', customer: 'cust_ten', reason: 'subscription_create', at: T0 }) },
    { polar: polarSubscription({ type: 'subscription.created', sub: 'psub_ten_b', customer: 'cust_ten', at: T0 + 150 * DAY - 2, code: 'ANN' }) },
    { polar: polarOrder({ id: 'pord_ten_b1', sub: 'psub_ten_b', customer: 'cust_ten', reason: 'subscription_cycle', at: T0 + 164 * DAY }) },
    { polar: polarOrder({ id: 'pord_ten_b2', sub: 'psub_ten_b', customer: 'cust_ten', reason: 'subscription_cycle', at: T0 + 194 * DAY }) },
  ]))("under first_payment a second subscription that began with a trial earns its first paid payment, billed as a cycle (%s)", async (_label, deliveries) => {
    const { byPayment } = await run(deliveries, { commission_duration: 'first_payment' });
    expect(byPayment.in_ten_a1).toMatchObject({ affiliate: 'ANN', value: 1000 });
    expect(byPayment.in_ten_b1).toMatchObject({ affiliate: 'ANN', value: 990 });
    expect(byPayment.in_ten_b2).toMatchObject({ affiliate: 'ANN', value: 0 });
    expect(byPayment.pord_ten_a1).toMatchObject({ affiliate: 'ANN' });
    expect(byPayment.pord_ten_b1).toMatchObject({ affiliate: 'ANN', value: 490 });
    expect(byPayment.pord_ten_b2).toMatchObject({ affiliate: 'ANN', value: 0 });
  });

  it.each(bothOrders([
    { lemonsqueezy: lsSubscription({ id: '7101', order: '5101', customer: 1101, at: T0 + 2, code: 'ANN' }) },
    { lemonsqueezy: lsOrder({ id: '5101', customer: 1101, total: 10_000, at: T0, code: 'ANN' }) },
    // five months on, a second subscription through Ann's code with a 14-day trial: its order charges nothing, and
    // Lemon Squeezy bills the first money as a renewal
    { lemonsqueezy: lsOrder({ id: '5102', customer: 1101, total: 0, at: T0 + 150 * DAY, code: 'ANN' }) },
    { lemonsqueezy: lsSubscription({ id: '7102', order: '5102', customer: 1101, at: T0 + 150 * DAY + 2, code: 'ANN' }) },
    { lemonsqueezy: lsInvoice({ id: '6102', subscription: '7102', customer: 1101, total: 9_900, at: T0 + 164 * DAY }) },
    { lemonsqueezy: lsInvoice({ id: '6103', subscription: '7102', customer: 1101, total: 9_900, at: T0 + 194 * DAY }) },
    { lemonsqueezy: lsInvoice({ id: '6104', subscription: '7101', customer: 1101, total: 10_000, at: T0 + 180 * DAY }) },
  ]))("under first_payment a later Lemon Squeezy subscription that began with a trial earns its first paid payment, its first order told apart by its subscription's event (%s)", async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries, { commission_duration: 'first_payment' });
    expect(byPayment['order:5101']).toMatchObject({ affiliate: 'ANN', value: 1000 });
    expect(byPayment['invoice:6102']).toMatchObject({ affiliate: 'ANN', value: 990 });
    expect(byPayment['invoice:6103']).toMatchObject({ affiliate: 'ANN', value: 0 });
    // the first subscription's own renewal stays a renewal
    expect(byPayment['invoice:6104']).toMatchObject({ affiliate: 'ANN', value: 0 });
    expect(earned.ann).toBe(1990);
  });

  it.each(bothOrders([
    // a one-off purchase through Ann's link, then a month on a subscription through Ann's link that starts with a
    // 14-day trial: its first money is billed as a cycle, and every earlier payment is known to be no subscription's
    paymentCheckout({ id: 'eleven_a', customer: 'cus_eleven', code: 'ANN', amount: 2_000, at: T0 }),
    subscriptionCheckout({ id: 'sub_eleven_b', customer: 'cus_eleven', subscription: 'sub_eleven_b', clientReferenceId: 'ANN', at: T0 + 30 * DAY + 2 }),
    invoicePaid({ id: 'in_eleven_b1', customer: 'cus_eleven', subscription: 'sub_eleven_b', reason: 'subscription_cycle', amount: 9_900, at: T0 + 44 * DAY }),
    invoicePaid({ id: 'in_eleven_b2', customer: 'cus_eleven', subscription: 'sub_eleven_b', reason: 'subscription_cycle', amount: 9_900, at: T0 + 74 * DAY }),
    { polar: polarOrder({ id: 'pord_eleven_a', sub: null, reason: 'purchase', customer: 'cust_eleven', code: 'ANN', at: T0 }) },
    { polar: polarSubscription({ type: 'subscription.created', sub: 'psub_eleven_b', customer: 'cust_eleven', at: T0 + 30 * DAY, code: 'ANN' }) },
    { polar: polarOrder({ id: 'pord_eleven_b1', sub: 'psub_eleven_b', customer: 'cust_eleven', reason: 'subscription_cycle', at: T0 + 44 * DAY }) },
    { polar: polarOrder({ id: 'pord_eleven_b2', sub: 'psub_eleven_b', customer: 'cust_eleven', reason: 'subscription_cycle', at: T0 + 74 * DAY }) },
    { paddle: paddleOneOff({ id: 'txn_eleven_a', customer: 'ctm_eleven', code: 'ANN', at: T0 }) },
    { paddle: paddleSubscription({ id: 'sub_paddle_eleven_b', customer: 'ctm_eleven', firstTransaction: 'txn_eleven_trial', code: 'ANN', at: T0 + 30 * DAY }) },
    { paddle: paddleCycle({ id: 'txn_eleven_b1', customer: 'ctm_eleven', subscription: 'sub_paddle_eleven_b', at: T0 + 44 * DAY }) },
    { paddle: paddleCycle({ id: 'txn_eleven_b2', customer: 'ctm_eleven', subscription: 'sub_paddle_eleven_b', at: T0 + 74 * DAY }) },
  ]))("under first_payment a subscription that began with a trial after a one-off purchase earns its first paid payment (%s)", async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries, { commission_duration: 'first_payment' });
    expect(byPayment.pi_eleven_a).toMatchObject({ affiliate: 'ANN', value: 200 });
    expect(byPayment.in_eleven_b1).toMatchObject({ affiliate: 'ANN', value: 990 });
    expect(byPayment.in_eleven_b2).toMatchObject({ affiliate: 'ANN', value: 0 });
    expect(byPayment.pord_eleven_a).toMatchObject({ affiliate: 'ANN', value: 250 });
    expect(byPayment.pord_eleven_b1).toMatchObject({ affiliate: 'ANN', value: 490 });
    expect(byPayment.pord_eleven_b2).toMatchObject({ affiliate: 'ANN', value: 0 });
    expect(byPayment.txn_eleven_a).toMatchObject({ affiliate: 'ANN', value: 400 });
    expect(byPayment.txn_eleven_b1).toMatchObject({ affiliate: 'ANN', value: 490 });
    expect(byPayment.txn_eleven_b2).toMatchObject({ affiliate: 'ANN', value: 0 });
    expect(earned.ann).toBe(200 + 990 + 250 + 490 + 400 + 490);
  });

  it.each(bothOrders([
    { polar: polarSubscription({ type: 'subscription.created', sub: 'psub_eight_a', customer: 'cust_eight', at: T0 - 2, code: 'ANN' }) },
    { polar: polarOrder({ id: 'pord_eight_a1', sub: 'psub_eight_a', customer: 'cust_eight', reason: 'subscription_create', at: T0 }) },
    { polar: polarSubscription({ type: 'subscription.created', sub: 'psub_eight_b', customer: 'cust_eight', at: T0 + 60 * DAY - 2, code: 'BEN' }) },
    { polar: polarOrder({ id: 'pord_eight_b1', sub: 'psub_eight_b', customer: 'cust_eight', reason: 'subscription_create', at: T0 + 60 * DAY }) },
    { polar: polarOrder({ id: 'pord_eight_b2', sub: 'psub_eight_b', customer: 'cust_eight', reason: 'subscription_cycle', at: T0 + 90 * DAY }) },
    { polar: polarOrder({ id: 'pord_eight_a2', sub: 'psub_eight_a', customer: 'cust_eight', reason: 'subscription_cycle', at: T0 + 90 * DAY }) },
  ]))("a customer's second subscription follows its own creation's code (Polar, %s)", async (_label, deliveries) => {
    const { byPayment, earned } = await run(deliveries);
    expect(byPayment.pord_eight_a1).toMatchObject({ affiliate: 'ANN' });
    expect(byPayment.pord_eight_a2).toMatchObject({ affiliate: 'ANN' });
    expect(byPayment.pord_eight_b1).toMatchObject({ affiliate: 'BEN' });
    expect(byPayment.pord_eight_b2).toMatchObject({ affiliate: 'BEN' });
    expect(earned.ben).toBe(byPayment.pord_eight_b1.value + byPayment.pord_eight_b2.value);
    expect(earned.ann).toBe(byPayment.pord_eight_a1.value + byPayment.pord_eight_a2.value);
  });
});
