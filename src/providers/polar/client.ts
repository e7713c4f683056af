import type { Polar } from '@polar-sh/sdk';
import { PROVIDER_API_TIMEOUT_MS, ProviderApiError, type ProviderApi } from '../provider-api';

export type PolarPages = { bodies: unknown[] };

/**
 * Polar's SDK takes the token, the server URL, the fetch and the timeout per instance: each call gets a client of its
 * own. Retries are left to Refwire (the enricher's event retries, reconciliation's backoff), so a failing Polar is
 * not asked three times per attempt. `pages`, when given, receives every JSON body Polar answered, as sent: the SDK
 * turns them into camelCase models, the normalizer reads Polar's snake_case webhook JSON, which is the same schema.
 */
export async function polarClient(api: ProviderApi, pages?: PolarPages): Promise<Polar> {
  const { HTTPClient, Polar } = await loadPolarSdk();
  const httpClient = new HTTPClient({ fetcher: (input, init) => api.fetch(input, init) });
  if (pages) {
    httpClient.addHook('response', async (res) => {
      if (res.ok && (res.headers.get('content-type') ?? '').includes('json')) pages.bodies.push(await res.clone().json());
    });
  }
  return new Polar({ accessToken: api.apiKey, serverURL: api.baseUrl.replace(/\/+$/, ''), httpClient, timeoutMs: api.timeoutMs ?? PROVIDER_API_TIMEOUT_MS, retryConfig: { strategy: 'none' } });
}

/**
 * The SDK is loaded on the first call: loading it takes about half a second, and most processes (a worker, an API
 * that only serves) never call Polar.
 */
const loadPolarSdk = () => import('@polar-sh/sdk');

/** One SDK call, its failures as ProviderApiError (`what`: the method and path, for messages). */
export async function polarCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw polarFailure(what, err);
  }
}

/**
 * The SDK's error classes sit behind subpath exports this project's module resolution does not read, so they are
 * told apart by shape: an HTTP error carries statusCode and body (PolarError); an answer that does not match the
 * SDK's schema is a ResponseValidationError; connection failures and timeouts have no status.
 */
function polarFailure(what: string, err: unknown): ProviderApiError {
  const e = err as { name?: string; message?: string; statusCode?: unknown; body?: unknown };
  if (typeof e.statusCode === 'number') {
    if (e.name === 'ResponseValidationError') return new ProviderApiError('polar', `${what} answered ${e.statusCode} with a body the SDK does not accept`, 502);
    return new ProviderApiError('polar', `${what} answered ${e.statusCode}${explain(e.body)}`, e.statusCode);
  }
  return new ProviderApiError('polar', `request failed (${what}: ${e.message ?? String(err)})`);
}

/** Polar's error body: `detail`, a string or a list of validation errors. */
function explain(body: unknown): string {
  if (typeof body !== 'string' || body === '') return '';
  try {
    const detail = (JSON.parse(body) as { detail?: unknown } | null)?.detail;
    if (detail === undefined) return '';
    return `: ${(typeof detail === 'string' ? detail : JSON.stringify(detail)).slice(0, 300)}`;
  } catch {
    return `: ${body.slice(0, 200)}`;
  }
}
