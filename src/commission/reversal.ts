import { mulDivRound } from './money';

/**
 * How much of a commission is reversed once `refundedMinor` of a payment of `grossMinor` has been refunded in
 * all. A function of the cumulative refund only, so partial refunds in any order or split reverse exactly the
 * same total, and never more than the commission.
 */
export function reversedAt(commissionMinor: bigint, grossMinor: bigint, refundedMinor: bigint): bigint {
  if (grossMinor <= 0n || refundedMinor <= 0n) return 0n;
  const level = refundedMinor > grossMinor ? grossMinor : refundedMinor;
  return mulDivRound(commissionMinor, level, grossMinor);
}

/**
 * A refund whose tax the provider gave, measured as a share of the payment's gross like every other: its untaxed
 * part is its share of the payment's base (tax excluded, what the commission was computed on), carried onto the
 * gross. A refund of tax alone is then no share at all, and items taxed at different rates each weigh what they
 * earned. Where the payment has no base to share, the refund stays as it was given.
 */
export function grossShareOf(refundMinor: bigint, refundTaxMinor: bigint, paymentGrossMinor: bigint, paymentTaxMinor: bigint): bigint {
  const base = paymentGrossMinor - paymentTaxMinor;
  if (base <= 0n) return refundMinor;
  return mulDivRound(refundMinor - refundTaxMinor, paymentGrossMinor, base);
}

/**
 * The gross shares of several refunds of one payment that each name their tax (Paddle's adjustments, Polar's
 * refunds), given in time order: their untaxed parts are added up and the running total carried onto the gross and
 * rounded once at each step, each refund's share the step it adds. So the shares add up to the share of the refunds'
 * untaxed sum, which is the whole gross when they refund the whole base: rounded one by one, twelve pieces of a full
 * refund added up to two minor units less and left the affiliate two cents of a commission refunded in full.
 */
export function grossSharesOf(refunds: readonly { amountMinor: bigint; taxMinor: bigint }[], paymentGrossMinor: bigint, paymentTaxMinor: bigint): bigint[] {
  const base = paymentGrossMinor - paymentTaxMinor;
  if (base <= 0n) return refunds.map((r) => r.amountMinor);
  let untaxed = 0n;
  let carried = 0n;
  return refunds.map((r) => {
    untaxed += r.amountMinor - r.taxMinor;
    const next = mulDivRound(untaxed, paymentGrossMinor, base);
    const share = next - carried;
    carried = next;
    return share;
  });
}

/**
 * A cumulative report is kept under its total and its time: the same report delivered again is one, but a total that
 * comes back to an earlier figure after a refund failed (Stripe lowers amount_refunded) is a new report, and only
 * the earlier one included the failed refund.
 */
export const cumulativeKeyOf = (amountMinor: bigint, at: Date) => `cumulative:${amountMinor}:${at.toISOString()}`;

/**
 * A refund's failure is kept beside the refund's own report, under this key: `failedSince` is when the refund was
 * created (the cumulative totals reported since then included it).
 */
export const failureKeyOf = (refundKey: string) => `failed:${refundKey}`;
const refundKeyOfFailure = (failureKey: string) => failureKey.slice('failed:'.length);

type Observed = { cumulative: boolean; withdrawal: boolean; amountMinor: bigint; failedSince?: Date | null };

/**
 * The refunded total of a payment: the largest cumulative report, or the sum of distinct refunds if larger, plus
 * the withdrawals (lost disputes), which no cumulative refund report includes; a refund that failed counts in none.
 */
export function refundedTotal(observations: readonly (Observed & { observationKey?: string; occurredAt?: Date })[], grossMinor: bigint): bigint {
  return (
    refundLevels(
      observations.map((o, i) => ({ ...o, occurredAt: o.occurredAt ?? new Date(0), observationKey: o.observationKey ?? String(i) })),
      grossMinor,
    ).at(-1)?.level ?? 0n
  );
}

