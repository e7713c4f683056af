import { z } from 'zod';
import { instant, majorText, minor, uuid } from './schema-fields';
import { bpToPercent, majorNumber } from '../commission/money';
import { formatMajor } from '../domain/currency-digits';
import { couponOfTrace } from '../attribution/chain';
import { balanceOf, isFrozen } from '../domain/balances';
import type { Affiliate, Conversion } from '../generated/prisma/client';
import { jsonInteger } from '../util/exact-json';

export type ConversionStatus = 'pending' | 'rejected' | 'held' | 'eligible' | 'processing' | 'paid' | 'reversed' | 'none';

/**
 * held until hold_until, then eligible; processing while a pending payout holds it; paid once paid out; reversed when
 * fully refunded; none when it earns nothing. The balances are src/domain/balances.ts's.
 */
export function conversionStatus(c: Conversion, now: Date): ConversionStatus {
  if (isFrozen(c)) return balanceOf(c, now);
  if (c.reviewStatus === 'rejected') return 'rejected';
  if ((c.kind === 'purchase' || c.kind === 'renewal') && c.refundLevelMinor !== null && c.refundLevelMinor >= c.amountMinor && c.amountMinor > 0n) {
    return 'reversed';
  }
  if (c.valueMinor === 0n) return 'none';
  return balanceOf(c, now);
}

export function commissionView(row: { commissionType: string | null; commissionRateBp: number | null; commissionAmountMinor: bigint | null }, currency: string) {
  if (row.commissionType === 'percentage' && row.commissionRateBp !== null) {
    return { commission_type: 'percentage', commission_value: bpToPercent(row.commissionRateBp), commission_value_minor: null, commission_rate_bp: row.commissionRateBp };
  }
  if (row.commissionType === 'fixed' && row.commissionAmountMinor !== null) {
    return {
      commission_type: 'fixed',
      commission_value: majorNumber(row.commissionAmountMinor, currency),
      commission_value_minor: Number(row.commissionAmountMinor),
      commission_rate_bp: null,
    };
  }
  return { commission_type: null, commission_value: null, commission_value_minor: null, commission_rate_bp: null };
}

/** A manual conversion keeps its coupon_code_used as its one coupon hint (src/api/conversions.ts). */
function manualCoupon(hints: unknown): string | null {
  const ids = (hints as { couponIds?: unknown } | null)?.couponIds;
  return Array.isArray(ids) && typeof ids[0] === 'string' ? ids[0] : null;
}

/** Minor units as a JSON number: exact below 2^53, which no real balance reaches. */
const n = jsonInteger;

export function conversionView(c: Conversion, now: Date) {
  const attribution = (c.attribution ?? { method: null, trace: [] }) as { method: string | null; trace: unknown[] };
  return {
    id: c.id,
    type: c.kind === 'signup' ? 'signup' : 'purchase',
    kind: c.kind,
    status: conversionStatus(c, now),
    reason: c.reason === 'pending' ? null : c.reason,
    affiliate_id: c.affiliateId,
    value: majorNumber(c.valueMinor, c.currency),
    value_minor: n(c.valueMinor),
    base_value: majorNumber(c.baseValueMinor, c.currency),
    base_value_minor: n(c.baseValueMinor),
    amount_minor: n(c.amountMinor),
    tax_minor: n(c.taxMinor),
    currency: c.currency,
    base_value_currency: c.currency,
    rule_source: c.ruleSource,
    provider: c.provider,
    payment_key: c.paymentKey,
    reverses_id: c.reversesId,
    refunded_minor: c.kind === 'refund' ? null : n(c.refundLevelMinor ?? 0n),
    referred_user_id: c.customerEmail ?? c.customerId,
    email: c.customerEmail,
    customer_id: c.customerId,
    subscription_id: c.subscriptionId,
    reference: c.externalKey?.startsWith('manual:') ? c.externalKey.slice('manual:'.length) : null,
    /** Refgrow's: the coupon the sale was attributed by, or the one given with a manual conversion */
    coupon_code_used: couponOfTrace(attribution.trace as { step?: unknown }[]) ?? (c.provider === null ? manualCoupon(c.hints) : null),
    paid: c.paidAt !== null,
    paid_at: c.paidAt?.toISOString() ?? null,
    payout_id: c.payoutId,
    hold_until: c.holdUntil?.toISOString() ?? null,
    /** set by POST /api/v1/conversions/recalculate: rated with the rules of that moment, not of occurred_at */
    rated_at: c.ratedAt?.toISOString() ?? null,
    /** the merchant's review under commission_review: manual (the status says pending or rejected) */
    reviewed_at: c.reviewedAt?.toISOString() ?? null,
    review_reason: c.reviewReason,
    attribution: { method: attribution.method, trace: attribution.trace },
    inbound_event_id: c.inboundEventId,
    occurred_at: c.occurredAt.toISOString(),
    created_at: c.createdAt.toISOString(),
  };
}

