import request from 'supertest';
import { affiliateStats, earningsStatement } from '../../src/ledger/earnings';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi } from '../helpers/refwire';

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Heap Fetches'?: number; Plans?: PlanNode[] };
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/**
 * An affiliate's earnings are summed from the affiliate index alone (issue 20: reads flat with the data): the
 * affiliates list and detail and the portal's dashboard read index entries, not a table page per conversion of
 * the affiliate's whole history.
 */
describe('affiliate earnings', () => {
  let tdb: TestDatabase;
  let projectId: string;
  let jane: string;
  let joe: string;
  const now = new Date('2026-11-15T00:00:00Z');

  beforeAll(async () => {
    tdb = await createTestDatabase();
    const t = buildTestApp(tdb.db, { runner: false });
    const project = await createProjectViaApi(t.app, 'Earnings');
    projectId = project.id;
    const create = async (email: string) =>
      (await request(t.app).post('/api/v1/affiliates').set('Authorization', `Bearer ${project.apiKey}`).send({ email }).expect(201)).body.data.id as string;
    jane = await create('jane@partners.test');
    joe = await create('joe@partners.test');
    // 3,000 rows each, by i % 6: 0 paid; 1 and 3 eligible; 2 held until after `now`; 4 pending review; 5 a refund
    // (negative, eligible); i even in USD, odd in EUR
    for (const affiliate of [jane, joe]) {
      await tdb.db.sql.query(
        `INSERT INTO conversions (project_id, affiliate_id, kind, product_ids, currency, amount_minor, base_value_minor, value_minor, attribution,
                                  occurred_at, hold_until, paid_at, review_status)
         SELECT $1::uuid, $2::uuid, CASE WHEN i % 6 = 5 THEN 'refund' ELSE 'purchase' END, '{}', CASE WHEN i % 2 = 0 THEN 'USD' ELSE 'EUR' END,
                1000, 1000, CASE WHEN i % 6 = 5 THEN -7 ELSE 100 + i % 6 END, '{"method": "link", "trace": []}'::jsonb,
                timestamptz '2026-10-01T00:00:00Z' + i * interval '1 minute',
                CASE WHEN i % 6 = 2 THEN timestamptz '2026-12-01T00:00:00Z' + i * interval '1 second' ELSE timestamptz '2026-10-31T00:00:00Z' END,
                CASE WHEN i % 6 = 0 THEN timestamptz '2026-11-01T00:00:00Z' END,
                CASE WHEN i % 6 = 4 THEN 'pending' END
         FROM generate_series(1, 3000) AS i`,
        [projectId, affiliate],
      );
    }
    // and the program's other sales, nobody's
    await tdb.db.sql.query(
      `INSERT INTO conversions (project_id, kind, product_ids, currency, amount_minor, base_value_minor, value_minor, attribution, occurred_at)
       SELECT $1::uuid, 'purchase', '{}', 'USD', 1000, 1000, 0, '{"method": "none", "trace": []}'::jsonb, timestamptz '2026-10-01T00:00:00Z' + i * interval '1 second'
       FROM generate_series(1, 50000) AS i`,
      [projectId],
    );
    await tdb.db.sql.exec('VACUUM (ANALYZE) conversions');
  });
  afterAll(async () => tdb.drop());

  it('sums every balance exactly, per currency', async () => {
    const stats = (await affiliateStats(tdb.db.prisma, projectId, [jane], now)).get(jane)!;
    // per currency, 1,500 rows: i even (USD) gives i % 6 in {0, 2, 4}, odd (EUR) {1, 3, 5}; 500 rows of each residue
    expect(stats.purchases).toBe(2500);
    // as text: jest cannot report a difference between bigints across its workers
    const text = (e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)]));
    expect(stats.earnings.map(text)).toEqual([
      { currency: 'EUR', total: `${500 * (101 + 103 - 7)}`, unpaid: `${500 * (101 + 103 - 7)}`, held: '0', eligible: `${500 * (101 + 103 - 7)}`, processing: '0', paid: '0', pending: '0', nextRelease: 'null' },
      {
        currency: 'USD',
        total: `${500 * (100 + 102)}`,
        unpaid: `${500 * 102}`,
        held: `${500 * 102}`,
        eligible: '0',
        processing: '0',
        paid: `${500 * 100}`,
        pending: `${500 * 104}`,
        // the earliest held row: i = 2
        nextRelease: '2026-12-01T00:00:02.000Z',
      },
    ]);
  });

  it('reads the sums and the next release from the affiliate index alone, without visiting the table', async () => {
    const statement = earningsStatement(projectId, [jane], now);
    const [row] = await tdb.db.sql.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`, statement.values);
    const scans = nodes(row!['QUERY PLAN'][0].Plan).filter((n) => n['Relation Name'] === 'conversions');
    // one scan for the sums, one for the dates on which held commission nets to more than nothing
    const onlyIndex = { node: 'Index Only Scan', index: 'conversions_project_id_affiliate_id_occurred_at_idx', heapFetches: 0 };
    expect(scans.map((n) => ({ node: n['Node Type'], index: n['Index Name'], heapFetches: n['Heap Fetches'] }))).toEqual([onlyIndex, onlyIndex]);
  });
});
