import net from 'node:net';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * A PostgreSQL connection that stops answering without being reset (a network partition, a failover behind a proxy):
 * its statement waited forever, holding a worker's transaction and its customers' locks, so processing stopped while
 * new connections still worked. A TCP proxy between Refwire and PostgreSQL that can go silent stands for it.
 */
describe('a PostgreSQL connection that stops answering', () => {
  let tdb: TestDatabase;
  let proxy: net.Server;
  let silent = false;
  let url: string;
  let db: Database | null = null;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    const target = new URL(tdb.url);
    proxy = net.createServer((client) => {
      const server = net.connect(Number(target.port || 5432), target.hostname);
      // silent: bytes are swallowed both ways, and nothing is closed
      client.on('data', (chunk) => silent || server.write(chunk));
      server.on('data', (chunk) => silent || client.write(chunk));
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const through = new URL(tdb.url);
    through.hostname = '127.0.0.1';
    through.port = String((proxy.address() as net.AddressInfo).port);
    url = through.toString();
  });
  afterEach(async () => {
    silent = false;
    await db?.close().catch(() => undefined);
    db = null;
  });
  afterAll(async () => {
    proxy.close();
    await tdb.drop();
  });

  it('fails the statement after DATABASE_QUERY_TIMEOUT_SECONDS and gives the connection up: the next statement works', async () => {
    db = await openDatabase({ kind: 'postgres', url, queryTimeoutMs: 1_000 });
    await db.sql.query('SELECT 1');
    silent = true;
    const started = Date.now();
    await expect(db.sql.transaction((tx) => tx.query('SELECT 1'))).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    silent = false;
    expect(await db.sql.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it("the server ends a session left idle inside its transaction, letting go of the locks it held", async () => {
    db = await openDatabase({ kind: 'postgres', url, queryTimeoutMs: 1_000 });
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    // a transaction takes a lock, then its connection goes silent
    const transaction = db.sql
      .transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(424242)');
        held();
        silent = true;
        await tx.query('SELECT 1');
      })
      .catch(() => undefined);
    await holding;
    const direct = new pg.Client({ connectionString: tdb.url });
    await direct.connect();
    try {
      const free = async () => (await direct.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(424242) AS ok')).rows[0]!.ok;
      expect(await free()).toBe(false);
      let freed = false;
      for (let i = 0; i < 50 && !freed; i++) {
        await new Promise((r) => setTimeout(r, 100));
        freed = await free();
      }
      expect(freed).toBe(true);
    } finally {
      await direct.end();
      silent = false;
      await transaction;
    }
  });
});
