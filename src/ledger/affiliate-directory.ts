import type { AffiliateRef, AttributionLookups } from '../attribution/chain';
import { inForceAt, type RuleState, type Version } from '../commission/rule-history';
import type { CommissionRule } from '../commission/rules';
import type { SqlSession } from '../db/sql';
import { referralAttributes, referralWindowMiss } from '../domain/referral-status';
import { overrideRuleState, ruleFromColumns } from '../projects/settings';
import { loadRuleVersions, versionKey } from './rule-versions';

/** holdDays: the affiliate's own hold period, null to use the project's */
export type Affiliate = AffiliateRef & { holdDays: number | null };

/** What an affiliate's own row said at some moment: its override (null: inherit), its status and its group. */
export type AffiliateTerms = { rule: CommissionRule | null; status: string; groupId: string | null };

/** Who recorded a referral, as the trace says it. */
const RECORDED_BY: Record<string, string> = {
  api: 'recorded by the merchant through the API',
  store_attribution: 'recorded by the merchant through store-attribution',
  signup: 'recorded by a public signup',
};

/** expires_at: the end of a public signup's attribution window (null: not windowed) */
type ReferralRow = { email: string; affiliate_id: string | null; conversion_status: string; source: string; created_at: Date; expires_at: Date | null };

type AffiliateRow = {
  id: string;
  email: string;
  status: string;
  referral_code_key: string;
  commission_type: string | null;
  commission_rate_bp: number | null;
  commission_amount_minor: string | null;
  hold_days: number | null;
  group_id: string | null;
};

