import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../db/unavailable';

/** An error whose message is safe to show the caller. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** sent with the answer (Retry-After) */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Long enough for every message Refwire writes; a message quoting a 100,000-character input back is cut here. */
const ERROR_TEXT_LIMIT = 1000;

export function sendError(res: Parameters<RequestHandler>[1], status: number, error: string): void {
  res.status(status).json({ success: false, error: error.length > ERROR_TEXT_LIMIT ? `${error.slice(0, ERROR_TEXT_LIMIT)}…` : error });
}

export const notFoundHandler: RequestHandler = (_req, res) => sendError(res, 404, 'not found');

/**
 * zod's own words for an empty text ("Too small: expected string to have >=1 characters") reached the dashboard's
 * forms beside fields whose schemas gave no message of their own: said as the other fields say it.
 */
const EXPECTED: Record<string, string> = { number: 'a number', int: 'a whole number', string: 'a string', boolean: 'true or false', object: 'an object', array: 'an array' };
const RECEIVED: Record<string, string> = { string: 'a string', number: 'a number', boolean: 'a boolean', object: 'an object', array: 'an array', null: 'null' };

function messageOf(issue: ZodError['issues'][number]): string {
  // a misspelt field was once dropped in silence (an order_id that deduplicated nothing, a comission_value unchanged)
  if (issue.code === 'unrecognized_keys') return `not a field of this request: ${issue.keys.map((k) => JSON.stringify(k.length > 64 ? `${k.slice(0, 64)}…` : k)).join(', ')}`;
  if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1 && issue.message.startsWith('Too small:')) return 'must not be empty';
  // zod's "Invalid input: expected number, received string" beside a dashboard field said more about zod than the field
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input:')) {
    const received = /received (\w+)$/.exec(issue.message)?.[1];
    if (received === 'undefined') return 'is required';
    const expected = EXPECTED[issue.expected];
    if (expected) return `must be ${expected}${received && RECEIVED[received] ? `, not ${RECEIVED[received]}` : ''}`;
  }
  return issue.message;
}

function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${messageOf(issue)}` : messageOf(issue)))
    .join('; ');
}

function sizeOf(bytes: number | undefined): string {
  if (bytes === undefined) return 'unknown';
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

/** Every failure leaves as `{ success: false, error }`; internals are logged, never sent. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  // a streamed answer (a CSV export) that fails midway cannot become an error answer: it is cut off, as Express's
  // own handler would, after logging the failure itself (writing JSON here only threw ERR_HTTP_HEADERS_SENT)
  if (res.headersSent) {
    req.log?.error({ err }, 'failed while streaming the answer');
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
    return sendError(res, err.status, err.message);
  }
  if (err instanceof ZodError) return sendError(res, 400, describeZodError(err));
  // body-parser errors carry a status and a type
  const type = (err as { type?: string }).type;
  // each body parser has its own limit (1 MiB for the API, 16 KB for the tracking endpoints): name the one hit
  if (type === 'entity.too.large') return sendError(res, 413, `request body too large (limit ${sizeOf((err as { limit?: number }).limit)})`);
  if (type === 'entity.parse.failed') return sendError(res, 400, isJsonText((err as { body?: unknown }).body) ? 'request body must be a JSON object' : 'request body is not valid JSON');
  const status = (err as { status?: number }).status;
  // the decompressor's own words ("incorrect header check") say nothing to a client that sent a wrong encoding
  const encoding = req.headers['content-encoding'];
  if (status === 400 && type === undefined && encoding && encoding !== 'identity') {
    return sendError(res, 400, `request body is not valid ${encoding} (Content-Encoding: ${encoding})`);
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return sendError(res, status, (err as Error).message || 'bad request');
  }
  // a unique index lost a race that the route's own check could not see (two creations at once): a conflict, as the
  // check would have answered, not a failure (routes that know the field say which, with conflictAs409)
  if ((err as { code?: unknown }).code === 'P2002') return sendError(res, 409, 'conflicts with an existing record: a value that must be unique is already taken');
  // every connection busy past the pool's wait, or the database down: "come back", not "broken"
  if (isDatabaseUnavailable(err)) {
    req.log?.warn({ err }, 'database unavailable');
    res.setHeader('Retry-After', '5');
    return sendError(res, 503, 'the database is busy or unavailable; retry in a few seconds');
  }
  req.log?.error({ err }, 'unhandled error');
  sendError(res, 500, 'internal error');
};

/** JSON that body-parser's strict mode refused for not being an object or array (null, 1, "text"): valid JSON still. */
function isJsonText(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}
