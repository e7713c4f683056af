import type { IEventName } from '@paddle/paddle-node-sdk';
import type { Reconciler, RecoveredEvent } from '../provider-api';
import { isoDate, obj, str } from '../shared/read';
import { paddleAdapter } from './adapter';
import { paddleCall, paddleClient } from './client';
import { paddleEnricher } from './enrich';

const MAX_EVENTS = 20_000;

/**
 * Paddle's event history (`events.list`, newest first) holds what each notification carried, under the same
 * `event_id`: a recovered event and its late webhook are one inbox row. The SDK turns items into camelCase entities;
 * the normalizer reads the webhook's snake_case, so this collection keeps each item's JSON as Paddle sent it.
 */
export const paddleReconciler: Reconciler = {
  defaultBaseUrl: (apiKey) => paddleEnricher.defaultBaseUrl(apiKey),
  async recover(api, { since, until }) {
    const events = (await paddleClient(api)).events.list({ orderBy: 'id[DESC]', perPage: 100, eventType: [...paddleAdapter.webhookEvents] as IEventName[] });
    // one collection, this call's alone: its items stay the JSON of the answer
    (events as unknown as { fromJson: (data: unknown) => unknown }).fromJson = (data) => data;
    const out: RecoveredEvent[] = [];
    while (events.hasMore) {
      const page = (await paddleCall('GET /events', () => events.next(), api.timeoutMs)) as unknown[];
      let older = false;
      for (const item of page) {
        const event = obj(item);
        const id = str(event?.event_id);
        const type = str(event?.event_type);
        const occurredAt = isoDate(event?.occurred_at);
        if (!event || !id || !type || !occurredAt) continue;
        if (occurredAt < since) older = true;
        else if (occurredAt <= until) out.push({ eventId: id, type, payload: event, occurredAt });
      }
      if (older || page.length === 0) break;
      if (out.length > MAX_EVENTS) throw new Error(`more than ${MAX_EVENTS} events since ${since.toISOString()}: reconcile a shorter window with --since`);
    }
    return out;
  },
};
