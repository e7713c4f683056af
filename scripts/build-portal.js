// Builds the affiliate portal's browser code (web/portal, Preact + i18next + uPlot) with esbuild into dist/web:
//   refwire-portal.js                the one script the hosted page and merchants' pages load
//   refwire-portal/locales/<l>.json  one catalog per language, fetched by the widget for the language it shows
// Used by scripts/build.js (npm start, the Docker image) and by the tests, which build before they serve it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'web', 'portal');
const out = path.join(root, 'dist', 'web');

function newestIn(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when dist/web is older than a source file of the portal (or missing). */
function portalStale() {
  const marker = path.join(out, 'refwire-portal.js');
  if (!fs.existsSync(marker)) return true;
  return newestIn(source) > fs.statSync(marker).mtimeMs;
}

// The stylesheets go into the bundle as minified text: the widget adopts them into its shadow root.
const minifiedCss = (esbuild) => ({
  name: 'minified-css-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const css = await fs.promises.readFile(args.path, 'utf8');
      const { code } = await esbuild.transform(css, { loader: 'css', minify: true, target: ['chrome105', 'firefox110', 'safari16'] });
      return { contents: code.trim(), loader: 'text' };
    });
  },
});

async function buildPortal() {
  // esbuild is a devDependency: present wherever the build runs (a clone after npm ci, the image's build stage)
  const esbuild = require('esbuild');
  fs.mkdirSync(path.join(out, 'refwire-portal', 'locales'), { recursive: true });
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [path.join(source, 'main.tsx')],
      outfile: path.join(out, 'refwire-portal.js'),
      bundle: true,
      minify: true,
      format: 'iife',
      // browsers with shadow DOM, constructed stylesheets and container queries all read ES2020
      target: ['es2020', 'chrome105', 'firefox110', 'safari16'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      plugins: [minifiedCss(esbuild)],
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
  for (const file of fs.readdirSync(path.join(source, 'locales'))) {
    if (!file.endsWith('.json')) continue;
    const catalog = JSON.parse(fs.readFileSync(path.join(source, 'locales', file), 'utf8'));
    fs.writeFileSync(path.join(out, 'refwire-portal', 'locales', file), JSON.stringify(catalog));
  }
  return result;
}

module.exports = { buildPortal, portalStale, PORTAL_OUT: out };

if (require.main === module) {
  buildPortal().then(
    () => console.error(`refwire: portal built into ${path.relative(root, out)}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