export type Earnings = {
  currency: string;
  total: bigint;
  unpaid: bigint;
  held: bigint;
  eligible: bigint;
  processing: bigint;
  paid: bigint;
  /** commissions waiting for the merchant's review: in no balance until approved */
  pending: bigint;
  nextRelease: Date | null;
};

export function emptyEarnings(currency: string): Earnings {
  return { currency, total: 0n, unpaid: 0n, held: 0n, eligible: 0n, processing: 0n, paid: 0n, pending: 0n, nextRelease: null };
}

export function earningsView(e: Earnings) {
  return {
    unpaid_earnings: formatMajor(e.unpaid, e.currency),
    total_earnings: formatMajor(e.total, e.currency),
    eligible_earnings: formatMajor(e.eligible, e.currency),
    held_earnings: formatMajor(e.held, e.currency),
    processing_earnings: formatMajor(e.processing, e.currency),
    paid_earnings: formatMajor(e.paid, e.currency),
    pending_earnings: formatMajor(e.pending, e.currency),
    unpaid_earnings_minor: n(e.unpaid),
    total_earnings_minor: n(e.total),
    eligible_earnings_minor: n(e.eligible),
    held_earnings_minor: n(e.held),
    processing_earnings_minor: n(e.processing),
    paid_earnings_minor: n(e.paid),
    pending_earnings_minor: n(e.pending),
    next_release_date: e.nextRelease?.toISOString() ?? null,
  };
}

export type AffiliateStats = { signups: number; purchases: number; earnings: Earnings[] };

