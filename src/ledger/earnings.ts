import { Prisma, type PrismaClient } from '../generated/prisma/client';
import type { AffiliateStats, Earnings } from '../views/present';
import { balance } from '../domain/balances';

type Row = {
  affiliate_id: string;
  currency: string;
  total: string | null;
  unpaid: string | null;
  held: string | null;
  eligible: string | null;
  processing: string | null;
  paid: string | null;
  pending: string | null;
  next_release: Date | null;
  signups: bigint;
  purchases: bigint;
};

/**
 * Balances straight from the ledger rows (summed as numeric and read as text: cast back to bigint in SQL, a large
 * sum would overflow), per affiliate and currency (currencies are never added together):
 * total; paid; unpaid = held (still in the hold window) + eligible + processing (in a pending payout). Refund rows
 * are negative and net out (src/ledger/balances.ts). Every column it reads is in the affiliate index (migration
 * 20261230000000_affiliate_earnings_covering), so the sums come from an index-only scan: an affiliate's history
 * costs index entries, not a table page per conversion. A column added here belongs in that index's INCLUDE.
 * The next release is the earliest date on which held commission nets to more than nothing: a held commission
 * refunded in full releases its row and its refund together, and nothing becomes eligible then.
 */
export function earningsStatement(projectId: string, affiliateIds: string[], now: Date): Prisma.Sql {
  return Prisma.sql`
    WITH releases AS (
      SELECT affiliate_id, currency, hold_until FROM conversions
      WHERE project_id = ${projectId}::uuid AND affiliate_id = ANY(${affiliateIds}::uuid[]) AND ${balance.held(now)}
      GROUP BY affiliate_id, currency, hold_until
      HAVING SUM(value_minor) > 0)
    SELECT affiliate_id::text AS affiliate_id, currency,
      (SUM(value_minor) FILTER (WHERE ${balance.counted}))::text AS total,
      (SUM(value_minor) FILTER (WHERE ${balance.counted} AND NOT (${balance.paid})))::text AS unpaid,
      (SUM(value_minor) FILTER (WHERE ${balance.pending}))::text AS pending,
      (SUM(value_minor) FILTER (WHERE ${balance.held(now)}))::text AS held,
      (SUM(value_minor) FILTER (WHERE ${balance.eligible(now)}))::text AS eligible,
      (SUM(value_minor) FILTER (WHERE ${balance.processing}))::text AS processing,
      (SUM(value_minor) FILTER (WHERE ${balance.paid}))::text AS paid,
      (SELECT MIN(r.hold_until) FROM releases r WHERE r.affiliate_id = c.affiliate_id AND r.currency = c.currency) AS next_release,
      COUNT(*) FILTER (WHERE kind = 'signup') AS signups,
      COUNT(*) FILTER (WHERE kind IN ('purchase', 'renewal')) AS purchases
    FROM conversions c
    WHERE project_id = ${projectId}::uuid AND affiliate_id = ANY(${affiliateIds}::uuid[])
    GROUP BY affiliate_id, currency
    ORDER BY currency`;
}

export async function affiliateStats(prisma: PrismaClient, projectId: string, affiliateIds: string[], now: Date): Promise<Map<string, AffiliateStats>> {
  const stats = new Map<string, AffiliateStats>(affiliateIds.map((id) => [id, { signups: 0, purchases: 0, earnings: [] }]));
  if (affiliateIds.length === 0) return stats;
  const rows = await prisma.$queryRaw<Row[]>(earningsStatement(projectId, affiliateIds, now));
  for (const r of rows) {
    const s = stats.get(r.affiliate_id)!;
    s.signups += Number(r.signups);
    s.purchases += Number(r.purchases);
    const e: Earnings = {
      currency: r.currency,
      total: BigInt(r.total ?? 0),
      unpaid: BigInt(r.unpaid ?? 0),
      held: BigInt(r.held ?? 0),
      eligible: BigInt(r.eligible ?? 0),
      processing: BigInt(r.processing ?? 0),
      paid: BigInt(r.paid ?? 0),
      pending: BigInt(r.pending ?? 0),
      // the earliest held commission's release; none when refunds took back everything on hold
      nextRelease: BigInt(r.held ?? 0) > 0n ? r.next_release : null,
    };
    s.earnings.push(e);
  }
  return stats;
}
