import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getAdapter } from '../../src/providers/registry';
import { createProject } from '../../src/projects/projects';
import { loadFixture } from '../helpers/fixtures';
import { OwnPostgres } from '../helpers/own-postgres';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildOnce, kill, pool, seeded, shuffle, spawnRefwire, type RefwireProcess } from '../helpers/processes';
import { dropPrefix, OwnRedis, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis';

/**
 * The reliability battery, with real `refwire` processes. Small sizes run in `npm test`; `npm run test:chaos`
 * sets CHAOS=full for the full sizes.
 */
const FULL = process.env.CHAOS === 'full';
const STORM_SIZE = FULL ? 3000 : 120;
const SECRETS = { stripe: 'whsec_battery_secret_0001', paddle: 'pdl_ntfset_01battery_secret_0001' };
const SECRETS_KEY = 'e'.repeat(64);
const ADMIN_TOKEN = 'battery-admin-token-0001';

jest.setTimeout(FULL ? 900_000 : 180_000);

type Delivery = { provider: 'stripe' | 'paddle'; projectIndex: number; body: string; eventId: string; amount: number };

function stormEvent(i: number, random: () => number): Delivery {
  const amount = 1000 + Math.floor(random() * 50_000);
  const projectIndex = i % 2;
  if (i % 3 === 0) {
    const payload = structuredClone(loadFixture('paddle', 'transaction.completed.oneoff.json').payload) as Record<string, any>;
    payload.event_id = `evt_storm_${i}`;
    payload.data.id = `txn_storm_${i}`;
    payload.data.customer_id = `ctm_storm_${i}`;
    payload.data.details.totals = { ...payload.data.details.totals, subtotal: String(amount), tax: '0', total: String(amount), grand_total: String(amount) };
    return { provider: 'paddle', projectIndex, body: JSON.stringify(payload), eventId: payload.event_id, amount };
  }
  const payload = structuredClone(loadFixture('stripe', 'checkout.session.completed.payment.json').payload) as Record<string, any>;
  payload.id = `evt_storm_${i}`;
  Object.assign(payload.data.object, {
    id: `cs_storm_${i}`,
    payment_intent: `pi_storm_${i}`,
    customer: `cus_storm_${i}`,
    amount_total: amount,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
  });
  return { provider: 'stripe', projectIndex, body: JSON.stringify(payload), eventId: payload.id, amount };
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('timed out waiting');
}

async function json(url: string, init: RequestInit & { token?: string } = {}) {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) } });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(() => buildOnce(), 120_000);

