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
  if (!req.path.startsWith('/api/')) return next();
  const query = req.query as Record<string, unknown>;
  const bracketed = Object.keys(query).find((name) => /[[\]]/.test(name));
  if (bracketed !== undefined) return next(new HttpError(400, `query parameter "${bracketed}": give it once by its plain name (e.g. ${bracketed.replace(/\[.*$/, '')}=value), without brackets`));
  // ?limit=10&limit=20 arrives as a list, which no parameter takes: the schema's answer ("received NaN") hid why
  const repeated = Object.entries(query).find(([, value]) => Array.isArray(value));
  next(repeated === undefined ? undefined : new HttpError(400, `query parameter "${repeated[0]}": give it once (it came ${(repeated[1] as unknown[]).length} times)`));
};
