import type Stripe from 'stripe';
import type { Reconciler, RecoveredEvent } from '../provider-api';
import { STRIPE_WEBHOOK_EVENTS } from './adapter';
import { stripeCall, stripeClient } from './client';

/** Pages of 100; past this many events in one window the run fails rather than reading without end. */
const MAX_EVENTS = 20_000;

/**
 * Stripe's event history (`events.list`, kept 30 days) holds every event a webhook would have delivered, under the
 * same `evt_` id: a recovered event and its late webhook are one inbox row. Only the types Refwire reads are asked for.
 */
export const stripeReconciler: Reconciler = {
  defaultBaseUrl: () => 'https://api.stripe.com',
  async recover(api, { since, until }) {
    const stripe = await stripeClient(api);
    const params: Stripe.EventListParams = {
      created: { gte: Math.floor(since.getTime() / 1000), lte: Math.floor(until.getTime() / 1000) },
      types: [...STRIPE_WEBHOOK_EVENTS],
      limit: 100,
    };
    return stripeCall('GET /v1/events', async () => {
      const out: RecoveredEvent[] = [];
      for await (const event of stripe.events.list(params)) {
        if (out.length >= MAX_EVENTS) throw new Error(`more than ${MAX_EVENTS} events since ${since.toISOString()}: reconcile a shorter window with --since`);
        out.push({ eventId: event.id, type: event.type, payload: event as unknown as Record<string, unknown>, occurredAt: new Date(event.created * 1000) });
      }
      return out;
    });
  },
};
