import request from 'supertest';
import { OutboundDispatcher } from '../../src/outbound/dispatcher';
import { OUTBOUND_EVENTS } from '../../src/outbound/events';
import { lemonSqueezyAdapter } from '../../src/providers/lemonsqueezy/adapter';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { loadFixture } from '../helpers/fixtures';
import { SecretBox } from '../../src/security/secret-box';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { WebhookReceiver } from '../helpers/webhook-receiver';

const STRIPE_SECRET = 'whsec_outbound_end_to_end';

/**
 * End to end over HTTP: a merchant subscribes one endpoint to all eighteen events; an affiliate, a referral, then a
 * signed Stripe payment and its refund reach Refwire through the receiver, and the endpoint hears of each step,
 * in order, signed, each event once — a provider event sent again, or replayed, announces nothing more.
 */
describe('outbound events end to end', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let receiver: WebhookReceiver;
  let dispatcher: OutboundDispatcher;
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const step = async () => {
    t.clock.now = new Date();
    while ((await dispatcher.runOnce()) > 0);
    expect(receiver.refused).toEqual([]);
    return receiver
      .take()
      .map((r) => r.body.event as string)
      .sort();
  };
  const signed = async (payload: Record<string, unknown>) => {
    const body = JSON.stringify(payload);
    const res = await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, STRIPE_SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    return res.body as { id: string; duplicate: boolean };
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    project = await createProjectViaApi(t.app, 'End to end');
    await connectProvider(t.app, project.apiKey, 'stripe', STRIPE_SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    receiver = new WebhookReceiver();
    await receiver.start();
    dispatcher = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 2000 }, () => t.clock.now);
  });
  afterAll(async () => {
    await t.runner.stop();
    await receiver.stop();
    await tdb.drop();
  });

  it('each step announces its events, in the order the steps happened', async () => {
    const endpoint = (await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: receiver.url, events: [...OUTBOUND_EVENTS] }).expect(201)).body.data;
    expect(endpoint.events).toHaveLength(18);
    receiver.secret = endpoint.secret;

    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'partner@acme.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    expect(await step()).toEqual(['affiliate.created']);

    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'jamie.rivera@example.com', referral_code: 'ACME-PARTNER-42' }).expect(201);
    expect(await step()).toEqual(['referral.created', 'referral_signed_up']);

    const checkout = stripeEvent('checkout.session.completed.payment.json', (o) => (o.customer = 'cus_end_to_end'));
    expect((await signed(checkout)).duplicate).toBe(false);
    expect(await step()).toEqual(['commission.created', 'referral.converted', 'referral_converted']);

    // the same provider event again, and a replay of it: stored once, processed again, announced never
    const again = await signed(checkout);
    expect(again.duplicate).toBe(true);
    await request(t.app).post(`/api/v1/events/${again.id}/replay`).set(api()).expect(200);
    expect(await step()).toEqual([]);

    await signed(stripeEvent('charge.refunded.json', (o) => (o.customer = 'cus_end_to_end')));
    expect(await step()).toEqual(['referral_canceled']);

    // every delivery is listed with its format and succeeded on its first attempt
    const deliveries = (await request(t.app).get(`/api/v1/webhooks/${endpoint.id}/deliveries?limit=50`).set(api()).expect(200)).body.data;
    expect(deliveries).toHaveLength(7);
    expect(deliveries.every((d: any) => d.status === 'succeeded' && d.attempts === 1 && d.payload_format === 'refgrow-v1')).toBe(true);
    expect(new Set(deliveries.map((d: any) => d.webhook_id)).size).toBe(7);
  });

  it("a customer who pays through a second provider was converted already: no second referral.converted", async () => {
    const LS_SECRET = 'ls_outbound_events_secret';
    await connectProvider(t.app, project.apiKey, 'lemonsqueezy', LS_SECRET);
    // jamie.rivera@example.com with ACME-PARTNER-42, whose Stripe payment converted them in the test above
    const body = JSON.stringify(loadFixture('lemonsqueezy', 'order_created.oneoff.json').payload);
    await request(t.app).post(`/webhook/lemonsqueezy/${project.id}`).set(lemonSqueezyAdapter.sign(body, LS_SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    expect(await step()).toEqual(['commission.created', 'referral_converted']);
  });

  it("a purchase recorded by hand converts its customer's referral once: referral.converted with the first, not the next", async () => {
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'manual.buyer@example.com', referral_code: 'ACME-PARTNER-42' }).expect(201);
    expect(await step()).toEqual(['referral.created', 'referral_signed_up']);
    await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', email: 'manual.buyer@example.com', base_value: 50 }).expect(201);
    expect(await step()).toEqual(['commission.created', 'referral.converted', 'referral_converted', 'referral_updated']);
    await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', email: 'manual.buyer@example.com', base_value: 20 }).expect(201);
    expect(await step()).toEqual(['commission.created', 'referral_converted', 'referral_updated']);
  });
});
