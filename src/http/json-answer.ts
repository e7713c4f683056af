import type { Express, Response } from 'express';
import { exactJson } from '../util/exact-json';

/**
 * Every `res.json` of the app writes integers past 2^53 exactly (src/util/exact-json.ts): a money total kept as a
 * bigint is answered as its digits, where Express's own JSON.stringify threw on a bigint and Number() rounded it.
 * Express's `json spaces`, `json escape` and `json replacer` settings are not used by this app.
 */
export function answerExactJson(app: Express): void {
  app.response.json = function json(this: Response, body: unknown) {
    if (!this.get('Content-Type')) this.set('Content-Type', 'application/json');
    return this.send(exactJson(body));
  };
}
