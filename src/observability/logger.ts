import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/env';

/** Paths pino blanks wherever they appear, so no secret, token or signature reaches a log line. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers["paddle-signature"]',
  'req.headers["x-signature"]',
  'req.headers["webhook-signature"]',
  'req.headers.cookie',
  '*.webhook_secret',
  '*.api_key',
  '*.secret',
];

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
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { err: serializeError }, base: { service: 'refwire' } };
  return destination ? pino(options, destination) : pino(options);
}
