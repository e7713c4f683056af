import type { Conversion } from '../../generated/prisma/client';
import type { RefferqEvent } from '../events';
import type { AffiliateRow, ConversionFacts, PayoutRow, ReferralRow } from './rows';

/**
 * Refferq's twelve events (seeds/refferq-docs.txt). Refferq documents their names and HMAC-SHA256 signing but
 * no payloads, so these follow Refferq's own conventions: camelCase, statuses in capitals (PENDING, ACTIVE, …),
 * money as integers of the currency's minor unit (`…Cents`, as Refferq's `amountCents`), with the currency beside
 * them. Every payload is `{ id, event, timestamp, projectId, data }`; `id` is the delivery's `webhook-id`.
 */

export function refferqEnvelope(event: RefferqEvent, projectId: string, at: Date, data: Record<string, unknown>) {
  return { event, timestamp: at.toISOString(), projectId, data };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
const cents = (v: bigint | string | number) => Number(BigInt(v));
const upper = (s: string) => s.toUpperCase();

export function refferqAffiliate(a: AffiliateRow) {
  return {
    id: a.id,
    email: a.email,
    name: a.name,
    referralCode: a.referral_code,
    status: upper(a.status),
    statusReason: a.status_reason,
    partnerGroupId: a.group_id,
    payoutMethod: a.payout_method,
    createdAt: iso(a.created_at),
  };
}

export function refferqReferral(r: ReferralRow) {
  return {
    id: r.id,
    email: r.email,
    affiliateId: r.affiliate_id,
    status: upper(r.status),
    source: r.source,
    linkId: r.link_id,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
  };
}

/** A commission's state as Refferq names them: PENDING (waiting for review), APPROVED, REJECTED, PAID. */
function commissionStatus(c: Conversion): string {
  if (c.paidAt) return 'PAID';
  if (c.reviewStatus === 'pending') return 'PENDING';
  if (c.reviewStatus === 'rejected') return 'REJECTED';
  return 'APPROVED';
}

export function refferqCommission(c: Conversion) {
  return {
    id: c.id,
    affiliateId: c.affiliateId,
    customerEmail: c.customerEmail,
    type: c.kind,
    status: commissionStatus(c),
    amountCents: cents(c.valueMinor),
    saleAmountCents: cents(c.baseValueMinor),
    currency: c.currency,
    ruleSource: c.ruleSource,
    holdUntil: iso(c.holdUntil),
    payoutId: c.payoutId,
    paidAt: iso(c.paidAt),
    createdAt: iso(c.occurredAt),
  };
}

/** referral.converted: the customer's first attributed payment, with the referral it converted (null when the customer came through a code, not a recorded referral). */
export function refferqConversionData(f: ConversionFacts & { affiliate: AffiliateRow }) {
  const c = f.conversion;
  return {
    referral: { id: f.referralId, email: c.customerEmail, customerId: c.customerId, affiliateId: c.affiliateId, status: 'CONVERTED', convertedAt: iso(c.occurredAt) },
    commission: refferqCommission(c),
    affiliate: refferqAffiliate(f.affiliate),
  };
}

/** A payout's state as Refferq's flow names it: PENDING (requested), APPROVED, COMPLETED, FAILED. */
function payoutStatus(p: PayoutRow): string {
  return p.status === 'pending' && p.approved_at !== null ? 'APPROVED' : upper(p.status);
}

export function refferqPayout(p: PayoutRow) {
  return {
    id: p.id,
    affiliateId: p.affiliate_id,
    amountCents: cents(p.amount_minor),
    currency: p.currency,
    method: p.method,
    status: payoutStatus(p),
    reference: p.reference,
    commissionCount: Number(p.conversions_count),
    createdAt: iso(p.created_at),
    approvedAt: iso(p.approved_at),
    completedAt: iso(p.completed_at),
  };
}
