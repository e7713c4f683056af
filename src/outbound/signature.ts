import { createHmac, randomBytes } from 'node:crypto';

export const ENDPOINT_SECRET_PREFIX = 'whsec_';

/** A new endpoint secret, in the Standard Webhooks form: `whsec_` and base64 of 32 random bytes. */
export function newEndpointSecret(): string {
  return `${ENDPOINT_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The headers of one delivery attempt (PRODUCT.md §9, §15):
 *  - `User-Agent: Refwire-Webhooks/1.0` and `X-Refwire-Event: <event>`, as Refgrow sends its own;
 *  - `X-Refwire-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body keyed with the whole secret string, the
 *    scheme Refgrow documents for `X-Refgrow-Signature` (its Node and PHP verifiers work unchanged);
 *  - in the `refgrow-v1` format, the same event and signature under Refgrow's names too (`X-Refgrow-Event`,
 *    `X-Refgrow-Signature`), so a receiver written from Refgrow's documentation needs no change;
 *  - Standard Webhooks (standardwebhooks.com): `webhook-id` (the same on every attempt of one delivery),
 *    `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature: v1,<base64>` — HMAC-SHA256 of
 *    `<id>.<timestamp>.<body>` keyed with the base64-decoded part of the secret after `whsec_` — so any Standard
 *    Webhooks library verifies it, and a replayed old delivery is refused by its timestamp.
 */
export function deliveryHeaders(secret: string, messageId: string, body: string, at: Date, message: { event: string; format: string }): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000).toString();
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const standard = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return {
    'content-type': 'application/json',
    'user-agent': 'Refwire-Webhooks/1.0',
    'x-refwire-event': message.event,
    'x-refwire-signature': signature,
    ...(message.format === 'refgrow-v1' ? { 'x-refgrow-event': message.event, 'x-refgrow-signature': signature } : {}),
    'webhook-id': messageId,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${standard}`,
  };
}
