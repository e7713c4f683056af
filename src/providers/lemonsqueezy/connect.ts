import { randomBytes } from 'node:crypto';
import { getJson, postJson, ProviderApiError, type Connector, type ProviderApi } from '../provider-api';
import { arr, at, str } from '../shared/read';
import { lemonSqueezyEnricher } from './enrich';

const JSON_API = 'application/vnd.api+json';

/**
 * Lemon Squeezy webhooks belong to a store and are signed with a secret the creator chooses (6–40 characters):
 * Refwire generates one. The store is the one named, else the key's only store.
 */
export const lemonSqueezyConnector: Connector = {
  defaultBaseUrl: () => lemonSqueezyEnricher.defaultBaseUrl(''),
  async connect(api, request) {
    const storeId = request.storeId ?? (await onlyStore(api));
    const secret = randomBytes(20).toString('hex');
    const body = await postJson(
      'lemonsqueezy',
      api,
      '/v1/webhooks',
      {
        data: {
          type: 'webhooks',
          attributes: { url: request.webhookUrl, events: request.events, secret },
          relationships: { store: { data: { type: 'stores', id: storeId } } },
        },
      },
      JSON_API,
    );
    const id = idString(at(body, 'data', 'id'));
    if (!id) throw new ProviderApiError('lemonsqueezy', 'the created webhook came without its id');
    return { webhookSecret: secret, endpointId: id };
  },
};

/** JSON:API ids are strings; tolerate a number. */
function idString(value: unknown): string | null {
  return typeof value === 'number' ? String(value) : str(value);
}

async function onlyStore(api: ProviderApi): Promise<string> {
  const stores = arr((await getJson('lemonsqueezy', api, '/v1/stores', JSON_API)).data);
  const ids = stores.map((s) => idString(at(s, 'id'))).filter((id): id is string => id !== null);
  if (ids.length === 1) return ids[0]!;
  throw new ProviderApiError(
    'lemonsqueezy',
    ids.length === 0 ? 'this API key sees no store' : `this API key sees several stores (${ids.join(', ')}): say which with store_id`,
    422,
  );
}
