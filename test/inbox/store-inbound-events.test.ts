import { storeInboundEvents, type InboxInput } from '../../src/inbox/inbound-events';
import type { SqlSession } from '../../src/db/sql';
import { newProject } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * The receiver's one durable write, on PostgreSQL: each batch size is one named insert per connection, planned
 * once and then run from its kept plan, and a batch answers new and already stored deliveries alike, whatever it
 * was batched with; the stored rows of repeats are read by a statement planned for the table as it is.
 */
let t: TestDatabase;
let projectId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  projectId = await newProject(t.db);
});
afterAll(async () => t.drop());

const input = (eventId: string): InboxInput => {
  const payload = { id: eventId, object: 'event' };
  return {
  projectId,
  provider: 'stripe',
  event: { eventId, type: 'charge.succeeded', livemode: false, occurredAt: new Date('2026-12-01T10:00:00Z'), payload },
  rawBody: Buffer.from(JSON.stringify(payload)),
  headers: { 'stripe-signature': `t=1,v1=${eventId}` },
  receivedAt: new Date('2026-12-01T10:00:01Z'),
  };
};

type Prepared = { name: string; generic_plans: string; custom_plans: string };
const preparedOf = (s: SqlSession) =>
  s.query<Prepared>(`SELECT name, generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE name LIKE 'inbox_insert_%' ORDER BY name`);

test('every batch size is prepared once per connection and, after five runs, served by one kept generic plan', async () => {
  const { before, after, stored } = await t.db.sql.session(async (s) => {
    const before = await preparedOf(s);
    const stored: { id: string; duplicate: boolean }[][] = [];
    for (let round = 0; round < 8; round++) stored.push(await storeInboundEvents(s, [input(`evt_p_${round}_a`), input(`evt_p_${round}_b`), input(`evt_p_${round}_c`)]));
    stored.push(await storeInboundEvents(s, [input('evt_p_single')]));
    return { before, after: await preparedOf(s), stored };
  });
  expect(before).toEqual([]);
  expect(after.map((p) => p.name)).toEqual(['inbox_insert_1', 'inbox_insert_3']);
  const three = after.find((p) => p.name === 'inbox_insert_3')!;
  // PostgreSQL plans the first five runs for their values, then keeps the generic plan for the other three
  expect(Number(three.custom_plans)).toBe(5);
  expect(Number(three.generic_plans)).toBe(3);
  expect(stored.flat().every((r) => !r.duplicate)).toBe(true);
  const [count] = await t.db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM inbound_events WHERE provider_event_id LIKE 'evt_p_%'`);
  expect(count?.n).toBe('25');
});

test('a prepared batch still tells new deliveries from stored ones, within the batch and across batches', async () => {
  await t.db.sql.session(async (s) => {
    const first = await storeInboundEvents(s, [input('evt_d_1'), input('evt_d_2'), input('evt_d_1')]);
    expect(first.map((r) => r.duplicate)).toEqual([false, false, true]);
    expect(first[2]!.id).toBe(first[0]!.id);
    // the same size again, so the same named statement, now with every row stored and one new
    for (let round = 0; round < 6; round++) {
      const again = await storeInboundEvents(s, [input('evt_d_2'), input(`evt_d_new_${round}`), input('evt_d_1')]);
      expect(again.map((r) => r.duplicate)).toEqual([true, false, true]);
      expect([again[0]!.id, again[2]!.id]).toEqual([first[1]!.id, first[0]!.id]);
    }
  });
  const rows = await t.db.sql.query<{ provider_event_id: string; raw_body: Buffer }>(
    `SELECT provider_event_id, raw_body FROM inbound_events WHERE provider_event_id LIKE 'evt_d_%' ORDER BY provider_event_id`,
  );
  expect(rows.map((r) => r.provider_event_id)).toEqual(['evt_d_1', 'evt_d_2', ...[0, 1, 2, 3, 4, 5].map((i) => `evt_d_new_${i}`)]);
  expect(JSON.parse(Buffer.from(rows[0]!.raw_body).toString())).toEqual({ id: 'evt_d_1', object: 'event' });
});

test('a set larger than the writer batches is planned on its own, not kept on the connection', async () => {
  const many = Array.from({ length: 101 }, (_, i) => input(`evt_many_${i}`));
  const prepared = await t.db.sql.session(async (s) => {
    const stored = await storeInboundEvents(s, many);
    expect(stored.filter((r) => !r.duplicate)).toHaveLength(101);
    return preparedOf(s);
  });
  expect(prepared.map((p) => p.name)).not.toContain('inbox_insert_101');
});

test('repeats are found through the unique index however small the table was when the connection first stored', async () => {
  const [{ id: other }] = (await t.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('Grown', 'USD') RETURNING id`)) as [{ id: string }];
  const of = (eventId: string): InboxInput => ({ ...input(eventId), projectId: other });
  const { before, after, stored } = await t.db.sql.session(async (s) => {
    // the counters as of this connection's last statement: it flushes its own when it goes idle
    const seqScans = async () => {
      await s.query('SELECT pg_stat_force_next_flush()');
      const [row] = await s.query<{ n: string }>(`SELECT seq_scan::text AS n FROM pg_stat_user_tables WHERE relname = 'inbound_events'`);
      return Number(row!.n);
    };
    // while the table is small: a batch of four with a repeat, run until PostgreSQL keeps a plan for it
    for (let round = 0; round < 8; round++) {
      const batch = await storeInboundEvents(s, [of(`evt_g_${round}_a`), of(`evt_g_${round}_b`), of(`evt_g_${round}_c`), of('evt_g_0_a')]);
      expect(batch.map((r) => r.duplicate)).toEqual([false, false, false, true]);
    }
    await s.exec(
      `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, raw_body, headers)
       SELECT '${other}', 'stripe', 'evt_bulk_' || g, 'charge.succeeded', '\\x7b7d', '{}' FROM generate_series(1, 30000) g`,
    );
    const before = await seqScans();
    const stored = await storeInboundEvents(s, [of('evt_g_late_a'), of('evt_bulk_17'), of('evt_g_late_b'), of('evt_g_3_b')]);
    return { before, after: await seqScans(), stored };
  });
  expect(stored.map((r) => r.duplicate)).toEqual([false, true, false, true]);
  expect(after).toBe(before);
});
