import request from 'supertest';
import { payoutIn } from '../../src/ledger/payouts';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_conversion_races';

/**
 * A change of a conversion by hand (PATCH/PUT, DELETE) against a payout taking it, or against a change of the row its
 * paid state depends on, on PostgreSQL: each test holds the other side's transaction open at the moment the request
 * would have read the row, sends the request, waits until it waits for that transaction, then commits it. What the
 * request may do is decided on what that transaction committed: nothing is paid twice, and a payout's amount stays
 * the sum of its rows. (Checked before the lock, as it was, these answered 200 or 204 and broke the ledger.)
 */
describe('conversion changes racing a payout', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let affiliateId: string;
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const manual = async (value: string) =>
    (await request(t.app).post('/api/v1/conversions').set(api()).send({ affiliate_id: affiliateId, base_value: '100.00', value }).expect(201)).body.data as { id: string };
  const verify = async () => (await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data;
  /** until another session waits on a row lock held here (or, on the code before the fix, 2 s pass) */
  const untilWaiting = async () => {
    for (let i = 0; i < 40; i++) {
      const [waiting] = await tdb.db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      if (Number(waiting!.n) > 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** The payout of the affiliate's eligible balance, taken in a transaction held open while `during` runs. */
  const payoutHeldOpenDuring = async <T>(during: () => Promise<T>): Promise<{ payoutId: string; result: T }> => {
    let result!: Promise<T>;
    const payout = await tdb.db.prisma.$transaction(
      async (tx) => {
        const made = await payoutIn(tx, { projectId: project.id, affiliateId, currency: 'USD', method: 'manual', destination: {}, now: t.clock.now }, null);
        if (!('id' in made)) throw new Error(`no payout: ${JSON.stringify(made)}`);
        result = during();
        // the request reaches the database before this transaction commits
        await untilWaiting();
        return made;
      },
      { timeout: 20_000 },
    );
    return { payoutId: payout.id, result: await result };
  };
  const payoutOf = async (id: string) => (await request(t.app).get(`/api/v1/payouts/${id}`).set(api()).expect(200)).body.data;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    project = await createProjectViaApi(t.app);
    await connectProvider(t.app, project.apiKey, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
    affiliateId = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'racer@partners.test', referral_code: 'RACER' }).expect(201)).body.data.id;
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });
  afterEach(async () => {
    // each test leaves its payout completed, so the next starts from nothing eligible
    const pending = (await request(t.app).get('/api/v1/payouts?status=pending').set(api()).expect(200)).body.data as { id: string }[];
    for (const p of pending) await request(t.app).post(`/api/v1/payouts/${p.id}/complete`).set(api()).send({}).expect(200);
  });

  it('a conversion deleted while a payout takes it: 409, and the payout keeps it', async () => {
    const c = await manual('12.34');
    const { payoutId, result } = await payoutHeldOpenDuring(() => request(t.app).delete(`/api/v1/conversions/${c.id}`).set(api()).then((r) => r));
    expect([result.status, result.body.error]).toEqual([409, `this conversion belongs to payout ${payoutId}`]);
    expect((await payoutOf(payoutId)).amount_minor).toBe(1234);
    expect((await request(t.app).get(`/api/v1/conversions/${c.id}`).set(api()).expect(200)).body.data.payout_id).toBe(payoutId);
    expect((await verify()).ok).toBe(true);
  });

  it('a conversion marked paid by hand while a payout takes it: 409, paid once, by the payout', async () => {
    const c = await manual('20.00');
    const { payoutId, result } = await payoutHeldOpenDuring(() => request(t.app).patch(`/api/v1/conversions/${c.id}`).set(api()).send({ paid: true }).then((r) => r));
    expect([result.status, result.body.error]).toEqual([409, `this conversion belongs to payout ${payoutId}: it changes when that payout completes or fails`]);
    const row = (await request(t.app).get(`/api/v1/conversions/${c.id}`).set(api()).expect(200)).body.data;
    expect([row.paid, row.payout_id]).toEqual([false, payoutId]);
    expect((await verify()).ok).toBe(true);
  });

  it("a conversion's value edited while a payout takes it: 409, and the payout's amount is its rows' sum", async () => {
    const c = await manual('30.00');
    const { payoutId, result } = await payoutHeldOpenDuring(() => request(t.app).put(`/api/v1/conversions/${c.id}`).set(api()).send({ value: 1 }).then((r) => r));
    expect(result.status).toBe(409);
    expect((await payoutOf(payoutId)).amount_minor).toBe(3000);
    expect((await request(t.app).get(`/api/v1/conversions/${c.id}`).set(api()).expect(200)).body.data.value_minor).toBe(3000);
    expect((await verify()).ok).toBe(true);
  });

  it('a refund marked paid while its commission is being unmarked: 409, never a paid refund of an unpaid commission', async () => {
    // a Stripe sale of 50.00 (commission 10.00), marked paid by hand, then half refunded (reversal -5.00)
    const deliver = async (payload: Record<string, unknown>) => {
      const body = JSON.stringify(payload);
      await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
      await t.runner.idle();
    };
    await deliver(
      stripeEvent('checkout.session.completed.payment.json', (o) => {
        Object.assign(o, { id: 'cs_race_1', payment_intent: 'pi_race_1', customer: 'cus_race_1', amount_total: 5000, amount_subtotal: 5000, client_reference_id: null });
        o.metadata = { referral_code: 'RACER' };
        o.customer_details.email = 'buyer@race.test';
      }),
    );
    const rows = async () => (await request(t.app).get(`/api/v1/conversions?affiliate_id=${affiliateId}&limit=100`).set(api()).expect(200)).body.data as any[];
    const sale = (await rows()).find((c) => c.payment_key === 'pi_race_1' && c.kind !== 'refund');
    expect(sale.value_minor).toBe(1000);
    await request(t.app).patch(`/api/v1/conversions/${sale.id}`).set(api()).send({ paid: true }).expect(200);
    await deliver(stripeEvent('charge.refunded.json', (o) => Object.assign(o, { id: 'ch_race_1', payment_intent: 'pi_race_1', customer: null, amount: 5000, amount_refunded: 2500 })));
    const refund = (await rows()).find((c) => c.payment_key === 'pi_race_1' && c.kind === 'refund');
    expect(refund.value_minor).toBe(-500);

    // the commission's unmarking, held open (as its PATCH would run it), while the refund is marked paid
    let result!: Promise<request.Response>;
    await tdb.db.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM conversions WHERE id = ${sale.id}::uuid FOR UPDATE`;
        await tx.conversion.update({ where: { id: sale.id }, data: { paidAt: null } });
        result = request(t.app).patch(`/api/v1/conversions/${refund.id}`).set(api()).send({ paid: true }).then((r) => r);
        await untilWaiting();
      },
      { timeout: 20_000 },
    );
    const answer = await result;
    expect([answer.status, answer.body.error]).toEqual([409, `this refund reverses conversion ${sale.id}, which is not paid: mark that one paid first (or pay both in a payout)`]);
    const after = await rows();
    expect(after.filter((c) => c.payment_key === 'pi_race_1').map((c) => [c.kind, c.paid])).toEqual(expect.arrayContaining([['purchase', false], ['refund', false]]));
    expect((await verify()).ok).toBe(true);
  });

  it('a payout that waits past its transaction time on a locked affiliate: 503 with Retry-After, nothing taken, and the retry pays', async () => {
    await manual('7.50');
    const eligible = async () =>
      (await request(t.app).get('/api/v1/payouts/eligible').set(api()).expect(200)).body.data.find((e: { affiliate_id: string }) => e.affiliate_id === affiliateId)?.eligible_minor;
    const before = await eligible();
    expect(before).toBeGreaterThanOrEqual(750);
    // another transaction holds the affiliate's row longer than a payout's transaction may last (Prisma's 5 s)
    let result!: Promise<request.Response>;
    await tdb.db.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM affiliates WHERE id = ${affiliateId}::uuid FOR UPDATE`;
        result = request(t.app).post('/api/v1/payouts').set(api()).send({ affiliate_id: affiliateId }).then((r) => r);
        await untilWaiting();
        await new Promise((r) => setTimeout(r, 6_000));
      },
      { timeout: 20_000 },
    );
    const answer = await result;
    // it answered 500 "internal error": the request was right, the database only busy
    expect([answer.status, answer.headers['retry-after'], answer.body]).toEqual([503, '5', { success: false, error: 'the database is busy or unavailable; retry in a few seconds' }]);
    expect((await request(t.app).get('/api/v1/payouts?status=pending').set(api()).expect(200)).body.data).toEqual([]);
    expect(await eligible()).toBe(before);
    const retry = await request(t.app).post('/api/v1/payouts').set(api()).send({ affiliate_id: affiliateId }).expect(201);
    expect(retry.body.data.amount_minor).toBe(before);
    expect((await verify()).ok).toBe(true);
  }, 30_000);
});
