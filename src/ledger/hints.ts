import { emptyHints, type Hints } from '../domain/normalized-event';

/** Merges hints: lists are unions in order of sources; a field already known keeps its value. */
export function mergeHints(...sources: (Hints | null | undefined)[]): Hints {
  const merged = emptyHints();
  for (const h of sources) {
    if (!h) continue;
    merged.couponIds = [...new Set([...merged.couponIds, ...(h.couponIds ?? [])])];
    merged.discountIds = [...new Set([...merged.discountIds, ...(h.discountIds ?? [])])];
    merged.referralCode ??= h.referralCode ?? null;
    merged.clientReferenceId ??= h.clientReferenceId ?? null;
    merged.subscriptionReferralCode ??= h.subscriptionReferralCode ?? null;
  }
  return merged;
}

/**
 * Merges what several events said of one thing (reports of one payment, the undated hints of one subject), so that
 * the result does not depend on the order they arrived in (PRODUCT.md §11): a field only one of them states is
 * taken; two that name different values keep the lesser (in code point order); coupon and discount lists that differ
 * become their sorted union, while one list, or the same list stated again, keeps its own order (the first of its
 * coupons that is ours is the one the chain credits). Unlike mergeHints, no source takes precedence.
 */
export function combineStatements(a: Hints | null | undefined, b: Hints | null | undefined): Hints {
  if (!a || !b) return mergeHints(a ?? b);
  const lesser = (x: string | null, y: string | null) => (x === null ? y : y === null ? x : x <= y ? x : y);
  return {
    couponIds: unionOf(a.couponIds, b.couponIds),
    discountIds: unionOf(a.discountIds, b.discountIds),
    referralCode: lesser(a.referralCode, b.referralCode),
    clientReferenceId: lesser(a.clientReferenceId, b.clientReferenceId),
    subscriptionReferralCode: lesser(a.subscriptionReferralCode, b.subscriptionReferralCode),
  };
}

function unionOf(a: readonly string[], b: readonly string[]): string[] {
  const same = a.length === b.length && a.every((x, i) => x === b[i]);
  if (b.length === 0 || same) return [...new Set(a)];
  if (a.length === 0) return [...new Set(b)];
  return [...new Set([...a, ...b])].sort();
}

export function asHints(value: unknown): Hints | null {
  return value !== null && typeof value === 'object' ? mergeHints(value as Hints) : null;
}

export function isEmptyHints(h: Hints): boolean {
  return h.couponIds.length === 0 && h.discountIds.length === 0 && !h.referralCode && !h.clientReferenceId && !h.subscriptionReferralCode;
}

/**
 * Hints a subject learned at a time: a coupon applied to a subscription weeks after its first payment, a renewal's
 * own metadata, a customer's later checkout. They reach the subject's payments that occurred at or after them
 * (give or take FACT_GRACE_MS), never an earlier one: a fact dated after a payment must not take over a commission
 * already recorded (PRODUCT.md §11), whatever order the events arrive in.
 */
export type DatedHints = {
  at: Date;
  hints: Hints;
  /**
   * Another payment's own hints (its code, its coupon): they reach payments at or after it, never one before it,
   * not even within FACT_GRACE_MS (a plan change invoiced 20 s after the first invoice with another code does not
   * take the first invoice).
   */
  exact?: boolean;
};

/**
 * How long after a payment a fact still counts as part of its sale. A provider reports a sale's own facts within
 * seconds of its payment, before or after it (Stripe's checkout.session.completed follows the first invoice's
 * invoice.paid), and a merchant's code that tags a new subscription with the referral code on checkout runs
 * within moments; a coupon applied or metadata changed later belongs to later payments.
 */
export const FACT_GRACE_MS = 60 * 60 * 1000;

const contentKey = (h: Hints, exact: boolean) =>
  JSON.stringify([[...h.couponIds].sort(), [...h.discountIds].sort(), h.referralCode, h.clientReferenceId, h.subscriptionReferralCode, exact]);

/** The stored form (`attribution_subjects.dated_hints`): `[{ "at": ISO time, "hints": … }]`. */
export function asDatedHints(value: unknown): DatedHints[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const hints = asHints(entry?.hints);
    const at = typeof entry?.at === 'string' ? new Date(entry.at) : null;
    return hints && at && !Number.isNaN(at.getTime()) ? [{ at, hints, ...(entry.exact === true ? { exact: true } : {}) }] : [];
  });
}

/**
 * Adds hints learned at `at`: each distinct content is kept once, at the earliest time it was learned (a later
 * report of the same facts reaches no payment the earlier one does not), in time order, ties by content, so the
 * list is the same whatever order its facts arrived in.
 */
export function addDatedHints(list: readonly DatedHints[], at: Date, hints: Hints, exact = false): DatedHints[] {
  if (isEmptyHints(hints)) return [...list];
  const byContent = new Map(list.map((d) => [contentKey(d.hints, d.exact === true), d]));
  const key = contentKey(hints, exact);
  const known = byContent.get(key);
  if (!known || at < known.at) byContent.set(key, { at, hints: mergeHints(hints), ...(exact ? { exact: true } : {}) });
  return [...byContent.entries()]
    .sort(([ka, a], [kb, b]) => a.at.getTime() - b.at.getTime() || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, d]) => d);
}

/** The dated hints that reach a payment at `occurredAt`, in time order. */
export function hintsReaching(list: readonly DatedHints[], occurredAt: Date): Hints[] {
  const at = occurredAt.getTime();
  return list.filter((d) => d.at.getTime() <= (d.exact ? at : at + FACT_GRACE_MS)).map((d) => d.hints);
}
