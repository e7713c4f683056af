import type { NormalizedEvent } from '../../domain/normalized-event';
import { getJson, type Enricher } from '../provider-api';
import { arr, at, minor, obj, str, unique } from '../shared/read';

/**
 * Lemon Squeezy orders say how much was discounted (discount_total) but not with which code: the code, matched
 * against coupons' lemonsqueezy_discount_code, comes from the order's discount redemptions.
 */
export const lemonSqueezyEnricher: Enricher = {
  defaultBaseUrl: () => 'https://api.lemonsqueezy.com',
  async enrich({ payload, events, api }) {
    const attributes = obj(at(payload, 'data', 'attributes'));
    const discounted = (minor(attributes?.discount_total) ?? 0n) > 0n;
    const orderId = at(payload, 'data', 'id');
    if (!discounted || at(payload, 'data', 'type') !== 'orders' || orderId === undefined) return events;
    const body = await getJson(
      'lemonsqueezy',
      api,
      `/v1/discount-redemptions?filter[order_id]=${encodeURIComponent(String(orderId))}`,
      'application/vnd.api+json',
    );
    const codes = unique(arr(body.data).map((r) => str(at(r, 'attributes', 'discount_code'))));
    return events.map((e): NormalizedEvent =>
      e.kind === 'purchase' || e.kind === 'renewal' ? { ...e, hints: { ...e.hints, couponIds: unique([...e.hints.couponIds, ...codes]) } } : e,
    );
  },
};
