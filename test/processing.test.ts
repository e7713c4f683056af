import { queueBacklog, startBacklogWorker, waitForIgnored } from './helpers/backlog';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from './helpers/redis';

const EVENTS = 1_000;
const JOB_SIZE = 10;

/**
 * Where PostgreSQL's autovacuum is off, the processes that process events vacuum the tables themselves
 * (src/db/maintenance.ts). A pass takes the CPU the batches need, so it waits for a pause in the events: a worker
 * started into a backlog vacuums once the backlog is done, not before it (a 100,000-event drain on 2 cores took 50–53 s
 * with a pass at start and every 20,000 events, 45–47 s with one pass after it; docs/performance.md).
 */
describe('the vacuum pass of a worker', () => {
  let tdb: TestDatabase;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => {
    await tdb.drop();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  const inboxVacuums = async () =>
    (
      await tdb.db.sql.query<{ vacuums: string; last: Date | null }>(
        `SELECT vacuum_count AS vacuums, last_vacuum AS last FROM pg_stat_user_tables WHERE relname = 'inbound_events'`,
      )
    )[0]!;

  it('comes after a backlog the worker started into, once', async () => {
    // `autovacuum` is a server setting: read, not set. Where it is on, the worker leaves vacuum to it.
    const [setting] = await tdb.db.sql.query<{ on: boolean }>(`SELECT current_setting('autovacuum') = 'on' AS on`);
    await queueBacklog(tdb, prefix, { tag: 'vacuum', events: EVENTS, jobSize: JOB_SIZE });
    expect(await inboxVacuums()).toMatchObject({ vacuums: '0', last: null });

    const worker = await startBacklogWorker(tdb, prefix);
    try {
      expect(await waitForIgnored(tdb.db.sql, EVENTS)).toBe(EVENTS);
      if (setting!.on) return;
      for (let i = 0; i < 100 && (await inboxVacuums()).last === null; i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await worker.close();
    }
    if (setting!.on) return;
    const [{ last_processed: lastProcessed }] = (await tdb.db.sql.query<{ last_processed: Date }>(`SELECT max(processed_at) AS last_processed FROM inbound_events`)) as [
      { last_processed: Date },
    ];
    const vacuums = await inboxVacuums();
    // one pass, after the last event: the pass at start waited for the backlog (it ran before the first batch)
    expect(vacuums.vacuums).toBe('1');
    expect(vacuums.last!.getTime()).toBeGreaterThan(lastProcessed.getTime());
  });
});
