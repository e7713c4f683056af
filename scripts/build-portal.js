// Builds the affiliate portal's browser code (web/portal, Preact + i18next + uPlot) with esbuild and terser into dist/web:
//   refwire-portal.js                the one script the hosted page and merchants' pages load
//   refwire-portal/uplot.js          the chart library, an ES module the script imports when it draws a daily chart
//   refwire-portal/locales/<l>.json  one catalog per language, fetched by the widget for the language it shows
// Used by scripts/build.js (npm start, the Docker image) and by the tests, which build before they serve it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { bundle, staleAgainst } = require('./web-bundle');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'web', 'portal');
const out = path.join(root, 'dist', 'web');

/** True when dist/web is older than a source file of the portal (or missing). */
function portalStale() {
  return staleAgainst(source, path.join(out, 'refwire-portal.js'));
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
  fs.mkdirSync(path.join(out, 'refwire-portal', 'locales'), { recursive: true });
  const outfile = path.join(out, 'refwire-portal.js');
  // browsers with shadow DOM, constructed stylesheets and container queries all read ES2020
  const result = await bundle((esbuild) => ({
    write: false,
    entryPoints: [path.join(source, 'main.tsx')],
    outfile,
    jsxImportSource: 'preact',
    plugins: [minifiedCss(esbuild)],
  }));
  // terser's compressor takes another 2.6 KB (4.5%) off esbuild's minified script, gzipped: the embed's 60 KB budget
  // (docs/portal.md) holds with room to spare, in about 1.5 s of build
  const { minify } = require('terser');
  const { code } = await minify(result.outputFiles[0].text, { ecma: 2020, compress: true, mangle: true, format: { comments: false } });
  // written whole and renamed over the old script: a server reading it meanwhile sees one or the other
  const temporary = `${outfile}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, code);
  fs.renameSync(temporary, outfile);
  const chart = await bundle({
    write: false,
    entryPoints: [path.join(source, 'uplot-module.ts')],
    outfile: path.join(out, 'refwire-portal', 'uplot.js'),
    format: 'esm',
  });
  const chartCode = (await minify(chart.outputFiles[0].text, { ecma: 2020, module: true, compress: true, mangle: true, format: { comments: false } })).code;
  const chartTemporary = path.join(out, 'refwire-portal', `uplot.js.${process.pid}.tmp`);
  fs.writeFileSync(chartTemporary, chartCode);
  fs.renameSync(chartTemporary, path.join(out, 'refwire-portal', 'uplot.js'));
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
