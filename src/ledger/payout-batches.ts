import { Prisma, type Affiliate, type Payout, type PayoutBatch, type PrismaClient } from '../generated/prisma/client';
import { balance } from '../domain/balances';
import type { SqlClient } from '../db/sql';
import { completeIn, failIn, payoutIn, releasedRows, type PayoutRefusal, type Settlement } from './payouts';

/** How an affiliate is paid in a batch: the method and the destination recorded on its payout (the API decides). */
export type PaymentRoute = (affiliate: Affiliate) => { method: string; destination: Prisma.InputJsonObject };

export type BatchRequest = {
  projectId: string;
  /** one currency, or every currency with an eligible balance */
  currency: string | null;
  /** the minimum a payout must reach, in minor units of its currency; other currencies have none */
  minimum: { minor: bigint; currency: string } | null;
  /**
   * only these affiliates, whatever their status (an inactive affiliate's earned balance is paid when the merchant
   * names it; a suspended one is still refused), else every active affiliate
   */
  affiliateIds: string[] | null;
  createdBy: Prisma.InputJsonObject;
  /** the Idempotency-Key, and what its request asked for (any text the caller derives from the request) */
  idempotency: { key: string; request: string } | null;
  route: PaymentRoute;
  now: Date;
};

/** An affiliate and currency with an eligible balance that the batch did not take, and why. */
export type Skipped = { affiliateId: string; currency: string; eligibleMinor: bigint; refusal: PayoutRefusal };

/** As kept on the batch row (payout_batches.skipped): JSON has no bigint, so amounts are text. */
function skippedJson(skipped: Skipped[]): Prisma.InputJsonArray {
  const text = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
  return skipped.map((s) => ({ ...text(s), refusal: text(s.refusal) }));
}

/** What a batch left out, as its first answer said (none recorded for batches made before it was kept). */
export function skippedOf(batch: PayoutBatch): Skipped[] {
  const amounts = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k.endsWith('Minor') && typeof v === 'string' ? BigInt(v) : v]));
  return (batch.skipped as Record<string, unknown>[]).map((s) => ({ ...amounts(s), refusal: amounts(s.refusal as Record<string, unknown>) }) as unknown as Skipped);
}

export type BatchOutcome =
  | { made: PayoutBatch; payouts: Payout[]; skipped: Skipped[] }
  /** the Idempotency-Key was used before: that batch, unchanged */
  | { existing: PayoutBatch }
  /** the Idempotency-Key was used before for another request: that batch, which this request must not be answered with */
  | { conflict: PayoutBatch }
  /** nothing reached the minimum (or nothing was eligible): no batch was made */
  | { nothing: Skipped[] };

class NothingToPay extends Error {
  constructor(readonly skipped: Skipped[]) {
    super('nothing to pay');
  }
}

type Candidate = { affiliate_id: string; currency: string; eligible: string };

/** Long enough for a batch of thousands of affiliates; the default 5 s of an interactive transaction is not. */
const BATCH_TRANSACTION = { timeout: 120_000, maxWait: 15_000 };

/**
 * "Process payouts" (Refferq's admin action, docs/earnings.md): in one transaction, every active (or named)
 * affiliate's whole eligible balance per currency that reaches the minimum becomes one pending payout, made by the
 * same code as a single payout (`payoutIn`: suspended affiliates are refused, the sum must be positive and reach the
 * minimum), all pointing at one batch row. Affiliates are locked in id order, then their eligible rows in one statement in id
 * order — the order the ledger's recompute locks rows in — so two batches, or a batch and a recompute, wait for
 * each other instead of deadlocking, and a conversion a committed batch took is no longer eligible for the next.
 * With an Idempotency-Key the batch row is written first: a second request with the key waits on the unique index
 * until the first commits, then answers its batch, or a conflict when it asked for something else.
 */
