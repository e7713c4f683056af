import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config/config';
import { openDatabase } from '../src/db/database';
import { DataDirLockedError } from '../src/db/embedded-lock';
import { startRefwire, startWorker, welcome } from '../src/main';
import { storeInboundEvents } from '../src/inbox/inbound-events';
import { createLogger } from '../src/observability/logger';
import { createProject } from '../src/projects/projects';
import { stripeAdapter } from '../src/providers/stripe/adapter';
import { stripeBody } from './helpers/fixtures';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { silentLogger } from './helpers/refwire';

/** The composition root on the embedded default (PGlite in a data directory), in process. */
describe('startRefwire on the embedded database', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-main-'));
  const config = () => loadConfig({ DATA_DIR: dataDir, PORT: '0' });
  const quiet = { logger: silentLogger, print: () => undefined };

  it('receives, deduplicates and processes on PGlite; a second process on the same directory is refused', async () => {
    const refwire = await startRefwire(config(), { worker: true, ...quiet });
    try {
      await expect(startRefwire(config(), { worker: true, ...quiet })).rejects.toThrow(DataDirLockedError);

      const project = await createProject(refwire.db.prisma, { name: 'Embedded', currency: 'USD' });
      const affiliate = await fetch(`${refwire.url}/api/v1/affiliates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${project.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }),
      });
      expect(affiliate.status).toBe(201);
      const put = await fetch(`${refwire.url}/api/v1/integrations/stripe`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${project.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ webhook_secret: 'whsec_embedded_secret_1' }),
      });
      expect(put.status).toBe(200);

      const body = stripeBody('checkout.session.completed.payment.json', { id: 'evt_pglite_1' });
      const send = () =>
        fetch(`${refwire.url}/webhook/stripe/${project.id}`, {
          method: 'POST',
          headers: stripeAdapter.sign(body, 'whsec_embedded_secret_1', { now: new Date() }),
          body,
        }).then((r) => r.json() as Promise<{ id: string; duplicate: boolean }>);
      const [a, b] = await Promise.all([send(), send()]);
      expect(a.id).toBe(b.id);
      expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
      await refwire.runner!.idle();
      const rows = await refwire.db.sql.query<{ status: string }>('SELECT status FROM inbound_events');
      expect(rows).toEqual([{ status: 'processed' }]);
      // the engine and the balance query run on PGlite as on PostgreSQL
      const earned = (await (
        await fetch(`${refwire.url}/api/v1/affiliates/acme%40partners.test`, { headers: { authorization: `Bearer ${project.apiKey}` } })
      ).json()) as { data: Record<string, unknown> };
      expect(earned.data).toMatchObject({ purchases: 1, total_earnings: '8.00', eligible_earnings: '8.00' });

      // simulate a crash in the middle of processing: the row stays "processing"
      await refwire.db.sql.query(`UPDATE inbound_events SET status = 'processing', locked_at = now()`);
    } finally {
      await refwire.close();
    }

    const restarted = await startRefwire(config(), { worker: true, ...quiet });
    try {
      for (let i = 0; i < 50; i++) {
        const [row] = await restarted.db.sql.query<{ status: string }>('SELECT status FROM inbound_events');
        if (row?.status === 'processed') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const rows = await restarted.db.sql.query<{ status: string; attempts: number }>('SELECT status, attempts FROM inbound_events');
      expect(rows).toEqual([{ status: 'processed', attempts: 2 }]);

      // PGlite has no autovacuum: the process that processes events vacuums and analyzes at start (then hourly and
      // every 20,000 events), so the tables have statistics and all-visible pages (src/db/maintenance.ts)
      const analyzed = async () =>
        (await restarted.db.sql.query<{ reltuples: number; relallvisible: number }>(`SELECT reltuples, relallvisible FROM pg_class WHERE relname = 'inbound_events'`))[0]!;
      for (let i = 0; i < 100 && (await analyzed()).reltuples < 1; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await analyzed()).reltuples).toBe(1);
      expect((await analyzed()).relallvisible).toBeGreaterThan(0);
    } finally {
      await restarted.close();
    }
  });

  it('drains a backlog on PGlite in whole pipeline batches, however few events WORKER_CONCURRENCY holds', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-main-batches-'));
    const settings = () => loadConfig({ DATA_DIR: dir, PORT: '0', WORKER_CONCURRENCY: '16' });
    const stored = await startRefwire(settings(), { worker: false, ...quiet });
    try {
      const project = await createProject(stored.db.prisma, { name: 'Backlog', currency: 'USD' });
      await storeInboundEvents(
        stored.db.sql,
        Array.from({ length: 450 }, (_, i) => ({
          projectId: project.id,
          provider: 'stripe',
          event: { eventId: `evt_backlog_${i}`, type: 'customer.created', payload: {}, occurredAt: null, livemode: false },
          rawBody: Buffer.from(stripeBody('product.created.json', { id: `evt_backlog_${i}`, type: 'customer.created' })),
          headers: {},
          receivedAt: new Date(),
        })),
      );
    } finally {
      await stored.close();
    }
    const refwire = await startRefwire(settings(), { worker: true, ...quiet });
    try {
      const ends = async () =>
        (await refwire.db.sql.query<{ status: string; passes: number; n: number }>(
          `SELECT status, count(DISTINCT processed_at)::int AS passes, count(*)::int AS n FROM inbound_events GROUP BY status`,
        ));
      for (let i = 0; i < 200 && (await ends()).some((e) => e.status === 'received' || e.status === 'processing'); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      // a pass stamps its events with one time: 16 held at once made passes of 16, and passes of 200 (the queue
      // worker's) made three of the 450, each paying the batch's fixed statements on PGlite's one thread
      expect(await ends()).toEqual([{ status: 'ignored', passes: 1, n: 450 }]);
    } finally {
      await refwire.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Node's parser refuses these before the app sees them, and answered a bare status with no body
  it('answers a request HTTP cannot parse with the API error body, and closes the connection', async () => {
    const refwire = await startRefwire(config(), { worker: false, ...quiet });
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const { hostname, port } = new URL(refwire.url);
        const socket = net.connect(Number(port), hostname, () => socket.end(request));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    try {
      // a JSON body, so it is read (a body of no type is refused with 415 before it is)
      const badChunk = await raw('POST /api/v1/affiliates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
      expect(badChunk).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(badChunk).toMatch(/\r\nConnection: close\r\n/);
      expect(JSON.parse(badChunk.slice(badChunk.indexOf('\r\n\r\n') + 4))).toEqual({ success: false, error: 'malformed HTTP request' });
      const bigHeaders = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(bigHeaders).toMatch(/^HTTP\/1\.1 431 /);
      expect(JSON.parse(bigHeaders.slice(bigHeaders.indexOf('\r\n\r\n') + 4))).toEqual({ success: false, error: 'request headers too large' });
      // a request it can read is answered as before
      expect(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    } finally {
      await refwire.close();
    }
  });

  // Node's default let a body slower than its Content-Length hold the connection for five minutes
  it('answers 408 and closes a request whose body does not arrive within REQUEST_TIMEOUT_SECONDS', async () => {
    const refwire = await startRefwire(loadConfig({ DATA_DIR: dataDir, PORT: '0', REQUEST_TIMEOUT_SECONDS: '1' }), { worker: false, ...quiet });
    try {
      const { hostname, port } = new URL(refwire.url);
      const started = Date.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), hostname, () =>
          // 10 of the 100 bytes announced, and the connection kept open
          socket.write('POST /webhook/stripe/00000000-0000-0000-0000-000000000000 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":"ev_'),
        );
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString('utf8')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ success: false, error: 'the request was not received in time' });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await refwire.close();
    }
  });
});

/** PRODUCT.md §1 and issue 13: the first-start banner goes to stdout, which `docker logs` keeps. */
describe('the first-start banner', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());
  // the banner of a start with this configuration (its database only counts projects)
  const banner = (config: Config) => welcome(config, tdb.db, 'http://localhost:3000');
  const secretsFile = (dataDir: string) => path.join(dataDir, 'secrets.json');

  it('prints a generated admin token on the first start of a data directory only', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-banner-'));
    const first = await banner(loadConfig({ DATA_DIR: dataDir }));
    const token = /Admin token: (rwadm_\S+)/.exec(first)?.[1];
    expect(token).toBeDefined();
    expect(first).toContain(`-H "Authorization: Bearer ${token}"`);
    const second = await banner(loadConfig({ DATA_DIR: dataDir }));
    expect(second).not.toContain(token);
    expect(second).toContain(`Admin token: "admin_token" in ${secretsFile(dataDir)}`);
    expect(second).toContain('Bearer $ADMIN_TOKEN');
  });

  it('never prints it with NODE_ENV=production, where stdout is a kept log', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-banner-'));
    const printed = await banner(loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'production' }));
    const { admin_token: token } = JSON.parse(fs.readFileSync(secretsFile(dataDir), 'utf8')) as { admin_token: string };
    expect(printed).not.toContain(token);
    expect(printed).toContain(`Admin token: "admin_token" in ${secretsFile(dataDir)}`);
  });

  it('with NODE_ENV=production, is a line of the JSON log, not plain text among its lines', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-banner-'));
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) } as never);
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    try {
      const refwire = await startRefwire(loadConfig({ DATA_DIR: dataDir, PORT: '0', NODE_ENV: 'production' }), { worker: false, logger });
      await refwire.close();
    } finally {
      stdout.mockRestore();
    }
    expect(written.join('')).not.toContain('Refwire is running');
    const entries = lines.map((line) => JSON.parse(line) as { msg: string; guidance?: string[] });
    const guidance = entries.find((e) => e.msg === 'first steps')?.guidance;
    expect(guidance?.[0]).toMatch(/^Refwire is running at http:\/\/localhost:\d+ \(embedded database in /);
    expect(guidance).toContain(`Admin token: "admin_token" in ${secretsFile(dataDir)}`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // it pointed at the set-up page and the admin API, which answered "disabled"
  it('on PostgreSQL without ADMIN_TOKEN, says the admin API is off and gives the commands instead', async () => {
    const printed = await banner(loadConfig({ DATABASE_URL: tdb.url, SECRETS_KEY: 'e'.repeat(64) }));
    expect(printed).toContain('ADMIN_TOKEN is not set: the admin API and the dashboard set-up page are off.');
    expect(printed).toContain('npx refwire project create --name Acme --currency USD');
    expect(printed).not.toContain('curl');
    expect(printed).not.toContain('set-up page asks for the admin token');
  });

  // the server already listened and took webhooks: the banner's counts failing ended the process
  it('is printed without its counts when the database went away just after the start', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://root@127.0.0.1:1/gone', SECRETS_KEY: 'd'.repeat(64), ADMIN_TOKEN: 'operator-chosen-admin-token-0123' });
    const gone = await openDatabase(config.database);
    try {
      const printed = await welcome(config, gone, 'http://localhost:3000');
      expect(printed).toContain('Refwire is running at http://localhost:3000 (PostgreSQL)');
      expect(printed).toContain('Dashboard: http://localhost:3000/dashboard\n');
    } finally {
      await gone.close();
    }
  });

  it('never prints an ADMIN_TOKEN the operator set, embedded or on PostgreSQL', async () => {
    const operatorToken = 'operator-chosen-admin-token-0123';
    // embedded with a generated SECRETS_KEY: the admin token in use is still the operator's
    const embedded = await banner(loadConfig({ DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-banner-')), ADMIN_TOKEN: operatorToken }));
    expect(embedded).not.toContain(operatorToken);
    expect(embedded).not.toContain('Admin token:');
    // the real start on PostgreSQL, printing where `docker logs` reads
    let printed = '';
    const refwire = await startRefwire(loadConfig({ PORT: '0', DATABASE_URL: tdb.url, SECRETS_KEY: 'b'.repeat(64), ADMIN_TOKEN: operatorToken }), {
      worker: false,
      logger: silentLogger,
      print: (text) => (printed += text),
    });
    await refwire.close();
    expect(printed).toContain('No project yet');
    expect(printed).not.toContain(operatorToken);
    expect(printed).toContain('Bearer $ADMIN_TOKEN');
  });
});

/** A SECRETS_KEY that does not open the stored provider secrets would answer every delivery 503: refused at start. */
describe('starting with another SECRETS_KEY', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

  it('refuses to start the API or a worker, naming the key, once a provider secret is stored', async () => {
    const env = (key: string) => loadConfig({ PORT: '0', DATABASE_URL: tdb.url, SECRETS_KEY: key.repeat(64), ADMIN_TOKEN: 'admin-token-for-the-key-test' });
    const quietly = { worker: false, logger: silentLogger, print: () => undefined };
    // no secret stored yet: any key starts
    await (await startRefwire(env('c'), quietly)).close();
    const refwire = await startRefwire(env('a'), quietly);
    try {
      const created = await fetch(`${refwire.url}/api/admin/projects`, {
        method: 'POST',
        headers: { authorization: 'Bearer admin-token-for-the-key-test', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Acme', currency: 'USD' }),
      }).then((r) => r.json() as Promise<{ data: { api_key: string } }>);
      const connected = await fetch(`${refwire.url}/api/v1/integrations/stripe`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${created.data.api_key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ webhook_secret: 'whsec_the_key_test_secret' }),
      });
      expect(connected.status).toBe(200);
    } finally {
      await refwire.close();
    }
    const refused = /^SECRETS_KEY does not open the provider secrets stored in this database: it is not the key they were sealed with/;
    await expect(startRefwire(env('c'), quietly)).rejects.toThrow(refused);
    await expect(startWorker(env('c'), { logger: silentLogger })).rejects.toThrow(refused);
    // the right key starts as before
    await (await startRefwire(env('a'), quietly)).close();
  });
});
