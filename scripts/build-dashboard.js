// Builds the merchant dashboard (web/dashboard: React, TanStack Query, Headless UI, wouter, uPlot, a client typed
// from /openapi.json) with esbuild into dist/web/dashboard:
//   app.js    the single-page app, served at /dashboard/assets/app.js
//   app.css   its styles (web/dashboard/styles.css and uPlot's)
// Used by scripts/build.js (npm start, the Docker image) and by the tests, which build before they serve it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { bundle, staleAgainst } = require('./web-bundle');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'web', 'dashboard');
const out = path.join(root, 'dist', 'web', 'dashboard');

/** True when dist/web/dashboard is older than a source file of the dashboard (or missing). */
function dashboardStale() {
  return staleAgainst(source, path.join(out, 'app.js'));
}

async function buildDashboard() {
  fs.mkdirSync(out, { recursive: true });
  return bundle({ entryPoints: { app: path.join(source, 'main.tsx') }, outdir: out });
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
