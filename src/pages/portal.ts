import path from 'node:path';
import express, { type Router } from 'express';
import type { Operation } from '../api/operation';
import type { PrismaClient } from '../generated/prisma/client';
import { assetFolderHandler, assetHandler } from './assets';
import { PREVIEW_CSS, PREVIEW_PAGE_CSP, PREVIEW_SCRIPT, previewPageHtml } from './portal-preview';

/**
 * Where `scripts/build-portal.js` puts the portal's browser code (web/portal, built by esbuild): two levels up is
 * the package root from src/pages (ts-jest) and from dist/pages (compiled) alike.
 */
export const PORTAL_BUILD_DIR = path.resolve(__dirname, '..', '..', 'dist', 'web');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LANG = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i;

/**
 * The hosted page's policy: its own script and API only, no inline script or style, nothing framed. The widget
 * adopts its styles as constructed stylesheets, which style-src 'self' does not block; promotional images come
 * from wherever the merchant keeps them (https).
 */
export const HOSTED_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** merchants' pages load the widget from another origin (the script, then its language catalogs with fetch) */
const PORTAL_ASSET = { crossOrigin: true, notBuilt: 'the portal is not built: run `npm run build` (scripts/build-portal.js)' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function hostedPageHtml(project: { id: string; name: string }, lang: string | null): string {
  const langAttr = lang ? ` data-lang="${escapeHtml(lang)}"` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(project.name)}</title>
<link rel="icon" href="data:,">
<script src="/js/refwire-portal.js" defer></script>
</head>
<body>
<main>
<div data-refwire-portal data-mode="hosted" data-project-id="${escapeHtml(project.id)}"${langAttr}></div>
</main>
<noscript><p>This page needs JavaScript.</p></noscript>
</body>
</html>
`;
}

/**
 * `GET /js/refwire-portal.js` with its language catalogs and chart library, and the hosted page `GET /portal/:projectId`
 * (PRODUCT.md §13; the page's sign-in and data go through the portal API, /api/portal/:projectId/…).
 */
/** The hosted portal page of a project (`GET /portal/:projectId` below), as emails link to it. */
export function portalPageUrl(publicUrl: string, projectId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/portal/${projectId}`;
}

export function portalPagesRouter(prisma: PrismaClient, buildDir: string = PORTAL_BUILD_DIR): Router {
  const router = express.Router();
  router.get('/js/refwire-portal.js', assetHandler(() => path.join(buildDir, 'refwire-portal.js'), 'application/javascript; charset=utf-8', PORTAL_ASSET));
  // the chart library, imported by the script when it draws a daily chart (a module: fetched with CORS, which
  // PORTAL_ASSET answers for merchants' pages)
  router.get('/js/refwire-portal/uplot.js', assetHandler(() => path.join(buildDir, 'refwire-portal', 'uplot.js'), 'text/javascript; charset=utf-8', PORTAL_ASSET));
  router.get(
    '/js/refwire-portal/locales/:file',
    assetFolderHandler(() => path.join(buildDir, 'refwire-portal', 'locales'), /^[a-z]{2}\.json$/, 'application/json; charset=utf-8', { ...PORTAL_ASSET, missing: 'no such language' }),
  );
  // the dashboard's live preview of the portal settings (src/pages/portal-preview.ts): no data in the page itself,
  // the dashboard frame posts the unsaved settings (and an embed token, or nothing for sample data) to it
  router.get('/js/refwire-portal-preview.js', (_req, res) => {
    res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-cache');
    res.send(PREVIEW_SCRIPT);
  });
  router.get('/js/refwire-portal-preview.css', (_req, res) => {
    res.setHeader('Content-Type', 'text/css; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-cache');
    res.send(PREVIEW_CSS);
  });
  router.get('/portal/:projectId/preview', async (req, res) => {
    const id = String(req.params.projectId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    if (!UUID.test(id) || !(await prisma.project.findUnique({ where: { id }, select: { id: true } }))) {
      res.status(404).json({ success: false, error: 'no such project' });
      return;
    }
    res.setHeader('Content-Security-Policy', PREVIEW_PAGE_CSP);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.send(previewPageHtml(id));
  });
  router.get('/portal/:projectId', async (req, res) => {
    const id = String(req.params.projectId);
    const project = UUID.test(id) ? await prisma.project.findUnique({ where: { id }, select: { id: true, name: true } }) : null;
    res.setHeader('Content-Security-Policy', HOSTED_PAGE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    if (!project) {
      res.status(404).send('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><h1>Not found</h1><p>There is no affiliate program here.</p></body></html>');
      return;
    }
    const lang = typeof req.query.lang === 'string' && LANG.test(req.query.lang) ? req.query.lang : null;
    res.send(hostedPageHtml(project, lang));
  });
  return router;
}

export const portalPageOperations: Operation[] = [
  { method: 'get', path: '/js/refwire-portal.js', tag: 'Affiliate portal', access: 'public', summary: 'The affiliate portal widget: the hosted page and merchants\' pages load it (docs/portal.md)', answer: 'javascript', errors: [503] },
  { method: 'get', path: '/js/refwire-portal/locales/{file}', tag: 'Affiliate portal', access: 'public', summary: "One language's catalog for the widget (en.json, de.json, ar.json, …)", answer: 'json' },
  {
    method: 'get',
    path: '/js/refwire-portal/uplot.js',
    tag: 'Affiliate portal',
    access: 'public',
    summary: 'The chart library (uPlot) as an ES module: the widget imports it when it draws a daily chart',
    answer: 'javascript',
    errors: [503],
  },
  {
    method: 'get',
    path: '/portal/{projectId}',
    tag: 'Affiliate portal',
    access: 'public',
    summary: "The hosted affiliate portal (HTML): sign-in by emailed code, then the affiliate's dashboard",
    description: 'lang (optional, e.g. de) picks the language instead of the browser\'s. Served with a strict Content-Security-Policy.',
    answer: 'text',
    errors: [404],
  },
  { method: 'get', path: '/js/refwire-portal-preview.js', tag: 'Affiliate portal', access: 'public', summary: "The dashboard's portal preview mode: unsaved settings and sample data in the preview frame", answer: 'javascript' },
  { method: 'get', path: '/js/refwire-portal-preview.css', tag: 'Affiliate portal', access: 'public', summary: "The portal preview frame's stylesheet", answer: 'text' },
  {
    method: 'get',
    path: '/portal/{projectId}/preview',
    tag: 'Affiliate portal',
    access: 'public',
    summary: "The dashboard's live preview of the portal (HTML, framed by the dashboard only): the widget with the settings the dashboard posts to it",
    answer: 'text',
    errors: [404],
  },
];
