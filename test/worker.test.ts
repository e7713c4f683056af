import { execFileSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { loadConfig } from '../src/config/config';
import { startWorker } from '../src/main';
import { stripeAdapter } from '../src/providers/stripe/adapter';
import { stripeBody } from './helpers/fixtures';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { buildOnce, ROOT } from './helpers/processes';
import { freePort } from './helpers/redis';
import { buildTestApp, connectProvider, createProjectViaApi, silentLogger } from './helpers/refwire';

describe('refwire worker', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());
  let secretsKey = 'b'.repeat(64);

  it('processes events that an API process started with --no-worker stored', async () => {
    const api = buildTestApp(tdb.db, { runner: false });
    const project = await createProjectViaApi(api.app);
    await connectProvider(api.app, project.apiKey, 'stripe', 'whsec_worker_secret_1');
    const body = stripeBody('invoice.paid.subscription_create.json', { id: 'evt_for_worker' });
    const stored = await request(api.app)
      .post(`/webhook/stripe/${project.id}`)
      .set(stripeAdapter.sign(body, 'whsec_worker_secret_1', { now: api.clock.now }))
      .send(body)
      .expect(200);

    const status = async () =>
      (await tdb.db.sql.query<{ status: string }>('SELECT status FROM inbound_events WHERE id = $1', [stored.body.id]))[0]!.status;
    expect(await status()).toBe('received');

    // the installation's one key: the worker opens the secrets the API sealed (it refuses to start otherwise)
    secretsKey = api.secretsKey.toString('hex');
    const worker = await startWorker(loadConfig({ DATABASE_URL: tdb.url, SECRETS_KEY: secretsKey }), { logger: silentLogger, pollMs: 100 });
    try {
      for (let i = 0; i < 50 && (await status()) !== 'processed'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await status()).toBe('processed');
    } finally {
      await worker.close();
    }
  });

  it('serves /healthz, /readyz (what the image HEALTHCHECK asks) and /metrics on METRICS_PORT', async () => {
    const port = await freePort();
    const worker = await startWorker(loadConfig({ DATABASE_URL: tdb.url, SECRETS_KEY: secretsKey, METRICS_PORT: String(port) }), {
      logger: silentLogger,
      pollMs: 100,
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'ok' }); // no REDIS_URL: no redis to report
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('refwire_event_processing_seconds');
    } finally {
      await worker.close();
    }
  });

  it('refuses the embedded database', async () => {
    await expect(startWorker(loadConfig({ DATA_DIR: '/tmp/refwire-worker-embedded' }), { logger: silentLogger })).rejects.toThrow(
      /needs DATABASE_URL/,
    );
  });
});

/**
 * What `refwire worker` loads at start (compiled, as an operator runs it): the HTTP app and the provider SDKs were
 * more than half of a worker's start (1.7 s before it took its first job; 0.6–0.7 s without them).
 */
describe('refwire worker, at start', () => {
  beforeAll(buildOnce, 120_000);

  it('loads neither the HTTP side nor a provider SDK', () => {
    // the modules the worker command's start uses, and what requiring them brought in
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['-e', "require('./dist/main'); require('./dist/processing'); process.stdout.write(JSON.stringify(Object.keys(require.cache)))"], { cwd: ROOT }).toString(),
    ) as string[];
    const rel = loaded.map((file) => path.relative(ROOT, file).split(path.sep).join('/'));
    expect(rel).toContain('dist/processing.js');
    expect(rel).toContain('node_modules/bullmq/dist/cjs/index.js');
    expect(rel.filter((f) => /^dist\/(server|api|pages|mcp)\//.test(f))).toEqual([]);
    expect(rel.filter((f) => /^node_modules\/(stripe|@paddle|@polar-sh|express)\//.test(f))).toEqual([]);
  });
});
