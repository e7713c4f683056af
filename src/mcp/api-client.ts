/**
 * The MCP tools' one way into Refwire: its REST API, over HTTP, with a project API key. `refwire mcp` points it at
 * REFWIRE_API_URL; the `/mcp` endpoint at the server's own listening address (src/mcp/http-endpoint.ts). Every
 * behaviour a tool has is therefore the API's, with the API's checks, limits and answers.
 */

export type ApiCall = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** under /api/v1, already encoded: `/affiliates/a%40b.test` */
  path: string;
  query?: Record<string, unknown>;
  body?: Record<string, unknown>;
};

/** The API's JSON answer (null for a 204). */
export type ApiAnswer = { status: number; body: unknown };

/** A refused call: the API's status and its `error` message, or why the API could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type ApiClient = { readonly baseUrl: string; call(request: ApiCall): Promise<ApiAnswer> };

/** `http://host:3000`, `http://host:3000/`, `http://host:3000/api/v1`: the server's base, without /api/v1. */
export function apiBase(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${url}`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}`;
}

/** A query value as the API's query schemas read it; dates travel as ISO 8601. */
function queryText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

const TIMEOUT_MS = 30_000;

/**
 * Why a call got no answer, in words an agent acts on. A timeout is not "could not reach": the request went out and
 * may have been applied, so a write is to be checked before it is sent again (a retry could record it twice). Other
 * failures name their cause (fetch says only "fetch failed"; the refused port or TLS error is in `cause`).
 */
export function unreachable(baseUrl: string, method: string, err: unknown, timeoutMs = TIMEOUT_MS): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    const write = method.toUpperCase() !== 'GET';
    return `Refwire at ${baseUrl} did not answer within ${timeoutMs / 1000} s${write ? ': the change may have been made; check (list or get it) before sending it again' : ''}`;
  }
  const cause = e.cause?.message || e.cause?.code;
  return `could not reach Refwire at ${baseUrl}: ${e.message}${cause ? ` (${cause})` : ''}`;
}

export function apiClient(options: { baseUrl: string; apiKey: string; fetch?: typeof fetch; timeoutMs?: number }): ApiClient {
  const baseUrl = apiBase(options.baseUrl);
  const send = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  return {
    baseUrl,
    async call({ method, path, query, body }) {
      const url = new URL(`${baseUrl}/api/v1${path}`);
      for (const [name, value] of Object.entries(query ?? {})) {
        if (value !== undefined && value !== null) url.searchParams.set(name, queryText(value));
      }
      let response: Response;
      try {
        response = await send(url, {
          method,
          headers: { Authorization: `Bearer ${options.apiKey}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new ApiError(null, unreachable(baseUrl, method, err, timeoutMs));
      }
      if (response.status === 204) return { status: 204, body: null };
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ApiError(response.status, `Refwire at ${baseUrl} answered HTTP ${response.status} without JSON`);
      }
      if (!response.ok) {
        const error = (json as { error?: unknown }).error;
        throw new ApiError(response.status, typeof error === 'string' ? error : `HTTP ${response.status}`);
      }
      return { status: response.status, body: json };
    },
  };
}
