import type { Reconciler, RecoveredEvent } from '../provider-api';
import { arr, isoDate, minor, obj, str, type Json } from '../shared/read';
import { polarCall, polarClient, type PolarPages } from './client';
import { polarConnector } from './connect';

const MAX_PAGES = 200;

/**
 * Polar keeps no event history its API lists, so its orders and refunds are read, newest first, and each becomes
 * the webhook that would have reported it: a paid (or refunded) order as `order.updated`, a refund as
 * `refund.updated`, read by the same normalizer. Keys name the object and its money state, so a later change is a
 * new row; a late webhook is a row of its own, and the ledger's payment and refund keys count it once.
 */
export const polarReconciler: Reconciler = {
  defaultBaseUrl: (apiKey) => polarConnector.defaultBaseUrl(apiKey, { sandbox: false }),
  async recover(api, window) {
    const pages: PolarPages = { bodies: [] };
    const polar = await polarClient(api, pages);
    const orders = await newestFirst('GET /v1/orders/', pages, window, () => polar.orders.list({ sorting: ['-created_at'], limit: 100 }));
    const refunds = await newestFirst('GET /v1/refunds/', pages, window, () => polar.refunds.list({ sorting: ['-created_at'], limit: 100, succeeded: true }));
    const out: RecoveredEvent[] = [];
    for (const order of orders) {
      const status = str(order.status);
      if (status !== 'paid' && status !== 'refunded' && status !== 'partially_refunded') continue;
      const at = isoDate(order.created_at)!;
      const refunded = minor(order.refunded_amount) ?? 0n;
      out.push(recovered(`order:${str(order.id)}:${status}:${refunded}`, 'order.updated', order, isoDate(order.modified_at) ?? at));
    }
    for (const refund of refunds) {
      if (str(refund.status) !== 'succeeded') continue;
      out.push(recovered(`refund:${str(refund.id)}:succeeded`, 'refund.updated', refund, isoDate(refund.modified_at) ?? isoDate(refund.created_at)!));
    }
    return out;
  },
};

function recovered(key: string, type: string, data: Json, occurredAt: Date): RecoveredEvent {
  return { eventId: `reconciled:${key}`, type, payload: { type, timestamp: occurredAt.toISOString(), data }, occurredAt };
}

/** The items created in the window, from pages sorted newest first: stops at the first page reaching past `since`. */
async function newestFirst(what: string, pages: PolarPages, { since, until }: { since: Date; until: Date }, list: () => Promise<AsyncIterable<unknown>>): Promise<Json[]> {
  return polarCall(what, async () => {
    const items: Json[] = [];
    let read = 0;
    for await (const _page of await list()) {
      // the page as Polar sent it (the SDK's models are camelCase)
      const body = obj(pages.bodies.at(-1));
      const found = arr(body?.items).map(obj).filter((i): i is Json => i !== null && isoDate(i.created_at) !== null);
      for (const item of found) {
        const created = isoDate(item.created_at)!;
        if (created >= since && created <= until) items.push(item);
      }
      if (found.length === 0 || found.some((i) => isoDate(i.created_at)! < since)) break;
      if (++read >= MAX_PAGES) throw new Error(`more than ${MAX_PAGES} pages since ${since.toISOString()}: reconcile a shorter window with --since`);
    }
    return items;
  });
}
