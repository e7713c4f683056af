import request from 'supertest';
import { foldAllEventActivity, pruneEventActivity } from '../../src/db/event-activity';
import { migrate, readMigrations } from '../../src/db/migrator';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * GET /api/v1/integrations counts each provider's events of the last 24 hours from hourly counts the inbox's triggers
 * keep, plus the window's first, partial hour: the figures must be exactly the rows received since 24 hours ago.
 */
describe("the integrations' events of the last 24 hours", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  let serial = 0;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', 'whsec_activity_secret_0001');
    await connectProvider(t.app, key, 'paddle', 'pdl_ntfset_01activity_secret_0001');
  });
  afterAll(async () => tdb.drop());

  /** `n` events stored at `at` (as the receiver stores them: one statement), with a status. */
  async function store(provider: string, at: string, n: number, status = 'processed'): Promise<void> {
    await tdb.db.sql.query(
      `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, received_at, raw_body, headers, status)
       SELECT $1::uuid, $2, 'evt_activity_' || $3::int || '_' || g, 'test.event', $4::timestamptz, '\\x7b7d'::bytea, '{}'::jsonb, $5
       FROM generate_series(1, $6::int) g`,
      [projectId, provider, ++serial, at, status, n],
    );
  }

  async function listed(): Promise<Record<string, [number, number]>> {
    const res = await request(t.app).get('/api/v1/integrations').set({ Authorization: `Bearer ${key}` }).expect(200);
    return Object.fromEntries(res.body.data.map((i: { provider: string; events_last_24h: number; failures_last_24h: number }) => [i.provider, [i.events_last_24h, i.failures_last_24h]]));
  }

  /** The same figures counted from the rows themselves. */
  async function counted(): Promise<Record<string, [number, number]>> {
    const since = new Date(t.clock.now.getTime() - 86_400_000);
    const rows = await tdb.db.sql.query<{ provider: string; events: number; failures: number }>(
      `SELECT provider, count(*)::int AS events, (count(*) FILTER (WHERE status = 'failed'))::int AS failures
       FROM inbound_events WHERE project_id = $1::uuid AND received_at >= $2 GROUP BY provider`,
      [projectId, since],
    );
    return { stripe: [0, 0], paddle: [0, 0], ...Object.fromEntries(rows.map((r) => [r.provider, [r.events, r.failures]])) };
  }

  it('counts the events since exactly 24 hours ago, per provider, through deletions, folding and a moving clock', async () => {
    t.clock.now = new Date('2026-11-30T12:34:56.789Z');
    // the window starts at 2026-11-29T12:34:56.789Z, inside an hour
    await store('stripe', '2026-11-29T12:00:00.000Z', 6); // out: earlier in the window's first hour
    await store('stripe', '2026-11-29T12:34:56.788Z', 2); // out: a millisecond before the window
    await store('stripe', '2026-11-29T12:34:56.789Z', 3); // in: the window's first instant
    await store('stripe', '2026-11-29T12:59:59.999Z', 1); // in: the first, partial hour's last instant
    await store('stripe', '2026-11-29T13:00:00.000Z', 4); // in: the first whole hour
    await store('stripe', '2026-11-30T10:00:00.000Z', 2, 'failed');
    await store('stripe', '2026-11-29T11:00:00.000Z', 1, 'failed'); // out
    await store('stripe', '2026-11-30T12:34:56.789Z', 5); // in: now
    await store('paddle', '2026-11-30T09:15:00.000Z', 6);
    await store('paddle', '2026-11-30T09:45:00.000Z', 1, 'failed');
    expect(await listed()).toEqual({ stripe: [15, 2], paddle: [7, 1] });
    expect(await listed()).toEqual(await counted());

    // a deleted event leaves its hour
    await tdb.db.sql.query(`DELETE FROM inbound_events WHERE id = (SELECT id FROM inbound_events WHERE project_id = $1::uuid AND received_at = '2026-11-29T13:00:00.000Z' LIMIT 1)`, [projectId]);
    expect(await listed()).toEqual({ stripe: [14, 2], paddle: [7, 1] });

    // folded into one row per provider and hour, the figures stay
    const deltasBefore = (await tdb.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_activity WHERE project_id = $1::uuid`, [projectId]))[0]!.n;
    expect(await foldAllEventActivity(tdb.db.sql, 0)).toBe(deltasBefore);
    const hours = (await tdb.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_activity WHERE project_id = $1::uuid`, [projectId]))[0]!.n;
    expect(hours).toBeLessThan(deltasBefore);
    expect(await listed()).toEqual({ stripe: [14, 2], paddle: [7, 1] });

    // an hour later, the 13:00 events are out of the window (its first hour is now 13:34:56.789–14:00)
    t.clock.now = new Date('2026-11-30T13:34:56.789Z');
    await store('stripe', '2026-11-29T13:34:56.789Z', 1);
    expect(await listed()).toEqual({ stripe: [8, 2], paddle: [7, 1] });
    expect(await listed()).toEqual(await counted());

    // hours older than two days are deleted by the sweep; the window's figures stay
    await store('stripe', '2026-11-28T13:00:00.000Z', 2); // out of the window, and of what is kept
    const kept = async () => (await tdb.db.sql.query<{ hour: Date }>(`SELECT DISTINCT hour FROM event_activity WHERE project_id = $1::uuid ORDER BY hour`, [projectId])).map((r) => r.hour.toISOString());
    expect((await kept())[0]).toBe('2026-11-28T13:00:00.000Z');
    expect(await pruneEventActivity(tdb.db.sql, t.clock.now)).toBeGreaterThan(0);
    expect((await kept()).every((h) => h >= '2026-11-28T13:34:56.789Z')).toBe(true);
    expect(await listed()).toEqual({ stripe: [8, 2], paddle: [7, 1] });
    expect(await pruneEventActivity(tdb.db.sql, t.clock.now)).toBe(0);
  });
});

describe('the migration that brings hourly event counts', () => {
  it('counts the events stored before it', async () => {
    const tdb = await createTestDatabase({ migrated: false });
    try {
      const all = readMigrations();
      const at = all.findIndex((m) => m.name.endsWith('_event_activity'));
      await migrate(tdb.db.sql, all.slice(0, at));
      const [project] = await tdb.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('Old', 'USD') RETURNING id::text`);
      await tdb.db.sql.query(
        `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, received_at, raw_body, headers, status)
         SELECT $1::uuid, 'paddle', 'evt_old_' || g, 'transaction.completed', '2026-11-30T10:00:00Z'::timestamptz + g * interval '20 minutes', '\\x7b7d'::bytea, '{}'::jsonb, 'processed'
         FROM generate_series(1, 7) g`,
        [project!.id],
      );
      await migrate(tdb.db.sql, all);
      const hours = await tdb.db.sql.query<{ hour: Date; n: string }>(`SELECT hour, n::text FROM event_activity WHERE project_id = $1::uuid AND provider = 'paddle' ORDER BY hour`, [project!.id]);
      // 10:20, 10:40 | 11:00, 11:20, 11:40 | 12:00, 12:20
      expect(hours.map((h) => [h.hour.toISOString(), h.n])).toEqual([
        ['2026-11-30T10:00:00.000Z', '2'],
        ['2026-11-30T11:00:00.000Z', '3'],
        ['2026-11-30T12:00:00.000Z', '2'],
      ]);
    } finally {
      await tdb.drop();
    }
  });
});
