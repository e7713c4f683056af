import type { NormalizedEvent } from '../../domain/normalized-event';
import type { Enricher } from '../provider-api';
import { paddleCall, paddleClient } from './client';

/**
 * Paddle payloads never carry the customer's email; the chain's email step and the self-referral check need it.
 * customer.created/updated teach it too, but a merchant who stored an API key gets it on the payment itself.
 */
export const paddleEnricher: Enricher = {
  defaultBaseUrl: (apiKey) => (apiKey.startsWith('pdl_sdbx_') ? 'https://sandbox-api.paddle.com' : 'https://api.paddle.com'),
  async enrich({ events, api }) {
    const paddle = await paddleClient(api);
    const emails = new Map<string, string | null>();
    const out: NormalizedEvent[] = [];
    for (const event of events) {
      if ((event.kind === 'purchase' || event.kind === 'renewal') && event.customer.id && !event.customer.email) {
        const customerId = event.customer.id;
        if (!emails.has(customerId)) {
          const customer = await paddleCall(`GET /customers/${customerId}`, () => paddle.customers.get(customerId), api.timeoutMs);
          emails.set(customerId, typeof customer.email === 'string' && customer.email !== '' ? customer.email : null);
        }
        out.push({ ...event, customer: { ...event.customer, email: emails.get(customerId) ?? null } });
      } else {
        out.push(event);
      }
    }
    return out;
  },
};
