import { Prisma } from '../generated/prisma/client';

/**
 * The four balances a conversion row's value counts in, exactly one each: paid (paid out), processing (taken into
 * a pending payout), held (in its hold window), eligible (may be paid out now). Defined once here, for one row in
 * TypeScript and for aggregates in SQL, so the views, earnings, payouts and the ledger proof cannot disagree. A
 * refund of a paid commission is booked due at once, so it lands in eligible and lowers the next payout.
 */
export type Balance = 'paid' | 'processing' | 'held' | 'eligible';

type Row = { paidAt: Date | null; payoutId: string | null; holdUntil: Date | null };

export function balanceOf(row: Row, now: Date): Balance {
  if (row.paidAt) return 'paid';
  if (row.payoutId) return 'processing';
  return row.holdUntil && row.holdUntil > now ? 'held' : 'eligible';
}

/**
 * Paid out, or taken into a pending payout: its amount is what the payout says, so no recompute, recalculation or
 * API edit rewrites it.
 */
export function isFrozen(row: Pick<Row, 'paidAt' | 'payoutId'>): boolean {
  const b = balanceOf({ ...row, holdUntil: null }, new Date(0));
  return b === 'paid' || b === 'processing';
}

/** The same in SQL, for set-based statements: `alias` is the conversions table's alias, if any. */
export const notFrozenSql = (alias = '') => `${alias ? `${alias}.` : ''}paid_at IS NULL AND ${alias ? `${alias}.` : ''}payout_id IS NULL`;

export const balance = {
  paid: Prisma.sql`paid_at IS NOT NULL`,
  processing: Prisma.sql`paid_at IS NULL AND payout_id IS NOT NULL`,
  held: (now: Date) => Prisma.sql`${Prisma.raw(notFrozenSql())} AND hold_until > ${now}`,
  eligible: (now: Date) => Prisma.sql`${Prisma.raw(notFrozenSql())} AND (hold_until IS NULL OR hold_until <= ${now})`,
};
