import type { NormalizedEvent } from '../../domain/normalized-event';
import { getJson, type Enricher } from '../provider-api';
import { at, str } from '../shared/read';

/**
 * Paddle payloads never carry the customer's email; the chain's email step and the self-referral check need it.
 * customer.created/updated teach it too, but a merchant who stored an API key gets it on the payment itself.
 */
export const paddleEnricher: Enricher = {
  defaultBaseUrl: (apiKey) => (apiKey.startsWith('pdl_sdbx_') ? 'https://sandbox-api.paddle.com' : 'https://api.paddle.com'),
  async enrich({ events, api }) {
    const emails = new Map<string, string | null>();
    const out: NormalizedEvent[] = [];
    for (const event of events) {
      if ((event.kind === 'purchase' || event.kind === 'renewal') && event.customer.id && !event.customer.email) {
        if (!emails.has(event.customer.id)) {
          const body = await getJson('paddle', api, `/customers/${encodeURIComponent(event.customer.id)}`);
          emails.set(event.customer.id, str(at(body, 'data', 'email')));
        }
        out.push({ ...event, customer: { ...event.customer, email: emails.get(event.customer.id) ?? null } });
      } else {
        out.push(event);
      }
    }
    return out;
  },
};
