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
 * The refunded total of a payment: the largest cumulative report, or the sum of distinct refunds if larger, plus
 * the withdrawals (lost disputes), which no cumulative refund report includes.
 */
export function refundedTotal(observations: readonly { cumulative: boolean; withdrawal: boolean; amountMinor: bigint }[], grossMinor: bigint): bigint {
  let maxCumulative = 0n;
  let sumDistinct = 0n;
  let withdrawn = 0n;
  for (const o of observations) {
    if (o.withdrawal) withdrawn += o.amountMinor;
    else if (o.cumulative) maxCumulative = o.amountMinor > maxCumulative ? o.amountMinor : maxCumulative;
    else sumDistinct += o.amountMinor;
  }
  const total = (maxCumulative > sumDistinct ? maxCumulative : sumDistinct) + withdrawn;
  return total > grossMinor ? grossMinor : total;
}
