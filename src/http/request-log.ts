import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Level, Logger } from 'pino';

declare module 'node:http' {
  interface IncomingMessage {
    /** the request id (X-Request-Id given by a proxy, or generated) */
    id: string;
    /** a logger bound to this request */
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The API's own paging and filter parameters: harmless, and worth seeing in a log. */
const LOGGED_QUERY_PARAMS = new Set(['limit', 'offset', 'status', 'provider', 'type', 'kind', 'paid', 'from', 'to', 'top']);

/**
 * The URL as logged: clients put API keys and tokens in query strings too (`?api_key=…`), whether or not the API
 * reads them there, so only the values of the API's own paging and filter parameters are kept; any other value,
 * and any bare or long name, is blanked.
 */
export function loggableUrl(url: string | undefined): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  if (url === undefined || q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (LOGGED_QUERY_PARAMS.has(name)) return pair;
      return eq >= 0 && /^[A-Za-z0-9_.[\]-]{1,32}$/.test(name) ? `${name}=[redacted]` : '[redacted]';
    });
  return `${url.slice(0, q)}?${query.join('&')}`;
}

/**
 * Which proxies' X-Forwarded-For is believed (TRUST_PROXY): Express's compiled `trust proxy fn`, so a log line names
 * the client Express's `req.ip` (and the per-address limits) would. Absent: the socket's peer.
 */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * What a log line says about a request: never headers (they carry tokens, API keys and signatures). `url` is the
 * one the request came with: Express rewrites req.url within mounted routers.
 */
export function requestSummary(req: IncomingMessage, id: string, url: string | undefined, trust?: ProxyTrust) {
  const remoteAddress = trust && req.headers['x-forwarded-for'] !== undefined && req.socket?.remoteAddress ? proxyaddr(req, trust) : req.socket?.remoteAddress;
  return { id, method: req.method, url: loggableUrl(url), remoteAddress };
}

/** The id a proxy gave the request (X-Request-Id), when it is one we can log, or a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** A logger bound to the request, built the first time something logs through it (most requests log nothing). */
export function requestLogger(logger: Logger, req: IncomingMessage, id: string, url: string | undefined, trust?: ProxyTrust): () => Logger {
  let bound: Logger | null = null;
  return () => (bound ??= logger.child({ req: requestSummary(req, id, url, trust) }));
}

/** The line that ends a request's log, at a level that follows its status, written only when that level is on. */
const PROBES = /^\/(healthz|readyz|metrics)(\?|$)/;

export function logCompletion(
  logger: Logger,
  request: { req: IncomingMessage; id: string; url: string | undefined; started: number; trust?: ProxyTrust | undefined },
  statusCode: number,
  failed: boolean,
): void {
  // A probe (an orchestrator's health check every few seconds, a metrics scrape) is logged only at debug, and a
  // readiness probe's 503 as a warning: the log of what the dependency did says the rest.
  const probe = PROBES.test(request.url ?? '');
  const level: Level = probe ? (statusCode >= 500 ? 'warn' : 'debug') : failed || statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    { req: requestSummary(request.req, request.id, request.url, request.trust), res: { statusCode }, responseTime: Date.now() - request.started },
    failed ? 'request aborted' : 'request completed',
  );
}

/**
 * Request ids and one log line per request. Replaces pino-http, which serializes a child logger's bindings on
 * every request, logged or not: on the webhook path at 4,000 requests/s that was about a tenth of the CPU.
 * Here the per-request logger is built only when something logs through it, and the completion line only
 * when its level is enabled.
 */
export function requestLog(logger: Logger, trust?: ProxyTrust) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const id = requestIdOf(req);
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const url = req.url;
    Object.defineProperty(req, 'log', { configurable: true, get: requestLogger(logger, req, id, url, trust) });

    const request = { req, id, url, started: Date.now(), trust };
    let done = false;
    const complete = (failed: boolean) => {
      if (done) return;
      done = true;
      logCompletion(logger, request, res.statusCode, failed);
    };
    res.once('finish', () => complete(false));
    res.once('close', () => complete(!res.writableFinished));
    next();
  };
}
