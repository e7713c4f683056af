import { sqlSessionOf } from '../db/prisma-session';
import type { SqlClient } from '../db/sql';
import { recomputeCustomersOfRows } from './reattribute';
import { queueEmail } from '../email/outbox';
import { Prisma, type Payout, type PrismaClient } from '../generated/prisma/client';
import { balance } from '../domain/balances';
import { emitConversionEvents, emitPayoutEvent } from '../outbound/emit';

export type PayoutRequest = {
  projectId: string;
  affiliateId: string;
  currency: string;
  method: string;
  destination: Prisma.InputJsonObject;
  now: Date;
  /** who asked: the merchant's payout is approved as it is made (payout.approved); an affiliate's is requested (payout.requested). Default merchant. */
  requestedBy?: 'merchant' | 'affiliate';
  /** take whole commissions, refunds carried forward first, then oldest first, while their sum stays within this */
  upToMinor?: bigint;
  /** the payout batch it is made in (src/ledger/payout-batches.ts) */
  batchId?: string;
  /** the Idempotency-Key, and what its request asked for (createPayoutOnce) */
  idempotency?: { key: string; request: string } | null;
};

export type PayoutRefusal =
  | { refused: 'unknown_affiliate' }
  | { refused: 'suspended' }
  | { refused: 'nothing_eligible' }
  | { refused: 'above_eligible'; balanceMinor: bigint; requestedMinor: bigint }
  | { refused: 'not_positive'; balanceMinor: bigint }
  /** `upToMinor` is below every eligible commission: no whole one fits */
  | { refused: 'none_within_amount'; balanceMinor: bigint; requestedMinor: bigint }
  /** refunds waiting for a pending payout lower the balance below every commission that could be taken now */
  | { refused: 'waiting_refunds'; balanceMinor: bigint; waitingMinor: bigint }
  /** a batch pays active affiliates: an inactive one (earns nothing) is paid by a single payout */
  | { refused: 'inactive' }
  | { refused: 'below_minimum'; balanceMinor: bigint; minimumMinor: bigint }
  | { refused: 'too_large'; balanceMinor: bigint };

/** payouts.amount_minor is a bigint */
const MAX_PAYOUT_MINOR = 2n ** 63n - 1n;

class Refused extends Error {
  constructor(readonly refusal: PayoutRefusal) {
    super(refusal.refused);
  }
}

/** `reverses_id`: the payment a refund row reverses (null for a payment) */
export type EligibleRow = { id: string; value_minor: bigint; due: Date; reverses_id?: string | null };

/**
 * Whole rows within a limit: refunds carried forward first (they settle a debt), then the commissions oldest first,
 * each taken when it still fits within what the limit leaves: one larger than that is passed over, not a stop, so a
 * request is refused only when no commission fits at all. A refund of a commission that is itself among the
 * eligible rows (not paid yet) goes with it, as one: paid apart, the payment could later be re-rated or move to
 * another affiliate while its reversal stayed as it was paid.
 */
export function withinLimit(rows: EligibleRow[], limit: bigint): EligibleRow[] {
  const byId = new Set(rows.map((r) => r.id));
  const units = new Map<string, { head: EligibleRow; rows: EligibleRow[]; sum: bigint }>();
  for (const row of [...rows].sort((a, b) => Number(a.reverses_id != null) - Number(b.reverses_id != null))) {
    const unit = row.reverses_id != null && byId.has(row.reverses_id) ? units.get(row.reverses_id) : undefined;
    if (unit) {
      unit.rows.push(row);
      unit.sum += BigInt(row.value_minor);
    } else units.set(row.id, { head: row, rows: [row], sum: BigInt(row.value_minor) });
  }
  const ordered = [...units.values()].sort(
    (a, b) =>
      Number(b.sum < 0n) - Number(a.sum < 0n) ||
      a.head.due.getTime() - b.head.due.getTime() ||
      (a.head.id < b.head.id ? -1 : a.head.id > b.head.id ? 1 : 0),
  );
  const taken: EligibleRow[] = [];
  let sum = 0n;
  for (const unit of ordered) {
    if (sum + unit.sum > limit) continue;
    sum += unit.sum;
    taken.push(...unit.rows);
  }
  return taken;
}

/**
 * Takes eligible rows of one affiliate in one currency — commissions and the refunds carried forward against them —
 * into a new pending payout of their sum, or takes nothing: every eligible row, or with `upToMinor` whole rows
 * within it (a payout's amount is always the sum of the rows it holds, so it may come out below the limit). The
 * affiliate's row is locked first, so two payout requests for one affiliate run one after the other and the
 * second finds nothing left; the rows are locked in id order, as the ledger's recompute locks them, and its writes
 * skip rows a payout holds. `minimumMinor` applies to the project's currency only (there is no rate to compare
 * other currencies with).
 */
