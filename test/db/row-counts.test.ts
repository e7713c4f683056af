import request from 'supertest';
import { countRows, foldAllRowCounts, foldRowCounts } from '../../src/db/row-counts';
import { migrate } from '../../src/db/migrator';
import { readMigrations } from '../../src/db/migrator';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeBody } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_row_counts_secret_1';

/**
 * The lists' `total` comes from deltas kept by triggers (src/db/row-counts.ts), not from counting rows: after
 * webhooks stored, processed (their status moving), duplicated, conversions created and deleted, folded while
 * others write, a project deleted and a table truncated, each total must still be exactly the rows' count.
 */
describe('exact row counts kept by triggers', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };

  const get = (key: string, path: string) => request(t.app).get(path).set('Authorization', `Bearer ${key}`);
  async function deliver(projectId: string, id: string, type: string, at: Date) {
    t.clock.now = at;
    const fixture = { 'invoice.paid': 'invoice.paid.subscription_create.json', 'charge.refunded': 'charge.refunded.json' }[type] ?? 'product.created.json';
    const body = stripeBody(fixture, { id, type, created: Math.floor(at.getTime() / 1000) });
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: at })).send(body).expect(200);
  }
  const counted = async (sql: string, params: unknown[]) => Number((await tdb.db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${sql}`, params))[0]!.n);

  /** every filter a maintained count answers, against a count of the rows themselves */
  async function expectTotalsExact(project: { id: string; apiKey: string }) {
    const events: [string, string, unknown[]][] = [
      ['', 'inbound_events WHERE project_id = $1', []],
      ['?provider=stripe', "inbound_events WHERE project_id = $1 AND provider = 'stripe'", []],
      ['?provider=paddle', "inbound_events WHERE project_id = $1 AND provider = 'paddle'", []],
    ];
    for (const status of ['received', 'processing', 'processed', 'ignored', 'failed']) {
      events.push([`?status=${status}`, 'inbound_events WHERE project_id = $1 AND status = $2', [status]]);
      events.push([`?status=${status}&provider=stripe`, "inbound_events WHERE project_id = $1 AND status = $2 AND provider = 'stripe'", [status]]);
    }
    for (const [query, where, params] of events) {
      const res = await get(project.apiKey, `/api/v1/events${query}${query ? '&' : '?'}limit=1`).expect(200);
      expect([query, res.body.pagination.total]).toEqual([query, await counted(where, [project.id, ...params])]);
    }
    const conversions: [string, string][] = [
      ['', 'conversions WHERE project_id = $1'],
      ['?type=purchase', "conversions WHERE project_id = $1 AND kind IN ('purchase', 'renewal', 'refund')"],
      ['?type=signup', "conversions WHERE project_id = $1 AND kind = 'signup'"],
      ['?kind=refund', "conversions WHERE project_id = $1 AND kind = 'refund'"],
      ['?kind=renewal', "conversions WHERE project_id = $1 AND kind = 'renewal'"],
    ];
    for (const [query, where] of conversions) {
      const res = await get(project.apiKey, `/api/v1/conversions${query}${query ? '&' : '?'}limit=1`).expect(200);
      expect([query, res.body.pagination.total]).toEqual([query, await counted(where, [project.id])]);
    }
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    t.clock.now = new Date('2026-11-01T09:00:00Z');
    a = await createProjectViaApi(t.app, 'A');
    b = await createProjectViaApi(t.app, 'B');
    await connectProvider(t.app, a.apiKey, 'stripe', SECRET);
    await connectProvider(t.app, b.apiKey, 'stripe', SECRET);
    await request(t.app).post('/api/v1/affiliates').set('Authorization', `Bearer ${a.apiKey}`).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('counts webhooks as they are stored, processed and delivered again, per project, provider and status', async () => {
    const day = (d: number) => new Date(Date.UTC(2026, 10, d, 10));
    for (let i = 1; i <= 6; i++) await deliver(a.id, `evt_a_paid_${i}`, 'invoice.paid', day(i));
    await deliver(a.id, 'evt_a_refund', 'charge.refunded', day(7));
    await deliver(a.id, 'evt_a_product', 'product.created', day(8));
    await deliver(b.id, 'evt_b_paid', 'invoice.paid', day(8));
    // the same event again: stored once, counted once
    await deliver(a.id, 'evt_a_paid_1', 'invoice.paid', day(9));
    await t.runner.idle();
    const all = (await get(a.apiKey, '/api/v1/events').expect(200)).body.pagination.total;
    expect(all).toBe(8);
    await expectTotalsExact(a);
    await expectTotalsExact(b);
  });

  it('counts conversions created by hand and deleted, by kind', async () => {
    const post = (body: object) => request(t.app).post('/api/v1/conversions').set('Authorization', `Bearer ${a.apiKey}`).send(body).expect(201);
    const sale = await post({ type: 'purchase', referral_code: 'JANE', base_value: 40, reference: 'hand-1' });
    await post({ type: 'signup', referral_code: 'JANE', email: 'new@customer.test' });
    const before = (await get(a.apiKey, '/api/v1/conversions').expect(200)).body.pagination.total;
    await request(t.app).delete(`/api/v1/conversions/${sale.body.data.id}`).set('Authorization', `Bearer ${a.apiKey}`).expect(204);
    expect((await get(a.apiKey, '/api/v1/conversions').expect(200)).body.pagination.total).toBe(before - 1);
    await expectTotalsExact(a);
  });

  it('folds deltas into one per key, and a count that reads many folds them itself, the totals unchanged', async () => {
    // 300 statements, each inserting one event: 300 deltas
    for (let i = 0; i < 300; i++) {
      await tdb.db.sql.query(
        `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, received_at, raw_body, headers, status)
         VALUES ($1::uuid, 'stripe', $2, 'product.created', now(), '\\x7b7d'::bytea, '{}'::jsonb, $3)`,
        [a.id, `evt_bulk_${i}`, i % 3 === 0 ? 'failed' : 'ignored'],
      );
    }
    const deltas = async () => Number((await tdb.db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM row_counts WHERE project_id = $1 AND table_name = 'inbound_events'`, [a.id]))[0]!.n);
    expect(await deltas()).toBeGreaterThan(300);
    const exact = await counted('inbound_events WHERE project_id = $1', [a.id]);
    expect(await countRows(tdb.db.sql, a.id, 'inbound_events')).toBe(exact);
    const keys = Number((await tdb.db.sql.query<{ n: string }>(`SELECT count(DISTINCT (provider, status))::text AS n FROM inbound_events WHERE project_id = $1`, [a.id]))[0]!.n);
    expect(await deltas()).toBe(keys);
    expect(await countRows(tdb.db.sql, a.id, 'inbound_events')).toBe(exact);
    expect(await countRows(tdb.db.sql, a.id, 'inbound_events', { keyB: 'failed' })).toBe(await counted("inbound_events WHERE project_id = $1 AND status = 'failed'", [a.id]));
    // folding again changes nothing
    await foldRowCounts(tdb.db.sql, a.id, 'inbound_events');
    expect(await deltas()).toBe(keys);
    await expectTotalsExact(a);
  });

  it('stays exact when folds run while other statements insert, update and delete', async () => {
    const writes = Array.from({ length: 60 }, (_, i) => async () => {
      await tdb.db.sql.query(
        `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, received_at, raw_body, headers, status)
         SELECT $1::uuid, 'stripe', $2 || '_' || g, 'product.created', now(), '\\x7b7d'::bytea, '{}'::jsonb, 'received' FROM generate_series(1, 3) g`,
        [a.id, `evt_race_${i}`],
      );
      if (i % 2 === 0) await tdb.db.sql.query(`UPDATE inbound_events SET status = 'ignored' WHERE project_id = $1 AND provider_event_id = $2`, [a.id, `evt_race_${i}_1`]);
      if (i % 3 === 0) await tdb.db.sql.query(`DELETE FROM inbound_events WHERE project_id = $1 AND provider_event_id = $2`, [a.id, `evt_race_${i}_2`]);
    });
    const folds = Array.from({ length: 20 }, () => () => foldRowCounts(tdb.db.sql, a.id, 'inbound_events'));
    await Promise.all([...writes, ...folds].sort(() => Math.random() - 0.5).map((run) => run()));
    await foldAllRowCounts(tdb.db.sql, 0);
    await expectTotalsExact(a);
  });

  it('forgets a deleted project\'s rows and a truncated table\'s', async () => {
    await tdb.db.sql.query(`DELETE FROM projects WHERE id = $1`, [b.id]);
    expect(await countRows(tdb.db.sql, b.id, 'inbound_events')).toBe(0);
    expect(await countRows(tdb.db.sql, b.id, 'conversions')).toBe(0);
    await tdb.db.sql.exec('TRUNCATE conversions CASCADE');
    expect(await countRows(tdb.db.sql, a.id, 'conversions')).toBe(0);
    await expectTotalsExact(a);
  });
});

describe('the migration that brings row counts', () => {
  it('counts the rows stored before it', async () => {
    const tdb = await createTestDatabase({ migrated: false });
    try {
      const all = readMigrations();
      const at = all.findIndex((m) => m.name.endsWith('_row_counts'));
      await migrate(tdb.db.sql, all.slice(0, at));
      const [project] = await tdb.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('Old', 'USD') RETURNING id::text`);
      await tdb.db.sql.query(
        `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, received_at, raw_body, headers, status)
         SELECT $1::uuid, 'paddle', 'evt_old_' || g, 'transaction.completed', now(), '\\x7b7d'::bytea, '{}'::jsonb, CASE WHEN g % 2 = 0 THEN 'processed' ELSE 'failed' END
         FROM generate_series(1, 7) g`,
        [project!.id],
      );
      await migrate(tdb.db.sql, all);
      expect(await countRows(tdb.db.sql, project!.id, 'inbound_events')).toBe(7);
      expect(await countRows(tdb.db.sql, project!.id, 'inbound_events', { keyA: 'paddle', keyB: 'failed' })).toBe(4);
      expect(await countRows(tdb.db.sql, project!.id, 'conversions')).toBe(0);
    } finally {
      await tdb.drop();
    }
  });
});
