#!/usr/bin/env node
// Image build step (Dockerfile), after `npm prune`: @prisma/client ships a query compiler for every database
// Prisma supports (PostgreSQL, CockroachDB, MySQL, SQLite, SQL Server; ~70 MB of base64 WebAssembly). The client
// generated from prisma/schema.prisma loads only the ones it names, so every other query_compiler_* file goes.
// Fails the build (rather than guessing) when the generated client names none, e.g. after a Prisma upgrade that
// changes how it loads its compiler; the Dockerfile's smoke test then proves the pruned tree still runs queries.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const runtime = path.join(root, 'node_modules', '@prisma', 'client', 'runtime');
const generated = path.join(root, 'dist', 'generated', 'prisma');

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.name.endsWith('.js') ? [p] : [];
  });
}

const wanted = new Set();
for (const file of filesUnder(generated)) {
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/@prisma\/client\/runtime\/(query_compiler_[\w.-]+)/g)) {
    wanted.add(m[1].endsWith('.js') ? m[1] : `${m[1]}.js`);
  }
}
if (wanted.size === 0) {
  console.error(`prune-prisma-runtime: ${generated} names no @prisma/client/runtime/query_compiler_* file; prune nothing`);
  process.exit(1);
}
for (const name of wanted) {
  if (!fs.existsSync(path.join(runtime, name))) {
    console.error(`prune-prisma-runtime: the generated client loads ${name}, which ${runtime} lacks`);
    process.exit(1);
  }
}

let removed = 0;
let bytes = 0;
for (const name of fs.readdirSync(runtime)) {
  if (!name.startsWith('query_compiler_') || wanted.has(name)) continue;
  const p = path.join(runtime, name);
  bytes += fs.statSync(p).size;
  fs.rmSync(p);
  removed++;
}
console.log(`prune-prisma-runtime: kept ${[...wanted].join(', ')}; removed ${removed} files (${(bytes / 1e6).toFixed(1)} MB)`);
