import request from 'supertest';
import type { ProviderName } from '../../src/domain/provider-names';
import { getAdapter } from '../../src/providers/registry';
import { loadFixture, loadFixtures } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Each provider as a new user would run it: connected, an affiliate and a coupon created through the API, then
 * the provider's signed purchase → renewal → partial refund story delivered to the real receiver. The commissions
 * are what the rules say (project default 20%), cross-reporting events count once, and delivering the whole story
 * again, in reverse, changes nothing.
 */
type Story = {
  provider: ProviderName;
  secret: string;
  files: string[];
  coupon: Record<string, string> | null;
  /** the payment attributed through the coupon, when the story has one */
  couponPayment?: string;
  /** [kind, payment key, commission minor units] per ledger row, in any order */
  expected: [string, string, number][];
};

const STORIES: Story[] = [
  {
    provider: 'polar',
    secret: 'whsec_polar_story_secret_0001',
    files: [
      'checkout.created.json',
      'order.created.subscription_create.json',
      'subscription.created.json',
      'order.paid.subscription_create.json',
      'order.updated.subscription_create.json',
      'subscription.active.json',
      'order.paid.subscription_cycle.json',
      'order.paid.purchase.json',
      'refund.created.json',
      'refund.updated.json',
      'order.refunded.json',
      'subscription.canceled.json',
      'subscription.revoked.json',
    ],
    coupon: { coupon_code: 'ACME20', polar_discount_id: '55555555-aaaa-4bbb-8ccc-000000000001' },
    couponPayment: '66666666-aaaa-4bbb-8ccc-000000000001',
    expected: [
      ['purchase', '66666666-aaaa-4bbb-8ccc-000000000001', 784],
      ['renewal', '66666666-aaaa-4bbb-8ccc-000000000002', 980],
      ['purchase', '66666666-aaaa-4bbb-8ccc-000000000003', 500],
      // refund.updated (succeeded) and order.refunded report one refund of 1000 of 2500: counted once
      ['refund', '66666666-aaaa-4bbb-8ccc-000000000003', -200],
    ],
  },
  {
    provider: 'paddle',
    secret: 'pdl_ntfset_01story_secret_value_0001',
    files: [
      'customer.created.json',
      'transaction.paid.web.json',
      'subscription.created.json',
      'transaction.completed.web.json',
      'adjustment.created.refund.json',
      'adjustment.updated.refund.json',
      'subscription.updated.json',
      'transaction.completed.renewal.json',
      'transaction.completed.oneoff.json',
      'subscription.canceled.json',
      'product.created.json',
    ],
    coupon: { coupon_code: 'PADDLE20', paddle_discount_id: 'dsc_01rwfxdemodiscount001' },
    couponPayment: 'txn_01rwfxdemotxnfirst001',
    expected: [
      // base excludes tax: (4704 − 784) × 20%
      ['purchase', 'txn_01rwfxdemotxnfirst001', 784],
      // the approved adjustment refunds 2352 of 4704: half the commission
      ['refund', 'txn_01rwfxdemotxnfirst001', -392],
      ['renewal', 'txn_01rwfxdemotxnrenew001', 980],
      ['purchase', 'txn_01rwfxdemotxnoneoff01', 800],
    ],
  },
  {
    provider: 'lemonsqueezy',
    secret: 'lemon-story-secret',
    files: [
      'order_created.subscription.json',
      'subscription_created.json',
      'subscription_payment_success.initial.json',
      'subscription_payment_success.renewal.json',
      'order_created.oneoff.json',
      'order_refunded.partial.json',
      'subscription_payment_refunded.json',
      'subscription_cancelled.json',
      'license_key_created.json',
    ],
    coupon: null,
    expected: [
      ['purchase', 'order:5001', 980],
      ['renewal', 'invoice:6002', 980],
      ['refund', 'invoice:6002', -980],
      ['purchase', 'order:5002', 500],
      ['refund', 'order:5002', -200],
    ],
  },
];

/**
 * One story's project, as a new user sets it up: the provider connected with the story's secret, the settings given
 * (20% by default), the affiliate, and its coupon when the story has one; `deliver` signs and posts a fixture.
 */
