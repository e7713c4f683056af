import express, { type RequestHandler } from 'express';
import { jsonTextProblem, MAX_JSON_DEPTH } from '../util/json-text';
import { HttpError } from './errors';

/**
 * express.json for the API, refusing with 400 and the field's name what JSON.parse would take silently: a body
 * nested deeper than MAX_JSON_DEPTH, a number it would not read exactly (9007199254740993, an amount with
 * more digits than a double keeps), and a string PostgreSQL cannot hold (U+0000, half a surrogate pair). Money is
 * read from its decimal text (src/commission/money.ts), so the text must be what the client wrote.
 */
export function jsonBody(options: { limit: string; type?: string[] }): RequestHandler {
  return express.json({
    ...options,
    verify: (_req, _res, raw) => {
      const problem = jsonTextProblem(raw.toString('utf8'), { maxDepth: MAX_JSON_DEPTH, exactNumbers: true, storableText: true });
      // body-parser answers with this error's status
      if (problem) throw new HttpError(400, problem);
    },
  });
}
