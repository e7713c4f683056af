import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';
import { logCompletion, requestIdOf, requestLogger, type ProxyTrust } from '../http/request-log';
import type { DeliveryHeaders } from '../providers/provider-adapter';
import { isProviderName } from '../domain/provider-names';
import { receiveWebhook, type IngestOutcome, type ReceiveDeps } from './receive-webhook';

/** PRODUCT.md §4: 1 MiB, checked from Content-Length before the body is read, and again while it is read. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

const ROUTE = /^\/webhook\/([^/?#]+)\/([^/?#]+)\/?(?:\?.*)?$/;

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

function answer(res: ServerResponse, requestId: string, { status, body, headers }: Answer): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'x-request-id': requestId, ...headers });
  res.end(json);
}

const failure = (status: number, error: string, headers?: Record<string, string>): Answer => ({ status, body: { success: false, error }, headers });

function flattenHeaders(headers: IncomingMessage['headers']): DeliveryHeaders {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name] = Array.isArray(value) ? value[0] : value;
  return flat;
}

/** Reads the whole body, or null once it passes the limit (the rest is discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      resolve(over ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', reject);
    req.on('close', () => ended || reject(new Error('the connection closed before the body was complete')));
  });
}

function outcomeAnswer(outcome: IngestOutcome, provider: string, log: () => Logger): Answer {
  switch (outcome.kind) {
    case 'accepted':
      return { status: 200, body: { received: true, id: outcome.id, duplicate: outcome.duplicate } };
    case 'unknown_provider':
      return failure(404, 'unknown provider');
    case 'unknown_project':
      return failure(404, 'unknown project');
    case 'not_connected':
      return failure(404, `${provider} is not connected for this project`);
    case 'verification_failed':
      log().warn({ provider, reason: outcome.reason }, 'webhook rejected');
      return failure(400, 'webhook verification failed');
    case 'unacceptable':
      log().warn({ provider, reason: outcome.reason }, 'webhook refused');
      return failure(400, `event not accepted: ${outcome.reason}`);
    case 'unavailable':
      log().error({ provider, err: outcome.error }, 'webhook not stored: database unavailable');
      return failure(503, 'temporarily unavailable, retry later', { 'retry-after': '5' });
  }
}

/**
 * `POST /webhook/:provider/:projectId` on Node's HTTP layer itself, ahead of Express and of the API's request
 * log: the one route every provider delivery takes, so it skips the router, the request/response decoration and
 * body-parser, which cost about a fifth of the receiver's CPU per delivery, and logs as the request log does
 * (the X-Request-Id answered, one line at the end, a logger bound to the request only when something is logged)
 * without the request log's per-request listeners and accessor, which cost about as much again
 * (docs/performance.md). Returns false for any other request, which then goes to the Express app. Outcomes map
 * to status codes as PRODUCT.md §4 says.
 */
export function webhookEndpoint(deps: ReceiveDeps, logger: Logger, metrics?: Metrics, trust?: ProxyTrust): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/webhook/')) return false;
    const match = ROUTE.exec(req.url);
    if (!match) return false;
    void handle(req, res, decodeURIComponentSafe(match[1]!), decodeURIComponentSafe(match[2]!));
    return true;
  };

  async function handle(req: IncomingMessage, res: ServerResponse, provider: string, projectId: string): Promise<void> {
    const request = { req, id: requestIdOf(req), url: req.url, started: Date.now(), trust };
    const log = requestLogger(logger, req, request.id, request.url, trust);
    const end = (a: Answer) => {
      // a delivery whose connection closed while it was stored was answered to no one: its provider retries it
      const aborted = res.destroyed;
      answer(res, request.id, a);
      logCompletion(logger, request, a.status, aborted);
    };
    try {
      const declared = Number(req.headers['content-length'] ?? 0);
      const body = declared > WEBHOOK_BODY_LIMIT ? null : await readBody(req, WEBHOOK_BODY_LIMIT);
      if (body === null) {
        req.resume();
        return end(failure(413, 'request body too large (limit 1 MiB)', { connection: 'close' }));
      }
      const outcome = await receiveWebhook(deps, { provider, projectId, body, headers: flattenHeaders(req.headers) });
      metrics?.webhooks.inc({
        provider: isProviderName(provider) ? provider : 'unknown',
        outcome: outcome.kind === 'accepted' ? (outcome.duplicate ? 'duplicate' : 'accepted') : outcome.kind,
      });
      end(outcomeAnswer(outcome, provider, log));
    } catch (err) {
      // a broken connection while reading: nothing was stored, and the provider retries
      log().warn({ err: (err as Error).message }, 'webhook delivery aborted');
      if (!res.headersSent && !res.destroyed) end(failure(400, 'request could not be read'));
      else logCompletion(logger, request, 400, true);
    }
  }
}

function decodeURIComponentSafe(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
