import { Prisma } from '../generated/prisma/client';

/**
 * The four balances a conversion row's value counts in, exactly one each: paid (paid out), processing (taken into
 * a pending payout), held (in its hold window), eligible (may be paid out now). Earnings, payouts and the ledger
 * proof all read them from here, so they cannot disagree. A refund of a paid commission is booked due at once,
 * so it lands in eligible and lowers the next payout.
 */
export const balance = {
  paid: Prisma.sql`paid_at IS NOT NULL`,
  processing: Prisma.sql`paid_at IS NULL AND payout_id IS NOT NULL`,
  held: (now: Date) => Prisma.sql`paid_at IS NULL AND payout_id IS NULL AND hold_until > ${now}`,
  eligible: (now: Date) => Prisma.sql`paid_at IS NULL AND payout_id IS NULL AND (hold_until IS NULL OR hold_until <= ${now})`,
};
