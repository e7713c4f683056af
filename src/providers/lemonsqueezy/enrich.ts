import { createHash } from 'node:crypto';
import type { ListDiscountRedemptions } from '@lemonsqueezy/lemonsqueezy.js';
import type { NormalizedEvent } from '../../domain/normalized-event';
import { ProviderApiError, type Enricher, type ProviderApi } from '../provider-api';
import { at, minor, obj, str, unique } from '../shared/read';
import { getJson } from './client';

/**
 * What a Lemon Squeezy order leaves out, read from its API:
 *  - the discount code (an order says how much was discounted, discount_total, but not with which code): matched
 *    against coupons' lemonsqueezy_discount_code, it comes from the order's discount redemptions;
 *  - whether it bought a subscription: an order names no subscription, so one of a one-time product is known as
 *    such (`oneOff`) only from its variant's `is_subscription`. The ledger then reads a customer's later subscription
 *    that began free as a sale of its own (docs/earnings.md).
 */
export const lemonSqueezyEnricher: Enricher = {
  defaultBaseUrl: () => 'https://api.lemonsqueezy.com',
  async enrich({ payload, events, api }) {
    const attributes = obj(at(payload, 'data', 'attributes'));
    const orderId = at(payload, 'data', 'id');
    if (at(payload, 'data', 'type') !== 'orders' || orderId === undefined) return events;
    const discounted = (minor(attributes?.discount_total) ?? 0n) > 0n;
    const codes = discounted ? await redemptionCodes(api, String(orderId)) : [];
    const variant = at(attributes, 'first_order_item', 'variant_id');
    const paid = events.some((e) => e.kind === 'purchase');
    const subscription = paid && (typeof variant === 'number' || typeof variant === 'string') ? await isSubscriptionVariant(api, String(variant)) : null;
    return events.map((e): NormalizedEvent => {
      let out = e;
      // a paid order, or one that charged nothing (its code still attributes the customer's later payments)
      if (codes.length > 0 && (out.kind === 'purchase' || out.kind === 'renewal' || out.kind === 'facts')) out = { ...out, hints: { ...out.hints, couponIds: unique([...out.hints.couponIds, ...codes]) } };
      if (subscription === false && out.kind === 'purchase') out = { ...out, oneOff: true };
      return out;
    });
  },
};

async function redemptionCodes(api: ProviderApi, orderId: string): Promise<string[]> {
  const body = (await getJson(api, `/v1/discount-redemptions?filter[order_id]=${encodeURIComponent(orderId)}`)) as Partial<ListDiscountRedemptions>;
  return unique((Array.isArray(body.data) ? body.data : []).map((r) => str(r?.attributes?.discount_code)));
}

/**
 * A variant's `is_subscription`, asked once per store key and variant while the process runs (a variant keeps its
 * kind; every order of a shop's product would otherwise cost a call against its rate limit). A variant the API no
 * longer has (404) says nothing: null.
 */
const variantKinds = new Map<string, boolean>();
const VARIANT_KINDS_KEPT = 10_000;

async function isSubscriptionVariant(api: ProviderApi, variantId: string): Promise<boolean | null> {
  // the key by its hash: the map outlives the call that held it
  const key = `${api.baseUrl}\u0000${createHash('sha256').update(api.apiKey).digest('hex').slice(0, 32)}\u0000${variantId}`;
  const known = variantKinds.get(key);
  if (known !== undefined) return known;
  let body: unknown;
  try {
    body = await getJson(api, `/v1/variants/${encodeURIComponent(variantId)}`);
  } catch (err) {
    if (err instanceof ProviderApiError && err.status === 404) return null;
    throw err;
  }
  const kind = at(body, 'data', 'attributes', 'is_subscription');
  if (typeof kind !== 'boolean') return null;
  if (variantKinds.size >= VARIANT_KINDS_KEPT) variantKinds.clear();
  variantKinds.set(key, kind);
  return kind;
}
