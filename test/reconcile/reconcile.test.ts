import request from 'supertest';
import type { ProviderName } from '../../src/domain/provider-names';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { Metrics } from '../../src/observability/metrics';
import { getAdapter } from '../../src/providers/registry';
import type { ReconcileDeps } from '../../src/reconcile/reconcile';
import { ReconcileLoop } from '../../src/reconcile/reconcile-loop';
import { SecretBox } from '../../src/security/secret-box';
import { loadFixture } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ProviderStandIn } from '../helpers/provider-stand-ins';
import { buildTestApp, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';

const T0 = new Date('2026-11-21T12:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const unix = (d: Date) => Math.floor(d.getTime() / 1000);
const clone = <T>(v: T): T => structuredClone(v);

const SECRETS: Record<ProviderName, string> = {
  stripe: 'whsec_reconcile_test_secret_0001',
  paddle: 'pdl_ntfset_01reconcile_test_secret_0001',
  lemonsqueezy: 'lemon-reconcile-secret',
  polar: 'whsec_reconcile_polar_secret_0001',
};
const API_KEYS: Record<ProviderName, string> = {
  stripe: 'sk_test_reconcileKey0001',
  paddle: 'pdl_sdbx_apikey_01reconcilekey0001',
  lemonsqueezy: 'lemon_reconcile_api_key_0001',
  polar: 'polar_oat_reconcile_key_0001',
};
const PROVIDERS = Object.keys(SECRETS) as ProviderName[];

/** What each stand-in records while Refwire is away: the fixtures' payments, re-dated into the outage. */
function recordPayments(standIns: Record<ProviderName, ProviderStandIn>) {
  const checkout = clone(loadFixture('stripe', 'checkout.session.completed.payment.json').payload) as Record<string, any>;
  Object.assign(checkout, { id: 'evt_rec_checkout_0001', created: unix(minutes(30)) });
  const refund = clone(loadFixture('stripe', 'refund.created.json').payload) as Record<string, any>;
  Object.assign(refund, { id: 'evt_rec_refund_0001', created: unix(minutes(35)) });
  Object.assign(refund.data.object, { amount: 1000, created: unix(minutes(35)) });
  standIns.stripe.list('/v1/events').push(checkout, refund);

  const transaction = clone(loadFixture('paddle', 'transaction.completed.oneoff.json').payload) as Record<string, any>;
  Object.assign(transaction, { event_id: 'evt_01rec0000000000000000000001', occurred_at: minutes(40).toISOString(), notification_id: 'ntf_01rec0000000000000000000001' });
  standIns.paddle.list('/events').push(transaction);

  const order = clone(loadFixture('lemonsqueezy', 'order_created.oneoff.json').payload) as Record<string, any>;
  order.data.attributes.created_at = minutes(50).toISOString();
  standIns.lemonsqueezy.list('/v1/orders').push(order.data);
  standIns.lemonsqueezy.list('/v1/subscription-invoices');

  const polarOrder = clone(loadFixture('polar', 'order.paid.purchase.json').payload) as Record<string, any>;
  polarOrder.data.created_at = minutes(60).toISOString();
  const polarRefund = clone(loadFixture('polar', 'refund.updated.json').payload) as Record<string, any>;
  Object.assign(polarRefund.data, { created_at: minutes(70).toISOString(), modified_at: minutes(70).toISOString() });
  standIns.polar.list('/v1/orders/').push(polarOrder.data);
  standIns.polar.list('/v1/refunds/').push(polarRefund.data);
  return { checkout, refund, transaction, order, polarOrder, polarRefund };
}

describe('reconciliation: what no webhook delivered, read back from the providers', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let standIns: Record<ProviderName, ProviderStandIn>;
  let metrics: Metrics;
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });

  /** A process of Refwire's: the scheduled loop with this installation's settings, on the test clock. */
  const loop = () => {
    const deps: ReconcileDeps = {
      sql: tdb.db.sql,
      integrations: new IntegrationStore(tdb.db.prisma, new SecretBox(t.secretsKey)),
      baseUrls: Object.fromEntries(PROVIDERS.map((p) => [p, standIns[p].url])),
      fetch: globalThis.fetch,
      clock: () => t.clock.now,
      logger: silentLogger,
      metrics,
      onStored: (id) => t.runner.notify(id),
      intervalMs: 15 * 60_000,
      timeoutMs: 300,
    };
    return new ReconcileLoop(deps);
  };
  const passAt = async (at: Date) => {
    t.clock.now = at;
    await loop().pass();
    await t.runner.idle();
  };
  const integration = async (provider: ProviderName) => (await request(t.app).get(`/api/v1/integrations/${provider}`).set(api()).expect(200)).body.data;
  const conversions = async () =>
    (await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data.map((c: any) => [c.kind, c.payment_key, c.value_minor, c.amount_minor]).sort();
  const reconciledEvents = async () => (await request(t.app).get('/api/v1/events?origin=reconciled&limit=100').set(api()).expect(200)).body;
  const deliver = async (provider: ProviderName, payload: Record<string, any>, eventId?: string) => {
    const body = JSON.stringify(payload);
    const headers = getAdapter(provider).sign(body, SECRETS[provider], { now: t.clock.now, ...(eventId ? { eventId } : {}) });
    const res = await request(t.app).post(`/webhook/${provider}/${project.id}`).set(headers).send(body).expect(200);
    await t.runner.idle();
    return res.body as { id: string; duplicate: boolean };
  };

  beforeEach(async () => {
    metrics = new Metrics();
    standIns = Object.fromEntries(await Promise.all(PROVIDERS.map(async (p) => [p, await new ProviderStandIn(p).start()]))) as Record<ProviderName, ProviderStandIn>;
    // every list empty until the test records something
    for (const path of ['/v1/events']) standIns.stripe.list(path);
    standIns.paddle.list('/events');
    for (const path of ['/v1/orders', '/v1/subscription-invoices']) standIns.lemonsqueezy.list(path);
    for (const path of ['/v1/orders/', '/v1/refunds/']) standIns.polar.list(path);
    standIns.paddle.resources.set('/customers/ctm_01rwfxdemocustomer0001', { data: { id: 'ctm_01rwfxdemocustomer0001', email: 'jamie.rivera@example.com', status: 'active' }, meta: { request_id: 'req_standin' } });
    // the recovered order was discounted: the enricher asks for its code, as for a webhook's
    standIns.lemonsqueezy.resources.set('/v1/discount-redemptions', {
      jsonapi: { version: '1.0' },
      data: [{ type: 'discount-redemptions', id: '1', attributes: { discount_id: 7, order_id: 5002, discount_name: '10 off', discount_code: 'LEMON10', discount_amount: 400, discount_amount_type: 'fixed', amount: 400 } }],
    });
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { providerApiBaseUrls: Object.fromEntries(PROVIDERS.map((p) => [p, standIns[p].url])) });
    t.clock.now = T0;
    project = await createProjectViaApi(t.app);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 30 }).expect(200);
    const affiliate = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'partner@acme.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    // Lemon Squeezy's API leaves out the checkout's custom data: its recovered order is attributed by the email
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'jamie.rivera@example.com', affiliate_id: affiliate.body.data.id }).expect(201);
    for (const p of PROVIDERS) {
      await request(t.app).put(`/api/v1/integrations/${p}`).set(api()).send({ webhook_secret: SECRETS[p], api_key: API_KEYS[p] }).expect(200);
    }
  });
  afterEach(async () => {
    await t.runner.stop();
    await tdb.drop();
    await Promise.all(PROVIDERS.map((p) => standIns[p].stop()));
  });

  it('Refwire stopped while the providers recorded payments: started again, it recovers each once, and late webhooks change nothing', async () => {
    // running: the first pass reads the (empty) history and sets each checkpoint
    await passAt(T0);
    for (const p of PROVIDERS) expect((await integration(p)).reconciliation).toEqual({ reconciled_through: T0.toISOString(), next_run_at: minutes(15).toISOString(), failures: 0, error: null });
    expect(standIns.stripe.calls.map((c) => c.authorization)).toEqual(['Bearer sk_test_reconcileKey0001']);

    // stopped for two hours; the stand-ins record payments and refunds meanwhile
    const recorded = recordPayments(standIns);
    // started again: the loop's first pass runs at once
    t.clock.now = minutes(120);
    const started = loop();
    started.start();
    await started.pass();
    await started.stop();
    await t.runner.idle();

    const expected = [
      ['purchase', '66666666-aaaa-4bbb-8ccc-000000000003', 500, 2500],
      ['purchase', 'order:5002', 500, 2500],
      ['purchase', 'pi_3RwFxDemoPayIntent01', 800, 4000],
      ['purchase', 'txn_01rwfxdemotxnoneoff01', 800, 4800],
      ['refund', '66666666-aaaa-4bbb-8ccc-000000000003', -200, -1000],
      ['refund', 'pi_3RwFxDemoPayIntent01', -200, -1000],
    ];
    const log = await reconciledEvents();
    expect(await conversions()).toEqual(expected);
    expect(log.pagination.total).toBe(6);
    expect(log.data.every((e: any) => e.origin === 'reconciled' && e.status === 'processed')).toBe(true);
    expect(log.data.map((e: any) => e.provider_event_id).sort()).toEqual(
      [
        'evt_01rec0000000000000000000001',
        'evt_rec_checkout_0001',
        'evt_rec_refund_0001',
        'reconciled:order:5002:paid',
        'reconciled:order:66666666-aaaa-4bbb-8ccc-000000000003:paid:0',
        `reconciled:refund:${recorded.polarRefund.data.id}:succeeded`,
      ].sort(),
    );
    for (const p of PROVIDERS) expect((await integration(p)).reconciliation.reconciled_through).toBe(minutes(120).toISOString());
    const exposition = await metrics.registry.metrics();
    expect(exposition).toContain('refwire_reconciled_events_total{provider="stripe"} 2');
    expect(exposition).toContain('refwire_reconciled_events_total{provider="polar"} 2');
    expect(exposition).toContain('refwire_reconcile_runs_total{provider="paddle",outcome="ok"} 2');

    // the next pass reads the same history again (its window overlaps) and stores nothing twice
    await passAt(minutes(140));
    expect((await reconciledEvents()).pagination.total).toBe(6);

    // the webhooks arrive late after all: Stripe's and Paddle's are the same events, duplicates of the recovered
    // rows; Lemon Squeezy's and Polar's have ids of their own, and the ledger counts their payments once
    expect((await deliver('stripe', recorded.checkout)).duplicate).toBe(true);
    expect((await deliver('paddle', recorded.transaction)).duplicate).toBe(true);
    expect((await deliver('lemonsqueezy', recorded.order)).duplicate).toBe(false);
    expect((await deliver('polar', recorded.polarOrder, 'msg_late_polar_0001')).duplicate).toBe(false);
    expect(await conversions()).toEqual(expected);
    const affiliate = (await request(t.app).get('/api/v1/affiliates/partner%40acme.test').set(api()).expect(200)).body.data;
    expect(affiliate).toMatchObject({ purchases: 4, total_earnings_minor: 800 - 200 + 800 + 500 + 500 - 200 });
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  it('a Lemon Squeezy refund of an older order whose webhook was lost is found by the next day\'s sweep, once', async () => {
    await passAt(T0);
    const order = clone(loadFixture('lemonsqueezy', 'order_created.oneoff.json').payload) as Record<string, any>;
    Object.assign(order.data.attributes, { created_at: minutes(10).toISOString(), updated_at: minutes(10).toISOString() });
    standIns.lemonsqueezy.list('/v1/orders').push(order.data);
    t.clock.now = minutes(10);
    await deliver('lemonsqueezy', order);
    await passAt(minutes(15));
    const paid = ['purchase', 'order:5002', 500, 2500];
    expect(await conversions()).toEqual([paid]);

    // two days on, a scheduled run; then $10.00 of the order is refunded and the webhook never arrives (Lemon
    // Squeezy leaves a partial refund `paid`, `refunded` false, refunded_at null; updated_at moves)
    const refundedAt = minutes(46 * 60);
    await passAt(new Date(refundedAt.getTime() - 10 * 60_000));
    const current = standIns.lemonsqueezy.list('/v1/orders')[0]!;
    Object.assign(current.attributes, { refunded_amount: 1000, updated_at: refundedAt.toISOString() });

    // the runs of that day read the orders created in their windows: the refunded order is older
    await passAt(minutes(46 * 60 + 15));
    await passAt(minutes(52 * 60));
    expect(await conversions()).toEqual([paid]);

    // the first run after midnight sweeps the older orders changed since the day before: the refund, its 20 %
    await passAt(minutes(60 * 60 + 5));
    const refund = ['refund', 'order:5002', -200, -1000];
    expect(await conversions()).toEqual([paid, refund]);
    const recovered = (await reconciledEvents()).data.filter((e: any) => e.provider_event_id.includes(':refunded:'));
    expect(recovered.map((e: any) => [e.provider_event_id, e.type, e.status])).toEqual([['reconciled:order:5002:refunded:1000', 'order_refunded', 'processed']]);

    // the webhook comes late after all, and the next day's sweep and a run asked for from before the refund read
    // it again: nothing more is reversed
    await deliver('lemonsqueezy', { meta: { event_name: 'order_refunded', webhook_id: 'late-refund-webhook-0001', custom_data: null }, data: current });
    await passAt(minutes(84 * 60 + 5));
    const asked = await request(t.app).post('/api/v1/integrations/lemonsqueezy/reconcile').set(api()).send({ since: minutes(45 * 60).toISOString() }).expect(200);
    expect(asked.body.data).toMatchObject({ listed: 1, recovered: 0, duplicates: 1 });
    await t.runner.idle();
    expect(await conversions()).toEqual([paid, refund]);
    const affiliate = (await request(t.app).get('/api/v1/affiliates/partner%40acme.test').set(api()).expect(200)).body.data;
    expect(affiliate.total_earnings_minor).toBe(500 - 200);
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  it('a provider answering 5xx or not answering backs off, and the checkpoint does not move', async () => {
    await passAt(T0);
    standIns.stripe.failure = 'http500';
    standIns.polar.failure = 'hang';
    recordPayments(standIns);

    // on demand, through the API: Stripe's failure is a 502 naming it
    t.clock.now = minutes(30);
    const failed = await request(t.app).post('/api/v1/integrations/stripe/reconcile').set(api()).send({}).expect(502);
    expect(failed.body).toEqual({ success: false, error: expect.stringMatching(/^stripe API: GET \/v1\/events answered 500/) });
    expect((await integration('stripe')).reconciliation).toEqual({
      reconciled_through: T0.toISOString(),
      next_run_at: minutes(31).toISOString(),
      failures: 1,
      error: expect.stringContaining('answered 500'),
    });

    // scheduled passes leave Stripe alone until its backoff is over, then try again and double it
    const stripeCalls = standIns.stripe.calls.length;
    await passAt(minutes(30.5));
    expect(standIns.stripe.calls.length).toBe(stripeCalls);
    const polar = await integration('polar');
    expect(polar.reconciliation).toMatchObject({ reconciled_through: T0.toISOString(), failures: 1, error: expect.stringMatching(/request failed/) });
    await passAt(minutes(31));
    expect(standIns.stripe.calls.length).toBeGreaterThan(stripeCalls);
    expect((await integration('stripe')).reconciliation).toMatchObject({ reconciled_through: T0.toISOString(), failures: 2, next_run_at: minutes(33).toISOString() });
    expect(await conversions()).toEqual(
      expect.not.arrayContaining([expect.arrayContaining(['pi_3RwFxDemoPayIntent01'])]),
    );

    // the provider is back: the next run after the backoff recovers what the failed ones could not, once
    standIns.stripe.failure = null;
    standIns.polar.failure = null;
    await passAt(minutes(40));
    expect((await integration('stripe')).reconciliation).toEqual({ reconciled_through: minutes(40).toISOString(), next_run_at: minutes(55).toISOString(), failures: 0, error: null });
    expect((await integration('polar')).reconciliation).toMatchObject({ reconciled_through: minutes(40).toISOString(), failures: 0, error: null });
    const rows = await conversions();
    expect(rows.filter((r: any[]) => r[1] === 'pi_3RwFxDemoPayIntent01')).toEqual([
      ['purchase', 'pi_3RwFxDemoPayIntent01', 800, 4000],
      ['refund', 'pi_3RwFxDemoPayIntent01', -200, -1000],
    ]);
    expect((await metrics.registry.metrics())).toContain('refwire_reconcile_runs_total{provider="stripe",outcome="failed"} 1');
  });

  it("Lemon Squeezy: only the connection's store is read; a key that sees several stores must be told which", async () => {
    await passAt(T0);
    // the same user's key sees two stores: the connected one (1, the fixtures') and another, sold through elsewhere
    const order = (storeId: number, id: string, email: string) => {
      const o = clone(loadFixture('lemonsqueezy', 'order_created.oneoff.json').payload) as Record<string, any>;
      o.data.id = id;
      Object.assign(o.data.attributes, { store_id: storeId, user_email: email, created_at: minutes(50).toISOString(), updated_at: minutes(50).toISOString() });
      standIns.lemonsqueezy.list('/v1/orders').push(o.data);
    };
    order(1, '5002', 'jamie.rivera@example.com');
    order(2, '7001', 'jamie.rivera@example.com');
    t.clock.now = minutes(120);

    // no store said, and the key sees two: refused until one is, not retried meanwhile, nothing recovered
    const unsaid = await request(t.app).post('/api/v1/integrations/lemonsqueezy/reconcile').set(api()).send({}).expect(400);
    expect(unsaid.body).toEqual({
      success: false,
      error: 'lemonsqueezy API: this API key sees several stores (1, 2): say which with store_id, with PUT /api/v1/integrations/lemonsqueezy',
    });
    expect((await integration('lemonsqueezy')).reconciliation).toMatchObject({ failures: 1, next_run_at: new Date(minutes(120).getTime() + 24 * 3_600_000).toISOString() });
    expect(await conversions()).toEqual([]);

    // the store said: its order alone comes back
    const set = await request(t.app).put('/api/v1/integrations/lemonsqueezy').set(api()).send({ store_id: 1 }).expect(200);
    expect(set.body.data).toMatchObject({ store_id: '1', reconciliation: { failures: 0, error: null, next_run_at: null } });
    const res = await request(t.app).post('/api/v1/integrations/lemonsqueezy/reconcile').set(api()).send({}).expect(200);
    expect(res.body.data).toMatchObject({ listed: 1, recovered: 1 });
    await t.runner.idle();
    expect(await conversions()).toEqual([['purchase', 'order:5002', 500, 2500]]);
    expect(standIns.lemonsqueezy.calls.some((c) => c.path === '/v1/orders')).toBe(true);
    expect((await integration('lemonsqueezy')).store_id).toBe('1');

    // a store id is Lemon Squeezy's alone, and a number
    const put = (provider: string, body: unknown) => request(t.app).put(`/api/v1/integrations/${provider}`).set(api()).send(body as object);
    expect((await put('stripe', { store_id: 1 }).expect(400)).body.error).toBe('store_id: only Lemon Squeezy connections have a store (not stripe)');
    expect((await put('lemonsqueezy', { store_id: 'my-store' }).expect(400)).body.error).toMatch(/^store_id: must be a Lemon Squeezy store id/);
    expect((await integration('stripe')).store_id).toBeNull();
    // forgotten, with one store left in the key's sight, the key's only store is read
    await put('lemonsqueezy', { store_id: null }).expect(200);
    standIns.lemonsqueezy.list('/v1/orders').splice(1);
    const again = await request(t.app).post('/api/v1/integrations/lemonsqueezy/reconcile').set(api()).send({ since: minutes(40).toISOString() }).expect(200);
    expect(again.body.data).toMatchObject({ listed: 1, recovered: 0, duplicates: 1 });
  });

  it('a revoked key shows on the integration and is not retried until a day passes or a new key is stored', async () => {
    await passAt(T0);
    standIns.lemonsqueezy.failure = 'http401';
    await passAt(minutes(20));
    const refused = (await integration('lemonsqueezy')).reconciliation;
    expect(refused).toEqual({
      reconciled_through: T0.toISOString(),
      next_run_at: new Date(minutes(20).getTime() + 24 * 3_600_000).toISOString(),
      failures: 1,
      error: expect.stringMatching(/^lemonsqueezy refused the stored API key \(.*401.*\); store a valid one with PUT \/api\/v1\/integrations\/lemonsqueezy$/),
    });
    const calls = standIns.lemonsqueezy.calls.length;
    for (const at of [40, 60, 180, 600]) await passAt(minutes(at));
    expect(standIns.lemonsqueezy.calls.length).toBe(calls);

    // on demand it is a 400: the key is the merchant's to fix
    const res = await request(t.app).post('/api/v1/integrations/lemonsqueezy/reconcile').set(api()).send({}).expect(400);
    expect(res.body.error).toMatch(/refused the stored API key/);

    standIns.lemonsqueezy.failure = null;
    await request(t.app).put('/api/v1/integrations/lemonsqueezy').set(api()).send({ api_key: 'lemon_reconcile_api_key_0002' }).expect(200);
    expect((await integration('lemonsqueezy')).reconciliation).toMatchObject({ next_run_at: null, failures: 0, error: null });
    await passAt(minutes(601));
    expect(standIns.lemonsqueezy.calls.at(-1)!.authorization).toBe('Bearer lemon_reconcile_api_key_0002');
    expect((await integration('lemonsqueezy')).reconciliation).toMatchObject({ reconciled_through: minutes(601).toISOString(), error: null });
  });

  it('on demand: a window from --since, and clear 4xx for what cannot be reconciled', async () => {
    await passAt(T0);
    recordPayments(standIns);
    t.clock.now = minutes(120);
    const res = await request(t.app).post('/api/v1/integrations/stripe/reconcile').set(api()).send({ since: minutes(32).toISOString() }).expect(200);
    // only the refund is in the window; a window that starts after the checkpoint leaves it where it was
    expect(res.body.data).toEqual({ provider: 'stripe', since: minutes(32).toISOString(), until: minutes(120).toISOString(), listed: 1, recovered: 1, duplicates: 0, reconciled_through: null });
    expect((await integration('stripe')).reconciliation.reconciled_through).toBe(T0.toISOString());
    const again = await request(t.app).post('/api/v1/integrations/stripe/reconcile').set(api()).send({}).expect(200);
    expect(again.body.data).toMatchObject({ listed: 2, recovered: 1, duplicates: 1, reconciled_through: minutes(120).toISOString() });
    await t.runner.idle();
    expect((await conversions()).filter((r: any[]) => r[1] === 'pi_3RwFxDemoPayIntent01')).toEqual([
      ['purchase', 'pi_3RwFxDemoPayIntent01', 800, 4000],
      ['refund', 'pi_3RwFxDemoPayIntent01', -200, -1000],
    ]);

    const bad = (body: unknown) => request(t.app).post('/api/v1/integrations/stripe/reconcile').set(api()).send(body as object);
    expect((await bad({ since: 'yesterday' }).expect(400)).body).toEqual({ success: false, error: expect.stringContaining('since') });
    expect((await bad({ since: minutes(600).toISOString() }).expect(400)).body.error).toBe('since must not be in the future');
    expect((await request(t.app).post('/api/v1/integrations/nope/reconcile').set(api()).send({}).expect(404)).body.success).toBe(false);
    await request(t.app).put('/api/v1/integrations/stripe').set(api()).send({ api_key: null }).expect(200);
    expect((await bad({}).expect(400)).body.error).toMatch(/^stripe has no API key stored/);
    await request(t.app).delete('/api/v1/integrations/stripe').set(api()).expect(204);
    expect((await bad({}).expect(404)).body.error).toBe('stripe is not connected');
  });
});
