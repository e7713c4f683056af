import path from 'node:path';
import express, { type Router } from 'express';
import type { Operation } from '../api/operation';
import { assetHandler } from './assets';

/** Where `scripts/build-dashboard.js` puts the dashboard (web/dashboard): from src/pages (ts-jest) and dist/pages alike. */
export const DASHBOARD_BUILD_DIR = path.resolve(__dirname, '..', '..', 'dist', 'web', 'dashboard');

/**
 * The dashboard's policy: its own script, styles and API only; no inline script or style, no eval. It frames the
 * hosted portal (its own origin) for the portal settings' live preview, and nothing may frame it.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "font-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="same-origin">
<title>Refwire</title>
<link rel="stylesheet" href="/dashboard/assets/app.css">
<script src="/dashboard/assets/app.js" defer></script>
</head>
<body>
<div id="app"><p class="boot">Loading Refwire…</p></div>
<noscript><p>The Refwire dashboard needs JavaScript.</p></noscript>
</body>
</html>
`;

const ASSET = { notBuilt: 'the dashboard is not built: run `npm run build` (scripts/build-dashboard.js)' };

/**
 * The merchant dashboard (PRODUCT.md §14): one HTML page for every address under /dashboard (the app routes in the
 * browser), and its two built files. Everything it shows comes from /api/v1 and /api/dashboard.
 */
export function dashboardPagesRouter(buildDir: string = DASHBOARD_BUILD_DIR): Router {
  const router = express.Router();
  router.get('/dashboard/assets/app.js', assetHandler(() => path.join(buildDir, 'app.js'), 'application/javascript; charset=utf-8', ASSET));
  router.get('/dashboard/assets/app.css', assetHandler(() => path.join(buildDir, 'app.css'), 'text/css; charset=utf-8', ASSET));
  const page: express.RequestHandler = (_req, res) => {
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.send(DASHBOARD_HTML);
  };
  router.get('/dashboard', page);
  // every deeper address is the same page (the app routes in the browser); a missing built file is a 404
  router.use('/dashboard', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/assets/')) {
      res.status(404).json({ success: false, error: 'no such file' });
      return;
    }
    page(req, res, next);
  });
  return router;
}

export const dashboardPageOperations: Operation[] = [
  {
    method: 'get',
    path: '/dashboard',
    tag: 'Dashboard',
    access: 'public',
    summary: 'The merchant dashboard (HTML; every address under /dashboard is the same page, routed in the browser; docs/dashboard.md)',
    answer: 'text',
  },
  { method: 'get', path: '/dashboard/assets/app.js', tag: 'Dashboard', access: 'public', summary: "The dashboard's script", answer: 'javascript', errors: [503] },
  { method: 'get', path: '/dashboard/assets/app.css', tag: 'Dashboard', access: 'public', summary: "The dashboard's styles", answer: 'text', errors: [503] },
];
