import { loadConfig } from '../../src/config/config';
import { storeInboundEvents } from '../../src/inbox/inbound-events';
import { startWorker } from '../../src/main';
import { createProject } from '../../src/projects/projects';
import { EventQueue } from '../../src/queue/event-queue';
import { stripeInboxInput } from '../helpers/inbox';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { silentLogger } from '../helpers/refwire';

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
    const project = await createProject(tdb.db.prisma, { name: 'Batches', currency: 'USD' });
    const stored = await storeInboundEvents(
      tdb.db.sql,
      Array.from({ length: EVENTS }, (_, n) =>
        stripeInboxInput(project.id, { id: `evt_batch_${n}`, object: 'event', type: 'customer.updated', created: 1_780_000_000, data: { object: { id: `cus_${n}`, object: 'customer' } } }),
      ),
    );
    const queue = new EventQueue(TEST_REDIS_URL, prefix, { attempts: 5, backoffMs: 2000 }, silentLogger);
    try {
      for (let at = 0; at < stored.length; at += JOB_SIZE) expect(await queue.enqueue(stored.slice(at, at + JOB_SIZE).map((s) => s.id))).toBe(true);
    } finally {
      await queue.close();
    }

    const worker = await startWorker(loadConfig({ DATABASE_URL: tdb.url, SECRETS_KEY: 'd'.repeat(64), REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix }), {
      logger: silentLogger,
    });
    try {
      const finished = async () => Number((await tdb.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM inbound_events WHERE status = 'ignored'`))[0]!.n);
      for (let i = 0; i < 300 && (await finished()) < EVENTS; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await finished()).toBe(EVENTS);
    } finally {
      await worker.close();
    }
    // a batch's outcomes are recorded by one statement, with one processed_at
    const batches = await tdb.db.sql.query<{ size: string }>(`SELECT count(*) AS size FROM inbound_events GROUP BY processed_at ORDER BY count(*) DESC`);
    const sizes = batches.map((b) => Number(b.size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(EVENTS);
    // 1,200 events fill 6 batches of 200 (measured: 6 every time). Holding 64 jobs of 3, the old default, made 12–13
    // batches, none full: 192, 192, 132, 105 … 12 (measured with two batches in flight).
    expect(sizes.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4);
  });
});
