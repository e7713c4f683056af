/**
 * A referral's status, in Refgrow's words (its `conversion_status`). Which of them attribute payments is decided
 * here once, for the ledger's email step (src/ledger/affiliate-directory.ts) and the API's views alike.
 */
export const REFERRAL_STATUSES = ['pending', 'converted', 'direct', 'direct_signup'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/** pending and converted referrals credit their affiliate; direct ones came without one and credit nobody. */
export const ATTRIBUTING_STATUSES: readonly ReferralStatus[] = ['pending', 'converted'];

/** A referral attributes its customer's payments when it names an affiliate and is not direct. */
export function referralAttributes(r: { conversionStatus: string; affiliateId: string | null }): boolean {
  return r.affiliateId !== null && (ATTRIBUTING_STATUSES as readonly string[]).includes(r.conversionStatus);
}

/** Referrals recorded by a public call (the tracking script's signup): they reach only later payments. */
const PUBLIC_SOURCES: readonly string[] = ['signup'];

/**
 * Whether a referral reaches a payment made at `paidAt`, for every path that credits one (the ledger's email step,
 * the public conversion report): a public call never attributes a payment made before it (PRODUCT.md §11), and
 * cookie_days holds on the server, the window fixed when the signup was recorded (§12). Null: it reaches it.
 */
export function referralWindowMiss(r: { source: string; createdAt: Date; expiresAt: Date | null }, paidAt: Date): 'before_signup' | 'outside_window' | null {
  if (PUBLIC_SOURCES.includes(r.source)) {
    // Stripe stamps a payment to the second (`created`): one stamped in the signup's own second may follow it. The
    // others stamp milliseconds or finer, and are compared as they are.
    const signedUp = r.createdAt.getTime();
    const wholeSecond = paidAt.getTime() % 1000 === 0;
    if (paidAt.getTime() < (wholeSecond ? signedUp - (signedUp % 1000) : signedUp)) return 'before_signup';
  }
  if (r.expiresAt && paidAt.getTime() > r.expiresAt.getTime()) return 'outside_window';
  return null;
}

/**
 * Refwire's statuses before Refgrow's, still accepted from existing clients: `active` is `pending` (it attributes),
 * `inactive` is `direct` (it attributes nothing and keeps its affiliate_id as a record).
 */
export const LEGACY_REFERRAL_STATUSES: Record<'active' | 'inactive', ReferralStatus> = { active: 'pending', inactive: 'direct' };

/** Refgrow: setting converted or direct dates the referral. */
export const DATED_STATUSES: readonly ReferralStatus[] = ['converted', 'direct'];
