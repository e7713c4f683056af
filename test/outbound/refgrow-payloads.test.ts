import request from 'supertest';
import { OutboundDispatcher } from '../../src/outbound/dispatcher';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { SecretBox } from '../../src/security/secret-box';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { refgrowVerifySignature, shapeOf, WebhookReceiver, type Received } from '../helpers/webhook-receiver';
import documented from './fixtures/refgrow-payloads.json';

const STRIPE_SECRET = 'whsec_refgrow_payloads_stripe';

/**
 * Refgrow's four events through HTTP, to a receiver on this machine, with an endpoint created as a merchant moving
 * from Refgrow would (no payload_format: the default). Each payload is held against Refgrow's documented example
 * (test/outbound/fixtures/refgrow-payloads.json): the same keys, each value of the same type.
 */
describe("outbound: Refgrow's four events as Refgrow documents them", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let receiver: WebhookReceiver;
  let dispatcher: OutboundDispatcher;
  let affiliateId: string;
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const dispatch = async () => {
    t.clock.now = new Date();
    while ((await dispatcher.runOnce()) > 0);
    return receiver.take();
  };
  const only = (received: Received[], event: string) => received.filter((r) => r.body.event === event);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    // the receiver listens on loopback: this installation allows private targets, as OUTBOUND_ALLOW_PRIVATE=true does
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    project = await createProjectViaApi(t.app, 'Refgrow parity');
    await connectProvider(t.app, project.apiKey, 'stripe', STRIPE_SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    const affiliate = await request(t.app)
      .post('/api/v1/affiliates')
      .set(api())
      .send({
        email: 'affiliate@example.com',
        referral_code: 'ACME-PARTNER-42',
        payout_method: 'wise',
        paypal_email: 'paypal@affiliate.example',
        wise_email: 'wise@affiliate.example',
        payout_details: { accountId: 'wise_account_123' },
      })
      .expect(201);
    affiliateId = affiliate.body.data.id;
    receiver = new WebhookReceiver();
    await receiver.start();
    dispatcher = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 2000 }, () => t.clock.now);
  });
  afterAll(async () => {
    await t.runner.stop();
    await receiver.stop();
    await tdb.drop();
  });

  it('a new endpoint defaults to the refgrow-v1 format and Refgrow\'s four events', async () => {
    const created = (await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: receiver.url }).expect(201)).body.data;
    expect(created).toMatchObject({ payload_format: 'refgrow-v1', events: ['referral_signed_up', 'referral_converted', 'referral_canceled', 'referral_updated'] });
    receiver.secret = created.secret;
  });

  it('each payload has the documented keys with the documented types, and the headers Refgrow documents under Refwire\'s name and its own', async () => {
    // a visitor signs up through the tracking script (their browser: a user agent and an address)
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) RefwireTest';
    await request(t.app).post('/api/track/signup').set('User-Agent', ua).send({ project_id: project.id, email: 'Customer@Example.com', referral_code: 'ACME-PARTNER-42' }).expect(201);
    // the merchant records a sale of a product with its order id (Refgrow: creating one sends referral_converted and referral_updated)
    const sale = await request(t.app)
      .post('/api/v1/conversions')
      .set(api())
      .send({ type: 'purchase', referral_code: 'ACME-PARTNER-42', email: 'customer@example.com', base_value: 99.99, product_id: 'prod_abc123', reference: 'order_456' })
      .expect(201);
    // and corrects it (Refgrow: every update sends referral_updated)
    await request(t.app).put(`/api/v1/conversions/${sale.body.data.id}`).set(api()).send({ reference: 'order_457' }).expect(200);
    // a signed Stripe payment, then its refund
    for (const file of ['checkout.session.completed.payment.json', 'charge.refunded.json']) {
      const body = JSON.stringify(stripeEvent(file, (o) => (o.customer = 'cus_refgrow_payloads')));
      await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, STRIPE_SECRET, { now: t.clock.now })).send(body).expect(200);
      await t.runner.idle();
    }

    const received = await dispatch();
    expect(receiver.refused).toEqual([]);
    expect(received.map((r) => r.body.event).sort()).toEqual(
      ['referral_canceled', 'referral_converted', 'referral_converted', 'referral_signed_up', 'referral_updated', 'referral_updated'].sort(),
    );
    const examples = documented.payloads as Record<string, Record<string, unknown>>;
    const signup = only(received, 'referral_signed_up')[0]!;
    const [manualSale] = only(received, 'referral_converted').filter((r) => r.body.conversion.payment_processor === 'manual');
    const updates = only(received, 'referral_updated');
    const canceled = only(received, 'referral_canceled')[0]!;
    for (const r of [signup, manualSale!, ...updates, canceled]) expect([r.body.event, shapeOf(r.body)]).toEqual([r.body.event, shapeOf(examples[r.body.event])]);

    const referrer = {
      id: affiliateId,
      email: 'affiliate@example.com',
      payout_preferences: { paypal_email: 'paypal@affiliate.example', wise_details: { accountId: 'wise_account_123', email: 'wise@affiliate.example' } },
    };
    const now = Math.floor(t.clock.now.getTime() / 1000);
    expect(signup.body).toEqual({
      event: 'referral_signed_up',
      timestamp: expect.any(Number),
      project_id: project.id,
      referrer,
      referred: { id: 'customer@example.com', email: 'customer@example.com' },
      data: { referral_code: 'ACME-PARTNER-42', signup_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), user_agent: ua, ip_address: expect.stringMatching(/127\.0\.0\.1/) },
    });
    expect(Math.abs(signup.body.timestamp - now)).toBeLessThan(120);
    expect(manualSale!.body).toEqual({
      event: 'referral_converted',
      timestamp: expect.any(Number),
      project_id: project.id,
      referrer,
      referred: { id: 'customer@example.com', email: 'customer@example.com' },
      conversion: {
        id: sale.body.data.id,
        amount: 99.99,
        currency: 'USD',
        // 20% of 99.99, rounded half away from zero to the cent
        commission_amount: 20,
        commission_type: 'percentage',
        commission_rate: 20,
        payment_processor: 'manual',
        product_id: 'prod_abc123',
        order_id: 'order_456',
        conversion_date: sale.body.data.occurred_at,
      },
    });
    // created, then corrected: the second says what the PUT changed
    expect(updates.map((u) => [u.body.conversion.id, u.body.conversion.reference]).sort()).toEqual([
      [sale.body.data.id, 'order_456'],
      [sale.body.data.id, 'order_457'],
    ]);
    expect(updates[0]!.body.conversion).toMatchObject({ amount: 99.99, amount_usd: 99.99, base_value: 99.99, commission_amount: 20 });

    // the provider's sale (40.00 at 20%) and its full refund
    const stripeSale = only(received, 'referral_converted').find((r) => r.body.conversion.payment_processor === 'stripe')!;
    expect(stripeSale.body.conversion).toMatchObject({ amount: 40, currency: 'USD', commission_amount: 8, commission_type: 'percentage', commission_rate: 20, order_id: 'pi_3RwFxDemoPayIntent01' });
    expect(stripeSale.body.referred).toEqual({ id: 'jamie.rivera@example.com', email: 'jamie.rivera@example.com' });
    expect(canceled.body.conversion).toEqual({
      id: stripeSale.body.conversion.id,
      amount: 40,
      commission_amount: 8,
      refund_amount: 40,
      reason: 'payment refunded (stripe)',
      canceled_date: expect.stringMatching(/^\d{4}-/),
    });

    for (const r of received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toBe('Refwire-Webhooks/1.0');
      expect(r.headers['x-refwire-event']).toBe(r.body.event);
      // Refgrow's own header names too: a receiver written from Refgrow's documentation reads them unchanged
      expect(r.headers['x-refgrow-event']).toBe(r.body.event);
      expect(r.headers['x-refgrow-signature']).toBe(r.headers['x-refwire-signature']);
      expect(refgrowVerifySignature(r.raw, String(r.headers['x-refgrow-signature']), receiver.secret)).toBe(true);
      expect(refgrowVerifySignature(r.raw, String(r.headers['x-refgrow-signature']), `${receiver.secret}x`)).toBe(false);
      expect(r.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      // Refgrow's payloads carry no id of their own: the webhook-id header does
      expect(r.body.id).toBeUndefined();
    }
    expect(Object.keys(documented.headers).map((h) => h.toLowerCase().replace('refgrow', 'refwire')).filter((h) => received[0]!.headers[h] === undefined)).toEqual([]);
  });

  it('a commission rejected in review, or a conversion deleted, is canceled; one approved in review is updated', async () => {
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_review: 'manual' }).expect(200);
    const pay = async (customer: string, email: string) => {
      const body = JSON.stringify(
        stripeEvent('checkout.session.completed.payment.json', (o) => {
          o.customer = customer;
          o.customer_details = { ...o.customer_details, email };
          o.payment_intent = `pi_${customer}`;
        }),
      );
      await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, STRIPE_SECRET, { now: t.clock.now })).send(body).expect(200);
      await t.runner.idle();
      return (await request(t.app).get(`/api/v1/conversions?referred_user_id=${email}`).set(api()).expect(200)).body.data[0];
    };
    const rejected = await pay('cus_rejected', 'rejected@example.com');
    const approved = await pay('cus_approved', 'approved@example.com');
    expect([rejected.status, approved.status]).toEqual(['pending', 'pending']);
    await dispatch();
    await request(t.app).post(`/api/v1/conversions/${rejected.id}/reject`).set(api()).send({ reason: 'Customer requested refund' }).expect(200);
    await request(t.app).post(`/api/v1/conversions/${approved.id}/approve`).set(api()).expect(200);
    const reviewed = await dispatch();
    const manual = await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', referral_code: 'ACME-PARTNER-42', email: 'deleted@example.com', base_value: 10, reference: 'order_deleted' }).expect(201);
    await dispatch();
    await request(t.app).delete(`/api/v1/conversions/${manual.body.data.id}`).set(api()).expect(204);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_review: 'auto' }).expect(200);

    const received = [...reviewed, ...(await dispatch())];
    const byEvent = received.map((r) => [r.body.event, r.body.conversion.id, r.body.conversion.reason ?? null, r.body.conversion.refund_amount ?? null]);
    expect(byEvent.sort()).toEqual(
      [
        ['referral_canceled', rejected.id, 'Customer requested refund', 0],
        ['referral_updated', approved.id, null, null],
        ['referral_canceled', manual.body.data.id, 'conversion deleted', 0],
      ].sort(),
    );
    for (const r of received) expect([r.body.event, shapeOf(r.body)]).toEqual([r.body.event, shapeOf((documented.payloads as Record<string, unknown>)[r.body.event])]);
  });

  it("a sale's product_id is its product (prod_…), as Refgrow's example shows, not the price its line names first", async () => {
    const body = JSON.stringify(
      stripeEvent('invoice.paid.subscription_create.json', (o) => {
        Object.assign(o, { id: 'in_product_id_1', charge: 'ch_product_id_1', payment_intent: 'pi_product_id_1', customer: 'cus_product_id_1', customer_email: 'pat@example.com' });
        o.metadata = { referral_code: 'ACME-PARTNER-42' };
      }),
    );
    await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, STRIPE_SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    const sale = only(await dispatch(), 'referral_converted').find((r) => r.body.conversion.order_id === 'in_product_id_1')!;
    // the line: price price_1RwFxDemoProMonth1 of product prod_RwFxDemoProPl1
    expect(sale.body.conversion).toMatchObject({ payment_processor: 'stripe', product_id: 'prod_RwFxDemoProPl1' });
  });

  it('refunds reported out of time order: the refund_amounts a receiver adds up are what was refunded, and moved rows are told as updated', async () => {
    const deliver = async (payload: Record<string, any>) => {
      const body = JSON.stringify(payload);
      await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, STRIPE_SECRET, { now: t.clock.now })).send(body).expect(200);
      await t.runner.idle();
    };
    const T = Math.floor(t.clock.now.getTime() / 1000) - 3600;
    // a 100.00 sale (no tax) by a new customer, referred by the code
    const sale = (pi: string) =>
      deliver(
        stripeEvent('checkout.session.completed.payment.json', (o) => {
          Object.assign(o, { id: `cs_${pi}`, payment_intent: pi, customer: `cus_${pi}`, amount_total: 10_000, amount_subtotal: 10_000, client_reference_id: null });
          o.total_details = { amount_discount: 0, amount_shipping: 0, amount_tax: 0 };
          o.metadata = { referral_code: 'ACME-PARTNER-42' };
          o.customer_details.email = `${pi}@example.com`;
          delete o.discounts;
        }),
      );
    const refund = (id: string, pi: string, amount: number, at: number) =>
      deliver(stripeEvent('refund.created.json', (o) => Object.assign(o, { id, payment_intent: pi, charge: `ch_${pi}`, amount, created: at, status: 'succeeded' })));
    const refundedSum = (received: Received[], paymentId: string) =>
      only(received, 'referral_canceled')
        .filter((r) => r.body.conversion.id === paymentId)
        .reduce((sum, r) => sum + Math.round(r.body.conversion.refund_amount * 100), 0);
    const paymentOf = async (pi: string) => ((await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data as any[]).find((c) => c.payment_key === pi && c.kind !== 'refund');

    // A: 50.00 refunded at T+200 is announced; then 10.00 refunded at T+100 arrives
    await sale('pi_order_a');
    await dispatch();
    await refund('re_order_a2', 'pi_order_a', 5_000, T + 200);
    const first = await dispatch();
    await refund('re_order_a1', 'pi_order_a', 1_000, T + 100);
    const second = await dispatch();
    const a = await paymentOf('pi_order_a');
    expect([refundedSum(first, a.id), refundedSum(second, a.id)]).toEqual([5_000, 1_000]);
    // the row announced for 50.00 is now the 10.00 step at T+100: it is told as updated
    expect(only(second, 'referral_updated')).toHaveLength(1);

    // B: Stripe's charge.refunded (60.00 in all) arrives before the two refunds that make it up
    await sale('pi_order_b');
    await dispatch();
    const charge = stripeEvent('charge.refunded.json', (o) => {
      Object.assign(o, { id: 'ch_pi_order_b', payment_intent: 'pi_order_b', customer: null, amount: 10_000, amount_refunded: 6_000 });
      o.refunds = { object: 'list', data: [], has_more: false };
    });
    charge.created = T + 301;
    await deliver(charge);
    const whole = await dispatch();
    await refund('re_order_b1', 'pi_order_b', 1_000, T + 100);
    await refund('re_order_b2', 'pi_order_b', 5_000, T + 300);
    const parts = await dispatch();
    const b = await paymentOf('pi_order_b');
    expect([refundedSum(whole, b.id), refundedSum(parts, b.id)]).toEqual([6_000, 0]);
    // the ledger, as ever: 60.00 refunded of 100.00, 20% reversed
    const rows = ((await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data as any[]).filter((c) => c.payment_key === 'pi_order_b' && c.kind === 'refund');
    expect(rows.reduce((sum, c) => sum + c.value_minor, 0)).toBe(-1_200);
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  it('an endpoint switched to refwire-v1 receives the envelope it had before; a format it does not know is refused', async () => {
    const [endpoint] = (await request(t.app).get('/api/v1/webhooks').set(api()).expect(200)).body.data;
    const bad = await request(t.app).patch(`/api/v1/webhooks/${endpoint.id}`).set(api()).send({ payload_format: 'refgrow-v9' }).expect(400);
    expect(bad.body).toEqual({ success: false, error: expect.stringMatching(/^payload_format: /) });
    await request(t.app).patch(`/api/v1/webhooks/${endpoint.id}`).set(api()).send({ payload_format: 'refwire-v1' }).expect(200);
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'later@example.com', referral_code: 'ACME-PARTNER-42' }).expect(201);
    const [legacy] = await dispatch();
    expect(legacy!.body).toMatchObject({ id: legacy!.headers['webhook-id'], event: 'referral_signed_up', data: { referral: { email: 'later@example.com', source: 'api' }, affiliate: { id: affiliateId } } });
    expect(legacy!.headers['x-refwire-event']).toBe('referral_signed_up');
    expect(legacy!.headers['x-refgrow-event']).toBeUndefined();
    const deliveries = (await request(t.app).get(`/api/v1/webhooks/${endpoint.id}/deliveries`).set(api()).expect(200)).body.data;
    expect(deliveries[0]).toMatchObject({ event: 'referral_signed_up', payload_format: 'refwire-v1' });
    expect(deliveries.at(-1)).toMatchObject({ payload_format: 'refgrow-v1' });
  });
});
