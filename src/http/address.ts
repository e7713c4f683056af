import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/**
 * An address holding `%00` is refused before any route reads it: a NUL decoded into a path id, a code or a filter
 * reached PostgreSQL, which holds no U+0000 in text and failed the statement (a 500 where the input is at fault).
 */
export const refuseNulInAddress: RequestHandler = (req, _res, next) => {
  next(/%00/i.test(req.url) ? new HttpError(400, 'the address holds a NUL character (%00), which no id, code or filter can hold') : undefined);
};

/**
 * `?status[]=failed` names a parameter no route has ("status[]"), so the filter was silently not applied and the
 * whole list came back. The API takes each parameter once, by its plain name: say so instead.
 */
export const refuseBracketedQuery: RequestHandler = (req, _res, next) => {
  const bracketed = req.path.startsWith('/api/') ? Object.keys(req.query as Record<string, unknown>).find((name) => /[[\]]/.test(name)) : undefined;
  next(bracketed === undefined ? undefined : new HttpError(400, `query parameter "${bracketed}": give it once by its plain name (e.g. ${bracketed.replace(/\[.*$/, '')}=value), without brackets`));
};
