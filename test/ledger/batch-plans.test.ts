import { explaining, planOutline, type PlanNode, type PlannedStatement } from '../../src/db/explain';
import type { SqlClient } from '../../src/db/sql';
import { storeInboundEvents } from '../../src/inbox/inbound-events';
import { stripeInboxInput } from '../helpers/inbox';
import { createBatchProcessor } from '../../src/pipeline/process-inbound-event';
import { stripeEvent, newProject, newStripeCoupon } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { silentLogger } from '../helpers/refwire';

/**
 * The batch path's cost must not grow with the data (issue 20, docs/performance.md): every statement a batch of
 * events runs reads the tables through an index, and examines rows in proportion to the batch, not to the table.
 * A database of some 20,000 conversions is enough to show the difference; the batch is checked twice: with the
 * tables never analyzed (the embedded mode has no autovacuum, and a server's statistics lag behind a backlog), and
 * after ANALYZE. Each statement runs under EXPLAIN ANALYZE first (rolled back), so the rows each scan examined are
 * measured, not estimated.
 */
const CLONES = 40;
/** a table this big must be read through an index, examining under this share of its rows */
const BIG_TABLE = 2000;
const MAX_SHARE = 0.1;

const tag = (n: number) => String(n).padStart(4, '0');

function payment(n: number, referralCode: string | null, eventSuffix = '') {
  return stripeEvent(
    'checkout.session.completed.payment.json',
    (o) => {
      o.id = `cs_plan_${tag(n)}`;
      o.payment_intent = `pi_plan_${tag(n)}`;
      o.customer = `cus_plan_${tag(n)}`;
      o.customer_details.email = `buyer${n}@plans.test`;
      o.client_reference_id = null;
      o.amount_total = 1000 + n;
      o.metadata = referralCode ? { referral_code: referralCode } : {};
    },
    `evt_plan_pay_${tag(n)}${eventSuffix}`,
  );
}

function refund(n: number, refunded: number, eventSuffix = '') {
  return stripeEvent(
    'charge.refunded.json',
    (o) => {
      o.id = `ch_plan_${tag(n)}`;
      o.payment_intent = `pi_plan_${tag(n)}`;
      o.customer = `cus_plan_${tag(n)}`;
      o.amount = 1000 + n;
      o.amount_captured = o.amount;
      o.amount_refunded = refunded;
      delete o.refunds;
    },
    `evt_plan_refund_${tag(n)}${eventSuffix}`,
  );
}

function subscriptionInvoice(n: number, cycle: number) {
  const file = cycle === 0 ? 'invoice.paid.subscription_create.json' : 'invoice.paid.subscription_cycle.json';
  return stripeEvent(
    file,
    (o) => {
      o.id = `in_plan_${tag(n)}_${cycle}`;
      o.customer = `cus_plan_sub_${tag(n)}`;
      o.customer_email = `subscriber${n}@plans.test`;
      o.subscription = `sub_plan_${tag(n)}`;
      o.charge = `ch_plan_sub_${tag(n)}_${cycle}`;
      o.payment_intent = `pi_plan_sub_${tag(n)}_${cycle}`;
      o.subscription_details = { metadata: { referral_code: `PARTNER-${n % 3000}` } };
      if (cycle > 0) o.status_transitions.paid_at = 1764574946 + cycle * 30 * 86400;
    },
    `evt_plan_sub_${tag(n)}_${cycle}`,
  );
}

function discount(n: number) {
  return stripeEvent(
    'customer.discount.created.json',
    (o) => {
      o.id = `di_plan_${tag(n)}`;
      o.customer = `cus_plan_sub_${tag(n)}`;
      o.subscription = `sub_plan_${tag(n)}`;
    },
    `evt_plan_discount_${tag(n)}`,
  );
}

