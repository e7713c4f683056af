import type { NormalizedEvent } from '../domain/normalized-event';
import type { ProviderName } from '../domain/provider-names';
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
    /** the provider's HTTP status; absent when it could not be reached */
    readonly status?: number,
  ) {
    super(`${provider} API: ${message}`);
  }
}

/** What creating Refwire's webhook endpoint at a provider needs. */
export type ConnectRequest = {
  webhookUrl: string;
  events: readonly string[];
  description: string;
  /** Lemon Squeezy: which store, when the key sees several */
  storeId?: string;
  /** Polar: needed unless the token is an organization token */
  organizationId?: string;
};

export type ConnectResult = {
  /** the signing secret the provider will use, for the receiver to verify with */
  webhookSecret: string;
  /** the provider's id of the endpoint it created */
  endpointId: string;
};

/** Creates the webhook endpoint in the merchant's provider account through the provider's API. */
export type Connector = {
  /** the API's base URL for this key unless the operator set one */
  defaultBaseUrl(apiKey: string, options: { sandbox: boolean }): string;
  connect(api: ProviderApi, request: ConnectRequest): Promise<ConnectResult>;
};
/** GET a JSON resource with a bearer key and a 10 s timeout; a non-2xx answer is an error naming the status. */
export function getJson(provider: ProviderName, api: ProviderApi, path: string, accept = 'application/json'): Promise<Json> {
  return callJson(provider, api, 'GET', path, { accept });
}

/** POST a JSON body; the error of a non-2xx answer carries the provider's own explanation when it gave one. */
export function postJson(provider: ProviderName, api: ProviderApi, path: string, body: unknown, mediaType = 'application/json'): Promise<Json> {
  return callJson(provider, api, 'POST', path, { accept: mediaType, body: JSON.stringify(body), contentType: mediaType });
}

async function callJson(
  provider: ProviderName,
  api: ProviderApi,
  method: string,
  path: string,
  options: { accept: string; body?: string; contentType?: string },
): Promise<Json> {
  let response: Response;
  try {
    response = await api.fetch(`${api.baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${api.apiKey}`,
        accept: options.accept,
        ...(options.contentType ? { 'content-type': options.contentType } : {}),
      },
      ...(options.body !== undefined ? { body: options.body } : {}),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new ProviderApiError(provider, `request failed (${(err as Error).message})`);
  }
  if (!response.ok) {
    const detail = method === 'GET' ? '' : explain(await response.text().catch(() => ''));
    throw new ProviderApiError(provider, `${method} ${path} answered ${response.status}${detail ? `: ${detail}` : ''}`, response.status);
  }
  return (await response.json()) as Json;
}

/** The message in a provider's error body (Paddle: error.detail, JSON:API: errors[].detail, Polar: detail), short. */
function explain(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
  const b = body as { error?: { detail?: unknown }; errors?: { detail?: unknown }[]; detail?: unknown } | null;
  const detail = b?.error?.detail ?? b?.errors?.[0]?.detail ?? b?.detail;
  const message = typeof detail === 'string' ? detail : detail !== undefined ? JSON.stringify(detail) : text;
  return message.slice(0, 300);
}
