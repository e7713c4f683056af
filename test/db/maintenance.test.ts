import { PGlite } from '@electric-sql/pglite';
import { wrapPglite, type Database } from '../../src/db/database';
import { analyzeNewTables, maintainDatabase, vacuumAndAnalyze } from '../../src/db/maintenance';
import { migrate } from '../../src/db/migrator';
import { newProject } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/** The embedded database's own autovacuum (PGlite has none): statistics, all-visible pages, dead rows reclaimed. */
describe('vacuumAndAnalyze on PGlite', () => {
  let db: Database;
  beforeAll(async () => {
    db = wrapPglite(await PGlite.create());
    await migrate(db.sql);
  });
  afterAll(async () => db.close());

  const table = async () =>
    (
      await db.sql.query<{ reltuples: number; relallvisible: number; stats: number }>(
        `SELECT reltuples, relallvisible, (SELECT count(*)::int FROM pg_stats WHERE tablename = 'inbound_events') AS stats
         FROM pg_class WHERE relname = 'inbound_events'`,
      )
    )[0]!;

  it('gives a table that was written and updated its statistics, and marks its pages all-visible', async () => {
    const projectId = await newProject(db);
    await db.sql.query(
      `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, raw_body, headers)
       SELECT $1, 'stripe', 'evt_' || g, 'checkout.session.completed', convert_to(repeat('x', 500), 'UTF8'), '{}' FROM generate_series(1, 2000) g`,
      [projectId],
    );
    // processed as the pipeline does it: two updates of every row, each leaving a dead version behind
    await db.sql.exec(`UPDATE inbound_events SET status = 'processing'`);
    await db.sql.exec(`UPDATE inbound_events SET status = 'processed', processed_at = now()`);
    const before = await table();
    expect(before.stats).toBe(0);
    expect(before.relallvisible).toBe(0);

    expect(await vacuumAndAnalyze(db.sql)).toBe(1);
    const after = await table();
    expect(after.reltuples).toBe(2000);
    expect(after.stats).toBeGreaterThan(5);
    expect(after.relallvisible).toBeGreaterThan(0);
    // the planner now knows the project holds every row: the unique key serves a lookup by event id
    const [plan] = await db.sql.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM inbound_events WHERE project_id = $1 AND provider = 'stripe' AND provider_event_id = 'evt_7'`,
      [projectId],
    );
    expect(plan!['QUERY PLAN']).toContain('inbound_events_project_id_provider_provider_event_id_key');
  });
});

/**
 * A server whose autovacuum is off (this machine's is): the tables that changed are vacuumed and analyzed, the
 * others left; with autovacuum on, nothing. `autovacuum` is a server setting, so the test reads it rather than sets it.
 */
describe('vacuumChangedTables on PostgreSQL', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

  const table = async (name: string) =>
    (
      await tdb.db.sql.query<{ vacuumed: boolean; analyzed: boolean; relallvisible: number }>(
        `SELECT s.last_vacuum IS NOT NULL AS vacuumed, s.last_analyze IS NOT NULL AS analyzed, c.relallvisible
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = $1`,
        [name],
      )
    )[0]!;

  it('vacuums and analyzes the tables that changed where autovacuum is off, and nothing where it is on', async () => {
    const [setting] = await tdb.db.sql.query<{ on: boolean }>(`SELECT current_setting('autovacuum') = 'on' AS on`);
    const projectId = await newProject(tdb.db);
    // on one connection, whose counts reach pg_stat_user_tables when it reports them (forced at the end)
    await tdb.db.sql.session(async (s) => {
      await s.query(
        `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, raw_body, headers)
         SELECT $1, 'stripe', 'evt_' || g, 'checkout.session.completed', convert_to(repeat('x', 500), 'UTF8'), '{}' FROM generate_series(1, 2000) g`,
        [projectId],
      );
      await s.exec(`UPDATE inbound_events SET status = 'processing'`);
      await s.exec(`UPDATE inbound_events SET status = 'processed', processed_at = now()`);
      await s.exec('SELECT pg_stat_force_next_flush()');
    });

    const done = await maintainDatabase(tdb.db);
    const events = await table('inbound_events');
    const untouched = await table('payout_batches');
    if (setting!.on) {
      expect(done).toBe(0);
      return;
    }
    expect(done).toBeGreaterThanOrEqual(1);
    expect(events).toMatchObject({ vacuumed: true, analyzed: true });
    expect(events.relallvisible).toBeGreaterThan(0);
    expect(untouched).toMatchObject({ vacuumed: false, analyzed: false });
    // the next pass finds nothing changed
    expect(await maintainDatabase(tdb.db)).toBe(0);
  });
});

/**
 * First statistics (analyzeNewTables): a table that grew from empty, never analyzed, is analyzed once it has rows,
 * where nothing else would (PGlite; a server without autovacuum), so that a batch's lookup by payment key takes the
 * key's index; a table analyzed before, or still empty, is left.
 */
describe('analyzeNewTables', () => {
  const grow = async (sql: Database['sql'], projectId: string) =>
    sql.session(async (s) => {
      await s.query(
        `INSERT INTO conversions (project_id, kind, provider, external_key, payment_key, customer_key, currency, amount_minor,
           base_value_minor, value_minor, attribution, occurred_at)
         SELECT $1, 'purchase', 'stripe', 'stripe:pi_' || g, 'pi_' || g, 'customer:cus_' || g, 'USD', 1000, 1000, 0, '{}', now()
         FROM generate_series(1, 2000) g`,
        [projectId],
      );
      await s.exec('SELECT pg_stat_force_next_flush()');
    });
  const analyzed = async (sql: Database['sql'], name: string) =>
    (await sql.query<{ analyzed: boolean }>(`SELECT last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = $1`, [name]))[0]!
      .analyzed;
  const lookupPlan = async (sql: Database['sql'], projectId: string) =>
    (
      await sql.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT c.payment_key FROM unnest($2::text[]) AS k(key)
         CROSS JOIN LATERAL (SELECT payment_key FROM conversions WHERE project_id = $1 AND external_key = k.key OFFSET 0) c`,
        [projectId, ['stripe:pi_7', 'stripe:pi_8']],
      )
    )
      .map((r) => r['QUERY PLAN'])
      .join('\n');

  it('on PGlite: the conversions a drain began with are analyzed, once', async () => {
    const db = wrapPglite(await PGlite.create());
    try {
      await migrate(db.sql);
      const projectId = await newProject(db);
      await grow(db.sql, projectId);
      expect(await analyzed(db.sql, 'conversions')).toBe(false);
      expect(await analyzeNewTables(db)).toBeGreaterThanOrEqual(1);
      expect(await analyzed(db.sql, 'conversions')).toBe(true);
      expect(await analyzed(db.sql, 'payout_batches')).toBe(false);
      expect(await lookupPlan(db.sql, projectId)).toContain('conversions_project_id_external_key_key');
      expect(await analyzeNewTables(db)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('on PostgreSQL: the same where autovacuum is off, nothing where it is on', async () => {
    const tdb = await createTestDatabase();
    try {
      const [setting] = await tdb.db.sql.query<{ on: boolean }>(`SELECT current_setting('autovacuum') = 'on' AS on`);
      const projectId = await newProject(tdb.db);
      await grow(tdb.db.sql, projectId);
      const done = await analyzeNewTables(tdb.db);
      if (setting!.on) {
        expect(done).toBe(0);
        return;
      }
      expect(done).toBeGreaterThanOrEqual(1);
      expect(await analyzed(tdb.db.sql, 'conversions')).toBe(true);
      expect(await analyzed(tdb.db.sql, 'payout_batches')).toBe(false);
      expect(await lookupPlan(tdb.db.sql, projectId)).toContain('conversions_project_id_external_key_key');
      expect(await analyzeNewTables(tdb.db)).toBe(0);
    } finally {
      await tdb.drop();
    }
  });
});
