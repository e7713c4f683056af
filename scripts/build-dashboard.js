// Builds the merchant dashboard (web/dashboard: React, TanStack Query, Headless UI, wouter, uPlot, a client typed
// from /openapi.json) with esbuild into dist/web/dashboard:
//   app.js    the single-page app's shell (an ES module), served at /dashboard/assets/app.js
//   chunks/   its pages and what they share, content-named, imported by app.js when needed
//   preload.json  which chunks each page's first screen needs (see preloadManifest)
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
  const result = await bundle({
    write: false,
    entryPoints: { app: path.join(source, 'main.tsx') },
    outdir: out,
    // ES modules split in chunks: each page (imported lazily by page-chunks.ts) and what only pages share are
    // fetched when needed, so the first screen parses the shell and its own page, not the whole app
    format: 'esm',
    splitting: true,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
  });
  const files = [...result.outputFiles.map((f) => [f.path, Buffer.from(f.contents)]), [path.join(out, 'preload.json'), Buffer.from(`${JSON.stringify(preloadManifest(result.metafile), null, 1)}\n`)]];
  for (const [file, contents] of files) replaceFile(file, contents);
  // chunks are named by their content: those of an earlier build would only pile up
  const built = new Set(files.map(([file]) => file));
  const chunks = path.join(out, 'chunks');
  for (const name of fs.readdirSync(chunks)) if (name.endsWith('.js') && !built.has(path.join(chunks, name))) fs.rmSync(path.join(chunks, name), { force: true });
  // app.js is what dashboardStale compares with the sources: it is now as new as they are, changed or not
  const now = new Date();
  fs.utimesSync(path.join(out, 'app.js'), now, now);
  return result;
}

/**
 * Writes a built file unless it already holds exactly that, and then by renaming a complete copy over it: a server
 * (or a test's browser) reading the build while it is made again sees the old file or the new one, never a missing
 * or half-written one, and builds of the same sources change nothing.
 */
function replaceFile(file, contents) {
  try {
    if (fs.readFileSync(file).equals(contents)) return;
  } catch {
    // not there yet
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
}

/**
 * What the server names in the page's <link rel="modulepreload"> tags (src/pages/dashboard.ts), so the browser
 * fetches and compiles every file the first screen needs at once, not one import after another:
 *   shell   the chunks app.js imports
 *   pages   per address of a project's page (page-chunks.ts, `/conversions/:id`), its chunk and what that imports
 * Paths are relative to dist/web/dashboard.
 */
function preloadManifest(metafile) {
  const outputs = Object.fromEntries(Object.entries(metafile.outputs).map(([file, o]) => [path.relative(out, path.resolve(root, file)), o]));
  const closure = (file, seen = new Set()) => {
    for (const i of outputs[file].imports) {
      if (i.kind !== 'import-statement') continue;
      const dep = path.relative(out, path.resolve(root, i.path));
      if (!seen.has(dep)) closure(dep, seen.add(dep));
    }
    return seen;
  };
  const shell = closure('app.js');
  const chunkOf = new Map(Object.entries(outputs).filter(([, o]) => o.entryPoint).map(([file, o]) => [path.resolve(root, o.entryPoint), file]));
  const pages = {};
  // the table of pages is page-chunks.ts's: `page('/path', () => import('./pages/file'), …)`
  const table = fs.readFileSync(path.join(source, 'page-chunks.ts'), 'utf8');
  for (const [, route, module] of table.matchAll(/page\('([^']+)', \(\) => import\('([^']+)'\)/g)) {
    const chunk = chunkOf.get(path.resolve(source, `${module}.tsx`));
    if (!chunk) throw new Error(`page-chunks.ts: no chunk was built for ${module}`);
    pages[route] = [chunk, ...[...closure(chunk)].filter((f) => !shell.has(f))];
  }
  if (Object.keys(pages).length === 0) throw new Error('page-chunks.ts: no page found in its table');
  return { shell: [...shell], pages };
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
