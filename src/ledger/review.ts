import { sqlSessionOf } from '../db/prisma-session';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { emitConversionEvents, type ConversionEvent } from '../outbound/emit';

export type ReviewDecision = { decision: 'approved' | 'rejected'; reason: string | null };

/** Why a commission cannot take the decision, or null when it can (or already has it: nothing to do). */
export type ReviewRefusal = { id: string; problem: 'not_found' | 'refund' | 'not_under_review' | 'paid' | 'rejected' };

/**
 * The merchant's review of commissions under `commission_review: manual` (PRODUCT.md §12): pending → approved
 * (it then counts, held then eligible like any other) or rejected (it never pays). All of the given commissions
 * take the decision, or none does. A decision already taken is kept (a repeat changes nothing); a rejected one
 * cannot be approved, and a paid one (or one in a payout) cannot be reviewed. Its refund rows follow it.
 */
export async function reviewCommissions(
  prisma: PrismaClient,
  projectId: string,
  ids: readonly string[],
  { decision, reason }: ReviewDecision,
  at: Date,
): Promise<{ refused: ReviewRefusal } | { changed: string[] }> {
  return prisma.$transaction(async (tx: Prisma.TransactionClient): Promise<{ refused: ReviewRefusal } | { changed: string[] }> => {
    const rows = await tx.$queryRaw<{ id: string; kind: string; review_status: string | null; paid_at: Date | null; payout_id: string | null }[]>`
      SELECT id::text, kind, review_status, paid_at, payout_id FROM conversions
      WHERE project_id = ${projectId}::uuid AND id = ANY(${[...ids]}::uuid[]) ORDER BY id FOR UPDATE`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const changed: string[] = [];
    for (const id of ids) {
      const row = byId.get(id);
      if (!row) return { refused: { id, problem: 'not_found' } };
      if (row.kind === 'refund') return { refused: { id, problem: 'refund' } };
      if (row.review_status === null) return { refused: { id, problem: 'not_under_review' } };
      if (row.review_status === decision) continue;
      if (row.paid_at || row.payout_id) return { refused: { id, problem: 'paid' } };
      if (row.review_status === 'rejected') return { refused: { id, problem: 'rejected' } };
      changed.push(id);
    }
    if (changed.length > 0) {
      await tx.$executeRaw`
        UPDATE conversions SET review_status = ${decision}, review_reason = ${reason}, reviewed_at = ${at}, updated_at = now()
        WHERE project_id = ${projectId}::uuid AND (id = ANY(${changed}::uuid[]) OR reverses_id = ANY(${changed}::uuid[]))`;
      // approved: Refferq's commission.approved, and the conversion changed (Refgrow's referral_updated);
      // rejected: it will never pay, which Refgrow's receivers hear as referral_canceled, with the reason
      const events = changed.flatMap((conversionId): ConversionEvent[] =>
        decision === 'approved'
          ? [{ type: 'commission.approved', conversionId }, { type: 'referral_updated', conversionId }]
          : [{ type: 'referral_canceled', conversionId, reason }],
      );
      await emitConversionEvents(sqlSessionOf(tx), projectId, events, at);
    }
    return { changed };
  });
}
