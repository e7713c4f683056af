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
  await recomputeGroups(sql, groups.map((g) => ({ projectId, provider: g.provider, customerKey: g.customer_key })), now);
  return groups.length;
}
