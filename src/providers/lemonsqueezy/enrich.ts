import type { ListDiscountRedemptions } from '@lemonsqueezy/lemonsqueezy.js';
import type { NormalizedEvent } from '../../domain/normalized-event';
import type { Enricher } from '../provider-api';
import { at, minor, obj, str, unique } from '../shared/read';
import { getJson } from './client';

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
    const body = (await getJson(api, `/v1/discount-redemptions?filter[order_id]=${encodeURIComponent(String(orderId))}`)) as Partial<ListDiscountRedemptions>;
    const codes = unique((Array.isArray(body.data) ? body.data : []).map((r) => str(r?.attributes?.discount_code)));
    // a paid order, or one that charged nothing (its code still attributes the customer's later payments)
    return events.map((e): NormalizedEvent =>
      e.kind === 'purchase' || e.kind === 'renewal' || e.kind === 'facts' ? { ...e, hints: { ...e.hints, couponIds: unique([...e.hints.couponIds, ...codes]) } } : e,
    );
  },
};
