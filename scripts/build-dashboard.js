// Builds the merchant dashboard (web/dashboard: React, TanStack Query, Headless UI, wouter, uPlot, a client typed
// from /openapi.json) with esbuild into dist/web/dashboard:
//   app.js    the single-page app, served at /dashboard/assets/app.js
//   app.css   its styles (web/dashboard/styles.css and uPlot's)
// Used by scripts/build.js (npm start, the Docker image) and by the tests, which build before they serve it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'web', 'dashboard');
const out = path.join(root, 'dist', 'web', 'dashboard');

function newestIn(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when dist/web/dashboard is older than a source file of the dashboard (or missing). */
function dashboardStale() {
  const marker = path.join(out, 'app.js');
  if (!fs.existsSync(marker)) return true;
  return newestIn(source) > fs.statSync(marker).mtimeMs;
}

async function buildDashboard() {
  // esbuild is a devDependency: present wherever the build runs (a clone after npm ci, the image's build stage)
  const esbuild = require('esbuild');
  fs.mkdirSync(out, { recursive: true });
  try {
    return await esbuild.build({
      entryPoints: { app: path.join(source, 'main.tsx') },
      outdir: out,
      bundle: true,
      minify: true,
      format: 'iife',
      target: ['es2020', 'chrome105', 'firefox110', 'safari16'],
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      legalComments: 'none',
      charset: 'utf8',
      sourcemap: false,
      logLevel: 'error',
      metafile: true,
    });
  } finally {
    // esbuild's service process would keep a caller (a test worker) alive after its work is done
    await esbuild.stop();
  }
}

module.exports = { buildDashboard, dashboardStale, DASHBOARD_OUT: out };

if (require.main === module) {
  buildDashboard().then(
    () => console.error(`refwire: dashboard built into ${path.relative(root, out)}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
