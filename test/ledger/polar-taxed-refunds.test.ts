import request from 'supertest';
import { getAdapter } from '../../src/providers/registry';
import { loadFixture } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Issue 13, "like with like": Polar reports refunds net of tax while Refwire counts the order at its tax-inclusive
 * total_amount. Two orders of 100.00 + 20.00 tax on a 20% commission (20.00, on the 100.00 net base), delivered
 * signed to the real receiver on PostgreSQL: one refunded in full must reverse all 20.00 (net of tax it reversed
 * 16.67), the other refunded 50.00 + 10.00 must reverse 10.00 (it reversed 8.33). Each refund is reported twice or
 * three times (refund.created, order.updated, order.refunded) and must count once.
 */
const SECRET = 'whsec_polar_taxed_refunds_0001';
const FULL = '66666666-aaaa-4bbb-8ccc-000000000004';
const PARTIAL = '66666666-aaaa-4bbb-8ccc-000000000005';
const FULL_STORY = ['order.paid.purchase.taxed.json', 'refund.created.taxed.full.json', 'order.refunded.taxed.full.json'];
const PARTIAL_STORY = [
  'order.paid.purchase.taxed.second.json',
  'refund.created.taxed.partial.json',
  'order.updated.taxed.partial.json',
  'order.refunded.taxed.partial.json',
];

type Row = { kind: string; payment_key: string; amount_minor: number; tax_minor: number; base_value_minor: number; value_minor: number };

