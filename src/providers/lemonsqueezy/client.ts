import { PROVIDER_API_TIMEOUT_MS, ProviderApiError, type ProviderApi } from '../provider-api';
import type { Json } from '../shared/read';

/**
 * Lemon Squeezy's API, called with fetch: its SDK (@lemonsqueezy/lemonsqueezy.js) keeps the API key in module-global
 * state (lemonSqueezySetup) and always calls https://api.lemonsqueezy.com with the global fetch and no timeout. The
 * key could be set and read in one synchronous turn, but the fixed base URL would send every call past
 * LEMONSQUEEZY_API_BASE_URL (a proxy, a test stand-in) and a hung call could not be cut off. So Refwire uses the SDK's
 * types for what it sends and reads, and this small client for the calls: one key and one base URL per call.
 */
export const JSON_API = 'application/vnd.api+json';

/** GET a JSON:API document; a non-2xx answer is an error naming the status. */
export function getJson(api: ProviderApi, path: string): Promise<Json> {
  return callJson(api, 'GET', path);
}

/** POST a JSON:API document; the error of a non-2xx answer carries Lemon Squeezy's own explanation. */
export function postJson(api: ProviderApi, path: string, body: unknown): Promise<Json> {
  return callJson(api, 'POST', path, JSON.stringify(body));
}

async function callJson(api: ProviderApi, method: string, path: string, body?: string): Promise<Json> {
  let response: Response;
  try {
    response = await api.fetch(`${api.baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { authorization: `Bearer ${api.apiKey}`, accept: JSON_API, ...(body !== undefined ? { 'content-type': JSON_API } : {}) },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(api.timeoutMs ?? PROVIDER_API_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ProviderApiError('lemonsqueezy', `request failed (${(err as Error).message})`);
  }
  if (!response.ok) {
    const detail = method === 'GET' ? '' : explain(await response.text().catch(() => ''));
    throw new ProviderApiError('lemonsqueezy', `${method} ${path.split('?')[0]} answered ${response.status}${detail ? `: ${detail}` : ''}`, response.status);
  }
  try {
    return (await response.json()) as Json;
  } catch {
    throw new ProviderApiError('lemonsqueezy', `${method} ${path.split('?')[0]} answered ${response.status} with a body that is not JSON`, 502);
  }
}

/** JSON:API errors[].detail, short. */
function explain(text: string): string {
  try {
    const detail = (JSON.parse(text) as { errors?: { detail?: unknown }[] } | null)?.errors?.[0]?.detail;
    return (typeof detail === 'string' ? detail : text).slice(0, 300);
  } catch {
    return text.slice(0, 200);
  }
}
