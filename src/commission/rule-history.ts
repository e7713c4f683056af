/**
 * Rules are not retroactive (PRODUCT.md §11): a payment is rated with the rules in force when it occurred. A
 * subject's rule (the project default, a product rule, an affiliate override) is its current state since its last
 * change, and each earlier state is a version in force over [from, to). The periods of one subject are contiguous
 * and the first starts at BEGINNING, so every moment has exactly one state.
 */

/** Where a subject's first version starts: earlier than any payment a provider can report. */
export const BEGINNING = new Date('1970-01-01T00:00:00.000Z');

export type Version<T> = { from: Date; to: Date; state: T };

/**
 * The state in force at `at`: the version whose period holds it, else the current state. A time on a whole second
 * is a provider's stamp to the second (Stripe's `created`, Lemon Squeezy's): it says which second the payment fell
 * in, not where in it, so a change made within that second is taken to have preceded the payment. A merchant who
 * suspends an affiliate or changes a rate and then sees a sale in the same second means the sale to follow it; read
 * as the second's start, the sale was rated under the state just replaced. Stamps finer than a second are as given.
 */
export function inForceAt<T>(versions: readonly Version<T>[] | undefined, current: T, at: Date): T {
  const stamp = at.getTime();
  const t = stamp % 1000 === 0 ? stamp + 999 : stamp;
  for (const v of versions ?? []) if (t >= v.from.getTime() && t < v.to.getTime()) return v.state;
  return current;
}

/** A rule-bearing state as stored: null commission type means no rule at this scope (inherit). */
export type RuleState = {
  commissionType: string | null;
  commissionRateBp: number | null;
  commissionAmountMinor: bigint | null;
  /** project only */
  commissionDuration?: string | null;
  commissionMonths?: number | null;
  /** affiliate only */
  status?: string | null;
  groupId?: string | null;
  /** group only: its hold period (null: the project's) */
  holdDays?: number | null;
};

export const NO_RULE: RuleState = { commissionType: null, commissionRateBp: null, commissionAmountMinor: null };

/** Whether two states rate payments alike (fields a scope does not use compare as absent). */
export function sameRule(a: RuleState, b: RuleState): boolean {
  return (
    a.commissionType === b.commissionType &&
    (a.commissionRateBp ?? null) === (b.commissionRateBp ?? null) &&
    (a.commissionAmountMinor ?? null) === (b.commissionAmountMinor ?? null) &&
    (a.commissionDuration ?? null) === (b.commissionDuration ?? null) &&
    (a.commissionMonths ?? null) === (b.commissionMonths ?? null) &&
    (a.status ?? null) === (b.status ?? null) &&
    (a.groupId ?? null) === (b.groupId ?? null) &&
    (a.holdDays ?? null) === (b.holdDays ?? null)
  );
}
