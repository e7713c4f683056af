import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { migrate, readMigrations } from '../../src/db/migrator';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_dispute_flow_secret_1';

/**
 * Stripe chargebacks through the receiver: a dispute opened or won changes no money; a lost one reverses the
 * commission like a refund of the disputed amount, once however often it is delivered, and adds to real refunds.
 */
describe('Stripe disputes', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const api = () => ({ Authorization: `Bearer ${key}` });
  const deliver = async (payload: Record<string, any>) => {
    const body = JSON.stringify(payload);
    const res = await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    return res.body as { id: string; duplicate: boolean };
  };
  const rows = async () =>
    (await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data
      .map((c: any) => [c.kind, c.payment_key, c.value_minor, c.amount_minor, c.status])
      .sort();
  const earnings = async () => (await request(t.app).get('/api/v1/affiliates/partner%40acme.test').set(api()).expect(200)).body.data;
  const eventOf = async (id: string) => (await request(t.app).get(`/api/v1/events/${id}`).set(api()).expect(200)).body.data;

  beforeEach(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 30 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'partner@acme.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    // 40.00 paid with metadata.referral_code ACME-PARTNER-42: 8.00 at 20%
    await deliver(stripeEvent('checkout.session.completed.payment.json'));
  });
  afterEach(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('opened and won change nothing; a lost dispute of part of the charge reverses that part, once', async () => {
    const before = await rows();
    expect(before).toEqual([['purchase', 'pi_3RwFxDemoPayIntent01', 800, 4000, 'eligible']]);

    const opened = await deliver(stripeEvent('charge.dispute.created.json', (o) => (o.amount = 1000)));
    expect(await eventOf(opened.id)).toMatchObject({ status: 'ignored', status_reason: expect.stringContaining('until it is closed as lost') });
    const won = await deliver(stripeEvent('charge.dispute.closed.won.json'));
    expect(await eventOf(won.id)).toMatchObject({ status: 'ignored', status_reason: expect.stringContaining('"won"') });
    expect(await rows()).toEqual(before);
    expect(await earnings()).toMatchObject({ total_earnings_minor: 800 });

    // 10.00 of the 40.00 lost: a quarter of the commission, 2.00
    const lost = stripeEvent('charge.dispute.closed.lost.json', (o) => (o.amount = 1000));
    const first = await deliver(lost);
    expect(await eventOf(first.id)).toMatchObject({ status: 'processed' });
    expect(await rows()).toEqual([
      ['purchase', 'pi_3RwFxDemoPayIntent01', 800, 4000, 'eligible'],
      ['refund', 'pi_3RwFxDemoPayIntent01', -200, -1000, 'eligible'],
    ]);
    expect(await earnings()).toMatchObject({ total_earnings_minor: 600, total_earnings: '6.00' });

    // the same delivery again is a duplicate; the same dispute under another event id counts once
    expect((await deliver(lost)).duplicate).toBe(true);
    await deliver({ ...lost, id: 'evt_dispute_redelivered_1' });
    expect(await earnings()).toMatchObject({ total_earnings_minor: 600 });

    // a real refund of another 10.00 adds to the lost dispute: 20.00 of 40.00 reversed in all
    await deliver(stripeEvent('refund.created.json', (o) => ((o.id = 're_after_dispute_1'), (o.amount = 1000))));
    expect(await earnings()).toMatchObject({ total_earnings_minor: 400, total_earnings: '4.00' });
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  // charge.refunded reports the charge's amount_refunded, which never includes disputed money: before the
  // withdrawal flag, the lost dispute was taken for the same 10.00 and reversed nothing more (6.00 instead of 4.00)
  it.each([
    ['the partial refund first', ['refund', 'dispute']],
    ['the lost dispute first', ['dispute', 'refund']],
  ])('a lost dispute adds to a partial refund reported only by charge.refunded (%s)', async (_label, order) => {
    const events = {
      refund: stripeEvent('charge.refunded.json', (o) => ((o.amount_refunded = 1000), (o.refunded = false))),
      dispute: stripeEvent('charge.dispute.closed.lost.json', (o) => (o.amount = 1000)),
    };
    for (const name of order as ('refund' | 'dispute')[]) expect((await eventOf((await deliver(events[name])).id)).status).toBe('processed');
    // 20.00 of the 40.00 taken back: half of the 8.00 commission
    expect(await earnings()).toMatchObject({ total_earnings_minor: 400, total_earnings: '4.00' });
    const list = (await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data;
    expect(list.find((c: any) => c.kind === 'purchase')).toMatchObject({ value_minor: 800, refunded_minor: 2000 });
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  it('a dispute lost for the whole charge reverses the whole commission', async () => {
    await deliver(stripeEvent('charge.dispute.created.json'));
    await deliver(stripeEvent('charge.dispute.closed.lost.json'));
    const list = (await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data;
    const purchase = list.find((c: any) => c.kind === 'purchase');
    const refund = list.find((c: any) => c.kind === 'refund');
    expect(purchase).toMatchObject({ value_minor: 800, status: 'reversed', refunded_minor: 4000 });
    expect(refund).toMatchObject({ value_minor: -800, reverses_id: purchase.id });
    expect(await earnings()).toMatchObject({ total_earnings_minor: 0, total_earnings: '0.00' });
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });
});

describe('the migration that marks withdrawals', () => {
  it("marks the lost Stripe disputes recorded before it, and nothing else", async () => {
    const tdb = await createTestDatabase({ migrated: false });
    try {
      const all = readMigrations();
      await migrate(tdb.db.sql, all.slice(0, all.findIndex((m) => m.name.endsWith('_refund_withdrawals'))));
      const [project] = await tdb.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('Old', 'USD') RETURNING id::text`);
      await tdb.db.sql.query(
        `INSERT INTO refund_observations (project_id, provider, payment_ref, observation_key, cumulative, amount_minor, currency, occurred_at)
         SELECT $1::uuid, provider, 'ch_1', key, cumulative, 1000, 'USD', now()
         FROM (VALUES ('stripe', 'dp_1New', false), ('stripe', 'du_1Old', false), ('stripe', 're_1Refund', false),
                      ('stripe', 'cumulative:1000', true), ('paddle', 'dp_1NotStripe', false)) AS v(provider, key, cumulative)`,
        [project!.id],
      );
      await migrate(tdb.db.sql, all);
      const rows = await tdb.db.sql.query<{ provider: string; observation_key: string; withdrawal: boolean }>(
        `SELECT provider, observation_key, withdrawal FROM refund_observations ORDER BY provider, observation_key`,
      );
      expect(rows.map((r) => [r.provider, r.observation_key, r.withdrawal])).toEqual([
        ['paddle', 'dp_1NotStripe', false],
        ['stripe', 'cumulative:1000', false],
        ['stripe', 'dp_1New', true],
        ['stripe', 'du_1Old', true],
        ['stripe', 're_1Refund', false],
      ]);
    } finally {
      await tdb.drop();
    }
  });
});