describe('duplicate storm on two API processes while workers are killed', () => {
  let tdb: TestDatabase;
  const processes: RefwireProcess[] = [];
  const prefix = uniquePrefix();
  afterAll(async () => {
    for (const p of processes) await kill(p);
    await tdb?.drop();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it('stores exactly the unique events and ends with the ledger computed independently', async () => {
    tdb = await createTestDatabase();
    const env = {
      DATABASE_URL: tdb.url,
      SECRETS_KEY,
      ADMIN_TOKEN,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: '0',
      WORKER_LOCK_MS: '2000',
      WORKER_STALLED_MS: '1000',
      JOB_BACKOFF_MS: '100',
      WORKER_CONCURRENCY: '8',
    };
    const projects = await Promise.all([0, 1].map((i) => createProject(tdb.db.prisma, { name: `Storm ${i}`, currency: 'USD' })));
    const apiA = await spawnRefwire(['start', '--no-worker'], env);
    const apiB = await spawnRefwire(['start', '--no-worker'], env);
    processes.push(apiA, apiB);
    for (const p of projects) {
      for (const provider of ['stripe', 'paddle'] as const) {
        expect((await json(`${apiA.url}/api/v1/integrations/${provider}`, { method: 'PUT', token: p.apiKey, body: JSON.stringify({ webhook_secret: SECRETS[provider] }) })).status).toBe(200);
      }
      expect((await json(`${apiA.url}/api/v1/affiliates`, { method: 'POST', token: p.apiKey, body: JSON.stringify({ email: 'acme@p.test', referral_code: 'ACME-PARTNER-42' }) })).status).toBe(201);
    }

    const random = seeded(20261121);
    const unique = Array.from({ length: STORM_SIZE }, (_, i) => stormEvent(i, random));
    const duplicates = Array.from({ length: Math.round(STORM_SIZE * 0.3) }, () => unique[Math.floor(random() * unique.length)]!);
    const deliveries = shuffle([...unique, ...duplicates], random);

    // two workers at once; at each kill point one of them is SIGKILLed (whatever it held is mid-flight) and replaced
    const workers = [await spawnRefwire(['worker'], env), await spawnRefwire(['worker'], env)];
    processes.push(...workers);
    const killAt = new Map([
      [Math.floor(deliveries.length * 0.3), 0],
      [Math.floor(deliveries.length * 0.6), 1],
    ]);
    const statuses = await pool(deliveries, 16, async (d, i) => {
      const victim = killAt.get(i);
      if (victim !== undefined) {
        await kill(workers[victim]!);
        workers[victim] = await spawnRefwire(['worker'], env);
        processes.push(workers[victim]!);
      }
      const api = i % 2 === 0 ? apiA : apiB;
      const headers = getAdapter(d.provider).sign(d.body, SECRETS[d.provider], { now: new Date() });
      const res = await fetch(`${api.url}/webhook/${d.provider}/${projects[d.projectIndex]!.id}`, { method: 'POST', headers, body: d.body });
      return res.status;
    });
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    const count = async (where: string) => Number((await tdb.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM inbound_events ${where}`))[0]!.n);
    expect(await count('')).toBe(STORM_SIZE);
    await kill(workers[0]!); // one more kill mid-run; the other worker and a new one finish
    workers[0] = await spawnRefwire(['worker'], env);
    processes.push(workers[0]);
    await waitFor(async () => (await count(`WHERE status = 'processed'`)) === STORM_SIZE, FULL ? 600_000 : 90_000);

    // graceful shutdown: SIGTERM lets a worker finish what it holds and exit cleanly
    expect(await kill(workers[1]!, 'SIGTERM')).toBe(0);

    for (const [index, project] of projects.entries()) {
      const mine = unique.filter((d) => d.projectIndex === index);
      const expected = mine.reduce((sum, d) => sum + Math.round(d.amount * 0.2), 0);
      const acme = (await json(`${apiB.url}/api/v1/affiliates/acme%40p.test`, { token: project.apiKey })).body.data;
      expect({ purchases: acme.purchases, total: acme.total_earnings_minor }).toEqual({ purchases: mine.length, total: expected });
      expect((await json(`${apiB.url}/api/v1/ledger/verify`, { token: project.apiKey })).body.data.ok).toBe(true);
    }
  });
});

describe('the embedded database, its process killed while deliveries are answered and processed', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-battery-embedded-'));
  const processes: RefwireProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await kill(p);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // PGlite's file system has no fsync (README, DATA_DIR): a commit has reached the operating system when it returns,
  // so a killed process loses nothing it answered 200 for, and a restart recovers the rest from the WAL.
  it('keeps every delivery it answered 200 for, and ends with the exact ledger once the rest are redelivered', async () => {
    const env = { DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir, ADMIN_TOKEN, SECRETS_KEY: '', PORT: '0' };
    let refwire = await spawnRefwire(['start'], env);
    processes.push(refwire);
    const project = (await json(`${refwire.url}/api/admin/projects`, { method: 'POST', token: ADMIN_TOKEN, body: JSON.stringify({ name: 'Embedded', currency: 'USD' }) })).body.data;
    expect((await json(`${refwire.url}/api/v1/integrations/stripe`, { method: 'PUT', token: project.api_key, body: JSON.stringify({ webhook_secret: SECRETS.stripe }) })).status).toBe(200);
    expect((await json(`${refwire.url}/api/v1/affiliates`, { method: 'POST', token: project.api_key, body: JSON.stringify({ email: 'acme@p.test', referral_code: 'ACME-PARTNER-42' }) })).status).toBe(201);

    const random = seeded(20261203);
    const size = FULL ? 2000 : 200;
    // stripe only: every third storm event is Paddle's
    const deliveries = Array.from({ length: size }, (_, i) => stormEvent(3 * i + 1, random));
    const deliver = async (d: Delivery, base: string): Promise<{ status: number; id?: string }> => {
      const headers = getAdapter('stripe').sign(d.body, SECRETS.stripe, { now: new Date() });
      try {
        const res = await fetch(`${base}/webhook/stripe/${project.id}`, { method: 'POST', headers, body: d.body });
        return { status: res.status, id: ((await res.json()) as { id?: string }).id };
      } catch {
        return { status: 0 }; // the connection died with the process
      }
    };
    // killed (SIGKILL) halfway, with deliveries in flight and the in-process runner processing the first ones
    const killed = refwire;
    const answers = await pool(deliveries, 16, async (d, i) => {
      if (i === size / 2) await kill(killed);
      return deliver(d, killed.url!);
    });
    const accepted = answers.flatMap((a, i) => (a.status === 200 ? [{ delivery: deliveries[i]!, id: a.id! }] : []));
    expect(accepted.length).toBeGreaterThanOrEqual(size / 2 - 16);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 0)).toEqual([]);

    refwire = await spawnRefwire(['start'], env);
    processes.push(refwire);
    for (const a of accepted) {
      const stored = await json(`${refwire.url}/api/v1/events/${a.id}`, { token: project.api_key });
      expect({ status: stored.status, event: stored.body.data?.provider_event_id }).toEqual({ status: 200, event: a.delivery.eventId });
    }

    // the provider retries what got no 200 (and, as providers do, some of what did)
    const again = await pool([...deliveries.filter((_, i) => answers[i]!.status !== 200), ...accepted.slice(0, 20).map((a) => a.delivery)], 16, (d) => deliver(d, refwire.url!));
    expect(again.filter((a) => a.status !== 200)).toEqual([]);
    const count = async (status: string) => (await json(`${refwire.url}/api/v1/events?limit=1&status=${status}`, { token: project.api_key })).body.pagination.total as number;
    await waitFor(async () => (await count('processed')) === size, FULL ? 300_000 : 90_000);
    expect(await count('received')).toBe(0);

    const acme = (await json(`${refwire.url}/api/v1/affiliates/acme%40p.test`, { token: project.api_key })).body.data;
    const expected = deliveries.reduce((sum, d) => sum + Math.round(d.amount * 0.2), 0);
    expect({ purchases: acme.purchases, total: acme.total_earnings_minor }).toEqual({ purchases: size, total: expected });
    expect((await json(`${refwire.url}/api/v1/ledger/verify`, { token: project.api_key })).body.data.ok).toBe(true);
  });
});

describe('PostgreSQL stopped', () => {
  let pg: OwnPostgres;
  let api: RefwireProcess | null = null;
  afterAll(async () => {
    if (api) await kill(api);
    pg?.destroy();
  });

  it('answers 503 within a second, never 2xx for an unstored event, and recovers when it returns', async () => {
    pg = await OwnPostgres.create();
    api = await spawnRefwire(['start'], { DATABASE_URL: pg.url, SECRETS_KEY, ADMIN_TOKEN, REDIS_URL: '', PORT: '0' });
    const project = (await json(`${api.url}/api/admin/projects`, { method: 'POST', token: ADMIN_TOKEN, body: JSON.stringify({ name: 'PG' }) })).body.data;
    await json(`${api.url}/api/v1/integrations/stripe`, { method: 'PUT', token: project.api_key, body: JSON.stringify({ webhook_secret: SECRETS.stripe }) });
    const send = (i: number) => {
      const d = stormEvent(3 * i + 1, seeded(i));
      return fetch(`${api!.url}/webhook/stripe/${project.id}`, { method: 'POST', headers: getAdapter('stripe').sign(d.body, SECRETS.stripe, { now: new Date() }), body: d.body });
    };
    expect((await send(0)).status).toBe(200);

    // stop it while events are being processed, so transactions are cut mid-way
    await Promise.all([10, 11, 12, 13, 14, 15].map((i) => send(i)));
    pg.stop();
    for (let i = 1; i <= 5; i++) {
      const started = Date.now();
      const res = await send(i).catch((err: Error) => {
        throw new Error(`${err.message}; the API process said:\n${api!.output()}`);
      });
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1000);
    }
    expect((await fetch(`${api.url}/readyz`)).status).toBe(503);

    await pg.start();
    await waitFor(async () => (await fetch(`${api!.url}/readyz`)).status === 200, 15_000);
    for (let i = 1; i <= 5; i++) expect((await send(i)).status).toBe(200);
    let last: any = null;
    await waitFor(async () => {
      last = (await json(`${api!.url}/api/v1/events?limit=100`, { token: project.api_key })).body;
      return last.pagination.total === 12 && last.data.every((e: any) => e.status === 'processed');
      // an event cut off mid-processing by the outage is taken up again once its 30 s claim lapses
    }, 75_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last?.data?.map((x: any) => [x.status, x.status_reason]))}`);
    });
  });
});

describe('Redis stopped under steady load, and restarted empty', () => {
  let redis: OwnRedis;
  let tdb: TestDatabase;
  const processes: RefwireProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await kill(p);
    await redis?.stop();
    await tdb?.drop();
  });

  it.each(FULL ? [10_000, 60_000] : [3_000])('an outage of %i ms: at least 99.9%% answered 2xx, every stored event processed afterwards', async (outageMs) => {
    redis ??= await OwnRedis.create();
    tdb ??= await createTestDatabase();
    const env = { DATABASE_URL: tdb.url, SECRETS_KEY, ADMIN_TOKEN, REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix(), PORT: '0', JOB_BACKOFF_MS: '100' };
    const project = await createProject(tdb.db.prisma, { name: `Redis ${outageMs}`, currency: 'USD' });
    const api = await spawnRefwire(['start', '--no-worker'], env);
    const worker = await spawnRefwire(['worker'], env);
    processes.push(api, worker);
    await json(`${api.url}/api/v1/integrations/stripe`, { method: 'PUT', token: project.apiKey, body: JSON.stringify({ webhook_secret: SECRETS.stripe }) });

    const statuses: number[] = [];
    let i = 0;
    const load = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const batch = Array.from({ length: 5 }, () => stormEvent(3 * i++ + 1, seeded(outageMs + i)));
        const results = await Promise.all(
          batch.map((d) =>
            fetch(`${api.url}/webhook/stripe/${project.id}`, { method: 'POST', headers: getAdapter('stripe').sign(d.body, SECRETS.stripe, { now: new Date() }), body: d.body })
              .then((r) => r.status)
              .catch(() => 0),
          ),
        );
        statuses.push(...results);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await load(1000);
    await redis.stop();
    await load(outageMs);
    await redis.start(); // empty
    await load(1000);

    const ok = statuses.filter((s) => s === 200).length;
    expect(ok / statuses.length).toBeGreaterThanOrEqual(0.999);
    await waitFor(async () => {
      const rows = await tdb.db.sql.query<{ status: string }>('SELECT status FROM inbound_events WHERE project_id = $1', [project.id]);
      return rows.length === ok && rows.every((r) => r.status === 'processed');
    }, FULL ? 300_000 : 60_000);
  });
});
