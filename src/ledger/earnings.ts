import type { PrismaClient } from '../generated/prisma/client';
import type { AffiliateStats, Earnings } from '../views/present';
import { balance } from '../domain/balances';

type Row = {
  affiliate_id: string;
  currency: string;
  total: bigint | null;
  unpaid: bigint | null;
  held: bigint | null;
  eligible: bigint | null;
  processing: bigint | null;
  paid: bigint | null;
  pending: bigint | null;
  next_release: Date | null;
  signups: bigint;
  purchases: bigint;
};

/**
 * Balances straight from the ledger rows, per affiliate and currency (currencies are never added together):
 * total; paid; unpaid = held (still in the hold window) + eligible + processing (in a pending payout). Refund rows
 * are negative and net out (src/ledger/balances.ts).
 */
export async function affiliateStats(prisma: PrismaClient, projectId: string, affiliateIds: string[], now: Date): Promise<Map<string, AffiliateStats>> {
  const stats = new Map<string, AffiliateStats>(affiliateIds.map((id) => [id, { signups: 0, purchases: 0, earnings: [] }]));
  if (affiliateIds.length === 0) return stats;
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT affiliate_id::text AS affiliate_id, currency,
      (SUM(value_minor) FILTER (WHERE ${balance.counted}))::bigint AS total,
      (SUM(value_minor) FILTER (WHERE ${balance.counted} AND NOT (${balance.paid})))::bigint AS unpaid,
      (SUM(value_minor) FILTER (WHERE ${balance.pending}))::bigint AS pending,
      (SUM(value_minor) FILTER (WHERE ${balance.held(now)}))::bigint AS held,
      (SUM(value_minor) FILTER (WHERE ${balance.eligible(now)}))::bigint AS eligible,
      (SUM(value_minor) FILTER (WHERE ${balance.processing}))::bigint AS processing,
      (SUM(value_minor) FILTER (WHERE ${balance.paid}))::bigint AS paid,
      MIN(hold_until) FILTER (WHERE ${balance.held(now)} AND value_minor > 0) AS next_release,
      COUNT(*) FILTER (WHERE kind = 'signup') AS signups,
      COUNT(*) FILTER (WHERE kind IN ('purchase', 'renewal')) AS purchases
    FROM conversions
    WHERE project_id = ${projectId}::uuid AND affiliate_id = ANY(${affiliateIds}::uuid[])
    GROUP BY affiliate_id, currency
    ORDER BY currency`;
  for (const r of rows) {
    const s = stats.get(r.affiliate_id)!;
    s.signups += Number(r.signups);
    s.purchases += Number(r.purchases);
    const e: Earnings = {
      currency: r.currency,
      total: r.total ?? 0n,
      unpaid: r.unpaid ?? 0n,
      held: r.held ?? 0n,
      eligible: r.eligible ?? 0n,
      processing: r.processing ?? 0n,
      paid: r.paid ?? 0n,
      pending: r.pending ?? 0n,
      nextRelease: r.next_release,
    };
    s.earnings.push(e);
  }
  return stats;
}
