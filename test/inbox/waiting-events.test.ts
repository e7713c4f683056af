import { PGlite } from '@electric-sql/pglite';
import { wrapPglite, type Database } from '../../src/db/database';
import { explaining, type PlannedStatement } from '../../src/db/explain';
import { migrate } from '../../src/db/migrator';
import { waitingEvents } from '../../src/inbox/inbound-events';
import { newProject } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * The rows the in-process runner and the requeue sweep take up, oldest first: received ones past their retry time
 * and claims whose lease ran out, read from the index in order and no further than asked, whatever the backlog and
 * whatever the statistics.
 */
const BACKLOG = 3000;
const now = new Date('2026-12-02T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

async function fill(db: Database): Promise<{ projectId: string; ids: Record<string, string> }> {
  const projectId = await newProject(db);
  // the backlog: received a minute ago and after, one millisecond apart
  await db.sql.query(
    `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, livemode, raw_body, headers, received_at)
     SELECT $1::uuid, 'stripe', 'evt_backlog_' || i, 'charge.succeeded', false, '\\x7b7d'::bytea, '{}'::jsonb, $2::timestamptz + i * interval '1 ms'
     FROM generate_series(1, $3::int) i`,
    [projectId, ago(60_000).toISOString(), BACKLOG],
  );
  const ids: Record<string, string> = {};
  const row = async (name: string, receivedAgoMs: number, set: string) => {
    const [r] = await db.sql.query<{ id: string }>(
      `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, livemode, raw_body, headers, received_at)
       VALUES ($1::uuid, 'stripe', $2, 'charge.succeeded', false, '\\x7b7d'::bytea, '{}'::jsonb, $3) RETURNING id`,
      [projectId, `evt_${name}`, ago(receivedAgoMs).toISOString()],
    );
    ids[name] = r!.id;
    if (set) await db.sql.query(`UPDATE inbound_events SET ${set} WHERE id = $1::uuid`, [r!.id]);
  };
  await row('oldest', 120_000, '');
  await row('abandoned', 90_000, `status = 'processing', locked_at = '${ago(60_000).toISOString()}'`);
  await row('held', 80_000, `status = 'processing', locked_at = '${ago(1_000).toISOString()}'`);
  await row('retry_due', 75_000, `retry_at = '${ago(1).toISOString()}', attempts = 1`);
  await row('retry_later', 70_000, `retry_at = '${new Date(now.getTime() + 60_000).toISOString()}', attempts = 1`);
  await row('done', 65_000, `status = 'processed', processed_at = '${ago(60_000).toISOString()}'`);
  await row('failed', 64_000, `status = 'failed'`);
  await row('just_stored', 500, '');
  return { projectId, ids };
}

function checks(get: () => { db: Database; ids: Record<string, string> }) {
  it('answers the waiting rows oldest first: received past their retry time and claims past their lease', async () => {
    const { db, ids } = get();
    const first = await waitingEvents(db.sql, { now, staleBefore: ago(30_000), limit: 5 });
    expect(first.slice(0, 3)).toEqual([ids.oldest, ids.abandoned, ids.retry_due]);
    expect(first).toHaveLength(5);
    const all = await waitingEvents(db.sql, { now, staleBefore: ago(30_000), limit: BACKLOG + 100 });
    expect(all).toHaveLength(BACKLOG + 4); // the backlog, oldest, abandoned, retry_due, just_stored
    expect(all).not.toContain(ids.held);
    expect(all).not.toContain(ids.retry_later);
    expect(all).not.toContain(ids.done);
    expect(all).not.toContain(ids.failed);
    expect(all.at(-1)).toBe(ids.just_stored);
  });

  it('leaves out rows stored after receivedBefore, and every received row when asked for abandoned claims only', async () => {
    const { db, ids } = get();
    const settled = await waitingEvents(db.sql, { now, staleBefore: ago(30_000), receivedBefore: ago(3_000), limit: BACKLOG + 100 });
    expect(settled).toHaveLength(BACKLOG + 3);
    expect(settled).not.toContain(ids.just_stored);
    expect(await waitingEvents(db.sql, { now, staleBefore: ago(30_000), limit: 10, staleOnly: true })).toEqual([ids.abandoned]);
  });
}

describe('waitingEvents on PostgreSQL', () => {
  let tdb: TestDatabase;
  let ids: Record<string, string>;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    ({ ids } = await fill(tdb.db));
  });
  afterAll(async () => tdb.drop());

  checks(() => ({ db: tdb.db, ids }));

  // A runner holds the rows it processes with a row lock, and they stay received until it commits: a sweep leaves
  // them out and hands out the next ones, so a second process does not take up the rows in hand.
  it('leaves out received rows a runner holds, and answers them once it let go', async () => {
    const held = await tdb.db.sql.transaction(async (tx) => {
      await tx.query('SELECT id FROM inbound_events WHERE id = $1::uuid FOR UPDATE', [ids.oldest]);
      return waitingEvents(tdb.db.sql, { now, staleBefore: ago(30_000), limit: 3 });
    });
    expect(held).toEqual([ids.abandoned, ids.retry_due, expect.any(String)]);
    expect(held).not.toContain(ids.oldest);
    expect((await waitingEvents(tdb.db.sql, { now, staleBefore: ago(30_000), limit: 3 }))[0]).toBe(ids.oldest);
  });

  it('reads no more of the index than it answers, with and without statistics', async () => {
    for (const analyzed of [false, true]) {
      if (analyzed) await tdb.db.sql.exec('ANALYZE inbound_events');
      const statements: PlannedStatement[] = [];
      const sql = explaining(tdb.db.sql, (s) => statements.push(s), { analyze: true });
      expect(await waitingEvents(sql, { now, staleBefore: ago(30_000), limit: 20 })).toHaveLength(20);
      const scans = statements.flatMap((s) => s.scans);
      expect(scans.map((s) => s.index)).toEqual(['inbound_events_status_received_at_idx', 'inbound_events_status_received_at_idx']);
      // the received branch: 20 rows and the one row past its retry time it skipped; the claims: the two in processing
      expect(scans.map((s) => s.examined)).toEqual([21, 2]);
    }
  });
});

describe('waitingEvents on the embedded database', () => {
  let db: Database;
  let ids: Record<string, string>;
  beforeAll(async () => {
    db = wrapPglite(await PGlite.create());
    await migrate(db.sql);
    ({ ids } = await fill(db));
  });
  afterAll(async () => db.close());

  checks(() => ({ db, ids }));
});
