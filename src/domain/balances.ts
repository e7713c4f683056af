import { Prisma } from '../generated/prisma/client';

/**
 * The four balances a conversion row's value counts in, exactly one each: paid (paid out), processing (taken into
 * a pending payout), held (in its hold window), eligible (may be paid out now). Defined once here, for one row in
 * TypeScript and for aggregates in SQL, so the views, earnings, payouts and the ledger proof cannot disagree. A
 * refund of a paid commission is booked due at once, so it lands in eligible and lowers the next payout.
 */
export type Balance = 'paid' | 'processing' | 'held' | 'eligible';

/**
 * Under manual review (PRODUCT.md §12) a commission counts in no balance until it is approved: a pending one is
 * shown apart (`pending`), a rejected one never pays.
 */
export type Review = 'pending' | 'rejected';

type Row = { paidAt: Date | null; payoutId: string | null; holdUntil: Date | null; reviewStatus?: string | null };

export function reviewOf(row: Pick<Row, 'reviewStatus'>): Review | null {
  return row.reviewStatus === 'pending' || row.reviewStatus === 'rejected' ? row.reviewStatus : null;
}

export function balanceOf(row: Row, now: Date): Balance | Review {
  if (row.paidAt) return 'paid';
  if (row.payoutId) return 'processing';
  const review = reviewOf(row);
  if (review) return review;
  return row.holdUntil && row.holdUntil > now ? 'held' : 'eligible';
}

/**
 * Paid out, or taken into a pending payout: its amount is what the payout says, so no recompute, recalculation or
 * API edit rewrites it.
 */
export function isFrozen(row: Pick<Row, 'paidAt' | 'payoutId'>): boolean {
  const b = balanceOf({ ...row, holdUntil: null, reviewStatus: null }, new Date(0));
  return b === 'paid' || b === 'processing';
}

/**
 * The same in SQL, for set-based statements: `alias` is the conversions table's alias, if any. Written as one
 * expression no index serves: `paid_at IS NULL AND payout_id IS NULL` let an unanalyzed table's planner read
 * every unpaid row through the payout_id index (8.5 s for 130 rows at 100,000 conversions; docs/performance.md).
 */
export const notFrozenSql = (alias = '') => `num_nulls(${alias ? `${alias}.` : ''}paid_at, ${alias ? `${alias}.` : ''}payout_id) = 2`;

/** Rows that count in the balances: no review, or approved. */
export const countedSql = `(review_status IS NULL OR review_status = 'approved')`;

export const balance = {
  counted: Prisma.raw(countedSql),
  pending: Prisma.sql`review_status = 'pending' AND ${Prisma.raw(notFrozenSql())}`,
  paid: Prisma.sql`paid_at IS NOT NULL`,
  processing: Prisma.sql`paid_at IS NULL AND payout_id IS NOT NULL`,
  held: (now: Date) => Prisma.sql`${Prisma.raw(notFrozenSql())} AND ${Prisma.raw(countedSql)} AND hold_until > ${now}`,
  eligible: (now: Date) => Prisma.sql`${Prisma.raw(notFrozenSql())} AND ${Prisma.raw(countedSql)} AND (hold_until IS NULL OR hold_until <= ${now})`,
};