describe('batch statements at scale', () => {
  let tdb: TestDatabase;
  let projectId: string;
  const clock = () => new Date('2026-12-01T12:00:00Z');

  async function store(payloads: Record<string, any>[], sql: SqlClient = tdb.db.sql): Promise<string[]> {
    const stored = await storeInboundEvents(
      sql,
      payloads.map((payload) => stripeInboxInput(projectId, payload as { id: string; type: string }, clock())),
    );
    return stored.map((s) => s.id);
  }

  /** The receiver's inbox statements for these deliveries, planned and measured as they ran. */
  async function storePlanned(payloads: Record<string, any>[]): Promise<PlannedStatement[]> {
    const statements: PlannedStatement[] = [];
    await store(payloads, explaining(tdb.db.sql, (s) => statements.push(s), { analyze: true }));
    return statements;
  }

  /** A delivery batch as the receiver groups one: new events beside repeats of stored ones. */
  const deliveries = (offset: number) => [...Array.from({ length: 40 }, (_, k) => payment(offset + k, `PARTNER-${k}`)), ...Array.from({ length: 10 }, (_, k) => payment(k * 7, null))];

  async function processPlanned(payloads: Record<string, any>[]): Promise<PlannedStatement[]> {
    const statements: PlannedStatement[] = [];
    const db = { ...tdb.db, sql: explaining(tdb.db.sql, (s) => statements.push(s), { analyze: true }) };
    const outcomes = await createBatchProcessor({ db, clock, logger: silentLogger })(await store(payloads));
    expect(outcomes.map((o) => o.status)).toEqual(payloads.map(() => 'processed'));
    return statements;
  }

  async function rowCounts(): Promise<Map<string, number>> {
    const rows = await tdb.db.sql.query<{ relname: string; n: string }>(
      `SELECT c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text AS n
       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'`,
    );
    return new Map(rows.map((r) => [r.relname, Number(r.n)]));
  }

  /** What a statement did wrong on a big table: a sequential scan, or a scan examining a large share of it. */
  function problems(statements: PlannedStatement[], counts: Map<string, number>): string[] {
    const found: string[] = [];
    for (const s of statements) {
      for (const scan of s.scans) {
        const rows = counts.get(scan.relation) ?? 0;
        if (rows < BIG_TABLE) continue;
        const bad = scan.node === 'Seq Scan' || (scan.examined ?? 0) > rows * MAX_SHARE;
        if (bad) {
          found.push(
            `${scan.node} on ${scan.relation} (${rows} rows) examined ${scan.examined}:\n  ${s.sql.replace(/\s+/g, ' ').slice(0, 200)}\n` +
              planOutline(s.plan).map((l) => `    ${l}`).join('\n'),
          );
        }
      }
    }
    return found;
  }

  /**
   * Joins that compare every pair of the batch's rows: a nested loop whose inner side is the batch's own arrays
   * (an `unnest`, expanded again or materialized) filters the batch's size squared of pairs. The batch writes once
   * joined their arrays so: 200 × 200 pairs, 30–60 ms of a ~100 ms batch at 100,000 conversions.
   */
  function pairwiseJoins(statements: PlannedStatement[], batchSize: number): string[] {
    const found: string[] = [];
    const walk = (s: PlannedStatement, node: PlanNode) => {
      const removed = Number(node['Rows Removed by Join Filter'] ?? 0) * (node['Actual Loops'] ?? 1);
      if (removed > batchSize) {
        found.push(`${node['Node Type']} filtered ${removed} pairs:\n  ${s.sql.replace(/\s+/g, ' ').slice(0, 200)}\n` + planOutline(s.plan).map((l) => `    ${l}`).join('\n'));
      }
      for (const child of node.Plans ?? []) walk(s, child);
    };
    for (const s of statements) walk(s, s.plan);
    return found;
  }

  /** A batch that goes through every statement of the path: new payments, renewals, refunds, re-reports, facts. */
  function mixedBatch(offset: number) {
    const events: Record<string, any>[] = [];
    for (let k = 0; k < 30; k++) events.push(payment(offset + k, k % 4 === 3 ? null : `PARTNER-${(offset + k) % 3000}`));
    for (let k = 0; k < 10; k++) events.push(subscriptionInvoice(offset + k, 0), subscriptionInvoice(offset + k, 1));
    for (let k = 0; k < 15; k++) events.push(subscriptionInvoice(k * 5, 1 + offset / 1000));
    for (let k = 0; k < 5; k++) events.push(discount(offset + k));
    // refunds of recorded payments: a new level for some, the first for others
    for (let k = 0; k < 15; k++) events.push(refund(k * 9, 400 + offset / 10, `_${offset}`));
    // payments first recorded without a code, refunded, now reported again with one: their commission and their
    // refund rows change (the payment and refund updates)
    for (let k = 0; k < 5; k++) {
      const n = 9 + 30 * (k + (offset === 1000 ? 0 : 5));
      events.push(payment(n, `PARTNER-${n}`, `_again_${offset}`));
    }
    return events;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    const tables = await tdb.db.sql.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`);
    // the statistics stay what the test makes them, whatever the server's autovacuum does
    for (const t of tables) await tdb.db.sql.exec(`ALTER TABLE "${t.relname}" SET (autovacuum_enabled = false)`);
    projectId = await newProject(tdb.db);
    const { sql } = tdb.db;
    await sql.query(
      `INSERT INTO affiliates (project_id, email, referral_code, referral_code_key)
       SELECT $1, 'partner' || g || '@partners.test', 'PARTNER-' || g, 'partner-' || g FROM generate_series(0, 2999) g`,
      [projectId],
    );
    await sql.query(
      `INSERT INTO coupons (project_id, affiliate_id, coupon_code, coupon_code_key)
       SELECT $1, id, 'CODE-' || referral_code, 'code-' || referral_code_key FROM affiliates WHERE project_id = $1`,
      [projectId],
    );
    await sql.query(
      `INSERT INTO coupon_provider_ids (project_id, coupon_id, provider, provider_coupon_id)
       SELECT $1, id, 'stripe', 'promo_' || coupon_code_key FROM coupons WHERE project_id = $1`,
      [projectId],
    );
    const owner = (await sql.query<{ id: string }>(`SELECT id FROM affiliates WHERE referral_code = 'PARTNER-7'`))[0]!.id;
    await newStripeCoupon(tdb.db, projectId, owner, 'RWFX20', 'RWFX20');
    await sql.query(
      `INSERT INTO referrals (project_id, affiliate_id, email, source)
       SELECT $1, id, 'referred-' || referral_code_key || '@plans.test', 'api' FROM affiliates WHERE project_id = $1`,
      [projectId],
    );
    await sql.query(
      `INSERT INTO rule_versions (project_id, scope, subject_id, effective_from, effective_to, commission_type, commission_rate_bp, status)
       SELECT $1, 'affiliate', id::text, '1970-01-01', '2025-01-01', 'percentage', 1500, 'active' FROM affiliates WHERE project_id = $1`,
      [projectId],
    );
    await sql.query(
      `INSERT INTO webhook_endpoints (project_id, url, events, secret_enc, secret_hint)
       VALUES ($1, 'http://127.0.0.1:9/hooks', ARRAY['referral_converted', 'referral_canceled', 'referral_updated'], 'sealed', 'whsec…')`,
      [projectId],
    );

    // a history through the pipeline itself: payments (a quarter without a code), subscriptions, refunds
    const history: Record<string, any>[] = [];
    for (let n = 0; n < 300; n++) history.push(payment(n, n % 10 === 9 ? null : `PARTNER-${n % 3000}`));
    for (let n = 0; n < 100; n++) history.push(subscriptionInvoice(n, 0), subscriptionInvoice(n, 1));
    for (let n = 0; n < 300; n += 3) history.push(refund(n, 300));
    const process = createBatchProcessor({ db: tdb.db, clock, logger: silentLogger });
    for (let i = 0; i < history.length; i += 100) await process(await store(history.slice(i, i + 100)));

    // …multiplied into a table of a merchant's size: copies under other provider ids
    const copies: Record<string, { keys: string[]; where?: string }> = {
      conversions: { keys: ['external_key', 'payment_key', 'customer_key', 'customer_id', 'customer_email'], where: `kind IN ('purchase', 'renewal')` },
      attribution_subjects: { keys: ['subject_id', 'customer_id', 'email'] },
      payment_aliases: { keys: ['alias', 'payment_key'] },
      refund_observations: { keys: ['payment_ref'] },
      inbound_events: { keys: ['provider_event_id'] },
    };
    for (const [table, { keys, where }] of Object.entries(copies)) {
      const columns = (
        await sql.query<{ column_name: string; has_default: boolean }>(
          `SELECT column_name, column_default LIKE 'gen_random_uuid%' AS has_default FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
          [table],
        )
      ).filter((c) => !(c.column_name === 'id' && c.has_default)).map((c) => c.column_name);
      const select = columns.map((c) => (keys.includes(c) ? `${c} || '_copy' || g` : c)).join(', ');
      await sql.query(`INSERT INTO ${table} (${columns.join(', ')}) SELECT ${select} FROM ${table}, generate_series(1, ${CLONES}) g ${where ? `WHERE ${where}` : ''}`);
    }
  });
  afterAll(async () => tdb?.drop());

  // The receiver's one statement stores the new deliveries and finds the stored rows of the repeats; an index whose
  // leading columns are (project_id, provider) beside the unique key once won that lookup while the table had no
  // statistics, and each batch filtered the project's every event: the ingest fell from thousands of requests a
  // second to hundreds as the table grew (docs/performance.md).
  it('stores deliveries and finds repeated ones through the unique key, without statistics', async () => {
    const counts = await rowCounts();
    expect(counts.get('inbound_events')).toBeGreaterThan(BIG_TABLE * 5);
    const statements = await storePlanned(deliveries(5000));
    expect(statements.length).toBeGreaterThan(0);
    expect(problems(statements, counts)).toEqual([]);
    expect(pairwiseJoins(statements, deliveries(5000).length)).toEqual([]);
  });

  it('reads every big table through an index, in proportion to the batch, with or without statistics', async () => {
    const counts = await rowCounts();
    expect(counts.get('conversions')).toBeGreaterThan(15_000);

    const unanalyzed = await processPlanned(mixedBatch(1000));
    await tdb.db.sql.exec('ANALYZE');
    const analyzed = await processPlanned(mixedBatch(2000));

    // the batches went through the whole path (so that no statement escapes the check)
    const seen = new Set([...unanalyzed, ...analyzed].map((s) => s.sql.replace(/\s+/g, ' ').trim()));
    const matching = (pattern: RegExp) => [...seen].filter((s) => pattern.test(s)).length;
    expect(matching(/^UPDATE conversions/)).toBeGreaterThanOrEqual(3); // payments, re-reports, refund rows
    expect(matching(/^INSERT INTO conversions .*reverses_id/)).toBe(1);
    expect(matching(/^SELECT .* FROM inbound_events .*FOR UPDATE SKIP LOCKED$/)).toBe(1); // the rows taken
    expect(matching(/^UPDATE inbound_events/)).toBe(1); // the outcomes: the one write of a processed row
    for (const table of ['attribution_subjects', 'payment_aliases', 'refund_observations', 'coupons', 'referrals', 'affiliates', 'rule_versions']) {
      expect([table, matching(new RegExp(`FROM ${table}\\b`)) > 0]).toEqual([table, true]);
    }
    expect(matching(/^INSERT INTO webhook_deliveries/)).toBe(1);

    expect(problems(unanalyzed, counts)).toEqual([]);
    expect(problems(analyzed, await rowCounts())).toEqual([]);
    expect(pairwiseJoins([...unanalyzed, ...analyzed], mixedBatch(0).length)).toEqual([]);
    expect(problems(await storePlanned(deliveries(6000)), await rowCounts())).toEqual([]);
  });
});
