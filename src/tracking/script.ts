import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';

// Two levels up is the package root from src/tracking (ts-jest) and from dist/tracking (compiled) alike.
export const TRACKING_SCRIPT_PATH = path.resolve(__dirname, '..', '..', 'static', 'refwire.js');

/**
 * `GET /js/refwire.js` (PRODUCT.md §9): the tracking script, read once when the app is built so a missing file
 * fails the start, not a visitor. Merchants embed it from another origin, hence the open CORS and CORP headers;
 * the short cache lets a new version reach their pages within minutes.
 */
export function trackingScript(): RequestHandler {
  const body = fs.readFileSync(TRACKING_SCRIPT_PATH);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return (req, res) => {
    res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('ETag', etag);
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Length', body.length);
    // Node leaves the body out of an answer to HEAD by itself.
    res.end(body);
  };
}
