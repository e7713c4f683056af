import type Stripe from 'stripe';
import { PROVIDER_API_TIMEOUT_MS, ProviderApiError, type ProviderApi } from '../provider-api';

/**
 * Stripe's SDK takes the key, host, port, protocol and HTTP client per instance: each call gets a client of its own,
 * and STRIPE_API_BASE_URL reaches a proxy or a stand-in. One network retry (the SDK sends an idempotency key with it).
 * The SDK has no base path: a base URL's path (a proxy at https://proxy.example/stripe) is put before each request's
 * by the fetch it is given, as the other providers' clients keep it; dropped, the calls went to the proxy's root.
 */
export async function stripeClient(api: ProviderApi): Promise<Stripe> {
  const Stripe = await loadStripeSdk();
  const base = new URL(api.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const fetchUnderBase: typeof fetch = prefix
    ? (input, init) => {
        const url = new URL(input instanceof Request ? input.url : input);
        url.pathname = `${prefix}${url.pathname}`;
        return api.fetch(url, init);
      }
    : api.fetch;
  return new Stripe(api.apiKey, {
    host: base.hostname,
    port: base.port || (base.protocol === 'http:' ? 80 : 443),
    protocol: base.protocol === 'http:' ? 'http' : 'https',
    httpClient: Stripe.createFetchHttpClient(fetchUnderBase),
    timeout: api.timeoutMs ?? PROVIDER_API_TIMEOUT_MS,
    maxNetworkRetries: 1,
    telemetry: false,
  });
}

/** The SDK is loaded on the first call: most processes (a worker, an API that only serves) never call Stripe. */
export const loadStripeSdk = async () => (await import('stripe')).default;

/** One SDK call, its failures as ProviderApiError (`what`: the method and path, for messages). */
export async function stripeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof (await loadStripeSdk()).errors.StripeError) {
      if (err.statusCode === undefined) throw new ProviderApiError('stripe', `request failed (${what}: ${err.message})`);
      throw new ProviderApiError('stripe', `${what} answered ${err.statusCode}: ${err.message}`, err.statusCode);
    }
    throw err;
  }
}