/** A coupon with its id at the provider whose payments are being recomputed, if it has one there. */
type CouponRow = { affiliate_id: string; coupon_code: string; coupon_code_key: string; provider_coupon_id: string | null };

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
    private readonly referrals: Map<string, ReferralRow>,
    private readonly currency: string,
    private readonly current: Map<string, RuleState>,
    private readonly versions: Map<string, Version<RuleState>[]>,
  ) {}

  static async load(tx: SqlSession, projectId: string, provider: string, currency: string, wanted: Wanted): Promise<AffiliateDirectory> {
    const couponCodes = [...new Set(wanted.couponCodes)];
    const codeKeys = [...new Set([...wanted.referralCodes].map((c) => c.toLowerCase()))];
    const emails = [...new Set([...wanted.emails].map((e) => e.toLowerCase()))];
    // Every code, email and id is probed on its own through the one index that holds it (see record-events.ts). A
    // probe's conditions are those of that index alone, the project tested outside it where another index also
    // starts with project_id: an unanalyzed table's planner cannot tell two such indexes apart.
    const coupons =
      couponCodes.length === 0
        ? []
        : await tx.query<CouponRow>(
            `SELECT c.affiliate_id, c.coupon_code, c.coupon_code_key,
                    (SELECT provider_coupon_id FROM coupon_provider_ids WHERE coupon_id = c.id AND provider = $4) AS provider_coupon_id
             FROM (SELECT byCode.* FROM unnest($3::text[]) AS k(key)
                   CROSS JOIN LATERAL (SELECT id, affiliate_id, coupon_code, coupon_code_key, status FROM coupons
                                       WHERE project_id = $1 AND coupon_code_key = k.key OFFSET 0) byCode
                   UNION
                   SELECT byId.* FROM unnest($2::text[]) AS k(id)
                   CROSS JOIN LATERAL (SELECT coupon_id FROM coupon_provider_ids
                                       WHERE project_id = $1 AND provider = $4 AND provider_coupon_id = k.id OFFSET 0) p
                   CROSS JOIN LATERAL (SELECT id, affiliate_id, coupon_code, coupon_code_key, status FROM coupons WHERE id = p.coupon_id OFFSET 0) byId) c
             WHERE c.status = 'active'`,
            [projectId, couponCodes, [...new Set(couponCodes.map((c) => c.toLowerCase()))], provider],
          );
    const referrals =
      emails.length === 0
        ? []
        : await tx.query<ReferralRow>(
            `SELECT r.email, r.affiliate_id, r.conversion_status, r.source, r.created_at, r.expires_at FROM unnest($2::text[]) AS k(email)
             CROSS JOIN LATERAL (SELECT email, affiliate_id, conversion_status, source, created_at, expires_at FROM referrals WHERE project_id = $1 AND email = k.email OFFSET 0) r`,
            [projectId, emails],
          );
    const ids = [...new Set([...coupons.map((c) => c.affiliate_id), ...referrals.flatMap((r) => (r.affiliate_id ? [r.affiliate_id] : []))])];
    const columns = 'id, project_id, email, status, referral_code_key, commission_type, commission_rate_bp, commission_amount_minor, hold_days, group_id';
    const rows =
      ids.length === 0 && codeKeys.length === 0
        ? []
        : await tx.query<AffiliateRow>(
            `SELECT a.* FROM unnest($2::text[]) AS k(key) CROSS JOIN LATERAL (SELECT ${columns} FROM affiliates WHERE referral_code_key = k.key OFFSET 0) a
             WHERE a.project_id = $1
             UNION ALL
             SELECT a.* FROM unnest($3::uuid[]) AS k(id) CROSS JOIN LATERAL (SELECT ${columns} FROM affiliates WHERE id = k.id OFFSET 0) a
             WHERE a.project_id = $1`,
            [projectId, codeKeys, ids],
          );
    const byId = new Map<string, Affiliate>();
    const byCodeKey = new Map<string, Affiliate>();
    const current = new Map<string, RuleState>();
    for (const row of rows) {
      const affiliate: Affiliate = { id: row.id, email: row.email, status: row.status, holdDays: row.hold_days };
      byId.set(row.id, affiliate);
      byCodeKey.set(row.referral_code_key, affiliate);
      current.set(
        row.id,
        overrideRuleState({
          commissionType: row.commission_type,
          commissionRateBp: row.commission_rate_bp,
          commissionAmountMinor: row.commission_amount_minor === null ? null : BigInt(row.commission_amount_minor),
          status: row.status,
          groupId: row.group_id,
        }),
      );
    }
    const versions = rows.length === 0 ? new Map() : await loadRuleVersions(tx, projectId, 'affiliate', rows.map((r) => r.id));
    return new AffiliateDirectory(byId, byCodeKey, coupons, new Map(referrals.map((r) => [r.email, r])), currency, current, versions);
  }

  /**
   * The affiliate's override and status in force at `at`. An affiliate created after the project's first sale
   * has no version before its creation: what it was created with holds for any earlier payment it is given.
   */
  termsAt(affiliate: Affiliate, at: Date): AffiliateTerms {
    const state = inForceAt(this.versions.get(versionKey('affiliate', affiliate.id)), this.current.get(affiliate.id)!, at);
    return { rule: ruleFromColumns(state, this.currency), status: state.status ?? affiliate.status, groupId: state.groupId ?? null };
  }

  affiliateById(id: string): Affiliate | null {
    return this.byId.get(id) ?? null;
  }

  /**
   * The chain's lookups for one payment made at `paidAt`; `bound` is the affiliate earlier payments of the
   * customer went to.
   */
  forChain(bound: Affiliate | null, paidAt: Date): AttributionLookups {
    return {
      affiliateByCoupon: async (codes) => {
        for (const code of codes) {
          const coupon = this.coupons.find((c) => c.provider_coupon_id === code || c.coupon_code_key === code.toLowerCase());
          const affiliate = coupon ? this.affiliateById(coupon.affiliate_id) : null;
          if (coupon && affiliate) return { affiliate, coupon: coupon.coupon_code };
        }
        return null;
      },
      affiliateByReferralCode: async (code) => this.byCodeKey.get(code.toLowerCase()) ?? null,
      boundAffiliate: async () => bound,
      affiliateByReferralEmail: async (email) => {
        const referral = this.referrals.get(email.toLowerCase());
        if (!referral) return { miss: `no referral for ${email}` };
        // direct and direct_signup referrals (and any without an affiliate) name the customer as the merchant's own
        if (!referralAttributes({ conversionStatus: referral.conversion_status, affiliateId: referral.affiliate_id })) {
          return { miss: `the referral for ${email} is ${referral.conversion_status}${referral.affiliate_id ? '' : ', with no affiliate'}: it credits nobody` };
        }
        const affiliate = this.affiliateById(referral.affiliate_id!);
        if (!affiliate) return { miss: `no referral for ${email}` };
        const window = referralWindowMiss({ source: referral.source, createdAt: referral.created_at, expiresAt: referral.expires_at }, paidAt);
        if (window === 'before_signup') {
          return { miss: `the referral for ${email} was recorded by a public signup at ${referral.created_at.toISOString()}, after this payment` };
        }
        if (window === 'outside_window') {
          const days = Math.round((referral.expires_at!.getTime() - referral.created_at.getTime()) / 86_400_000);
          return { miss: `the referral for ${email} was recorded by a public signup on ${referral.created_at.toISOString()}, outside the ${days}-day window` };
        }
        return { affiliate, detail: `referral for ${email}, ${RECORDED_BY[referral.source] ?? `recorded (${referral.source})`}` };
      },
    };
  }
}
