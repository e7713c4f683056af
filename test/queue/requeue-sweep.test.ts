import { randomBytes } from 'node:crypto';
import { EventQueue } from '../../src/queue/event-queue';
import { RequeueSweep } from '../../src/queue/requeue-sweep';
import { newProject } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { TEST_REDIS_URL } from '../helpers/redis';
import { silentLogger } from '../helpers/refwire';

/**
 * The requeue sweep queues what no job holds: rows stored while Redis was away (or whose job was lost) and claims
 * a killed worker abandoned. While the queue has jobs waiting, the workers are behind and received rows are in
 * those jobs, so only abandoned claims are queued again then.
 */
describe('RequeueSweep', () => {
  let tdb: TestDatabase;
  let queue: EventQueue;
  let projectId: string;
  const LEASE_MS = 30_000;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    projectId = await newProject(tdb.db);
    queue = new EventQueue(TEST_REDIS_URL, `test-requeue-${randomBytes(4).toString('hex')}`, { attempts: 3, backoffMs: 1000 }, silentLogger);
  });
  afterAll(async () => {
    await queue.queue.obliterate({ force: true });
    await queue.close();
    await tdb.drop();
  });

  const store = async (name: string, set = '') => {
    const [row] = await tdb.db.sql.query<{ id: string }>(
      `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, livemode, raw_body, headers, received_at)
       VALUES ($1::uuid, 'stripe', $2, 'charge.succeeded', false, '\\x7b7d'::bytea, '{}'::jsonb, now() - interval '1 minute') RETURNING id`,
      [projectId, `evt_${name}`],
    );
    if (set) await tdb.db.sql.query(`UPDATE inbound_events SET ${set} WHERE id = $1::uuid`, [row!.id]);
    return row!.id;
  };
  const queuedIds = async () => (await queue.queue.getJobs(['waiting'])).flatMap((j) => j.data.eventIds).sort();

  it('queues waiting rows and abandoned claims when no job is waiting, only abandoned claims while jobs wait', async () => {
    const lost = [await store('lost_1'), await store('lost_2')];
    const abandoned = await store('abandoned', `status = 'processing', locked_at = now() - interval '1 minute'`);
    await store('held', `status = 'processing', locked_at = now()`);
    await store('done', `status = 'processed'`);
    const sweep = new RequeueSweep(tdb.db.sql, queue, silentLogger, LEASE_MS);

    // a backlog in the queue: the received rows are in its jobs
    expect(await queue.enqueue(['00000000-0000-4000-8000-000000000001'])).toBe(true);
    expect(await sweep.sweep()).toBe(1);
    expect(await queuedIds()).toEqual(['00000000-0000-4000-8000-000000000001', abandoned].sort());

    // nothing waiting any more: whatever is still received was lost
    await queue.queue.drain();
    expect(await queue.waitingJobs()).toBe(0);
    expect(await sweep.sweep()).toBe(3);
    expect(await queuedIds()).toEqual([...lost, abandoned].sort());
  });
});
