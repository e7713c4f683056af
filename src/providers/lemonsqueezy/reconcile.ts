import type { ListOrders, ListSubscriptionInvoices } from '@lemonsqueezy/lemonsqueezy.js';
import type { ProviderApi, ReconcileWindow, Reconciler, RecoveredEvent } from '../provider-api';
import { at, isoDate, minor, obj, str, type Json } from '../shared/read';
import { getJson } from './client';
import { idString, onlyStore } from './connect';
import { lemonSqueezyEnricher } from './enrich';

/** pages of the window itself: more means a shorter window is needed */
const MAX_PAGES = 200;
/** pages the daily sweep reads past the window (100 resources each); beyond them an older refund is not looked for */
const MAX_SWEEP_PAGES = 1_000;

const LISTS = [
  { path: '/v1/orders', kind: 'order', paid: 'order_created', refunded: 'order_refunded' },
  { path: '/v1/subscription-invoices', kind: 'invoice', paid: 'subscription_payment_success', refunded: 'subscription_payment_refunded' },
] as const;

/**
 * Lemon Squeezy has no event history in its API: its orders and subscription invoices are read, newest first (how
 * it lists them), and each becomes the webhook that would have reported it — `order_created` /
 * `subscription_payment_success`, and `order_refunded` / `subscription_payment_refunded` once something was
 * refunded — read by the same normalizer. Keys name the object and its refunded total, so a further refund is a new
 * row; a late webhook is a row of its own (its key is its webhook id or body hash) that the ledger's payment key
 * (`order:`, `invoice:`) counts once, and a refund's cumulative total reverses only what is new. The API's orders lack
 * the checkout's custom data (the referral code): a recovered order is attributed by its email or discount until the
 * webhook, if it ever comes, adds the code.
 *
 * Both lists are sorted by creation only and cannot be filtered to refunds (a partial refund leaves `refunded` false),
 * so a refund of an older payment is found by the window's sweep: pages further back, to `paidSince`, keeping what
 * was refunded and changed (`updated_at`) after `changedSince`.
 *
 * A key reaches every store of its user; the connection's webhooks come from one. Only that store's resources are
 * read (`filter[store_id]`, and each resource's own `store_id` checked): another store's sales belong to another
 * project, or to none. Without a stored store, the key's only store; a key that sees several is refused.
 */
export const lemonSqueezyReconciler: Reconciler = {
  defaultBaseUrl: () => lemonSqueezyEnricher.defaultBaseUrl(''),
  async recover(api, window, account) {
    const storeId = account.storeId ?? (await onlyStore(api));
    const out: RecoveredEvent[] = [];
    for (const list of LISTS) {
      for (const resource of await newestFirst(api, list.path, storeId, window)) {
        const attributes = obj(resource.attributes)!;
        if (idString(attributes.store_id) !== storeId) continue;
        const status = str(attributes.status);
        if (status !== 'paid' && status !== 'refunded' && status !== 'partial_refund') continue;
        const created = isoDate(attributes.created_at)!;
        if (created >= window.since) out.push(...events(resource, list.kind, list.paid, list.refunded));
        else if (changedSince(attributes, window.sweep!.changedSince)) out.push(...events(resource, list.kind, list.paid, list.refunded).slice(1));
      }
    }
    return out;
  },
};

function changedSince(attributes: Json, since: Date): boolean {
  const changed = isoDate(attributes.updated_at) ?? isoDate(attributes.refunded_at);
  return changed === null || changed >= since;
}

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
  // a partial refund leaves refunded_at null: its last change is the nearest date to it
  const refundedAt = isoDate(attributes.refunded_at) ?? isoDate(attributes.updated_at) ?? created;
  if (refundedMinor > 0n) out.push(wrap(`${kind}:${id}:refunded:${refundedMinor}`, refunded, resource, refundedAt));
  return out;
}

/**
 * The resources created in the window, or since the sweep's `paidSince`, page by page until one reaches past it.
 * Too many pages for the window itself is an error; the sweep past it stops at its own limit.
 */
async function newestFirst(api: ProviderApi, path: string, storeId: string, { since, until, sweep }: ReconcileWindow): Promise<Json[]> {
  const oldest = sweep && sweep.paidSince < since ? sweep.paidSince : since;
  const items: Json[] = [];
  for (let page = 1; page <= MAX_SWEEP_PAGES; page++) {
    const body = (await getJson(api, `${path}?filter[store_id]=${encodeURIComponent(storeId)}&page[number]=${page}&page[size]=100`)) as Partial<ListOrders | ListSubscriptionInvoices>;
    const found = (Array.isArray(body.data) ? (body.data as unknown[]) : []).map(obj).filter((r): r is Json => r !== null && idString(r.id) !== null && isoDate(at(r, 'attributes', 'created_at')) !== null);
    const createdAt = (r: Json) => isoDate(at(r, 'attributes', 'created_at'))!;
    for (const r of found) if (createdAt(r) >= oldest && createdAt(r) <= until) items.push(r);
    const lastPage = body.meta?.page?.lastPage ?? page;
    if (found.length === 0 || page >= lastPage || found.some((r) => createdAt(r) < oldest)) return items;
    if (page >= MAX_PAGES && !found.some((r) => createdAt(r) < since)) {
      throw new Error(`more than ${MAX_PAGES} pages of ${path} since ${since.toISOString()}: reconcile a shorter window with --since`);
    }
  }
  return items;
}
