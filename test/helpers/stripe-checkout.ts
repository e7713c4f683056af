import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from './ledger';
import type { TestApp } from './refwire';

let n = 0;

/**
 * A one-off Stripe checkout payment by `email`, paid at `paidAt`, carrying no referral of its own (only a coupon
 * when given), delivered signed through the receiver when it is paid and processed on the test's one clock: the
 * clock only moves forward, to the payment's time.
 */
export async function payByCheckout(
  t: TestApp,
  projectId: string,
  secret: string,
  p: { email: string; paidAt: Date; amount?: number; currency?: string; coupon?: string },
): Promise<void> {
  const payload = stripeEvent('checkout.session.completed.payment.json', (o) => {
    const id = `chk_${++n}_${Date.now().toString(36)}`;
    o.id = `cs_${id}`;
    o.payment_intent = `pi_${id}`;
    o.customer = `cus_${p.email.replace(/[^a-z0-9]/gi, '_')}`;
    o.customer_details = { ...o.customer_details, email: p.email };
    o.customer_email = p.email;
    o.currency = p.currency ?? 'usd';
    o.amount_total = p.amount ?? 10_000;
    o.amount_subtotal = p.amount ?? 10_000;
    o.client_reference_id = null;
    o.metadata = {};
    o.discounts = p.coupon ? [{ coupon: p.coupon, promotion_code: null }] : [];
    o.total_details = { ...o.total_details, amount_discount: 0, amount_tax: 0 };
  });
  payload.created = Math.floor(p.paidAt.getTime() / 1000);
  t.clock.now = new Date(Math.max(t.clock.now.getTime(), p.paidAt.getTime()));
  const body = JSON.stringify(payload);
  await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, secret, { now: t.clock.now })).send(body).expect(200);
  await t.runner.idle();
}
