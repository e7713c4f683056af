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

/**
 * Refwire's statuses before Refgrow's, still accepted from existing clients: `active` is `pending` (it attributes),
 * `inactive` is `direct` (it attributes nothing and keeps its affiliate_id as a record).
 */
export const LEGACY_REFERRAL_STATUSES: Record<'active' | 'inactive', ReferralStatus> = { active: 'pending', inactive: 'direct' };

/** Refgrow: setting converted or direct dates the referral. */
export const DATED_STATUSES: readonly ReferralStatus[] = ['converted', 'direct'];
