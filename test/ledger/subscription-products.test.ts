import request from 'supertest';
import { getAdapter } from '../../src/providers/registry';
import { loadFixture } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Lemon Squeezy's renewal invoices name no product: a renewal is rated by the product rule of what its subscription
 * was on when it was paid (its subscription events say), whichever arrives first (src/ledger/subscription-products.ts).
 * The recorded story: order 5001 (product 301, variant 401, 49.00) starts subscription 7001; invoice 6002 renews it.
 */
const SECRET = 'lemon-subscription-products';
const adapter = getAdapter('lemonsqueezy');
type Payload = Record<string, any>;
const fixture = (file: string): Payload => structuredClone(loadFixture('lemonsqueezy', file).payload) as Payload;

/** The subscription moved to product 302 / variant 402 on 15 October; invoice 6003 renews it on 1 November. */
function planChange(): Payload {
  const p = fixture('subscription_created.json');
  p.meta.event_name = 'subscription_updated';
  p.meta.webhook_id = 'products-plan-change';
  Object.assign(p.data.attributes, { product_id: 302, variant_id: 402, updated_at: '2025-10-15T09:00:00.000000Z' });
  return p;
}
function novemberRenewal(): Payload {
  const p = fixture('subscription_payment_success.renewal.json');
  p.data.id = '6003';
  p.meta.webhook_id = 'products-november-renewal';
  Object.assign(p.data.attributes, { created_at: '2025-11-01T14:03:20.000000Z', updated_at: '2025-11-01T14:03:26.000000Z' });
  return p;
}

describe('Lemon Squeezy renewals and product rules', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let n = 0;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  async function program() {
    const project = await createProjectViaApi(t.app);
    const api = { Authorization: `Bearer ${project.apiKey}` };
    await connectProvider(t.app, project.apiKey, 'lemonsqueezy', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    await request(t.app).post('/api/v1/products').set(api).send({ product_id: '301', commission_type: 'percentage', commission_value: 50 }).expect(201);
    await request(t.app).post('/api/v1/products').set(api).send({ product_id: '402', commission_type: 'fixed', commission_value: 7 }).expect(201);
    const deliver = async (payload: Payload) => {
      const body = JSON.stringify(payload);
      await request(t.app).post(`/webhook/lemonsqueezy/${project.id}`).set(adapter.sign(body, SECRET, { now: t.clock.now, eventId: `evt-products-${++n}` })).send(body).expect(200);
      await t.runner.idle();
    };
    const rows = async () => {
      const data = (await request(t.app).get('/api/v1/conversions?limit=100').set(api).expect(200)).body.data as any[];
      return Object.fromEntries(data.map((c) => [c.payment_key, [c.value_minor, c.rule_source]]));
    };
    const verify = async () => expect((await request(t.app).get('/api/v1/ledger/verify').set(api).expect(200)).body.data.ok).toBe(true);
    return { deliver, rows, verify };
  }

  const ORDER = 'order_created.subscription.json';
  const CREATED = 'subscription_created.json';
  const RENEWAL = 'subscription_payment_success.renewal.json';
  // 50% of 49.00 for product 301; 7.00 fixed for variant 402 after the plan change
  const EXPECTED = { 'order:5001': [2450, 'product'], 'invoice:6002': [2450, 'product'], 'invoice:6003': [700, 'product'] };

  it.each([
    ['as they happened', [ORDER, CREATED, RENEWAL, 'change', 'november']],
    ['renewals first, the subscription last', ['november', RENEWAL, ORDER, 'change', CREATED]],
    ['the plan change first', ['change', 'november', CREATED, RENEWAL, ORDER]],
  ])('a renewal is rated by the product its subscription was on when it was paid: %s', async (_order, files) => {
    const { deliver, rows, verify } = await program();
    for (const f of files) await deliver(f === 'change' ? planChange() : f === 'november' ? novemberRenewal() : fixture(f));
    expect(await rows()).toEqual(EXPECTED);
    await verify();
  });

  it('without a subscription event yet, a renewal is rated by the program (its product unknown); the event rates it again', async () => {
    const { deliver, rows, verify } = await program();
    await deliver(fixture(ORDER));
    await deliver(fixture(RENEWAL));
    expect(await rows()).toEqual({ 'order:5001': [2450, 'product'], 'invoice:6002': [980, 'project'] });
    await deliver(fixture(CREATED));
    expect(await rows()).toEqual({ 'order:5001': [2450, 'product'], 'invoice:6002': [2450, 'product'] });
    await verify();
  });
});
