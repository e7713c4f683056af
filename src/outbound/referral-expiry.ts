import type { SqlClient } from '../db/sql';
import { emitReferralEvents } from './emit';

/**
 * How long after a window ends its referral is announced expired: a payment made inside the window may reach us
 * later (a provider's retries: Polar's within about 30 minutes, Stripe's and Paddle's over days; a reconciliation
 * every 15 minutes), and it converts the referral. Announcing at once sent `referral.expired` and then
 * `referral.converted` for the same referral; a day covers the usual delays.
 */
export const EXPIRY_ANNOUNCEMENT_DELAY_MS = 24 * 3_600_000;

/**
 * `referral.expired` (Refferq): a referral's attribution window is `cookie_days` from a public signup
 * (PRODUCT.md §12: `expires_at`, fixed when it was recorded); once it has passed without a payment by the
 * customer attributed to the referral's affiliate, that referral can no longer convert, and this announces it,
 * once, EXPIRY_ANNOUNCEMENT_DELAY_MS after the window ended. Referrals the merchant recorded have no window (`expires_at` null) and never expire.
 *
 * Each pass takes the referrals whose window ended and that were not looked at yet (the index on
 * (window_closed_at, expires_at) finds them without reading the others), marks them, and queues the events in
 * the same transaction; `SKIP LOCKED` lets any number of processes run it. Returns how many expired.
 */
export async function announceExpiredReferrals(sql: SqlClient, now: Date, limit = 500): Promise<number> {
  return sql.transaction(async (tx) => {
    const closed = await tx.query<{ id: string; project_id: string; expired: boolean }>(
      `WITH due AS (
         SELECT id FROM referrals WHERE window_closed_at IS NULL AND expires_at <= $3 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       UPDATE referrals r SET window_closed_at = $1 FROM due WHERE r.id = due.id
       RETURNING r.id, r.project_id, NOT EXISTS (
         SELECT 1 FROM conversions c
         WHERE c.project_id = r.project_id AND c.customer_email = r.email AND c.affiliate_id = r.affiliate_id
           AND c.kind IN ('purchase', 'renewal') AND c.occurred_at <= r.expires_at) AS expired`,
      [now, limit, new Date(now.getTime() - EXPIRY_ANNOUNCEMENT_DELAY_MS)],
    );
    const byProject = new Map<string, string[]>();
    for (const r of closed) if (r.expired) byProject.set(r.project_id, [...(byProject.get(r.project_id) ?? []), r.id]);
    for (const [projectId, ids] of byProject) await emitReferralEvents(tx, projectId, 'referral.expired', ids, now);
    return closed.filter((r) => r.expired).length;
  });
}
