import type { QueryOptions, SqlClient, SqlSession } from './sql';

/**
 * Plans of the statements a piece of code runs, for the tests and the benchmark that keep the batch path's cost
 * independent of the size of the tables (docs/performance.md). PostgreSQL only.
 */

export type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Plans'?: PlanNode[];
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  [key: string]: unknown;
};

/** One read of a table in a plan: how (a sequential scan, or which index) and, when measured, how many rows it examined. */
export type PlanScan = { node: string; relation: string; index: string | null; examined: number | null };

/** A trigger (or a constraint's check) a statement fired, with the time its calls took; measured only when analyzed. */
export type TriggerTime = { name: string; calls: number; ms: number };

/** A statement as it ran, with the plan PostgreSQL chose for its actual parameters (and, analyzed, its times). */
export type PlannedStatement = { sql: string; plan: PlanNode; scans: PlanScan[]; planningMs?: number; executionMs?: number; triggers?: TriggerTime[] };

const PLANNABLE = /^\s*(select|insert|update|delete|with)\b/i;
const SCANS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan', 'Tid Scan', 'Tid Range Scan', 'Sample Scan']);

/** Every read of a table in a plan, depth first. `examined`: rows the scan looked at (returned or filtered out), all loops. */
export function scansOf(plan: PlanNode): PlanScan[] {
  const own: PlanScan[] = [];
  if (SCANS.has(plan['Node Type']) && plan['Relation Name']) {
    const measured = plan['Actual Rows'] !== undefined;
    const perLoop = (plan['Actual Rows'] ?? 0) + (plan['Rows Removed by Filter'] ?? 0) + (plan['Rows Removed by Index Recheck'] ?? 0);
    own.push({
      node: plan['Node Type'],
      relation: plan['Relation Name'],
      index: plan['Index Name'] ?? indexBelow(plan),
      examined: measured ? perLoop * (plan['Actual Loops'] ?? 1) : null,
    });
  }
  return [...own, ...(plan.Plans ?? []).flatMap(scansOf)];
}

/** The index a bitmap heap scan reads through (the first one under it). */
function indexBelow(plan: PlanNode): string | null {
  for (const child of plan.Plans ?? []) {
    const found = child['Index Name'] ?? indexBelow(child);
    if (found) return found;
  }
  return null;
}

/** The plan as one line per node, indented: `Index Scan using conversions_pkey on conversions (rows=200)`. */
export function planOutline(plan: PlanNode, depth = 0): string[] {
  const using = plan['Index Name'] ? ` using ${plan['Index Name']}` : '';
  const on = plan['Relation Name'] ? ` on ${plan['Relation Name']}` : '';
  const fn = plan['Function Name'] ? ` ${String(plan['Function Name'])}` : '';
  const estimate = typeof plan['Plan Rows'] === 'number' ? `rows=${plan['Plan Rows']}` : '';
  const actual = plan['Actual Rows'] !== undefined ? `, actual ${plan['Actual Rows']}${(plan['Actual Loops'] ?? 1) > 1 ? ` × ${plan['Actual Loops']} loops` : ''}` : '';
  const removed = plan['Rows Removed by Filter'] ? `, ${plan['Rows Removed by Filter']} filtered out` : '';
  const cond = plan['Index Cond'] ? `  [${String(plan['Index Cond']).replace(/'\{[^}]*\}'/g, "'{…}'")}]` : '';
  return [
    `${'  '.repeat(depth)}${plan['Node Type']}${using}${on}${fn} (${estimate}${actual}${removed})${cond}`,
    ...(plan.Plans ?? []).flatMap((p) => planOutline(p, depth + 1)),
  ];
}

export type ExplainOptions = {
  /**
   * Run each statement once more under `EXPLAIN ANALYZE` first, inside a savepoint (or a transaction of its own)
   * that is rolled back, to measure the rows each scan examined. Statements then run twice: tests only.
   */
  analyze?: boolean;
};

/**
 * A client that, before running each statement, has PostgreSQL plan it with the same parameters on the same
 * connection and reports the plan. Without `analyze`, plain `EXPLAIN`, which plans but executes nothing.
 */
export function explaining(client: SqlClient, report: (statement: PlannedStatement) => void, options: ExplainOptions = {}): SqlClient {
  const explain = options.analyze ? 'EXPLAIN (ANALYZE, FORMAT JSON)' : 'EXPLAIN (FORMAT JSON)';
  const planOn = async (session: SqlSession, sql: string, params: readonly unknown[] | undefined) => {
    type Explained = { Plan: PlanNode; 'Planning Time'?: number; 'Execution Time'?: number; Triggers?: { 'Trigger Name': string; 'Calls': number; 'Time': number }[] };
    const [row] = await session.query<{ 'QUERY PLAN': [Explained] }>(`${explain} ${sql}`, params);
    const { Plan: plan, 'Planning Time': planningMs, 'Execution Time': executionMs, Triggers: fired } = row!['QUERY PLAN'][0];
    const triggers = fired?.map((t) => ({ name: t['Trigger Name'], calls: t.Calls, ms: t.Time }));
    report({
      sql,
      plan,
      scans: scansOf(plan),
      ...(planningMs === undefined ? {} : { planningMs }),
      ...(executionMs === undefined ? {} : { executionMs }),
      ...(triggers?.length ? { triggers } : {}),
    });
  };
  /** runs `fn` so that whatever EXPLAIN ANALYZE executed is undone; a failure is left to the real statement */
  const undone = async (session: SqlSession, inTransaction: boolean, fn: (s: SqlSession) => Promise<void>) => {
    if (!options.analyze) return fn(session);
    if (inTransaction) {
      await session.exec('SAVEPOINT explain_analyze');
      try {
        await fn(session);
      } catch {
        // the real statement reports it
      }
      await session.exec('ROLLBACK TO SAVEPOINT explain_analyze; RELEASE SAVEPOINT explain_analyze');
      return;
    }
    await client.session(async (s) => {
      await s.exec('BEGIN');
      try {
        await fn(s);
      } catch {
        // the real statement reports it
      } finally {
        await s.exec('ROLLBACK');
      }
    });
  };
  const wrap = (session: SqlSession, inTransaction: boolean): SqlSession => ({
    exec: (sql) => session.exec(sql),
    async query<T extends object>(sql: string, params?: readonly unknown[], options?: QueryOptions) {
      if (PLANNABLE.test(sql)) await undone(session, inTransaction, (s) => planOn(s, sql, params));
      return session.query<T>(sql, params, options);
    },
  });
  return {
    ...wrap(client, false),
    session: (fn) => client.session((s) => fn(wrap(s, false))),
    transaction: (fn) => client.transaction((tx) => fn(wrap(tx, true))),
  };
}
