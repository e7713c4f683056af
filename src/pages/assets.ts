import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RequestHandler } from 'express';

type Asset = { body: Buffer; gzipped: Buffer; etag: string; type: string };

export type AssetOptions = {
  /** what a 503 says when the file is missing: which build step makes it */
  notBuilt: string;
  /** served to other origins too (the portal widget on merchants' pages); the dashboard's files are not */
  crossOrigin?: boolean;
  /**
   * How long a browser may keep it without asking: `immutable` for files named by their content (a new build has new
   * names), `revalidate` for a file that names them (asked again each time, a 304 while unchanged); 5 minutes else.
   */
  caching?: 'immutable' | 'revalidate';
};

const CACHE_CONTROL = { immutable: 'public, max-age=31536000, immutable', revalidate: 'no-cache', default: 'public, max-age=300' };

/**
 * A built browser file (scripts/build-portal.js, scripts/build-dashboard.js), read on its first request and kept,
 * gzipped once here so nothing in front of Refwire has to. A process built without the browser code (a test of
 * something else) still starts, and answers 503 for these files alone, saying how to build them.
 */
export function assetHandler(file: () => string, type: string, options: AssetOptions): RequestHandler {
  let asset: Asset | null = null;
  return (req, res) => {
    if (!asset) {
      let body: Buffer;
      try {
        body = fs.readFileSync(file());
      } catch {
        res.status(503).json({ success: false, error: options.notBuilt });
        return;
      }
      asset = { body, gzipped: gzipSync(body, { level: 9 }), type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    res.setHeader('Content-Type', asset.type);
    if (options.crossOrigin) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    } else {
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    }
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', CACHE_CONTROL[options.caching ?? 'default']);
    res.setHeader('ETag', asset.etag);
    res.setHeader('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    const body = gzip ? asset.gzipped : asset.body;
    res.setHeader('Content-Length', body.length);
    res.end(body);
  };
}

/**
 * The built files of one folder, `GET …/:file`: a name that does not match `name`, or no such file, is a 404 saying
 * `missing`; each file found gets its own assetHandler (so the folder's files are read once each).
 */
export function assetFolderHandler(folder: () => string, name: RegExp, type: string, options: AssetOptions & { missing: string }): RequestHandler {
  const handlers = new Map<string, RequestHandler>();
  return (req, res, next) => {
    const file = String(req.params.file);
    if (!name.test(file) || !fs.existsSync(path.join(folder(), file))) {
      res.status(404).json({ success: false, error: options.missing });
      return;
    }
    let handler = handlers.get(file);
    if (!handler) handlers.set(file, (handler = assetHandler(() => path.join(folder(), file), type, options)));
    handler(req, res, next);
  };
}
