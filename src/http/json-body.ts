import express, { type RequestHandler } from 'express';
import { apiJsonTextProblem } from '../util/json-text';
import { HttpError } from './errors';

const TEXT_PROBLEM = Symbol('jsonTextProblem');
type RequestWithProblem = express.Request & { [TEXT_PROBLEM]?: string };

/** What a jsonBody with `textProblems: 'report'` found wrong in the body's text (its field named), or null. */
export function jsonTextProblemOf(req: express.Request): string | null {
  return (req as RequestWithProblem)[TEXT_PROBLEM] ?? null;
}

/**
 * express.json for the API, refusing with 400 and the field's name what JSON.parse would take silently: a body
 * nested deeper than MAX_JSON_DEPTH, a number it would not read exactly (9007199254740993, an amount with
 * more digits than a double keeps), and a string PostgreSQL cannot hold (U+0000, half a surrogate pair). Money is
 * read from its decimal text (src/commission/money.ts), so the text must be what the client wrote.
 *
 * A body of another type is refused with 415: express.json would leave it unread, and the request would be
 * answered as if it had no body ("… is required"), sending the client after a field it did send.
 */
export function jsonBody(options: { limit: string; type?: string[]; textProblems?: 'refuse' | 'report' }): RequestHandler {
  const types = options.type ?? ['application/json'];
  const parse = express.json({
    limit: options.limit,
    type: options.type,
    verify: (req, _res, raw) => {
      const problem = apiJsonTextProblem(raw.toString('utf8'));
      if (!problem) return;
      // 'report': the route answers it in its own protocol (MCP: a JSON-RPC error with the request's id)
      if (options.textProblems === 'report') (req as RequestWithProblem)[TEXT_PROBLEM] = problem;
      // body-parser answers with this error's status
      else throw new HttpError(400, problem);
    },
  });
  // a body of another type is read too (within the same limit), only to tell an empty one, which is no body
  const other = express.raw({ type: () => true, limit: options.limit });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (req.method === 'GET' || req.method === 'HEAD' || req.is(types) || !framesBody(req)) return next();
      other(req, res, (rawError?: unknown) => {
        if (rawError) return next(rawError);
        const bytes = Buffer.isBuffer(req.body) ? req.body.length : 0;
        req.body = undefined;
        if (bytes === 0) return next();
        const sent = req.headers['content-type'];
        next(new HttpError(415, `${sent ? `Content-Type "${sent}"` : 'a body without a Content-Type'} is not accepted: send JSON with Content-Type: application/json`));
      });
    });
  };
}

/** Whether the request frames a body at all (it may still be empty: Content-Length 0, or no chunk). */
function framesBody(req: express.Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}
