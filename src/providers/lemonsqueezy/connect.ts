import { randomBytes } from 'node:crypto';
import type { ListStores, Webhook } from '@lemonsqueezy/lemonsqueezy.js';
import { ProviderApiError, type Connector, type ProviderApi } from '../provider-api';
import { getJson, postJson } from './client';
import { lemonSqueezyEnricher } from './enrich';

/**
 * Lemon Squeezy webhooks belong to a store and are signed with a secret the creator chooses (6–40 characters):
 * Refwire generates one. The store is the one named, else the key's only store.
 */
export const lemonSqueezyConnector: Connector = {
  defaultBaseUrl: () => lemonSqueezyEnricher.defaultBaseUrl(''),
  async connect(api, request) {
    const storeId = request.storeId ?? (await onlyStore(api));
    const secret = randomBytes(20).toString('hex');
    const body = (await postJson(api, '/v1/webhooks', {
      data: {
        type: 'webhooks',
        attributes: { url: request.webhookUrl, events: request.events, secret },
        relationships: { store: { data: { type: 'stores', id: storeId } } },
      },
    })) as Partial<Webhook>;
    const id = idString(body.data?.id);
    if (!id) throw new ProviderApiError('lemonsqueezy', 'the created webhook came without its id');
    return { webhookSecret: secret, endpointId: id, storeId };
  },
};

/** JSON:API ids are strings; tolerate a number. */
export function idString(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The key's one store; a key that sees none or several is refused (422): the caller must say which. */
export async function onlyStore(api: ProviderApi): Promise<string> {
  const stores = (await getJson(api, '/v1/stores')) as Partial<ListStores>;
  const ids = (Array.isArray(stores.data) ? stores.data : []).map((s) => idString(s?.id)).filter((id): id is string => id !== null);
  if (ids.length === 1) return ids[0]!;
  throw new ProviderApiError(
    'lemonsqueezy',
    ids.length === 0 ? 'this API key sees no store' : `this API key sees several stores (${ids.join(', ')}): say which with store_id`,
    422,
  );
}