export async function createPayout(
  prisma: PrismaClient,
  request: PayoutRequest,
  minimumMinor: bigint | null,
): Promise<Payout | PayoutRefusal> {
  try {
    return await prisma.$transaction((tx) => takeIntoPayout(tx, request, minimumMinor));
  } catch (err) {
    if (err instanceof Refused) return err.refusal;
    throw err;
  }
}

export type PayoutOutcome =
  | { made: Payout }
  /** the Idempotency-Key was used before for this request: that payout, unchanged */
  | { existing: Payout }
  /** the Idempotency-Key was used before for another request: that payout, which this request must not be answered with */
  | { conflict: Payout }
  | PayoutRefusal;

/**
 * createPayout, once per Idempotency-Key: a retry (after a lost answer, a double click) is answered with the payout
 * the first request made. Two requests with one key at once take the affiliate's row in turn: the second finds
 * nothing left, or, when new commissions came in between, its insert meets the unique key; either way it answers
 * the first one's payout.
 */
export async function createPayoutOnce(prisma: PrismaClient, request: PayoutRequest, minimumMinor: bigint | null): Promise<PayoutOutcome> {
  const key = request.idempotency;
  if (!key) {
    const result = await createPayout(prisma, request, minimumMinor);
    return 'refused' in result ? result : { made: result };
  }
  const earlier = async (): Promise<PayoutOutcome | null> => {
    const payout = await prisma.payout.findFirst({ where: { projectId: request.projectId, idempotencyKey: key.key } });
    if (!payout) return null;
    return payout.idempotencyRequest === key.request ? { existing: payout } : { conflict: payout };
  };
  const before = await earlier();
  if (before) return before;
  try {
    const result = await createPayout(prisma, request, minimumMinor);
    if (!('refused' in result)) return { made: result };
    return (await earlier()) ?? result;
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      const after = await earlier();
      if (after) return after;
    }
    throw err;
  }
}

/**
 * createPayout's decision inside a caller's transaction (a payout batch makes many in one): the payout, or the
 * refusal. A refusal is decided before anything is written, so the transaction may carry on with the next affiliate.
 */
export async function payoutIn(tx: Prisma.TransactionClient, request: PayoutRequest, minimumMinor: bigint | null): Promise<Payout | PayoutRefusal> {
  try {
    return await takeIntoPayout(tx, request, minimumMinor);
  } catch (err) {
    if (err instanceof Refused) return err.refusal;
    throw err;
  }
}

