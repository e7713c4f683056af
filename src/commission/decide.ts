import { computeCommission, selectRule, withinDuration, type CommissionRule, type Duration, type RuleSource } from './rules';

const DAY_MS = 86_400_000;

/** Everything a commission depends on, each rule as it was in force for this payment. */
export type CommissionInput = {
  /** the attributed affiliate with its override and status in force; null when unattributed */
  affiliate: { email: string; status: string; rule: CommissionRule | null } | null;
  /** the paying customer's email, lower-cased (a customer paying through their own link earns nothing) */
  customerEmail: string | null;
  /** minor units, tax excluded */
  baseMinor: bigint;
  currency: string;
  productIds: readonly string[];
  productRules: ReadonlyMap<string, CommissionRule>;
  project: { rule: CommissionRule; duration: Duration };
  /** the affiliate's partner group in force: its rule and duration, each null when it leaves them to the project */
  group?: { rule: CommissionRule | null; duration: Duration | null } | null;
  /** when the customer's first attributed payment occurred; null when this payment is that first one */
  firstAttributedAt: Date | null;
  occurredAt: Date;
};

/** `rule`: the rule that rated it (null when nothing was rated), for those who show it (outbound payloads). */
export type CommissionDecision = { valueMinor: bigint; reason: string | null; ruleSource: RuleSource | null; rule: CommissionRule | null };

/**
 * The one commission decision (PRODUCT.md §7), for provider payments and manual conversions alike: who earns
 * nothing and why, else which rule applies and what it gives. Pure: the callers pass the rules in force.
 */
export function decideCommission(i: CommissionInput): CommissionDecision {
  if (!i.affiliate) return { valueMinor: 0n, reason: 'unattributed', ruleSource: null, rule: null };
  // inactive, suspended, pending or rejected: earns nothing (PRODUCT.md §12)
  if (i.affiliate.status !== 'active') return { valueMinor: 0n, reason: `affiliate_${i.affiliate.status}`, ruleSource: null, rule: null };
  if (i.customerEmail !== null && i.customerEmail === i.affiliate.email) return { valueMinor: 0n, reason: 'self_referral', ruleSource: null, rule: null };
  const duration = i.group?.duration ?? i.project.duration;
  if (!withinDuration(duration, i.firstAttributedAt, i.occurredAt)) return { valueMinor: 0n, reason: 'duration_ended', ruleSource: null, rule: null };
  const selected = selectRule({
    affiliateRule: i.affiliate.rule,
    groupRule: i.group?.rule ?? null,
    productRules: i.productRules,
    productIds: i.productIds,
    projectRule: i.project.rule,
  });
  const commission = computeCommission(selected.rule, i.baseMinor, i.currency);
  return { valueMinor: commission.valueMinor, reason: commission.reason, ruleSource: selected.source, rule: selected.rule };
}

/**
 * A commission's review state (PRODUCT.md §12): once reviewed, or earned without a review, it keeps that state
 * whatever the setting later says; a newly earned one under `manual` review waits as pending. `earning` says the
 * row already earned (attributed, with a commission) before this computation: one earned under `auto` has no
 * stored state, and a later recompute (a refund of it, a renewal of the same customer, a recalculation) must not
 * take it out of the balances because the setting is `manual` now. `reassigned`: the payment moves from the
 * affiliate it earned for to another; a review was of that affiliate's commission, so the new one is new, and
 * waits for its own review under `manual`.
 */
export function reviewState(stored: string | null, valueMinor: bigint, review: 'auto' | 'manual', earning: boolean, reassigned = false): string | null {
  if (!reassigned && (stored !== null || earning)) return stored;
  return valueMinor > 0n && review === 'manual' ? 'pending' : null;
}

/** When a commission stops being held: fixed when the payment is attributed, so later setting changes do not move it. */
export function holdUntil(occurredAt: Date, holdDays: number): Date {
  return new Date(occurredAt.getTime() + holdDays * DAY_MS);
}
