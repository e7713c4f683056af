import type { ProviderAdapter, RawDelivery, VerifyOptions, VerifyResult } from '../provider-adapter';
import { HEX_SHA256, hmacSha256, matchesAny } from '../shared/hmac';
import { parseJsonObject } from '../shared/json';
import { checkTimestamp, parseUnixSeconds } from '../shared/timestamps';
import { normalizeStripeEvent, STRIPE_NORMALIZED_TYPES } from './normalize';

/** The event types Refwire reads (PRODUCT.md §5): the normalizer's handlers; merchants enable exactly these. */
export const STRIPE_WEBHOOK_EVENTS: readonly string[] = STRIPE_NORMALIZED_TYPES;

const SIGNATURE_HEADER = 'stripe-signature';

type ParsedHeader = { timestamp: number; v1: Buffer[] };

/**
 * `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`. Stripe sends one v1 per active endpoint secret while
 * a rolled secret is still valid, so every v1 is checked against every secret we hold.
 */
function parseSignatureHeader(header: string): ParsedHeader | null {
  let timestamp: number | null = null;
  const v1: Buffer[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) return null;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') timestamp = parseUnixSeconds(value);
    else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return null;
      v1.push(Buffer.from(value, 'hex'));
    }
  }
  return timestamp === null || v1.length === 0 ? null : { timestamp, v1 };
}

/**
 * Same scheme as the SDK's `stripe.webhooks.constructEvent` (test/providers/stripe checks both agree), plus a
 * rejection of timestamps from the future, which the SDK lets through.
 */
function verify(delivery: RawDelivery, secrets: readonly string[], { now, toleranceSeconds }: VerifyOptions): VerifyResult {
  const header = delivery.headers[SIGNATURE_HEADER];
  if (!header) return { ok: false, reason: 'missing_signature' };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed_signature' };
  const signedPrefix = `${parsed.timestamp}.`;
  const matched = secrets.some((secret) => matchesAny(hmacSha256(secret, signedPrefix, delivery.body), parsed.v1));
  if (!matched) return { ok: false, reason: 'signature_mismatch' };
  const timing = checkTimestamp(parsed.timestamp, now, toleranceSeconds);
  if (timing) return { ok: false, reason: timing };

  const payload = parseJsonObject(delivery.body);
  if (!payload || typeof payload.id !== 'string' || payload.id === '' || typeof payload.type !== 'string') {
    return { ok: false, reason: 'malformed_payload' };
  }
  return {
    ok: true,
    event: {
      eventId: payload.id,
      type: payload.type,
      payload,
      occurredAt: typeof payload.created === 'number' ? new Date(payload.created * 1000) : null,
      livemode: typeof payload.livemode === 'boolean' ? payload.livemode : null,
    },
  };
}

function sign(body: Buffer | string, secret: string, { now }: { now: Date }): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const signature = hmacSha256(secret, `${timestamp}.`, body).toString('hex');
  return { 'stripe-signature': `t=${timestamp},v1=${signature}`, 'content-type': 'application/json' };
}

export const stripeAdapter: ProviderAdapter = {
  name: 'stripe',
  webhookEvents: STRIPE_WEBHOOK_EVENTS,
  couponIdField: 'stripe_coupon_id',
  // a line names its price (price_…) and the price's product (prod_…)
  productIdOf: (ids) => ids.find((id) => id.startsWith('prod_')) ?? ids[0] ?? null,
  signatureHeaders: [SIGNATURE_HEADER],
  validateWebhookSecret: (secret) =>
    /^whsec_[^\s]{8,}$/.test(secret) ? null : 'a Stripe webhook signing secret is "whsec_" followed by at least 8 characters, without spaces',
  validateApiKey: (key) =>
    /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/.test(key)
      ? null
      : 'a Stripe API key is "sk_test_", "sk_live_", "rk_test_" or "rk_live_" followed by at least 8 letters or digits',
  verify,
  normalize: normalizeStripeEvent,
  sign,
};
