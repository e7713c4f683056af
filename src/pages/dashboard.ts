import path from 'node:path';
import express, { type Router } from 'express';
import type { Operation } from '../api/operation';
import { assetFolderHandler, assetHandler } from './assets';
import { dashboardPreloads } from './dashboard-preload';

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

function dashboardHtml(preloads: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="same-origin">
<title>Refwire</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/app.css">
<script type="module" src="/dashboard/assets/app.js"></script>
${preloads}<link rel="preload" href="/api/dashboard/me" as="fetch" crossorigin>
</head>
<body>
<div id="app"><p class="boot">Loading Refwire…</p></div>
<noscript><p>The Refwire dashboard needs JavaScript.</p></noscript>
</body>
</html>
`;
}

const JS = 'application/javascript; charset=utf-8';
const ASSET = { notBuilt: 'the dashboard is not built: run `npm run build` (scripts/build-dashboard.js)' };

/**
 * The merchant dashboard (PRODUCT.md §14): one HTML page for every address under /dashboard (the app routes in the
 * browser), and its two built files. Everything it shows comes from /api/v1 and /api/dashboard.
 */
export function dashboardPagesRouter(buildDir: string = DASHBOARD_BUILD_DIR): Router {
  const router = express.Router();
  // the entry and styles keep their names from build to build, so they are asked for again each time (a 304 while
  // unchanged) and name the current chunks; a chunk's name is its content, so it never changes
  router.get('/dashboard/assets/app.js', assetHandler(() => path.join(buildDir, 'app.js'), JS, { ...ASSET, caching: 'revalidate' }));
  router.get('/dashboard/assets/app.css', assetHandler(() => path.join(buildDir, 'app.css'), 'text/css; charset=utf-8', { ...ASSET, caching: 'revalidate' }));
  router.get(
    '/dashboard/assets/chunks/:file',
    assetFolderHandler(() => path.join(buildDir, 'chunks'), /^[\w-]+\.js$/, JS, { ...ASSET, caching: 'immutable', missing: 'no such file: the dashboard was built again since this page was loaded' }),
  );
  const preloads = dashboardPreloads(buildDir);
  const page: express.RequestHandler = (req, res) => {
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.send(dashboardHtml(preloads(req.path)));
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
  {
    method: 'get',
    path: '/dashboard/assets/chunks/{file}',
    tag: 'Dashboard',
    access: 'public',
    summary: "A part of the dashboard's script (a page, or what pages share), named by its content and imported by app.js",
    answer: 'javascript',
    errors: [404, 503],
  },
  { method: 'get', path: '/dashboard/assets/app.css', tag: 'Dashboard', access: 'public', summary: "The dashboard's styles", answer: 'text', errors: [503] },
];
