import { queueBacklog, startBacklogWorker, waitForIgnored } from '../helpers/backlog';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis';

const EVENTS = 1_200;
const JOB_SIZE = 3;

/**
 * Under load the receiver queues the few deliveries of each moment as one job, and a worker's pipeline batches are
 * made of the events of the jobs it holds. Holding too few jobs cut a backlog into batches of half the pipeline's
 * 200, each paying the batch's fixed statements (docs/performance.md): the default holds enough small jobs to fill
 * the batches in flight.
 */
describe('a queue worker with the default settings', () => {
  let tdb: TestDatabase;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => {
    await tdb.drop();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it('processes a backlog of small jobs in full batches', async () => {
    await queueBacklog(tdb, prefix, { tag: 'batches', events: EVENTS, jobSize: JOB_SIZE });
    const worker = await startBacklogWorker(tdb, prefix);
    try {
      expect(await waitForIgnored(tdb.db.sql, EVENTS)).toBe(EVENTS);
    } finally {
      await worker.close();
    }
    // a batch's outcomes are recorded by one statement, with one processed_at
    const batches = await tdb.db.sql.query<{ size: string }>(`SELECT count(*) AS size FROM inbound_events GROUP BY processed_at ORDER BY count(*) DESC`);
    const sizes = batches.map((b) => Number(b.size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(EVENTS);
    // Holding 64 jobs of 3, the old default, no batch could be full (192 events at most): 12-13 batches, 192, 192, 132,
    // 105 … 12. The default fills them, as many as the jobs arrive in time for: 200 ×4, 198, 168, 34 alone (four runs
    // alike), 200 ×3 beside other suites. How many fill depends on how fast jobs arrive against how fast batches
    // finish, so only what the old default could never do is asserted.
    expect(sizes.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
  });
});
