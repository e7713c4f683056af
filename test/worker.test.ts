import request from 'supertest';
import { loadConfig } from '../src/config/config';
import { startWorker } from '../src/main';
import { stripeAdapter } from '../src/providers/stripe/adapter';
import { stripeBody } from './helpers/fixtures';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { freePort } from './helpers/redis';
import { buildTestApp, connectProvider, createProjectViaApi, silentLogger } from './helpers/refwire';

describe('refwire worker', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

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

    const worker = await startWorker(loadConfig({ DATABASE_URL: tdb.url, SECRETS_KEY: 'b'.repeat(64) }), { logger: silentLogger, pollMs: 100 });
    try {
      for (let i = 0; i < 50 && (await status()) !== 'processed'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await status()).toBe('processed');
    } finally {
      await worker.close();
    }
  });

  it('serves /healthz, /readyz (what the image HEALTHCHECK asks) and /metrics on METRICS_PORT', async () => {
    const port = await freePort();
    const worker = await startWorker(loadConfig({ DATABASE_URL: tdb.url, SECRETS_KEY: 'b'.repeat(64), METRICS_PORT: String(port) }), {
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