describe('Polar refunds of taxed orders, end to end', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  const adapter = getAdapter('polar');

  async function newProject() {
    const project = await createProjectViaApi(t.app);
    const auth = { Authorization: `Bearer ${project.apiKey}` };
    await connectProvider(t.app, project.apiKey, 'polar', SECRET);
    await request(t.app).patch('/api/v1/settings').set(auth).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(auth).send({ email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    /** a fixture as recorded, or changed (`data` merged into its payload's data) and delivered as another webhook */
    const deliver = async (file: string, changed?: { webhookId: string; data: Record<string, unknown> }) => {
      const fixture = loadFixture('polar', file) as ReturnType<typeof loadFixture> & { webhook_id: string; payload: { data: Record<string, unknown> } };
      if (changed) Object.assign(fixture.payload.data, changed.data);
      const body = JSON.stringify(fixture.payload);
      await request(t.app)
        .post(`/webhook/polar/${project.id}`)
        .set(adapter.sign(body, SECRET, { now: t.clock.now, eventId: changed?.webhookId ?? fixture.webhook_id }))
        .send(body)
        .expect(200);
      await t.runner.idle();
    };
    const rows = async (paymentKey?: string) =>
      ((await request(t.app).get('/api/v1/conversions?limit=100').set(auth).expect(200)).body.data as Row[])
        .filter((c) => paymentKey === undefined || c.payment_key === paymentKey)
        .map(({ kind, payment_key, amount_minor, tax_minor, base_value_minor, value_minor }): Row => ({
          kind,
          payment_key,
          amount_minor,
          tax_minor,
          base_value_minor,
          value_minor,
        }))
        .sort((a, b) => (a.payment_key + a.kind < b.payment_key + b.kind ? -1 : 1));
    const earnings = async () =>
      (await request(t.app).get('/api/v1/affiliates/acme%40partners.test').set(auth).expect(200)).body.data.total_earnings_minor as number;
    const verified = async () => (await request(t.app).get('/api/v1/ledger/verify').set(auth).expect(200)).body.data.ok as boolean;
    const failed = async () =>
      ((await request(t.app).get('/api/v1/events?limit=100').set(auth).expect(200)).body.data as { status: string }[]).filter((e) => e.status === 'failed');
    return { deliver, rows, earnings, verified, failed };
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  const purchase = (key: string) => ({ kind: 'purchase', payment_key: key, amount_minor: 12000, tax_minor: 2000, base_value_minor: 10000, value_minor: 2000 });
  /** the first order's whole commission back, the second's half: 10.00 left, nothing failed, the ledger checked */
  const settledAtTenDollars = async (p: Awaited<ReturnType<typeof newProject>>) => {
    expect(await p.earnings()).toBe(2000 - 2000 + 2000 - 1000);
    expect(await p.failed()).toEqual([]);
    expect(await p.verified()).toBe(true);
  };

  it('a full refund of 100.00 + 20.00 tax reverses all 20.00 of the commission; a refund of 50.00 + 10.00 reverses 10.00', async () => {
    const p = await newProject();

    for (const file of FULL_STORY) await p.deliver(file);
    expect(await p.rows(FULL)).toEqual([
      purchase(FULL),
      // refund.created and order.refunded report the one refund: one row
      { kind: 'refund', payment_key: FULL, amount_minor: -12000, tax_minor: -2000, base_value_minor: -10000, value_minor: -2000 },
    ]);

    for (const file of PARTIAL_STORY) await p.deliver(file);
    expect(await p.rows(PARTIAL)).toEqual([
      purchase(PARTIAL),
      // 6000 of 12000 gross: half the base, half the commission
      { kind: 'refund', payment_key: PARTIAL, amount_minor: -6000, tax_minor: -1000, base_value_minor: -5000, value_minor: -1000 },
    ]);

    await settledAtTenDollars(p);

    const before = await p.rows();
    for (const file of [...FULL_STORY, ...PARTIAL_STORY].reverse()) await p.deliver(file);
    expect(await p.rows()).toEqual(before);
  });

  it('refunds arriving before their order give the same rows', async () => {
    const p = await newProject();
    for (const file of [...FULL_STORY, ...PARTIAL_STORY].reverse()) await p.deliver(file);
    expect(await p.rows()).toEqual([
      purchase(FULL),
      { kind: 'refund', payment_key: FULL, amount_minor: -12000, tax_minor: -2000, base_value_minor: -10000, value_minor: -2000 },
      purchase(PARTIAL),
      { kind: 'refund', payment_key: PARTIAL, amount_minor: -6000, tax_minor: -1000, base_value_minor: -5000, value_minor: -1000 },
    ]);
    expect(await p.earnings()).toBe(1000);
    expect(await p.verified()).toBe(true);
  });

  it('a refund whose tax is not in the order\'s proportion is compared untaxed with untaxed (PRODUCT.md §11)', async () => {
    const p = await newProject();
    const webhook = (n: number) => `99999999-aaaa-4bbb-8ccc-0000000009${String(n).padStart(2, '0')}`;
    const stories: [string, { webhookId: string; data: Record<string, unknown> }?][] = [
      // 100.00 of the first order's 100.00 + 20.00 given back without its tax: all the commission goes (it reversed
      // 16.67 measured against the tax-inclusive total)
      ['order.paid.purchase.taxed.json'],
      ['refund.created.taxed.full.json', { webhookId: webhook(1), data: { amount: 10000, tax_amount: 0 } }],
      ['order.refunded.taxed.full.json', { webhookId: webhook(2), data: { refunded_amount: 10000, refunded_tax_amount: 0 } }],
      // of the second: its 20.00 tax alone given back (a VAT number given later) reverses nothing ...
      ['order.paid.purchase.taxed.second.json'],
      ['refund.created.taxed.partial.json', { webhookId: webhook(3), data: { id: '77777777-aaaa-4bbb-8ccc-000000000903', amount: 0, tax_amount: 2000 } }],
    ];
    for (const [file, changed] of stories) await p.deliver(file, changed);
    expect(await p.rows(FULL)).toEqual([
      purchase(FULL),
      { kind: 'refund', payment_key: FULL, amount_minor: -12000, tax_minor: -2000, base_value_minor: -10000, value_minor: -2000 },
    ]);
    expect(await p.rows(PARTIAL)).toEqual([purchase(PARTIAL)]);

    // ... then 50.00 without tax reverses half, as does the order's cumulative report of both (50.00 + 20.00 tax)
    await p.deliver('refund.created.taxed.partial.json', { webhookId: webhook(4), data: { amount: 5000, tax_amount: 0 } });
    await p.deliver('order.refunded.taxed.partial.json', { webhookId: webhook(5), data: { refunded_amount: 5000, refunded_tax_amount: 2000 } });
    expect(await p.rows(PARTIAL)).toEqual([
      purchase(PARTIAL),
      { kind: 'refund', payment_key: PARTIAL, amount_minor: -6000, tax_minor: -1000, base_value_minor: -5000, value_minor: -1000 },
    ]);
    await settledAtTenDollars(p);
  });
});
