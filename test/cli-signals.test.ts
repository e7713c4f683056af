import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { buildOnce, kill, spawnRefwire, type RefwireProcess } from './helpers/processes';

/** How `refwire` ends on SIGTERM and Ctrl-C when what it waits for never answers. */
describe('refwire on signals', () => {
  let tdb: TestDatabase;
  const processes: RefwireProcess[] = [];
  beforeAll(async () => {
    buildOnce();
    tdb = await createTestDatabase();
  }, 240_000);
  afterAll(async () => {
    for (const p of processes) await kill(p);
    await tdb.drop();
  });

  it('a worker whose Redis is unreachable exits on a second SIGTERM (its close waits for Redis)', async () => {
    // nothing listens on this port: BullMQ's close waits for a connection that never comes
    const worker = await spawnRefwire(['worker'], { DATABASE_URL: tdb.url, SECRETS_KEY: randomBytes(32).toString('base64'), REDIS_URL: 'redis://127.0.0.1:6399/7', LOG_LEVEL: 'info' });
    processes.push(worker);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    worker.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    worker.child.kill('SIGTERM');
    const code = await Promise.race([worker.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 5000))]);
    expect(code).toBe(1);
    expect(worker.output()).toMatch(/second signal: exiting without waiting for work in hand/);
  }, 30_000);
});
