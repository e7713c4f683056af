import type { AffiliateRef, AttributionLookups } from '../attribution/chain';
import type { CommissionRule } from '../commission/rules';
import type { SqlSession } from '../db/sql';
import { ruleFromColumns } from '../projects/settings';

/** holdDays: the affiliate's own hold period, null to use the project's */
export type Affiliate = AffiliateRef & { rule: CommissionRule | null; holdDays: number | null };

type AffiliateRow = {
  id: string;
  email: string;
  status: string;
  referral_code_key: string;
  commission_type: string | null;
  commission_rate_bp: number | null;
  commission_amount_minor: string | null;
  hold_days: number | null;
};

type CouponRow = {
  affiliate_id: string;
  coupon_code: string;
  coupon_code_key: string;
  stripe_coupon_id: string | null;
  paddle_discount_id: string | null;
  polar_discount_id: string | null;
  lemonsqueezy_discount_code: string | null;
};

/** What a recompute may ask the attribution chain about: every code and email its payments carry. */
export type Wanted = { couponCodes: Iterable<string>; referralCodes: Iterable<string>; emails: Iterable<string> };

/**
 * The affiliates, coupons and referrals a set of payments can reach, loaded in three queries up front so the
 * attribution chain of any number of payments runs in memory. Loading a superset of what the chain will ask is
 * harmless: the chain still decides in its own order.
 */
export class AffiliateDirectory {
  private constructor(
    private readonly byId: Map<string, Affiliate>,
    private readonly byCodeKey: Map<string, Affiliate>,
    private readonly coupons: CouponRow[],
    private readonly referralAffiliate: Map<string, string>,
  ) {}

  static async load(tx: SqlSession, projectId: string, currency: string, wanted: Wanted): Promise<AffiliateDirectory> {
    const couponCodes = [...new Set(wanted.couponCodes)];
    const codeKeys = [...new Set([...wanted.referralCodes].map((c) => c.toLowerCase()))];
    const emails = [...new Set([...wanted.emails].map((e) => e.toLowerCase()))];
    const coupons =
      couponCodes.length === 0
        ? []
        : await tx.query<CouponRow>(
            `SELECT affiliate_id, coupon_code, coupon_code_key, stripe_coupon_id, paddle_discount_id, polar_discount_id, lemonsqueezy_discount_code
             FROM coupons WHERE project_id = $1 AND status = 'active'
               AND (stripe_coupon_id = ANY($2::text[]) OR paddle_discount_id = ANY($2::text[]) OR polar_discount_id = ANY($2::text[])
                    OR lemonsqueezy_discount_code = ANY($2::text[]) OR coupon_code_key = ANY($3::text[]))`,
            [projectId, couponCodes, couponCodes.map((c) => c.toLowerCase())],
          );
    const referrals =
      emails.length === 0
        ? []
        : await tx.query<{ email: string; affiliate_id: string }>(
            `SELECT email, affiliate_id FROM referrals WHERE project_id = $1 AND email = ANY($2::text[]) AND status = 'active'`,
            [projectId, emails],
          );
    const ids = [...new Set([...coupons.map((c) => c.affiliate_id), ...referrals.map((r) => r.affiliate_id)])];
    const rows =
      ids.length === 0 && codeKeys.length === 0
        ? []
        : await tx.query<AffiliateRow>(
            `SELECT id, email, status, referral_code_key, commission_type, commission_rate_bp, commission_amount_minor, hold_days FROM affiliates
             WHERE project_id = $1 AND (referral_code_key = ANY($2::text[]) OR id = ANY($3::uuid[]))`,
            [projectId, codeKeys, ids],
          );
    const byId = new Map<string, Affiliate>();
    const byCodeKey = new Map<string, Affiliate>();
    for (const row of rows) {
      const affiliate: Affiliate = {
        id: row.id,
        email: row.email,
        status: row.status,
        rule: ruleFromColumns(
          {
            commissionType: row.commission_type,
            commissionRateBp: row.commission_rate_bp,
            commissionAmountMinor: row.commission_amount_minor === null ? null : BigInt(row.commission_amount_minor),
          },
          currency,
        ),
        holdDays: row.hold_days,
      };
      byId.set(row.id, affiliate);
      byCodeKey.set(row.referral_code_key, affiliate);
    }
    return new AffiliateDirectory(byId, byCodeKey, coupons, new Map(referrals.map((r) => [r.email, r.affiliate_id])));
  }

  affiliateById(id: string): Affiliate | null {
    return this.byId.get(id) ?? null;
  }

  /** The chain's lookups for one payment; `bound` is the affiliate earlier payments of the customer went to. */
  forChain(bound: Affiliate | null): AttributionLookups {
    return {
      affiliateByCoupon: async (codes) => {
        for (const code of codes) {
          const coupon = this.coupons.find(
            (c) => [c.stripe_coupon_id, c.paddle_discount_id, c.polar_discount_id, c.lemonsqueezy_discount_code].includes(code) || c.coupon_code_key === code.toLowerCase(),
          );
          const affiliate = coupon ? this.affiliateById(coupon.affiliate_id) : null;
          if (coupon && affiliate) return { affiliate, coupon: coupon.coupon_code };
        }
        return null;
      },
      affiliateByReferralCode: async (code) => this.byCodeKey.get(code.toLowerCase()) ?? null,
      boundAffiliate: async () => bound,
      affiliateByReferralEmail: async (email) => {
        const id = this.referralAffiliate.get(email.toLowerCase());
        return id ? this.affiliateById(id) : null;
      },
    };
  }
}