export async function createPayoutBatch(prisma: PrismaClient, request: BatchRequest): Promise<BatchOutcome> {
  try {
    return await prisma.$transaction(async (tx) => {
      const batch = await tx.payoutBatch.create({
        data: {
          projectId: request.projectId,
          createdBy: request.createdBy,
          currencies: [],
          payoutsCount: 0,
          totals: {},
          minimumMinor: request.minimum?.minor ?? null,
          minimumCurrency: request.minimum?.currency ?? null,
          idempotencyKey: request.idempotency?.key ?? null,
          idempotencyRequest: request.idempotency?.request ?? null,
          createdAt: request.now,
        },
      });
      const scope = Prisma.sql`c.project_id = ${request.projectId}::uuid AND c.value_minor <> 0 AND ${balance.eligible(request.now)}
        ${request.currency ? Prisma.sql`AND c.currency = ${request.currency}` : Prisma.empty}
        ${request.affiliateIds ? Prisma.sql`AND c.affiliate_id = ANY(${request.affiliateIds}::uuid[])` : Prisma.empty}`;
      const candidates = await tx.$queryRaw<Candidate[]>`
        SELECT c.affiliate_id::text AS affiliate_id, c.currency, sum(c.value_minor)::text AS eligible
        FROM conversions c JOIN affiliates a ON a.id = c.affiliate_id
        WHERE ${scope} ${request.affiliateIds ? Prisma.empty : Prisma.sql`AND a.status IN ('active', 'suspended', 'inactive')`}
        GROUP BY c.affiliate_id, c.currency ORDER BY c.affiliate_id, c.currency`;
      const ids = [...new Set(candidates.map((c) => c.affiliate_id))];
      if (ids.length > 0) {
        // NO KEY UPDATE, as a single payout takes it (src/ledger/payouts.ts): a refund's reversal may still be inserted
        await tx.$queryRaw`SELECT id FROM affiliates WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR NO KEY UPDATE`;
        await tx.$queryRaw`SELECT c.id FROM conversions c WHERE ${scope} AND c.affiliate_id = ANY(${ids}::uuid[]) ORDER BY c.id FOR UPDATE`;
      }
      const affiliates = new Map((await tx.affiliate.findMany({ where: { id: { in: ids } } })).map((a) => [a.id, a]));
      const payouts: Payout[] = [];
      const skipped: Skipped[] = [];
      for (const c of candidates) {
        const affiliate = affiliates.get(c.affiliate_id)!;
        const minimum = request.minimum && request.minimum.currency === c.currency ? request.minimum.minor : null;
        // everyone's batch passes over an inactive affiliate (it earns nothing now), said in `skipped`; one named is paid
        if (!request.affiliateIds && affiliate.status === 'inactive') {
          skipped.push({ affiliateId: affiliate.id, currency: c.currency, eligibleMinor: BigInt(c.eligible), refusal: { refused: 'inactive' } });
          continue;
        }
        const { method, destination } = request.route(affiliate);
        const result = await payoutIn(
          tx,
          { projectId: request.projectId, affiliateId: affiliate.id, currency: c.currency, method, destination, now: request.now, batchId: batch.id },
          minimum,
        );
        if ('refused' in result) {
          skipped.push({ affiliateId: affiliate.id, currency: c.currency, eligibleMinor: BigInt(c.eligible), refusal: result });
        } else {
          payouts.push(result);
        }
      }
      if (payouts.length === 0) throw new NothingToPay(skipped);
      const totals: Record<string, { count: number; amount_minor: string }> = {};
      for (const p of payouts) {
        const t = (totals[p.currency] ??= { count: 0, amount_minor: '0' });
        t.count += 1;
        t.amount_minor = (BigInt(t.amount_minor) + p.amountMinor).toString();
      }
      const made = await tx.payoutBatch.update({
        where: { id: batch.id },
        data: { currencies: Object.keys(totals).sort(), payoutsCount: payouts.length, totals, skipped: skippedJson(skipped) },
      });
      return { made, payouts, skipped };
    }, BATCH_TRANSACTION);
  } catch (err) {
    if (err instanceof NothingToPay) return { nothing: err.skipped };
    if (request.idempotency && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      const existing = await prisma.payoutBatch.findFirst({ where: { projectId: request.projectId, idempotencyKey: request.idempotency.key } });
      // a batch made before requests were recorded answers any request with its key, as it did
      if (existing) return existing.idempotencyRequest === null || existing.idempotencyRequest === request.idempotency.request ? { existing } : { conflict: existing };
    }
    throw err;
  }
}

type SettleOutcome = { completed: { reference: string | null } } | { failed: { reason: string | null } };

/**
 * A batch's pending payouts all settled one way, in one transaction; null when the project has no such batch. A
 * failure lets go of the rows they held, and their customers are laid out again after it (releasedRows).
 */
export async function settleBatch(
  prisma: PrismaClient,
  sql: SqlClient,
  projectId: string,
  batchId: string,
  outcome: SettleOutcome,
  now: Date,
): Promise<{ settled: number } | null> {
  if ('completed' in outcome) return settleIn(prisma, projectId, batchId, outcome, now);
  return releasedRows(prisma, sql, projectId, { payout: { batchId, status: 'pending' } }, now, async () => {
    const result = await settleIn(prisma, projectId, batchId, outcome, now);
    return { result, released: (result?.settled ?? 0) > 0 };
  });
}

function settleIn(
  prisma: PrismaClient,
  projectId: string,
  batchId: string,
  outcome: SettleOutcome,
  now: Date,
): Promise<{ settled: number } | null> {
  return prisma.$transaction(async (tx) => {
    const [batch] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM payout_batches WHERE id = ${batchId}::uuid AND project_id = ${projectId}::uuid FOR UPDATE`;
    if (!batch) return null;
    const pending = await tx.payout.findMany({ where: { projectId, batchId, status: 'pending' }, select: { id: true }, orderBy: { id: 'asc' } });
    let settled = 0;
    for (const { id } of pending) {
      const result: Settlement =
        'completed' in outcome ? await completeIn(tx, projectId, id, outcome.completed.reference, now) : await failIn(tx, projectId, id, outcome.failed.reason, now);
      if (result && result.status === ('completed' in outcome ? 'completed' : 'failed')) settled += 1;
    }
    return { settled };
  }, BATCH_TRANSACTION);
}
