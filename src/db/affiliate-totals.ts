import { foldDeltas, foldPiledDeltas, type DeltaTable } from './deltas';
import type { SqlClient, SqlSession } from './sql';

/**
 * What reports/summary reports for all time, per affiliate and currency, kept by triggers on conversions (migration
 * 20261227000000_affiliate_totals) as signed deltas: reading it costs in proportion to the program's affiliates,
 * not its conversions. Only attributed rows count. ledger/verify checks it against the conversions.
 */
export const AFFILIATE_TOTALS: DeltaTable = {
  table: 'affiliate_totals',
  scope: [{ column: 'project_id', type: 'uuid' }],
  keys: ['affiliate_id', 'currency'],
  sums: ['signups', 'purchases', 'renewals', 'refunds', 'revenue_minor', 'refunded_minor', 'commission_minor', 'pending_minor', 'rejected_minor'],
};

/** One affiliate's totals in one currency; sums of bigints, so text (src/api/reports.ts reads them as BigInt). */
export type AffiliateTotals = {
  affiliate_id: string;
  currency: string;
  signups: string;
  purchases: string;
  renewals: string;
  refunds: string;
  revenue_minor: string;
  refunded_minor: string;
  commission_minor: string;
  pending_minor: string;
  rejected_minor: string;
};

/** Deltas a read sums before it folds them: per affiliate and currency, so a fold after about a batch's worth. */
const FOLD_AFTER_PER_KEY = 4;

/** The project's totals, one row per affiliate and currency that has any (all zero rows left out). */
export async function affiliateTotals(sql: SqlSession, projectId: string): Promise<AffiliateTotals[]> {
  const rows = await sql.query<AffiliateTotals & { deltas: number }>(
    `SELECT * FROM (
       SELECT affiliate_id::text AS affiliate_id, currency, count(*)::int AS deltas,
         ${AFFILIATE_TOTALS.sums.map((s) => `sum(${s})::text AS ${s}`).join(', ')}
       FROM affiliate_totals WHERE project_id = $1::uuid GROUP BY affiliate_id, currency) t
     WHERE (${AFFILIATE_TOTALS.sums.join(', ')}) <> (${AFFILIATE_TOTALS.sums.map(() => "'0'").join(', ')})
     ORDER BY affiliate_id, currency`,
    [projectId],
  );
  const deltas = rows.reduce((n, r) => n + r.deltas, 0);
  if (deltas > FOLD_AFTER_PER_KEY * Math.max(rows.length, 64)) await foldDeltas(sql, AFFILIATE_TOTALS, [projectId]);
  return rows.map(({ deltas: _, ...totals }) => totals);
}

/** Folds every project's deltas where they have piled up (the periodic sweep); returns the number folded. */
export const foldAllAffiliateTotals = (sql: SqlClient, minDeltas = 1024): Promise<number> => foldPiledDeltas(sql, AFFILIATE_TOTALS, minDeltas);
