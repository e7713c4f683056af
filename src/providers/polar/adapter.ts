import { randomUUID } from 'node:crypto';
import type { ProviderAdapter, RawDelivery, VerifyOptions, VerifyResult } from '../provider-adapter';
import { hmacSha256, matchesAny } from '../shared/hmac';
import { parseJsonObject } from '../shared/json';
import { checkTimestamp, parseUnixSeconds } from '../shared/timestamps';
import { normalizePolarEvent } from './normalize';

export const POLAR_WEBHOOK_EVENTS = [
  'order.created',
  'order.updated',
  'order.paid',
  'order.refunded',
  'refund.created',
  'refund.updated',
  'subscription.created',
  'subscription.active',
  'subscription.updated',
  'subscription.canceled',
  'subscription.revoked',
] as const;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Standard Webhooks headers, but Polar's HMAC key is the UTF-8 bytes of the whole `whsec_…` string (its server
 * base64-encodes the secret before handing it to the Standard Webhooks library). A stock Standard Webhooks
 * verifier given the secret base64-decodes the part after `whsec_` and so fails on every real delivery.
 */
function verify(delivery: RawDelivery, secrets: readonly string[], { now, toleranceSeconds }: VerifyOptions): VerifyResult {
  const id = delivery.headers['webhook-id'];
  const stamp = delivery.headers['webhook-timestamp'];
  const header = delivery.headers['webhook-signature'];
  if (!id || !stamp || !header) return { ok: false, reason: 'missing_signature' };
  const timestamp = parseUnixSeconds(stamp);
  if (timestamp === null) return { ok: false, reason: 'malformed_signature' };
  const given: Buffer[] = [];
  for (const part of header.trim().split(/\s+/)) {
    const [version, signature, ...extra] = part.split(',');
    if (signature === undefined || extra.length > 0 || !BASE64.test(signature)) {
      return { ok: false, reason: 'malformed_signature' };
    }
    if (version === 'v1') given.push(Buffer.from(signature, 'base64'));
  }
  if (given.length === 0) return { ok: false, reason: 'malformed_signature' };
  const prefix = `${id}.${timestamp}.`;
  if (!secrets.some((secret) => matchesAny(hmacSha256(Buffer.from(secret, 'utf8'), prefix, delivery.body), given))) {
    return { ok: false, reason: 'signature_mismatch' };
  }
  const timing = checkTimestamp(timestamp, now, toleranceSeconds);
  if (timing) return { ok: false, reason: timing };

  const payload = parseJsonObject(delivery.body);
  if (!payload || typeof payload.type !== 'string' || payload.type === '') return { ok: false, reason: 'malformed_payload' };
  const occurredAt = typeof payload.timestamp === 'string' ? new Date(payload.timestamp) : null;
  return {
    ok: true,
    event: {
      // webhook-id is stable across Polar's retries and manual redeliveries.
      eventId: id,
      type: payload.type,
      payload,
      occurredAt: occurredAt && !Number.isNaN(occurredAt.getTime()) ? occurredAt : null,
      livemode: null,
    },
  };
}

function sign(body: Buffer | string, secret: string, { now, eventId }: { now: Date; eventId?: string }): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const id = eventId ?? `msg_${randomUUID()}`;
  const signature = hmacSha256(Buffer.from(secret, 'utf8'), `${id}.${timestamp}.`, body).toString('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
    'content-type': 'application/json',
  };
}

export const polarAdapter: ProviderAdapter = {
  name: 'polar',
  webhookEvents: POLAR_WEBHOOK_EVENTS,
  couponIdField: 'polar_discount_id',
  // the order's product first, then its prices
  productIdOf: (ids) => ids[0] ?? null,
  signatureHeaders: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  validateWebhookSecret: (secret) =>
    /^[^\s]{8,}$/.test(secret) ? null : 'a Polar webhook secret is at least 8 characters without spaces',
  validateApiKey: (key) =>
    /^polar_[a-z]+_[^\s]{8,}$/.test(key) ? null : 'a Polar access token is "polar_", its kind and "_" (e.g. "polar_oat_"), then at least 8 characters, without spaces',
  verify,
  normalize: normalizePolarEvent,
  sign,
};
