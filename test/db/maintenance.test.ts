import { PGlite } from '@electric-sql/pglite';
import { wrapPglite, type Database } from '../../src/db/database';
import { vacuumAndAnalyze } from '../../src/db/maintenance';
import { migrate } from '../../src/db/migrator';
import { newProject } from '../helpers/ledger';

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
