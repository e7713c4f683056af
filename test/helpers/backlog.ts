import { loadConfig } from '../../src/config/config';
import type { SqlClient } from '../../src/db/sql';
import { storeInboundEvents } from '../../src/inbox/inbound-events';
import { startWorker } from '../../src/main';
import { createProject } from '../../src/projects/projects';
import { EventQueue } from '../../src/queue/event-queue';
import { stripeInboxInput } from './inbox';
import type { TestDatabase } from './postgres';
import { TEST_REDIS_URL } from './redis';
import { silentLogger } from './refwire';

/**
 * A backlog as a worker meets it after a burst: `events` Stripe `customer.updated` events of a new project (each ends
 * `ignored`), stored with no worker running and queued in jobs of `jobSize`, as the receiver queues them under load.
 */
export async function queueBacklog(tdb: TestDatabase, prefix: string, o: { tag: string; events: number; jobSize: number }): Promise<void> {
  const project = await createProject(tdb.db.prisma, { name: o.tag, currency: 'USD' });
  const stored = await storeInboundEvents(
    tdb.db.sql,
    Array.from({ length: o.events }, (_, n) =>
      stripeInboxInput(project.id, { id: `evt_${o.tag}_${n}`, object: 'event', type: 'customer.updated', created: 1_780_000_000, data: { object: { id: `cus_${n}`, object: 'customer' } } }),
    ),
  );
  const queue = new EventQueue(TEST_REDIS_URL, prefix, { attempts: 5, backoffMs: 2000 }, silentLogger);
  try {
    for (let at = 0; at < stored.length; at += o.jobSize) expect(await queue.enqueue(stored.slice(at, at + o.jobSize).map((s) => s.id))).toBe(true);
  } finally {
    await queue.close();
  }
}

/** A `refwire worker` with the default settings on the test database and queue prefix. */
export function startBacklogWorker(tdb: TestDatabase, prefix: string) {
  return startWorker(loadConfig({ DATABASE_URL: tdb.url, SECRETS_KEY: 'd'.repeat(64), REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix }), { logger: silentLogger });
}

/** Waits (up to 30 s) until `events` inbox rows are ignored; answers how many are. */
export async function waitForIgnored(sql: SqlClient, events: number): Promise<number> {
  const finished = async () => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM inbound_events WHERE status = 'ignored'`))[0]!.n);
  for (let i = 0; i < 300 && (await finished()) < events; i++) await new Promise((r) => setTimeout(r, 100));
  return finished();
}
