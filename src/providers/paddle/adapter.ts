import type { ProviderAdapter, RawDelivery, VerifyOptions, VerifyResult } from '../provider-adapter';
import { HEX_SHA256, hmacSha256, matchesAny } from '../shared/hmac';
import { parseJsonObject } from '../shared/json';
import { checkTimestamp, parseUnixSeconds } from '../shared/timestamps';
import { normalizePaddleEvent } from './normalize';

/** PRODUCT.md §5, plus customer events: Paddle payloads carry no email, so the email fallback learns it here. */
export const PADDLE_WEBHOOK_EVENTS = [
  'transaction.completed',
  'transaction.paid',
  'subscription.created',
  'subscription.updated',
  'subscription.canceled',
  'adjustment.created',
  'adjustment.updated',
  'customer.created',
  'customer.updated',
] as const;

const SIGNATURE_HEADER = 'paddle-signature';

/**
 * `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>…]` over `${ts}:${body}`. During a secret rotation Paddle sends
 * several h1 values; the node SDK checks only the last one, so we check them all.
 */
function verify(delivery: RawDelivery, secrets: readonly string[], { now, toleranceSeconds }: VerifyOptions): VerifyResult {
  const header = delivery.headers[SIGNATURE_HEADER];
  if (!header) return { ok: false, reason: 'missing_signature' };
  let timestamp: number | null = null;
  const h1: Buffer[] = [];
  for (const item of header.split(';')) {
    const [key, value, ...extra] = item.trim().split('=');
    if (value === undefined || extra.length > 0) return { ok: false, reason: 'malformed_signature' };
    if (key === 'ts') timestamp = parseUnixSeconds(value);
    else if (key === 'h1') {
      if (!HEX_SHA256.test(value)) return { ok: false, reason: 'malformed_signature' };
      h1.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === null || h1.length === 0) return { ok: false, reason: 'malformed_signature' };
  const prefix = `${timestamp}:`;
  if (!secrets.some((secret) => matchesAny(hmacSha256(secret, prefix, delivery.body), h1))) {
    return { ok: false, reason: 'signature_mismatch' };
  }
  const timing = checkTimestamp(timestamp, now, toleranceSeconds);
  if (timing) return { ok: false, reason: timing };

  const payload = parseJsonObject(delivery.body);
  if (!payload || typeof payload.event_id !== 'string' || payload.event_id === '' || typeof payload.event_type !== 'string') {
    return { ok: false, reason: 'malformed_payload' };
  }
  const occurredAt = typeof payload.occurred_at === 'string' ? new Date(payload.occurred_at) : null;
  return {
    ok: true,
    event: {
      eventId: payload.event_id,
      type: payload.event_type,
      payload,
      occurredAt: occurredAt && !Number.isNaN(occurredAt.getTime()) ? occurredAt : null,
      livemode: null,
    },
  };
}

function sign(body: Buffer | string, secret: string, { now }: { now: Date }): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const signature = hmacSha256(secret, `${timestamp}:`, body).toString('hex');
  return { 'paddle-signature': `ts=${timestamp};h1=${signature}`, 'content-type': 'application/json' };
}

export const paddleAdapter: ProviderAdapter = {
  name: 'paddle',
  webhookEvents: PADDLE_WEBHOOK_EVENTS,
  couponIdField: 'paddle_discount_id',
  // an item names its price (pri_…) and the price's product (pro_…)
  productIdOf: (ids) => ids.find((id) => id.startsWith('pro_')) ?? ids[0] ?? null,
  signatureHeaders: [SIGNATURE_HEADER],
  validateWebhookSecret: (secret) =>
    /^pdl_ntfset_[^\s]{8,}$/.test(secret) ? null : 'a Paddle notification secret is "pdl_ntfset_" followed by at least 8 characters, without spaces',
  validateApiKey: (key) =>
    /^pdl_(live|sdbx)_apikey_[^\s]{8,}$/.test(key) || /^[0-9a-f]{50}$/.test(key)
      ? null
      : 'a Paddle API key is "pdl_live_apikey_" or "pdl_sdbx_apikey_" followed by at least 8 characters, without spaces',
  verify,
  normalize: normalizePaddleEvent,
  sign,
};
