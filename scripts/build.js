#!/usr/bin/env node
// Makes a fresh clone runnable with one npm command: installs dependencies when they are missing or stale,
// generates the Prisma client, bundles the affiliate portal's and the dashboard's browser code and compiles TypeScript. Only Node
// built-ins here: it runs before `npm ci`.
//   node scripts/build.js               install if needed, generate, bundle, compile
//   node scripts/build.js --if-needed   skip the steps whose outputs are newer than their inputs
//   node scripts/build.js --no-compile  stop before compiling TypeScript (what the tests need)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = new Set(process.argv.slice(2));
const ifNeeded = args.has('--if-needed');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function newestIn(dir, filter) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'generated') continue;
      newest = Math.max(newest, newestIn(p, filter));
    } else if (!filter || filter(entry.name)) {
      newest = Math.max(newest, mtime(p));
    }
  }
  return newest;
}

function run(cmd, cmdArgs, env) {
  execFileSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

// 1. Dependencies. npm writes node_modules/.package-lock.json on every install.
const installedMarker = path.join(root, 'node_modules', '.package-lock.json');
const lockfile = path.join(root, 'package-lock.json');
if (!fs.existsSync(installedMarker) || mtime(installedMarker) < mtime(lockfile)) {
  console.error('refwire: installing dependencies (npm ci; a first start takes about two minutes, later ones seconds)…');
  run(npm, ['ci', '--no-audit', '--no-fund']);
}

// 2. Prisma client. The CLI wants a native schema engine for migrate commands only; `generate` needs none
//    but checks that the binary exists, so point it at any existing file unless the operator set one.
const schema = path.join(root, 'prisma', 'schema.prisma');
const generatedMarker = path.join(root, 'src', 'generated', 'prisma', 'client.ts');
if (!ifNeeded || mtime(generatedMarker) < mtime(schema)) {
  const engine = process.env.PRISMA_SCHEMA_ENGINE_BINARY || __filename;
  run(process.execPath, [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
    PRISMA_SCHEMA_ENGINE_BINARY: engine,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  });
}

// 3. The affiliate portal's browser code (web/portal → dist/web, esbuild; scripts/build-portal.js), in a child
//    process: esbuild is only resolvable once step 1 has installed it.
const { portalStale } = require('./build-portal');
if (!ifNeeded || portalStale()) run(process.execPath, [path.join(root, 'scripts', 'build-portal.js')]);
// 3b. The merchant dashboard (web/dashboard → dist/web/dashboard; scripts/build-dashboard.js), the same way.
const { dashboardStale } = require('./build-dashboard');
if (!ifNeeded || dashboardStale()) run(process.execPath, [path.join(root, 'scripts', 'build-dashboard.js')]);

if (args.has('--no-compile')) process.exit(0);

// 4. TypeScript.
const distMarker = path.join(root, 'dist', 'cli.js');
const sourcesChanged = newestIn(path.join(root, 'src'), (n) => n.endsWith('.ts')) > mtime(distMarker);
if (!ifNeeded || sourcesChanged || mtime(generatedMarker) > mtime(distMarker)) {
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  fs.chmodSync(distMarker, 0o755);
}