async function takeIntoPayout(tx: Prisma.TransactionClient, request: PayoutRequest, minimumMinor: bigint | null): Promise<Payout> {
  // NO KEY UPDATE: payouts of one affiliate (and its status changes) still run one after the other, while a refund
  // being applied, which holds a row this payout is about to wait for, may still insert its reversal: that insert's
  // foreign key takes KEY SHARE on this row, which FOR UPDATE would refuse, each transaction then waiting on the other
  const locked = await tx.$queryRaw<{ id: string; status: string }[]>`
    SELECT id, status FROM affiliates WHERE id = ${request.affiliateId}::uuid AND project_id = ${request.projectId}::uuid FOR NO KEY UPDATE`;
  if (locked.length === 0) throw new Refused({ refused: 'unknown_affiliate' });
  // PRODUCT.md §12: a suspended affiliate's payouts are frozen
  if (locked[0]!.status === 'suspended') throw new Refused({ refused: 'suspended' });
  const rows = await tx.$queryRaw<(EligibleRow & { waits: boolean })[]>`
    SELECT c.id, c.value_minor, coalesce(c.hold_until, c.occurred_at) AS due, c.reverses_id,
           -- a refund of a commission in a pending payout waits for that payout: if it failed, the commission would be
           -- unpaid again while its reversal was paid (it could then be re-rated or move to another affiliate)
           EXISTS (SELECT 1 FROM conversions p WHERE p.id = c.reverses_id AND p.paid_at IS NULL AND p.payout_id IS NOT NULL) AS waits
    FROM conversions c
    WHERE c.project_id = ${request.projectId}::uuid AND c.affiliate_id = ${request.affiliateId}::uuid
      AND c.currency = ${request.currency} AND c.value_minor <> 0 AND ${balance.eligible(request.now)}
    ORDER BY c.id FOR UPDATE OF c`;
  const eligible = rows.filter((r) => !r.waits);
  if (eligible.length === 0) throw new Refused({ refused: 'nothing_eligible' });
  // The eligible balance as every view shows it (the affiliate's balances, the batch preview) counts the waiting
  // refunds: they are owed back. A payout never takes more than it, so a debt waiting for a pending payout is not
  // paid out meanwhile by commissions earned since; whole rows within it are taken, as for an amount asked for.
  const balanceMinor = rows.reduce((sum, r) => sum + BigInt(r.value_minor), 0n);
  const waitingMinor = balanceMinor - eligible.reduce((sum, r) => sum + BigInt(r.value_minor), 0n);
  if (request.upToMinor !== undefined && request.upToMinor > balanceMinor) {
    throw new Refused({ refused: 'above_eligible', balanceMinor, requestedMinor: request.upToMinor });
  }
  if (balanceMinor <= 0n) throw new Refused({ refused: 'not_positive', balanceMinor });
  const limit = request.upToMinor ?? (waitingMinor < 0n ? balanceMinor : undefined);
  const taken = limit === undefined ? eligible : withinLimit(eligible, limit);
  const total = taken.reduce((sum, r) => sum + BigInt(r.value_minor), 0n);
  if (request.upToMinor !== undefined && total <= 0n) {
    throw new Refused({ refused: 'none_within_amount', balanceMinor, requestedMinor: request.upToMinor });
  }
  if (total <= 0n && waitingMinor < 0n) throw new Refused({ refused: 'waiting_refunds', balanceMinor, waitingMinor });
  if (total <= 0n) throw new Refused({ refused: 'not_positive', balanceMinor: total });
  if (total > MAX_PAYOUT_MINOR) throw new Refused({ refused: 'too_large', balanceMinor: total });
  if (minimumMinor !== null && total < minimumMinor) throw new Refused({ refused: 'below_minimum', balanceMinor: total, minimumMinor });
  const payout = await tx.payout.create({
    data: {
      projectId: request.projectId,
      affiliateId: request.affiliateId,
      currency: request.currency,
      amountMinor: total,
      method: request.method,
      destination: request.destination,
      requestedBy: request.requestedBy ?? 'merchant',
      // the merchant making a payout approves it; an affiliate's request waits for the merchant
      approvedAt: request.requestedBy === 'affiliate' ? null : request.now,
      batchId: request.batchId ?? null,
      idempotencyKey: request.idempotency?.key ?? null,
      idempotencyRequest: request.idempotency?.request ?? null,
      createdAt: request.now,
    },
  });
  await tx.$executeRaw`UPDATE conversions SET payout_id = ${payout.id}::uuid, updated_at = now() WHERE id = ANY(${taken.map((r) => r.id)}::uuid[])`;
  // the merchant taking a balance into a payout approves paying it; an affiliate's asks for it (Refferq's events)
  await emitPayoutEvent(sqlSessionOf(tx), request.projectId, request.requestedBy === 'affiliate' ? 'payout.requested' : 'payout.approved', payout.id, request.now);
  return payout;
}

/** The payout after the attempt (unchanged when it was no longer pending), or null when the project has no such payout. */
export type Settlement = Payout | null;

/**
 * The commissions a payout paid something of: its positive rows but those its own refund rows cancel whole (a sale
 * refunded before the payout is taken into it with its reversal, and nothing of it is paid). A refund in a later
 * payout does not unpay what this one paid.
 */
async function commissionsPaidBy(tx: Prisma.TransactionClient, payoutId: string): Promise<string[]> {
  const rows = await tx.conversion.findMany({ where: { payoutId, valueMinor: { not: 0n } }, select: { id: true, kind: true, valueMinor: true, reversesId: true }, orderBy: { id: 'asc' } });
  const net = new Map<string, bigint>();
  for (const r of rows) if (r.kind !== 'refund' && r.valueMinor > 0n) net.set(r.id, r.valueMinor);
  for (const r of rows) if (r.kind === 'refund' && r.reversesId && net.has(r.reversesId)) net.set(r.reversesId, net.get(r.reversesId)! + r.valueMinor);
  return [...net].filter(([, left]) => left > 0n).map(([id]) => id);
}

/** A pending payout was sent: its rows become paid, at the moment it completed. Completing it again is a no-op. */
export function completePayout(prisma: PrismaClient, projectId: string, id: string, reference: string | null, now: Date): Promise<Settlement> {
  return prisma.$transaction((tx) => completeIn(tx, projectId, id, reference, now));
}