function storyProject(story: Story, settings: Record<string, unknown> = {}) {
  const h = {} as { tdb: TestDatabase; t: TestApp; project: { id: string; apiKey: string } };
  const adapter = getAdapter(story.provider);
  const api = () => ({ Authorization: `Bearer ${h.project.apiKey}` });
  const deliver = async (file: string) => {
    const fixture = loadFixture(story.provider, file) as ReturnType<typeof loadFixture> & { webhook_id?: string };
    const body = JSON.stringify(fixture.payload);
    await request(h.t.app)
      .post(`/webhook/${story.provider}/${h.project.id}`)
      .set(adapter.sign(body, story.secret, { now: h.t.clock.now, eventId: fixture.webhook_id }))
      .send(body)
      .expect(200);
    await h.t.runner.idle();
  };
  beforeAll(async () => {
    h.tdb = await createTestDatabase();
    h.t = buildTestApp(h.tdb.db);
    h.project = await createProjectViaApi(h.t.app);
    await connectProvider(h.t.app, h.project.apiKey, story.provider, story.secret);
    await request(h.t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, ...settings }).expect(200);
    const affiliate = await request(h.t.app).post('/api/v1/affiliates').set(api()).send({ email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    if (story.coupon) await request(h.t.app).post('/api/v1/coupons').set(api()).send({ affiliate_id: affiliate.body.data.id, ...story.coupon }).expect(201);
  });
  afterAll(async () => {
    await h.t.runner.stop();
    await h.tdb.drop();
  });
  return { h, api, deliver };
}

describe.each(STORIES.filter((s) => loadFixtures(s.provider).length > 0))('$provider, end to end', (story) => {
  const { h, api, deliver } = storyProject(story);
  const rows = async () =>
    ((await request(h.t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data as any[]).map((c) => [c.kind, c.payment_key, c.value_minor]);

  it('produces exactly the expected commissions, every one attributed', async () => {
    for (const file of story.files) await deliver(file);
    expect((await rows()).sort()).toEqual([...story.expected].sort());
    const events = (await request(h.t.app).get('/api/v1/events?limit=100').set(api()).expect(200)).body.data as any[];
    expect(events.filter((e) => e.status === 'failed')).toEqual([]);
    if (story.couponPayment) {
      const all = (await request(h.t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data as any[];
      const viaCoupon = all.find((c) => c.payment_key === story.couponPayment && c.kind !== 'refund');
      expect(viaCoupon.attribution.method).toBe('coupon');
    }
    const acme = (await request(h.t.app).get('/api/v1/affiliates/acme%40partners.test').set(api()).expect(200)).body.data;
    expect(acme.total_earnings_minor).toBe(story.expected.reduce((sum, [, , v]) => sum + v, 0));
    expect((await request(h.t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  it('redelivering everything, in reverse, changes nothing', async () => {
    const before = (await rows()).sort();
    for (const file of [...story.files].reverse()) await deliver(file);
    expect((await rows()).sort()).toEqual(before);
  });
});

/**
 * "1 month" pays the first month and not the renewal on its anniversary, on every provider. Paddle bills the renewal
 * at its billing period's start, which its fixtures put 0.364 s before the first transaction's `billed_at` a month
 * on: read literally, the renewal fell inside the month and earned on Paddle only.
 */
describe.each(STORIES.filter((s) => loadFixtures(s.provider).length > 0))('$provider, one month of commission', (story) => {
  const { h, api, deliver } = storyProject(story, { commission_duration: 'months', commission_months: 1 });

  it('the renewal a month on earns nothing, the first payment and the purchases what they did', async () => {
    for (const file of story.files) await deliver(file);
    const rows = (await request(h.t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data as any[];
    const renewals = rows.filter((c) => c.kind === 'renewal');
    expect(renewals.map((c) => [c.value_minor, c.reason])).toEqual([[0, 'duration_ended']]);
    // a refund of the renewal takes back nothing it did not earn; everything else is as under `lifetime`
    const renewalKey = renewals[0].payment_key;
    const expected = story.expected.filter(([, key]) => key !== renewalKey);
    expect(rows.filter((c) => c.payment_key !== renewalKey).map((c) => [c.kind, c.payment_key, c.value_minor]).sort()).toEqual(expected.sort());
    expect((await request(h.t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });
});
