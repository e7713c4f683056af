import type { ListOrders, ListSubscriptionInvoices } from '@lemonsqueezy/lemonsqueezy.js';
import type { ProviderApi, Reconciler, RecoveredEvent } from '../provider-api';
import { at, isoDate, minor, obj, str, type Json } from '../shared/read';
import { getJson } from './client';
import { idString } from './connect';
import { lemonSqueezyEnricher } from './enrich';

const MAX_PAGES = 200;

/**
 * Lemon Squeezy has no event history in its API: its orders and subscription invoices are read, newest first (how
 * it lists them), and each becomes the webhook that would have reported it — `order_created` /
 * `subscription_payment_success`, and `order_refunded` / `subscription_payment_refunded` once something was
 * refunded — read by the same normalizer. Keys name the object and its refunded total, so a further refund is a new
 * row; a late webhook is a row of its own (its key is its webhook id or body hash) that the ledger's payment key
 * (`order:`, `invoice:`) counts once. The API's orders lack the checkout's custom data (the referral code): a
 * recovered order is attributed by its email or discount until the webhook, if it ever comes, adds the code.
 */
export const lemonSqueezyReconciler: Reconciler = {
  defaultBaseUrl: () => lemonSqueezyEnricher.defaultBaseUrl(''),
  async recover(api, window) {
    const out: RecoveredEvent[] = [];
    for (const order of await newestFirst(api, '/v1/orders', window)) {
      const status = str(at(order, 'attributes', 'status'));
      if (status !== 'paid' && status !== 'refunded' && status !== 'partial_refund') continue;
      out.push(...events(order, 'order', 'order_created', 'order_refunded'));
    }
    for (const invoice of await newestFirst(api, '/v1/subscription-invoices', window)) {
      const status = str(at(invoice, 'attributes', 'status'));
      if (status !== 'paid' && status !== 'refunded' && status !== 'partial_refund') continue;
      out.push(...events(invoice, 'invoice', 'subscription_payment_success', 'subscription_payment_refunded'));
    }
    return out;
  },
};

function events(resource: Json, kind: string, paid: string, refunded: string): RecoveredEvent[] {
  const id = idString(resource.id);
  const attributes = obj(resource.attributes)!;
  const created = isoDate(attributes.created_at)!;
  const refundedMinor = minor(attributes.refunded_amount) ?? 0n;
  const wrap = (key: string, name: string, data: Json, occurredAt: Date): RecoveredEvent => ({
    eventId: `reconciled:${key}`,
    type: name,
    payload: { meta: { event_name: name, custom_data: null }, data },
    occurredAt,
  });
  // the payment's webhook showed the resource as it was when paid; the API shows it as it is now
  const whenPaid = { ...resource, attributes: { ...attributes, status: 'paid', refunded: false, refunded_amount: 0, refunded_at: null } };
  const out = [wrap(`${kind}:${id}:paid`, paid, whenPaid, created)];
  if (refundedMinor > 0n) out.push(wrap(`${kind}:${id}:refunded:${refundedMinor}`, refunded, resource, isoDate(attributes.refunded_at) ?? created));
  return out;
}

/** The resources created in the window, page by page until one reaches past `since`. */
async function newestFirst(api: ProviderApi, path: string, { since, until }: { since: Date; until: Date }): Promise<Json[]> {
  const items: Json[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const body = (await getJson(api, `${path}?page[number]=${page}&page[size]=100`)) as Partial<ListOrders | ListSubscriptionInvoices>;
    const found = (Array.isArray(body.data) ? (body.data as unknown[]) : []).map(obj).filter((r): r is Json => r !== null && idString(r.id) !== null && isoDate(at(r, 'attributes', 'created_at')) !== null);
    for (const r of found) {
      const created = isoDate(at(r, 'attributes', 'created_at'))!;
      if (created >= since && created <= until) items.push(r);
    }
    const lastPage = body.meta?.page?.lastPage ?? page;
    if (found.length === 0 || page >= lastPage || found.some((r) => isoDate(at(r, 'attributes', 'created_at'))! < since)) return items;
  }
  throw new Error(`more than ${MAX_PAGES} pages of ${path} since ${since.toISOString()}: reconcile a shorter window with --since`);
}
