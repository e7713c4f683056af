import pino, { type Logger } from 'pino';
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

export function createLogger(level: LogLevel): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'refwire' } });
}
