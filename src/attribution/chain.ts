import type { Hints } from '../domain/normalized-event';

/** An affiliate as the chain needs it. */
export type AffiliateRef = { id: string; email: string; status: string };

/** Where the chain looks things up; the ledger backs it with the database, tests with maps. */
export type AttributionLookups = {
  /** the affiliate of an active coupon matching any of these provider coupon/promotion/discount ids or codes */
  affiliateByCoupon(codes: readonly string[]): Promise<{ affiliate: AffiliateRef; coupon: string } | null>;
  affiliateByReferralCode(code: string): Promise<AffiliateRef | null>;
  /** the affiliate earlier payments of this subscription or customer were attributed to */
  boundAffiliate(): Promise<AffiliateRef | null>;
  /**
   * the affiliate of an active referral recorded for this email that may attribute this payment, and how it was
   * recorded; or why not (none, or one a public call recorded after the payment)
   */
  affiliateByReferralEmail(email: string): Promise<{ affiliate: AffiliateRef; detail: string } | { miss: string }>;
};

export type AttributionInput = { hints: Hints; email: string | null };

export type TraceStep = {
  step: AttributionMethod;
  result: 'hit' | 'miss';
  detail: string;
};

export type AttributionMethod = 'coupon' | 'metadata' | 'client_reference_id' | 'subscription' | 'email';

export type Attribution = { affiliate: AffiliateRef | null; method: AttributionMethod | null; trace: TraceStep[] };

type Resolver = {
  step: AttributionMethod;
  resolve(input: AttributionInput, lookups: AttributionLookups): Promise<{ affiliate: AffiliateRef; detail: string } | { miss: string }>;
};

const COUPON_HIT = 'coupon ';

/** The code of our coupon a payment was attributed by (Refgrow's coupon_code_used), read back from its trace. */
export function couponOfTrace(trace: readonly { step?: unknown; result?: unknown; detail?: unknown }[]): string | null {
  const hit = trace.find((s) => s.step === 'coupon' && s.result === 'hit' && typeof s.detail === 'string' && s.detail.startsWith(COUPON_HIT));
  return hit ? (hit.detail as string).slice(COUPON_HIT.length) : null;
}

/** PRODUCT.md §6, in order: the first resolver that finds an affiliate wins. */
export const ATTRIBUTION_CHAIN: readonly Resolver[] = [
  {
    step: 'coupon',
    async resolve({ hints }, lookups) {
      if (hints.couponIds.length === 0) return { miss: 'no coupon on the payment' };
      const found = await lookups.affiliateByCoupon(hints.couponIds);
      return found ? { affiliate: found.affiliate, detail: `${COUPON_HIT}${found.coupon}` } : { miss: `no coupon of ours among ${hints.couponIds.join(', ')}` };
    },
  },
  {
    step: 'metadata',
    async resolve({ hints }, lookups) {
      if (!hints.referralCode) return { miss: 'no referral_code in metadata' };
      const affiliate = await lookups.affiliateByReferralCode(hints.referralCode);
      return affiliate ? { affiliate, detail: `referral_code ${hints.referralCode}` } : { miss: `unknown referral_code ${hints.referralCode}` };
    },
  },
  {
    step: 'client_reference_id',
    async resolve({ hints }, lookups) {
      if (!hints.clientReferenceId) return { miss: 'no client_reference_id' };
      const affiliate = await lookups.affiliateByReferralCode(hints.clientReferenceId);
      return affiliate
        ? { affiliate, detail: `client_reference_id ${hints.clientReferenceId}` }
        : { miss: `client_reference_id ${hints.clientReferenceId} is no referral code` };
    },
  },
  {
    step: 'subscription',
    async resolve({ hints }, lookups) {
      if (hints.subscriptionReferralCode) {
        const affiliate = await lookups.affiliateByReferralCode(hints.subscriptionReferralCode);
        if (affiliate) return { affiliate, detail: `subscription metadata referral_code ${hints.subscriptionReferralCode}` };
      }
      const bound = await lookups.boundAffiliate();
      if (bound) return { affiliate: bound, detail: 'the affiliate of an earlier payment of this subscription or customer' };
      return { miss: hints.subscriptionReferralCode ? `unknown subscription referral_code ${hints.subscriptionReferralCode}` : 'no earlier attributed payment' };
    },
  },
  {
    step: 'email',
    async resolve({ email }, lookups) {
      if (!email) return { miss: 'no customer email' };
      return lookups.affiliateByReferralEmail(email);
    },
  },
];

/** Runs the chain; every step tried is in the trace, so "why (not) this affiliate?" is answered from data. */
export async function attribute(input: AttributionInput, lookups: AttributionLookups): Promise<Attribution> {
  const trace: TraceStep[] = [];
  for (const resolver of ATTRIBUTION_CHAIN) {
    const outcome = await resolver.resolve(input, lookups);
    if ('affiliate' in outcome) {
      trace.push({ step: resolver.step, result: 'hit', detail: outcome.detail });
      return { affiliate: outcome.affiliate, method: resolver.step, trace };
    }
    trace.push({ step: resolver.step, result: 'miss', detail: outcome.miss });
  }
  return { affiliate: null, method: null, trace };
}
