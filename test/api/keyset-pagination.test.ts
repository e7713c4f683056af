import request from 'supertest';
import { explaining, scansOf, type PlanNode } from '../../src/db/explain';
import { keysetPageIds, offsetPageIds } from '../../src/db/list-pages';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * `cursor` on the two big lists: a page seeks to where the previous one ended instead of counting and skipping
 * rows. Rows are written straight to the tables so that many share one instant: the id breaks those ties.
 */
describe('keyset pagination of /api/v1/conversions and /api/v1/events', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  let jane: string;
  const N = 57;

  const get = (path: string, key = a.apiKey) => request(t.app).get(path).set('Authorization', `Bearer ${key}`);

  /** every page of a list by cursor, in order; each page's total is null (nothing counted) */
  async function allPages(path: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const sep = path.includes('?') ? '&' : '?';
      const res: request.Response = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      ids.push(...res.body.data.map((r: { id: string }) => r.id));
      if (cursor) expect(res.body.pagination).toMatchObject({ offset: 0, total: null });
      cursor = res.body.pagination.next_cursor;
      expect(res.body.pagination.has_more).toBe(cursor !== null);
      if (!cursor) return ids;
    }
    throw new Error('no last page');
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    t.clock.now = new Date('2026-11-01T09:00:00Z');
    a = await createProjectViaApi(t.app, 'A');
    b = await createProjectViaApi(t.app, 'B');
    const created = await request(t.app).post('/api/v1/affiliates').set('Authorization', `Bearer ${a.apiKey}`).send({ email: 'jane@partners.test', referral_code: 'JANE' });
    jane = created.body.data.id;
    // N rows per project, three to an instant (i / 3 minutes after the start); every other one Jane's and paid
    for (const project of [a.id, b.id]) {
      await tdb.db.sql.query(
        `INSERT INTO conversions (project_id, affiliate_id, kind, product_ids, currency, amount_minor, base_value_minor, value_minor, attribution, occurred_at, paid_at)
         SELECT $1::uuid, CASE WHEN $1::uuid = $3::uuid AND i % 2 = 0 THEN $2::uuid END, 'purchase', '{}', 'USD', 1000, 1000, 100, '{"method": "link", "trace": []}'::jsonb,
                timestamptz '2026-10-01T00:00:00Z' + (i / 3) * interval '1 minute', CASE WHEN i % 2 = 0 THEN timestamptz '2026-10-02T00:00:00Z' END
         FROM generate_series(1, $4::int) AS i`,
        [project, jane, a.id, N],
      );
      await tdb.db.sql.query(
        `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, received_at, raw_body, headers, status)
         SELECT $1::uuid, 'stripe', 'evt_' || i, CASE WHEN i % 2 = 0 THEN 'invoice.paid' ELSE 'charge.refunded' END,
                timestamptz '2026-10-01T00:00:00Z' + (i / 3) * interval '1 minute', '\\x7b7d'::bytea, '{}'::jsonb, 'processed'
         FROM generate_series(1, $2::int) AS i`,
        [project, N],
      );
    }
  });
  afterAll(async () => {
    await tdb.drop();
  });

  it.each([
    ['/api/v1/conversions', 'occurred_at'],
    ['/api/v1/events', 'received_at'],
  ])('%s: paging by cursor returns each row once, in the order of the offset pages', async (path, at) => {
    const byOffset = (await get(`${path}?limit=100`).expect(200)).body;
    expect(byOffset.pagination).toEqual({ limit: 100, offset: 0, total: N, has_more: false, next_cursor: null });
    const expected = byOffset.data.map((r: { id: string }) => r.id);
    // newest first, ties by id descending
    const keys = byOffset.data.map((r: Record<string, string>) => [r[at], r.id]);
    expect([...keys].sort((x, y) => (x[0] === y[0] ? (x[1]! < y[1]! ? 1 : -1) : x[0]! < y[0]! ? 1 : -1))).toEqual(keys);
    for (const limit of [1, 2, 3, 10, N]) {
      const ids = await allPages(path, limit);
      expect(ids).toEqual(expected);
    }
  });

  it.each(['/api/v1/conversions', '/api/v1/events'])('%s: cursor=start is the first page by keyset, uncounted, and its cursors go on from there', async (path) => {
    const byOffset = (await get(`${path}?limit=100`).expect(200)).body.data.map((r: { id: string }) => r.id);
    const first = (await get(`${path}?limit=3&cursor=start`).expect(200)).body;
    expect(first.pagination).toEqual({ limit: 3, offset: 0, total: null, has_more: true, next_cursor: expect.any(String) });
    expect(first.data.map((r: { id: string }) => r.id)).toEqual(byOffset.slice(0, 3));
    const second = (await get(`${path}?limit=3&cursor=${first.pagination.next_cursor}`).expect(200)).body;
    expect(second.data.map((r: { id: string }) => r.id)).toEqual(byOffset.slice(3, 6));
    expect((await get(`${path}?limit=${N}&cursor=start`).expect(200)).body.pagination).toMatchObject({ total: null, has_more: false, next_cursor: null });
    expect((await get(`${path}?cursor=start&offset=0`).expect(400)).body.error).toBe('cursor: cannot be combined with offset; send one of them');
  });

  it.each(['/api/v1/conversions', '/api/v1/events'])('%s: offset pages of the whole list are its slices, read by id after a walk of the index', async (path) => {
    const all = (await get(`${path}?limit=100`).expect(200)).body.data.map((r: { id: string }) => r.id);
    expect(all).toHaveLength(N);
    for (const [offset, limit] of [[1, 5], [3, 3], [10, 20], [50, 20], [56, 5], [57, 5], [90, 5]] as const) {
      const res = (await get(`${path}?limit=${limit}&offset=${offset}`).expect(200)).body;
      expect(res.data.map((r: { id: string }) => r.id)).toEqual(all.slice(offset, offset + limit));
      expect(res.pagination).toMatchObject({ limit, offset, total: N, has_more: offset + limit < N });
    }
  });

  it('offset and keyset pages read the index in order without statistics, and an offset walk the index alone once vacuumed', async () => {
    const lists = [['conversions', 'conversions_project_id_occurred_at_id_idx'], ['inbound_events', 'inbound_events_project_id_received_at_id_idx']] as const;
    // a project of 20,000 rows in tables never analyzed: the planner guesses a handful of rows for it and, left to
    // itself, sorts them all instead of reading the index in order
    const big = await createProjectViaApi(t.app, 'Big');
    for (const table of ['conversions', 'inbound_events']) await tdb.db.sql.exec(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    await tdb.db.sql.query(
      `INSERT INTO conversions (project_id, kind, product_ids, currency, amount_minor, base_value_minor, value_minor, attribution, occurred_at)
       SELECT $1::uuid, 'purchase', '{}', 'USD', 1000, 1000, 100, '{"method": "link", "trace": []}'::jsonb, timestamptz '2026-10-01T00:00:00Z' + i * interval '1 second'
       FROM generate_series(1, 20000) AS i`,
      [big.id],
    );
    await tdb.db.sql.query(
      `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, received_at, raw_body, headers, status)
       SELECT $1::uuid, 'stripe', 'evt_big_' || i, 'invoice.paid', timestamptz '2026-10-01T00:00:00Z' + i * interval '1 second', '\\x7b7d'::bytea, '{}'::jsonb, 'processed'
       FROM generate_series(1, 20000) AS i`,
      [big.id],
    );
    for (const [list, index] of lists) {
      const stats = await tdb.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stats WHERE tablename = $1`, [list]);
      expect([list, stats[0]!.n]).toEqual([list, 0]);
      const planned: PlanNode[] = [];
      expect(await offsetPageIds(explaining(tdb.db.sql, (st) => planned.push(st.plan), { analyze: true }), list, big.id, 10_000, 20)).toHaveLength(20);
      expect(planned).toHaveLength(1);
      expect(nodeTypes(planned[0]!)).not.toContain('Sort');
      expect(scansOf(planned[0]!).map((sc) => sc.index)).toEqual([index]);
      // a keyset page in the middle: one range of the index, reading only the rows it returns
      const seek: PlanNode[] = [];
      const middle = { at: new Date(Date.parse('2026-10-01T00:00:00Z') + 10_000_000), id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };
      expect(await keysetPageIds(explaining(tdb.db.sql, (st) => seek.push(st.plan), { analyze: true }), list, big.id, middle, 21)).toHaveLength(21);
      expect(nodeTypes(seek[0]!)).not.toContain('Sort');
      expect(scansOf(seek[0]!).map((sc) => [sc.index, sc.examined])).toEqual([[index, 21]]);
    }
    await tdb.db.sql.exec('VACUUM (ANALYZE) conversions, inbound_events');
    for (const [list, index] of lists) {
      const plans: { node: string; index: string | null; heapFetches: unknown }[] = [];
      const sql = explaining(tdb.db.sql, (st) => plans.push(...st.scans.map((sc) => ({ node: sc.node, index: sc.index, heapFetches: findHeapFetches(st.plan) }))), { analyze: true });
      expect(await offsetPageIds(sql, list, a.id, 40, 5)).toHaveLength(5);
      expect(plans).toEqual([{ node: 'Index Only Scan', index, heapFetches: 0 }]);
    }
  });

  it('an offset page hands a next_cursor that continues where it ended', async () => {
    const first = (await get('/api/v1/conversions?limit=5&offset=4').expect(200)).body;
    expect(first.pagination).toMatchObject({ limit: 5, offset: 4, total: N, has_more: true });
    const next = (await get(`/api/v1/conversions?limit=5&cursor=${first.pagination.next_cursor}`).expect(200)).body;
    const byOffset = (await get('/api/v1/conversions?limit=5&offset=9').expect(200)).body;
    expect(next.data.map((r: { id: string }) => r.id)).toEqual(byOffset.data.map((r: { id: string }) => r.id));
  });

  it.each([
    ['/api/v1/conversions?affiliate_id=JANE', (r: Record<string, unknown>) => r.affiliate_id === 'JANE'],
    ['/api/v1/conversions?paid=false', (r: Record<string, unknown>) => r.paid === false],
    ['/api/v1/conversions?from=2026-10-01T00:05:00Z&to=2026-10-01T00:12:00Z', () => true],
    ['/api/v1/events?type=invoice.paid', (r: Record<string, unknown>) => r.type === 'invoice.paid'],
    ['/api/v1/events?from=2026-10-01T00:05:00Z&to=2026-10-01T00:12:00Z', () => true],
  ])('filters keep working with cursors: %s', async (raw, holds) => {
    const path = raw.replace('JANE', jane);
    const byOffset = (await get(`${path}&limit=100`).expect(200)).body;
    expect(byOffset.data.length).toBeGreaterThan(3);
    expect(byOffset.data.length).toBeLessThan(N);
    expect(byOffset.data.every((r: Record<string, unknown>) => holds(JSON.parse(JSON.stringify(r).replace(jane, 'JANE'))))).toBe(true);
    expect(await allPages(path, 4)).toEqual(byOffset.data.map((r: { id: string }) => r.id));
  });

  it("a cursor is the project's own: another project's cursor only seeks within this one's rows", async () => {
    const fromB = (await get('/api/v1/events?limit=3', b.apiKey).expect(200)).body.pagination.next_cursor;
    const res = (await get(`/api/v1/events?limit=100&cursor=${fromB}`).expect(200)).body;
    const mine = new Set((await get('/api/v1/events?limit=100').expect(200)).body.data.map((r: { id: string }) => r.id));
    expect(res.data.every((r: { id: string }) => mine.has(r.id))).toBe(true);
  });

  it("a cursor is its list's own: one list's next_cursor is refused by the other, as not a cursor it returned", async () => {
    const refused = { success: false, error: 'cursor: not a cursor this endpoint returned (use pagination.next_cursor as given)' };
    const fromConversions = (await get('/api/v1/conversions?limit=2').expect(200)).body.pagination.next_cursor;
    const fromEvents = (await get('/api/v1/events?limit=2').expect(200)).body.pagination.next_cursor;
    expect((await get(`/api/v1/events?limit=2&cursor=${fromConversions}`).expect(400)).body).toEqual(refused);
    expect((await get(`/api/v1/conversions?limit=2&cursor=${fromEvents}`).expect(400)).body).toEqual(refused);
    expect((await get(`/api/v1/events?limit=2&type=invoice.paid&cursor=${fromConversions}`).expect(400)).body).toEqual(refused);

    // a cursor handed out before cursors named their list ([at, id]) still pages the list its row is in, and only it
    const untagged = (row: { id: string }, at: string) => Buffer.from(JSON.stringify([at, row.id])).toString('base64url');
    const conversions = (await get('/api/v1/conversions?limit=3').expect(200)).body.data;
    const old = untagged(conversions[1], conversions[1].occurred_at);
    const next = (await get(`/api/v1/conversions?limit=1&cursor=${old}`).expect(200)).body;
    expect(next.data.map((r: { id: string }) => r.id)).toEqual([conversions[2].id]);
    expect((await get(`/api/v1/events?limit=1&cursor=${old}`).expect(400)).body).toEqual(refused);
    const events = (await get('/api/v1/events?limit=3').expect(200)).body.data;
    const oldEvent = untagged(events[1], events[1].received_at);
    expect((await get(`/api/v1/events?limit=1&cursor=${oldEvent}`).expect(200)).body.data.map((r: { id: string }) => r.id)).toEqual([events[2].id]);
    expect((await get(`/api/v1/conversions?limit=1&cursor=${oldEvent}`).expect(400)).body).toEqual(refused);
  });

  it.each(['/api/v1/conversions', '/api/v1/events'])('%s: a bad cursor, or a cursor with an offset, is a 400 naming cursor', async (path) => {
    const cursor = (await get(`${path}?limit=2`).expect(200)).body.pagination.next_cursor;
    const forged = [
      'not-a-cursor',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from(JSON.stringify(['yesterday', '00000000-0000-4000-8000-000000000000'])).toString('base64url'),
      Buffer.from(JSON.stringify(['2026-10-01T00:00:00.000Z', 'not-a-uuid'])).toString('base64url'),
      'x'.repeat(201),
      // dates JavaScript reads and PostgreSQL cannot hold: they failed the query with a 500
      ...['0000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'].flatMap((when) => [
        Buffer.from(JSON.stringify([path.endsWith('events') ? 'events' : 'conversions', when, '00000000-0000-0000-0000-000000000000'])).toString('base64url'),
        Buffer.from(JSON.stringify([when, '00000000-0000-0000-0000-000000000000'])).toString('base64url'),
      ]),
    ];
    for (const bad of forged) {
      const res = await get(`${path}?cursor=${bad}`).expect(400);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(/^cursor: /) });
    }
    for (const offset of ['0', '4']) {
      const res = await get(`${path}?cursor=${cursor}&offset=${offset}`).expect(400);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(/^cursor: cannot be combined with offset/) });
    }
  });
});

/** The heap fetches of the first index-only scan in a plan. */
function findHeapFetches(plan: { 'Node Type': string; Plans?: unknown[]; [key: string]: unknown }): unknown {
  if (plan['Node Type'] === 'Index Only Scan') return plan['Heap Fetches'];
  for (const child of (plan.Plans ?? []) as (typeof plan)[]) {
    const found = findHeapFetches(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

function nodeTypes(plan: PlanNode): string[] {
  return [plan['Node Type'], ...(plan.Plans ?? []).flatMap(nodeTypes)];
}
