import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/**
 * An address holding `%00` is refused before any route reads it: a NUL decoded into a path id, a code or a filter
 * reached PostgreSQL, which holds no U+0000 in text and failed the statement (a 500 where the input is at fault).
 */
export const refuseNulInAddress: RequestHandler = (req, _res, next) => {
  next(/%00/i.test(req.url) ? new HttpError(400, 'the address holds a NUL character (%00), which no id, code or filter can hold') : undefined);
};
