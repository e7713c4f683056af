import type { Environment, Paddle } from '@paddle/paddle-node-sdk';
import { ProviderApiError, withTimeout, type ProviderApi } from '../provider-api';

/**
 * Paddle's SDK takes the key and the base URL per instance (`environment` is used as the base URL when it is not
 * one of Paddle's names), so each call gets a client of its own and PADDLE_API_BASE_URL reaches a stand-in. It calls
 * the global fetch without a timeout (withTimeout bounds the wait) and its errors carry Paddle's error body but not
 * the HTTP status: `request_error` is the caller's (4xx), `api_error` Paddle's own (5xx).
 */
export async function paddleClient(api: ProviderApi): Promise<Paddle> {
  const { Paddle } = await loadPaddleSdk();
  return new Paddle(api.apiKey, { environment: api.baseUrl.replace(/\/+$/, '') as Environment });
}

/** The SDK is loaded on the first call: most processes never call Paddle (a worker only for a payment without email). */
const loadPaddleSdk = () => import('@paddle/paddle-node-sdk');

/** Paddle's error codes for a key it does not accept (developer.paddle.com/errors/shared). */
const REFUSED_KEY = /^(authentication_|invalid_token|forbidden|permission_)/;

/** One SDK call, bounded in time, its failures as ProviderApiError (`what`: the method and path, for messages). */
export async function paddleCall<T>(what: string, call: () => Promise<T>, timeoutMs?: number): Promise<T> {
  try {
    return await withTimeout('paddle', what, call(), timeoutMs);
  } catch (err) {
    throw paddleFailure(what, err, (await loadPaddleSdk()).ApiError);
  }
}

function paddleFailure(what: string, err: unknown, ApiError: typeof import('@paddle/paddle-node-sdk').ApiError): ProviderApiError {
  if (err instanceof ProviderApiError) return err;
  if (err instanceof ApiError) {
    const status = err.type === 'request_error' ? (REFUSED_KEY.test(err.code ?? '') ? 401 : 400) : 502;
    return new ProviderApiError('paddle', `${what} failed (${[err.type, err.code].filter(Boolean).join(' ') || 'error'}): ${err.detail ?? err.message}`, status);
  }
  // a body that is not JSON (a proxy's error page, an empty 503) or no connection at all
  // (by name: an error made in another realm, as under jest's VM, fails instanceof)
  const notJson = (err as Error).name === 'SyntaxError';
  if (notJson) return new ProviderApiError('paddle', `${what} answered with a body that is not JSON`, 502);
  return new ProviderApiError('paddle', `request failed (${what}: ${(err as Error).message})`);
}
