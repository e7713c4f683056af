import { bpToPercent, majorNumber } from '../../commission/money';
import type { CommissionRule } from '../../commission/rules';
import type { Conversion } from '../../generated/prisma/client';
import { isProviderName } from '../../domain/provider-names';
import { getAdapter } from '../../providers/registry';
import type { RefgrowEvent } from '../events';
import type { AffiliateRow, ConversionFacts } from './rows';

/**
 * Refgrow's four payloads, key for key as Refgrow documents them (seeds/refgrow-llm-context.txt, "Webhook
 * Events"; the documented examples are test/outbound/fixtures/refgrow-payloads.json). Refgrow's amounts are
 * numbers in major units, so these are too, converted once from the exact minor units (majorNumber); a receiver
 * that needs exact figures reads the conversion through the API by `conversion.id`.
 */

/** `referrer`: the affiliate, with how they want to be paid. */
function referrerOf(a: AffiliateRow) {
  const details = (a.payout_details && typeof a.payout_details === 'object' ? a.payout_details : {}) as Record<string, unknown>;
  const accountId = typeof details.accountId === 'string' ? details.accountId : typeof details.account_id === 'string' ? details.account_id : null;
  return {
    id: a.id,
    email: a.email,
    payout_preferences: {
      paypal_email: a.paypal_email,
      // Refgrow's { accountId, email }; null when the affiliate gave no Wise details
      wise_details: a.wise_email || accountId ? { accountId, email: a.wise_email } : null,
    },
  };
}

/** `referred`: the customer, by the id the API shows as `referred_user_id`. */
function referredOf(c: Conversion) {
  return { id: c.customerEmail ?? c.customerId, email: c.customerEmail };
}

/** `referrer` is null only when a change took a payment away from its affiliate (a referral_updated). */
function envelope(event: RefgrowEvent, projectId: string, at: Date, affiliate: AffiliateRow | null) {
  return { event, timestamp: Math.floor(at.getTime() / 1000), project_id: projectId, referrer: affiliate ? referrerOf(affiliate) : null };
}

/** Refgrow's `order_id` / `reference`: the merchant's own reference of a manual conversion, else the provider's payment id. */
function orderIdOf(c: Conversion): string | null {
  return c.externalKey?.startsWith('manual:') ? c.externalKey.slice('manual:'.length) : c.paymentKey;
}

const major = (minor: bigint, currency: string) => majorNumber(minor, currency);

export type SignupFacts = {
  affiliate: AffiliateRow;
  email: string | null;
  referredUserId: string | null;
  at: Date;
  userAgent: string | null;
  ipAddress: string | null;
};

export function refgrowSignup(projectId: string, s: SignupFacts) {
  return {
    ...envelope('referral_signed_up', projectId, s.at, s.affiliate),
    referred: { id: s.referredUserId ?? s.email, email: s.email },
    data: { referral_code: s.affiliate.referral_code, signup_date: s.at.toISOString(), user_agent: s.userAgent, ip_address: s.ipAddress },
  };
}

/** `commission_type` and `commission_rate` as Refgrow shows a rule: a percentage, or the fixed amount in major units. */
function ruleFields(rule: CommissionRule | null) {
  if (!rule) return { commission_type: null, commission_rate: null };
  return rule.type === 'percentage'
    ? { commission_type: 'percentage', commission_rate: bpToPercent(rule.rateBp) }
    : { commission_type: 'fixed', commission_rate: major(rule.amountMinor, rule.currency) };
}

export function refgrowConverted(projectId: string, f: ConversionFacts, at: Date, rule: CommissionRule | null) {
  const c = f.conversion;
  return {
    ...envelope('referral_converted', projectId, at, f.affiliate),
    referred: referredOf(c),
    conversion: {
      id: c.id,
      amount: major(c.baseValueMinor, c.currency),
      currency: c.currency,
      commission_amount: major(c.valueMinor, c.currency),
      ...ruleFields(rule),
      payment_processor: c.provider ?? 'manual',
      // a text[] column that SQL may give as null where Prisma would give []; by hand, the product_id given
      product_id: c.provider && isProviderName(c.provider) ? getAdapter(c.provider).productIdOf(c.productIds ?? []) : (c.productIds?.[0] ?? null),
      order_id: orderIdOf(c),
      conversion_date: c.occurredAt.toISOString(),
    },
  };
}

/**
 * A refund (the refund row's step of it) or a rejected commission: `conversion` is the payment canceled, as it
 * stands; `refund_amount` is what this refund gave back of its `amount` (0 for a rejection), or `refundMinor`: what
 * the refunded total rose by when a late report rearranged refunds already announced, so that the `refund_amount`s a
 * receiver adds up are what was refunded.
 */
export function refgrowCanceled(projectId: string, f: ConversionFacts, at: Date, reason: string | null, refundMinor?: bigint) {
  const refund = f.conversion.kind === 'refund' ? f.conversion : null;
  const payment = refund ? (f.reversed ?? refund) : f.conversion;
  return {
    ...envelope('referral_canceled', projectId, at, f.affiliate),
    referred: referredOf(payment),
    conversion: {
      id: payment.id,
      amount: major(payment.baseValueMinor, payment.currency),
      commission_amount: major(payment.valueMinor, payment.currency),
      refund_amount: refund ? major(refundMinor ?? -refund.baseValueMinor, refund.currency) : 0,
      reason: reason ?? (refund ? `payment refunded${refund.provider ? ` (${refund.provider})` : ''}` : 'canceled'),
      canceled_date: (refund?.occurredAt ?? at).toISOString(),
    },
  };
}

export function refgrowUpdated(projectId: string, f: ConversionFacts, at: Date) {
  const c = f.conversion;
  const amount = major(c.baseValueMinor, c.currency);
  return {
    ...envelope('referral_updated', projectId, at, f.affiliate),
    referred: referredOf(c),
    conversion: {
      id: c.id,
      amount,
      // no exchange rates (docs/architecture.md): known only when the sale is in USD
      amount_usd: c.currency === 'USD' ? amount : null,
      commission_amount: major(c.valueMinor, c.currency),
      base_value: amount,
      conversion_date: c.occurredAt.toISOString(),
      reference: orderIdOf(c),
    },
  };
}
