import type { Normalized } from '../domain/normalized-event';
import type { ProviderName } from '../domain/provider-names';

/** Header names are lower-cased; a header sent twice keeps its first value. */
export type DeliveryHeaders = Readonly<Record<string, string | undefined>>;

export type RawDelivery = { body: Buffer; headers: DeliveryHeaders };

export type VerifyOptions = { now: Date; toleranceSeconds: number };

/** Why a delivery was refused. The HTTP answer stays generic; the reason goes to the logs. */
export type VerifyFailure =
  | 'missing_signature'
  | 'malformed_signature'
  | 'signature_mismatch'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'malformed_payload';

export type VerifiedEvent = {
  /** the provider's id of the event: the deduplication key */
  eventId: string;
  type: string;
  payload: unknown;
  occurredAt: Date | null;
  livemode: boolean | null;
};

export type VerifyResult = { ok: true; event: VerifiedEvent } | { ok: false; reason: VerifyFailure };

/**
 * Everything Refwire knows about one payment provider lives behind this interface, in src/providers/<name>/.
 * The functions are pure: no I/O, the clock passed in.
 */
export interface ProviderAdapter {
  readonly name: ProviderName;
  /** the event types to enable at the provider: exactly those the pipeline uses */
  readonly webhookEvents: readonly string[];
  /** request headers worth keeping with the stored event, beside the common ones (and never logged) */
  readonly signatureHeaders: readonly string[];
  /**
   * The coupons API field holding this provider's id of a coupon (`stripe_coupon_id`, `paddle_discount_id`, …):
   * payments of this provider carrying that id are attributed to the coupon's affiliate.
   */
  readonly couponIdField: string;
  /**
   * Of a payment's product and price ids (in line order, as normalize gives them), the product's: what Refgrow's
   * payloads call `product_id`. Null when there is none.
   */
  productIdOf(ids: readonly string[]): string | null;
  /** null when acceptable, else what is wrong with it */
  validateWebhookSecret(secret: string): string | null;
  validateApiKey(apiKey: string): string | null;
  /** Checks the signature against every active secret (several during a rotation), then parses the body. */
  verify(delivery: RawDelivery, secrets: readonly string[], options: VerifyOptions): VerifyResult;
  /** What a verified event means in the provider-neutral vocabulary (pure; everything after it is provider-blind). */
  normalize(payload: Record<string, unknown>): Normalized;
  /** Signs a body as the provider would: for tests, fixtures and `refwire replay`. */
  sign(body: Buffer | string, secret: string, options: { now: Date; eventId?: string }): Record<string, string>;
}
