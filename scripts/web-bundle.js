// What the two browser builds (scripts/build-portal.js, scripts/build-dashboard.js) share: whether a build is older
// than its sources, and one esbuild run with the options both bundles use.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function newestIn(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when `marker` (a built file) is missing or older than a file under `sourceDir`. */
function staleAgainst(sourceDir, marker) {
  if (!fs.existsSync(marker)) return true;
  return newestIn(sourceDir) > fs.statSync(marker).mtimeMs;
}

/**
 * One esbuild bundle: minified IIFE for browsers that read ES2020, production React/Preact, no source maps or
 * legal comments; `options` adds the entry, output and anything of its own (jsxImportSource, plugins).
 */
async function bundle(options) {
  // esbuild is a devDependency: present wherever the build runs (a clone after npm ci, the image's build stage)
  const esbuild = require('esbuild');
  try {
    return await esbuild.build({
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
      ...(typeof options === 'function' ? options(esbuild) : options),
    });
  } finally {
    // esbuild's service process would keep a caller (a test worker) alive after its work is done
    await esbuild.stop();
  }
}

module.exports = { staleAgainst, bundle };
