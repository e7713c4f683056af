import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * A payout locks its affiliate, then the affiliate's eligible rows. A refund being applied meanwhile has already
 * locked a row (the refunded payment) and then inserts its reversal, whose foreign key takes a key-share lock on the
 * same affiliate. The payout's lock must not conflict with that one, or each waits for the other: PostgreSQL's
 * deadlock detector then aborted one of them, and the merchant (or the affiliate in the portal) got a 500.
 */
describe('payout locks', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: unknown) => request(t.app)[method](path).set('Authorization', `Bearer ${key}`).send(body as object);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    ({ apiKey: key } = await createProjectViaApi(t.app));
    await api('patch', '/api/v1/settings', { commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  const waitingOnALock = async () => {
    for (let i = 0; i < 250; i++) {
      const [row] = await tdb.db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      if (row!.n !== '0') return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the payout never waited for the locked row');
  };

  it.each([
    ['a payout', (affiliate: { id: string; email: string }) => api('post', '/api/v1/payouts', { affiliate_id: affiliate.id, method: 'manual' })],
    ['a payout batch', (affiliate: { id: string; email: string }) => api('post', '/api/v1/payout-batches', { affiliate_emails: [affiliate.email] })],
  ])('%s waits for a refund being applied to the same affiliate, instead of deadlocking with it', async (name, pay) => {
    const email = `${name.replace(/\W/g, '')}@partners.test`;
    const affiliate = (await api('post', '/api/v1/affiliates', { email, referral_code: name.replace(/\W/g, '').toUpperCase() }).expect(201)).body.data;
    const sale = (await api('post', '/api/v1/conversions', { type: 'purchase', affiliate_id: affiliate.id, base_value: 100 }).expect(201)).body.data;
    expect(sale.value_minor).toBe(2000);
    let answer!: Promise<request.Response>;
    await tdb.db.sql.transaction(async (tx) => {
      // the refund's recompute: the refunded payment's row first…
      await tx.query('UPDATE conversions SET updated_at = now() WHERE id = $1', [sale.id]);
      answer = pay(affiliate).then((r) => r);
      await waitingOnALock();
      // …then its reversal's insert, whose foreign key takes this lock on the affiliate
      await tx.query('SELECT 1 FROM affiliates WHERE id = $1 FOR KEY SHARE', [affiliate.id]);
    });
    const res = await answer;
    expect([res.status, res.body.error]).toEqual([201, undefined]);
    const payouts = (await api('get', `/api/v1/payouts?affiliate_id=${affiliate.id}`).expect(200)).body.data;
    expect(payouts.map((p: { amount_minor: number }) => p.amount_minor)).toEqual([2000]);
  });
});
