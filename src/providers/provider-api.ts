import type { NormalizedEvent } from '../pipeline/normalized-event';
import type { ProviderName } from './provider-names';
import type { Json } from './shared/read';

/** How the pipeline reaches a provider's own API, when the merchant stored an API key for it. */
export type ProviderApi = { apiKey: string; baseUrl: string; fetch: typeof fetch };

/**
 * Fills in what a provider leaves out of its webhooks (Paddle: the customer's email; Lemon Squeezy: the discount
 * code) by asking its API. Only runs when an API key is stored; the normalized events stay the one input of the
 * provider-blind ledger.
 */
export type Enricher = {
  /** the API's base URL for this key (sandbox or live) unless the operator set one */
  defaultBaseUrl(apiKey: string): string;
  enrich(input: { payload: Json; events: NormalizedEvent[]; api: ProviderApi }): Promise<NormalizedEvent[]>;
};

export class ProviderApiError extends Error {
  override name = 'ProviderApiError';
  constructor(
    readonly provider: ProviderName,
    message: string,
  ) {
    super(`${provider} API: ${message}`);
  }
}

/** GET a JSON resource with a bearer key and a 10 s timeout; a non-2xx answer is an error naming the status. */
export async function getJson(provider: ProviderName, api: ProviderApi, path: string, accept = 'application/json'): Promise<Json> {
  let response: Response;
  try {
    response = await api.fetch(`${api.baseUrl.replace(/\/+$/, '')}${path}`, {
      headers: { authorization: `Bearer ${api.apiKey}`, accept },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new ProviderApiError(provider, `request failed (${(err as Error).message})`);
  }
  if (!response.ok) throw new ProviderApiError(provider, `GET ${path} answered ${response.status}`);
  return (await response.json()) as Json;
}