/** A refunded level a payment reached: the total, when it was reached, and the observation that raised it there. */
export type RefundLevel<O> = { level: bigint; at: Date; by: O };

/**
 * The refunded levels of a payment in time order: the refunded total (as refundedTotal counts it) of the refunds
 * observed up to each moment, wherever it rose. Observations are taken by time, so the levels are the
 * same whatever order the provider's events arrived in: a refund reported late still dates its level when it
 * happened, and a cumulative report that adds nothing to distinct refunds already counted makes no level.
 * Money given back (a chargeback reversed: a negative withdrawal, never more than the withdrawals before it) can
 * lower the total: the levels then stop at
 * the final total, reached when it was first reached, so the rows above it are removed and the commission they
 * reversed is earned again. A refund that failed never happened: it counts nowhere, nor in the cumulative totals
 * reported while it was under way (from when it was made until it failed), so the levels are those of the refunds
 * that stand, dated when they were made.
 */
export function refundLevels<O extends Observed & { occurredAt: Date; observationKey: string }>(observations: readonly O[], grossMinor: bigint): RefundLevel<O>[] {
  const failures = new Map<string, { from: number; until: number; amountMinor: bigint }>();
  for (const o of observations) {
    if (!o.failedSince) continue;
    const key = refundKeyOfFailure(o.observationKey);
    const seen = failures.get(key);
    if (!seen || o.occurredAt.getTime() < seen.until) failures.set(key, { from: o.failedSince.getTime(), until: o.occurredAt.getTime(), amountMinor: o.amountMinor });
  }
  /** what the provider's cumulative total reported at `at` held of refunds that later failed */
  const failedWithin = (at: number) => [...failures.values()].reduce((sum, f) => (f.from <= at && at < f.until ? sum + f.amountMinor : sum), 0n);
  // At one moment the smaller first: two cumulative reports stamped alike (a fixture replayed) still make two levels;
  // but money given back after what it gives back (a chargeback and its reversal stamped alike net to nothing).
  const givesBack = (o: O) => o.withdrawal && o.amountMinor < 0n;
  const ordered = observations
    .filter((o) => !o.failedSince)
    .sort(
      (a, b) =>
        a.occurredAt.getTime() - b.occurredAt.getTime() ||
        Number(givesBack(a)) - Number(givesBack(b)) ||
        (a.amountMinor < b.amountMinor ? -1 : a.amountMinor > b.amountMinor ? 1 : 0) ||
        (a.observationKey < b.observationKey ? -1 : a.observationKey > b.observationKey ? 1 : 0),
    );
  const running: { total: bigint; o: O }[] = [];
  let maxCumulative = 0n;
  let sumDistinct = 0n;
  let withdrawn = 0n;
  for (const o of ordered) {
    // money given back (a negative withdrawal) returns only what withdrawals took before it: a chargeback reversed
    // whose chargeback was never counted gives nothing back, and cancels no refund
    if (o.withdrawal) withdrawn = withdrawn + o.amountMinor > 0n ? withdrawn + o.amountMinor : 0n;
    else if (o.cumulative) {
      const standing = o.amountMinor - failedWithin(o.occurredAt.getTime());
      if (standing > maxCumulative) maxCumulative = standing;
    } else if (!failures.has(o.observationKey)) sumDistinct += o.amountMinor;
    let total = (maxCumulative > sumDistinct ? maxCumulative : sumDistinct) + withdrawn;
    if (total > grossMinor) total = grossMinor;
    if (total < 0n) total = 0n;
    running.push({ total, o });
  }
  const final = running.at(-1)?.total ?? 0n;
  const levels: RefundLevel<O>[] = [];
  for (const { total, o } of running) {
    const level = total < final ? total : final;
    if (level > (levels.at(-1)?.level ?? 0n)) levels.push({ level, at: o.occurredAt, by: o });
  }
  return levels;
}