/** completePayout inside a caller's transaction (a batch completes its pending payouts in one). */
export function completeIn(tx: Prisma.TransactionClient, projectId: string, id: string, reference: string | null, now: Date): Promise<Settlement> {
  return settleIn(tx, projectId, id, async (tx, locked) => {
    const outbox = sqlSessionOf(tx);
    // a request completed without an approval of its own is approved by being paid: payout.approved comes first
    if (locked.approved_at === null) await approveIn(tx, projectId, id, now);
    await tx.conversion.updateMany({ where: { payoutId: id }, data: { paidAt: now } });
    const payout = await tx.payout.update({ where: { id }, data: { status: 'completed', reference, completedAt: now }, include: { affiliate: true, project: true } });
    // payout.completed, and commission.paid for each commission it paid (refunds carried into it are no commissions)
    await emitPayoutEvent(outbox, projectId, 'payout.completed', id, now);
    await emitConversionEvents(outbox, projectId, (await commissionsPaidBy(tx, id)).map((conversionId) => ({ type: 'commission.paid', conversionId })), now);
    // the affiliate hears of it, in the transaction that pays them (src/email/outbox.ts)
    await queueEmail(
      sqlSessionOf(tx),
      {
        projectId,
        to: payout.affiliate.email,
        template: 'payout_completed',
        data: { projectName: payout.project.name, affiliateName: payout.affiliate.name, amountMinor: payout.amountMinor, currency: payout.currency, reference },
      },
      now,
    );
    const { affiliate: _a, project: _p, ...row } = payout;
    return row;
  });
}

/**
 * A pending payout did not go through: its rows are let go, eligible again for the next payout, and their customers
 * laid out again once it has failed (releasedRows).
 */
export async function failPayout(prisma: PrismaClient, sql: SqlClient, projectId: string, id: string, reason: string | null, now: Date): Promise<Settlement> {
  return releasedRows(prisma, sql, projectId, { payoutId: id }, now, async () => {
    const settled = await prisma.$transaction((tx) => failIn(tx, projectId, id, reason, now));
    return { result: settled, released: settled?.status === 'failed' };
  });
}

/**
 * Runs a failure of payouts, then recomputes the customers of the rows they held when it released any: while frozen
 * those rows kept their level, and refunds reported meanwhile were laid out around them (recomputeCustomersOfRows).
 * The recompute follows the failure's commit; a crash between leaves the old layout, exact in its sums, until the
 * customer's next event.
 */
export async function releasedRows<T>(
  prisma: PrismaClient,
  sql: SqlClient,
  projectId: string,
  held: Prisma.ConversionWhereInput,
  now: Date,
  fail: () => Promise<{ result: T; released: boolean }>,
): Promise<T> {
  const rows = (await prisma.conversion.findMany({ where: { ...held, projectId }, select: { id: true } })).map((c) => c.id);
  const { result, released } = await fail();
  if (released) await recomputeCustomersOfRows(sql, projectId, rows, now);
  return result;
}

/** failPayout inside a caller's transaction. */
export function failIn(tx: Prisma.TransactionClient, projectId: string, id: string, reason: string | null, now: Date): Promise<Settlement> {
  return settleIn(tx, projectId, id, async (tx) => {
    await tx.conversion.updateMany({ where: { payoutId: id }, data: { payoutId: null } });
    return tx.payout.update({ where: { id }, data: { status: 'failed', failureReason: reason, failedAt: now } });
  });
}

type LockedPayout = { status: string; approved_at: Date | null };

async function settleIn(
  tx: Prisma.TransactionClient,
  projectId: string,
  id: string,
  work: (tx: Prisma.TransactionClient, row: LockedPayout) => Promise<Payout>,
): Promise<Settlement> {
  // the payout row's lock orders a completion, a failure and an approval sent at once: the second sees the first's status
  const [row] = await tx.$queryRaw<LockedPayout[]>`SELECT status, approved_at FROM payouts WHERE id = ${id}::uuid AND project_id = ${projectId}::uuid FOR UPDATE`;
  if (!row) return null;
  return row.status === 'pending' ? work(tx, row) : tx.payout.findUniqueOrThrow({ where: { id } });
}

/**
 * The merchant approves an affiliate's payout request (Refferq's review step): it stays pending, holding its rows,
 * until it is completed or failed. Approving it again, or a payout approved when made, changes nothing; a payout no
 * longer pending is answered as it is.
 */
export function approvePayout(prisma: PrismaClient, projectId: string, id: string, now: Date): Promise<Settlement> {
  return prisma.$transaction((tx) =>
    settleIn(tx, projectId, id, (tx, locked) => (locked.approved_at !== null ? tx.payout.findUniqueOrThrow({ where: { id } }) : approveIn(tx, projectId, id, now))),
  );
}

async function approveIn(tx: Prisma.TransactionClient, projectId: string, id: string, now: Date): Promise<Payout> {
  const payout = await tx.payout.update({ where: { id }, data: { approvedAt: now } });
  await emitPayoutEvent(sqlSessionOf(tx), projectId, 'payout.approved', id, now);
  return payout;
}
