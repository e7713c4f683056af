import type { SqlClient } from '../db/sql';
import { recomputeGroups } from './apply-events';

/**
 * A referral recorded (or changed) for an email: recompute the customers whose payments carry it, so a payment
 * made before the referral existed is attributed now through the chain's email step, and one attributed by
 * email follows the change. Earlier steps of the chain still win where they hit.
 */
export async function recomputeCustomersByEmail(sql: SqlClient, projectId: string, email: string, now: Date): Promise<number> {
  const groups = await sql.query<{ provider: string; customer_key: string }>(
    `SELECT DISTINCT provider, customer_key FROM conversions
     WHERE project_id = $1 AND customer_email = $2 AND kind IN ('purchase', 'renewal') AND customer_key IS NOT NULL AND provider IS NOT NULL`,
    [projectId, email.toLowerCase()],
  );
  return recomputeFound(sql, projectId, groups, now);
}

async function recomputeFound(sql: SqlClient, projectId: string, groups: { provider: string; customer_key: string }[], now: Date): Promise<number> {
  await recomputeGroups(sql, groups.map((g) => ({ projectId, provider: g.provider, customerKey: g.customer_key })), now);
  return groups.length;
}

/**
 * Rows let go by a payout that failed (or unmarked paid by hand) may move again: while frozen they kept their level,
 * and refunds reported meanwhile were laid out around them. Recomputing their customers lays the rows out as the
 * facts now say (refund rows by level and date, in time order). Returns the number of customers recomputed.
 */
export async function recomputeCustomersOfRows(sql: SqlClient, projectId: string, conversionIds: readonly string[], now: Date): Promise<number> {
  if (conversionIds.length === 0) return 0;
  const groups = await sql.query<{ provider: string; customer_key: string }>(
    `SELECT DISTINCT p.provider, p.customer_key FROM conversions c JOIN conversions p ON p.id = coalesce(c.reverses_id, c.id)
     WHERE c.project_id = $1 AND c.id = ANY($2::uuid[]) AND p.kind IN ('purchase', 'renewal') AND p.customer_key IS NOT NULL AND p.provider IS NOT NULL`,
    [projectId, [...conversionIds]],
  );
  return recomputeFound(sql, projectId, groups, now);
}
