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

export function asHints(value: unknown): Hints | null {
  return value !== null && typeof value === 'object' ? mergeHints(value as Hints) : null;
}
