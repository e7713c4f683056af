import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/env';

/** Paths pino blanks wherever they appear, so no secret, token or signature reaches a log line. */
const REDACT = ['*.webhook_secret', '*.api_key', '*.secret'];

/**
 * Headers a log line may never show: credentials, cookies, and every provider's signature header — matched by
 * name rather than listed, so a new provider's header is covered without touching this file.
 */
const SECRET_HEADER = /authorization|cookie|signature|token|secret|api[-_]?key/i;

function censorHeaders(headers: unknown): unknown {
  if (headers === null || typeof headers !== 'object') return headers;
  return Object.fromEntries(Object.entries(headers as Record<string, unknown>).map(([name, value]) => [name, SECRET_HEADER.test(name) ? '[redacted]' : value]));
}

function censorRequest(req: unknown): unknown {
  if (req === null || typeof req !== 'object' || !('headers' in req)) return req;
  return { ...(req as Record<string, unknown>), headers: censorHeaders((req as { headers: unknown }).headers) };
}

/**
 * What a logged error keeps. A database error carries more: PGlite's the statement's `params`, PostgreSQL's
 * `detail` sometimes the failing row — for the receiver's insert, the raw webhook body and its signature header.
 */
const ERROR_FIELDS = ['type', 'message', 'stack', 'code', 'severity', 'routine', 'schema', 'table', 'column', 'constraint'] as const;

export function serializeError(err: unknown): unknown {
  if (err === null || typeof err !== 'object') return err;
  const full = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const field of ERROR_FIELDS) if (full[field] !== undefined) kept[field] = full[field];
  return kept;
}

/** Refwire's logger (to stdout unless a destination is given). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { err: serializeError, req: censorRequest, headers: censorHeaders }, base: { service: 'refwire' } };
  return destination ? pino(options, destination) : pino(options);
}
