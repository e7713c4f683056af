import { createHash } from 'node:crypto';
import type { ProviderAdapter, RawDelivery, VerifyResult } from '../provider-adapter';
import { HEX_SHA256, hmacSha256, matchesAny } from '../shared/hmac';
import { parseJsonObject } from '../shared/json';
import { normalizeLemonSqueezyEvent } from './normalize';

export const LEMONSQUEEZY_WEBHOOK_EVENTS = [
  'order_created',
  'order_refunded',
  'subscription_created',
  'subscription_updated',
  'subscription_payment_success',
  'subscription_payment_refunded',
  'subscription_cancelled',
  'subscription_expired',
] as const;

const SIGNATURE_HEADER = 'x-signature';

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/**
 * `X-Signature`: hex HMAC-SHA256 of the raw body; Lemon Squeezy signs no timestamp, so there is no replay window
 * to check (deduplication is the only replay defence). The SDK has no verifier.
 */
function verify(delivery: RawDelivery, secrets: readonly string[]): VerifyResult {
  const header = delivery.headers[SIGNATURE_HEADER];
  if (!header) return { ok: false, reason: 'missing_signature' };
  if (!HEX_SHA256.test(header.trim())) return { ok: false, reason: 'malformed_signature' };
  const given = [Buffer.from(header.trim(), 'hex')];
  if (!secrets.some((secret) => matchesAny(hmacSha256(secret, delivery.body), given))) {
    return { ok: false, reason: 'signature_mismatch' };
  }
  const payload = parseJsonObject(delivery.body);
  const meta = record(payload?.meta);
  if (!payload || !meta || typeof meta.event_name !== 'string' || meta.event_name === '') {
    return { ok: false, reason: 'malformed_payload' };
  }
  // No documented event id: meta.webhook_id when present, else the body's hash (a resend of the same body dedupes).
  const eventId =
    typeof meta.webhook_id === 'string' && meta.webhook_id !== ''
      ? meta.webhook_id
      : `sha256:${createHash('sha256').update(delivery.body).digest('hex')}`;
  const attributes = record(record(payload.data)?.attributes);
  const stamp = attributes?.updated_at ?? attributes?.created_at;
  const occurredAt = typeof stamp === 'string' ? new Date(stamp) : null;
  return {
    ok: true,
    event: {
      eventId,
      type: meta.event_name,
      payload,
      occurredAt: occurredAt && !Number.isNaN(occurredAt.getTime()) ? occurredAt : null,
      livemode: typeof meta.test_mode === 'boolean' ? !meta.test_mode : null,
    },
  };
}

function sign(body: Buffer | string, secret: string): Record<string, string> {
  const buffer = typeof body === 'string' ? Buffer.from(body) : body;
  const eventName = record(parseJsonObject(buffer)?.meta)?.event_name;
  return {
    'x-signature': hmacSha256(secret, buffer).toString('hex'),
    ...(typeof eventName === 'string' ? { 'x-event-name': eventName } : {}),
    'content-type': 'application/json',
  };
}

export const lemonSqueezyAdapter: ProviderAdapter = {
  name: 'lemonsqueezy',
  webhookEvents: LEMONSQUEEZY_WEBHOOK_EVENTS,
  couponIdField: 'lemonsqueezy_discount_code',
  // the order's product first, then its variant
  productIdOf: (ids) => ids[0] ?? null,
  signatureHeaders: [SIGNATURE_HEADER, 'x-event-name'],
  validateWebhookSecret: (secret) =>
    secret.length >= 6 && secret.length <= 40 && !/\s/.test(secret)
      ? null
      : 'a Lemon Squeezy signing secret is 6 to 40 characters without spaces',
  validateApiKey: (key) => (/^[^\s]{20,}$/.test(key) ? null : 'a Lemon Squeezy API key is a long token without spaces'),
  verify,
  normalize: normalizeLemonSqueezyEvent,
  sign,
};
