import { conversionView } from '../../views/present';
import type { AffiliateRow, ConversionFacts } from './rows';

/**
 * The `refwire-v1` format: what Refwire sent before payload formats existed, kept byte for byte in shape for the
 * endpoints created then — `{ id, event, created_at, data: { referral, affiliate, conversion } }`, the conversion
 * as `GET /api/v1/conversions/:id` showed it at the time of the change.
 */

function affiliateOf(a: AffiliateRow | null) {
  if (!a) return null;
  return { id: a.id, email: a.email, referral_code: a.referral_code, status: a.status, payout_method: a.payout_method, paypal_email: a.paypal_email, wise_email: a.wise_email };
}

export function refwireV1Conversion(event: string, f: ConversionFacts, at: Date) {
  const conversion = conversionView(f.conversion, at);
  return {
    event,
    created_at: at.toISOString(),
    data: { referral: { email: conversion.email, referred_user_id: conversion.referred_user_id }, affiliate: affiliateOf(f.affiliate), conversion },
  };
}

export function refwireV1Signup(s: { affiliate: AffiliateRow; email: string | null; referredUserId: string | null; source: string; at: Date }) {
  return {
    event: 'referral_signed_up',
    created_at: s.at.toISOString(),
    data: {
      referral: { email: s.email, referred_user_id: s.referredUserId ?? s.email, source: s.source, created_at: s.at.toISOString() },
      affiliate: affiliateOf(s.affiliate),
    },
  };
}