export function affiliateView(a: Affiliate, projectCurrency: string, stats: AffiliateStats) {
  const main = stats.earnings.find((e) => e.currency === projectCurrency) ?? emptyEarnings(projectCurrency);
  return {
    id: a.id,
    email: a.email,
    user_email: a.email,
    name: a.name,
    referral_code: a.referralCode,
    status: a.status,
    status_reason: a.statusReason,
    ...commissionView(a, projectCurrency),
    group_id: a.groupId,
    hold_days: a.holdDays,
    payout_method: a.payoutMethod,
    paypal_email: a.paypalEmail,
    wise_email: a.wiseEmail,
    payout_details: a.payoutDetails,
    clicks: a.clicks,
    signups: stats.signups,
    purchases: stats.purchases,
    currency: projectCurrency,
    ...earningsView(main),
    earnings_by_currency: stats.earnings.map((e) => ({ currency: e.currency, ...earningsView(e) })),
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

/*
 * The views above as zod schemas, for /openapi.json (src/api/operation.ts's `response`). Strict objects: a field the
 * view sends and the schema does not name fails test/api/openapi-responses.test.ts. Named by `.meta({ id })`, so
 * the document lists them under components.schemas.
 */
export const conversionStatusResponse = z.enum(['pending', 'rejected', 'held', 'eligible', 'processing', 'paid', 'reversed', 'none']);

/** commissionView's fields: the rule an affiliate or group overrides with (all null: inherited). */
export const commissionFields = {
  commission_type: z.enum(['percentage', 'fixed']).nullable(),
  commission_value: z.number().nullable().describe('percent for "percentage", major units for "fixed"'),
  commission_value_minor: minor.nullable().describe('"fixed": the amount in minor units'),
  commission_rate_bp: z.number().int().nullable().describe('"percentage": basis points'),
};

export const conversionResponse = z
  .strictObject({
    id: uuid,
    type: z.enum(['signup', 'purchase']),
    kind: z.enum(['signup', 'purchase', 'renewal', 'refund']),
    status: conversionStatusResponse,
    reason: z.string().nullable().describe('why no commission: unattributed, affiliate_inactive, self_referral, duration_ended, …'),
    affiliate_id: uuid.nullable(),
    value: z.number().describe('the commission in major units'),
    value_minor: minor,
    base_value: z.number().describe('the commission base (amount without tax) in major units'),
    base_value_minor: minor,
    amount_minor: minor,
    tax_minor: minor,
    currency: z.string(),
    base_value_currency: z.string(),
    rule_source: z.string().nullable().describe('affiliate | group | product | project | manual'),
    provider: z.string().nullable(),
    payment_key: z.string().nullable(),
    reverses_id: uuid.nullable(),
    refunded_minor: minor.nullable(),
    referred_user_id: z.string().nullable(),
    email: z.string().nullable(),
    customer_id: z.string().nullable(),
    subscription_id: z.string().nullable(),
    reference: z.string().nullable(),
    coupon_code_used: z.string().nullable(),
    paid: z.boolean(),
    paid_at: instant.nullable(),
    payout_id: uuid.nullable(),
    hold_until: instant.nullable(),
    rated_at: instant.nullable(),
    reviewed_at: instant.nullable().describe('when the merchant approved or rejected it (commission_review: manual); null: not reviewed'),
    review_reason: z.string().nullable().describe('the reason given when it was rejected (POST /api/v1/conversions/{id}/reject)'),
    attribution: z.strictObject({
      method: z.string().nullable(),
      trace: z.array(z.strictObject({ step: z.string(), result: z.enum(['hit', 'miss']), detail: z.string() })),
    }),
    inbound_event_id: uuid.nullable(),
    occurred_at: instant,
    created_at: instant,
    attribution_explanation: z.string().optional().describe('the attribution trace in words (on conversion and event answers)'),
    affiliate_email: z.string().nullable().optional().describe("the affiliate's email (on conversion and event answers)"),
  })
  .meta({ id: 'Conversion' });

export const earningsFields = {
  unpaid_earnings: majorText,
  total_earnings: majorText,
  eligible_earnings: majorText,
  held_earnings: majorText,
  processing_earnings: majorText,
  paid_earnings: majorText,
  pending_earnings: majorText,
  unpaid_earnings_minor: minor,
  total_earnings_minor: minor,
  eligible_earnings_minor: minor,
  held_earnings_minor: minor,
  processing_earnings_minor: minor,
  paid_earnings_minor: minor,
  pending_earnings_minor: minor,
  next_release_date: instant.nullable(),
};

export const affiliateResponse = z
  .strictObject({
    id: uuid,
    email: z.string(),
    user_email: z.string(),
    name: z.string().nullable(),
    referral_code: z.string(),
    status: z.enum(['pending', 'active', 'inactive', 'suspended', 'rejected']),
    status_reason: z.string().nullable().describe('why the merchant rejected or suspended the affiliate (POST …/reject, …/suspend); null otherwise'),
    ...commissionFields,
    group_id: uuid.nullable(),
    hold_days: z.number().int().nullable(),
    payout_method: z.enum(['paypal', 'wise', 'bank_transfer', 'manual']).nullable(),
    paypal_email: z.string().nullable(),
    wise_email: z.string().nullable(),
    payout_details: z.record(z.string(), z.unknown()).nullable(),
    clicks: z.number().int(),
    signups: z.number().int(),
    purchases: z.number().int(),
    currency: z.string(),
    ...earningsFields,
    earnings_by_currency: z.array(z.strictObject({ currency: z.string(), ...earningsFields })),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'Affiliate' });
