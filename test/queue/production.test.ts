import { loadConfig, type Config } from '../../src/config/config';
import { startRefwire, startWorker, type Refwire, type Worker } from '../../src/main';
import { createProject } from '../../src/projects/projects';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeBody } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { dropPrefix, freePort, OwnRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { silentLogger } from '../helpers/refwire';

const SECRET = 'whsec_production_mode_secret';
const quiet = { logger: silentLogger, print: () => undefined };

async function waitFor(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting');
}

describe('production mode: API and worker processes on PostgreSQL and Redis', () => {
  let tdb: TestDatabase;
  let config: (redisUrl: string) => Config;
  let project: { id: string; apiKey: string };
  const prefix = uniquePrefix();

  beforeAll(async () => {
    tdb = await createTestDatabase();
    config = (redisUrl) =>
      loadConfig({
        DATABASE_URL: tdb.url,
        SECRETS_KEY: 'c'.repeat(64),
        ADMIN_TOKEN: 'production-admin-token-1234',
        REDIS_URL: redisUrl,
        QUEUE_PREFIX: prefix,
        PORT: '0',
        JOB_BACKOFF_MS: '50',
        JOB_ATTEMPTS: '3',
      });
    project = await createProject(tdb.db.prisma, { name: 'Prod', currency: 'USD' });
  });
  afterAll(async () => {
    await tdb.drop();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  const statuses = async () => (await tdb.db.sql.query<{ status: string }>('SELECT status FROM inbound_events')).map((r) => r.status);

  async function connect(api: Refwire) {
    const res = await fetch(`${api.url}/api/v1/integrations/stripe`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${project.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_secret: SECRET }),
    });
    expect(res.status).toBe(200);
  }
  const deliver = (api: Refwire, id: string) => {
    const body = stripeBody('invoice.paid.subscription_create.json', { id });
    return fetch(`${api.url}/webhook/stripe/${project.id}`, { method: 'POST', headers: stripeAdapter.sign(body, SECRET, { now: new Date() }), body });
  };

  it('the API queues each stored event and a separate worker processes it once; readyz, metrics and the dashboard work', async () => {
    const api = await startRefwire(config(TEST_REDIS_URL), { worker: false, ...quiet });
    const worker = await startWorker(config(TEST_REDIS_URL), { logger: silentLogger });
    try {
      await connect(api);
      const responses = await Promise.all(['evt_p1', 'evt_p2', 'evt_p1', 'evt_p3'].map((id) => deliver(api, id)));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      await waitFor(async () => (await statuses()).filter((s) => s === 'processed').length === 3);
      expect(await tdb.db.prisma.conversion.count({ where: { projectId: project.id } })).toBe(1); // one invoice, three event ids

      expect(await (await fetch(`${api.url}/readyz`)).json()).toEqual({ status: 'ready', database: 'ok', redis: 'ok' });
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(metrics).toMatch(/refwire_webhooks_received_total\{provider="stripe",outcome="accepted"\} 3/);
      expect(metrics).toMatch(/refwire_webhooks_received_total\{provider="stripe",outcome="duplicate"\} 1/);
      expect(metrics).toMatch(/refwire_queue_jobs\{state="waiting"\} \d+/);
      expect((await fetch(`${api.url}/admin/queues`)).status).toBe(401);
      const board = await fetch(`${api.url}/admin/queues`, {
        headers: { authorization: `Basic ${Buffer.from('admin:production-admin-token-1234').toString('base64')}` },
      });
      expect(board.status).toBe(200);
      expect(await board.text()).toContain('<html');
      const workerMetrics = await worker.processing.metrics.registry.metrics();
      expect(workerMetrics).toMatch(/refwire_event_processing_seconds_count\{status="processed"\} 3/);
    } finally {
      await worker.close();
      await api.close();
    }
  });

  it('with Redis down the receiver still answers 200, and the sweep queues everything once Redis is back, empty', async () => {
    const redis = await OwnRedis.create();
    const api = await startRefwire(config(redis.url), { worker: false, ...quiet });
    const metricsPort = await freePort();
    const worker = await startWorker({ ...config(redis.url), metricsPort }, { logger: silentLogger });
    const workerReadyz = () => fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    try {
      await waitFor(async () => (await workerReadyz()).status === 200); // its Redis connection comes up after start
      expect(await (await workerReadyz()).json()).toEqual({ status: 'ready', database: 'ok', redis: 'ok' });
      await redis.stop();
      const before = (await statuses()).length;
      const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => deliver(api, `evt_down_${i}`)));
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect((await statuses()).length).toBe(before + 20);
      expect((await fetch(`${api.url}/readyz`)).status).toBe(503);
      const workerDown = await workerReadyz();
      expect(workerDown.status).toBe(503);
      expect(await workerDown.json()).toEqual({ status: 'unavailable', database: 'ok', redis: 'unreachable' });

      await redis.start(); // a fresh, empty Redis
      await waitFor(async () => (await statuses()).every((s) => s === 'processed'), 30_000);
      await waitFor(async () => (await workerReadyz()).status === 200);
    } finally {
      await worker.close();
      await api.close();
      await redis.stop();
    }
  }, 60_000);

  it('retries a failing event in its own delayed jobs, with backoff, and marks it failed after the last attempt', async () => {
    const api = await startRefwire(config(TEST_REDIS_URL), { worker: false, ...quiet });
    const worker = await startWorker(config(TEST_REDIS_URL), { logger: silentLogger });
    try {
      // a payment the database refuses (a trigger of the test's): every attempt fails when the payment is written
      await tdb.db.sql.exec(`
        CREATE FUNCTION refuse_failing_payment() RETURNS trigger AS $$
        BEGIN IF NEW.payment_key = 'pi_always_fails' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER refuse_failing_payment BEFORE INSERT ON conversions FOR EACH ROW EXECUTE FUNCTION refuse_failing_payment();`);
      const body = JSON.parse(stripeBody('checkout.session.completed.payment.json', { id: 'evt_always_fails' }));
      body.data.object.id = 'cs_always_fails';
      body.data.object.payment_intent = 'pi_always_fails';
      const raw = JSON.stringify(body);
      const res = await fetch(`${api.url}/webhook/stripe/${project.id}`, { method: 'POST', headers: stripeAdapter.sign(raw, SECRET, { now: new Date() }), body: raw });
      expect(res.status).toBe(200);
      const row = async () =>
        (
          await tdb.db.sql.query<{ status: string; attempts: number; status_reason: string | null; retry_at: Date | null }>(
            `SELECT status, attempts, status_reason, retry_at FROM inbound_events WHERE provider_event_id = 'evt_always_fails'`,
          )
        )[0]!;
      await waitFor(async () => (await row()).status === 'failed');
      const failed = await row();
      expect(failed.attempts).toBe(3);
      expect(failed.status_reason).toMatch(/^attempt 3: /);
      expect(failed.retry_at).toBeNull();
      const good = await deliver(api, 'evt_after_failure');
      expect(good.status).toBe(200);
      await waitFor(async () => (await tdb.db.sql.query(`SELECT 1 FROM inbound_events WHERE provider_event_id = 'evt_after_failure' AND status = 'processed'`)).length === 1);
    } finally {
      await worker.close();
      await api.close();
    }
  });
});
