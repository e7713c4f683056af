#!/usr/bin/env node
// npm run bench [-- --short | --ingest-only | --backlog-only]
// Side by side on this machine: a bare Express 5 server vs Refwire in production mode (PostgreSQL + Redis, API
// process without a worker), driven by autocannon with unique, freshly signed ~3 KB Stripe events at 64
// connections, alternating bare/Refwire three times; again with 30% duplicate deliveries; then a 10,000-event
// backlog drained by one worker process. Prints a table and writes bench-results/<time>.json.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const ROOT = path.resolve(__dirname, '..');
const SHORT = process.argv.includes('--short') || process.env.BENCH_SHORT === '1';
const BACKLOG_ONLY = process.argv.includes('--backlog-only');
const INGEST_ONLY = process.argv.includes('--ingest-only');
const DURATION_S = SHORT ? 2 : 10;
const ROUNDS = SHORT ? 1 : 3;
const CONNECTIONS = 64;
const BACKLOG = SHORT ? 500 : 10_000;
const PG_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgresql://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const SECRET = 'whsec_bench_secret_0001';

execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js'), '--if-needed'], { cwd: ROOT, stdio: 'inherit' });
const autocannon = require('autocannon');
const pg = require('pg');
const { stripeAdapter } = require(path.join(ROOT, 'dist', 'providers', 'stripe', 'adapter'));

function log(line) {
  process.stdout.write(`${line}\n`);
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function createDatabase(name) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  return withDatabase(PG_URL, name);
}

async function dropDatabase(name) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

function spawnProcess(args, env, ready) {
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the servers under load
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const found = ready(output);
      if (found) {
        clearInterval(timer);
        resolve({ child, found, output: () => output });
      }
    }, 50);
    child.on('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`));
    });
  });
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.child.exitCode !== null) return resolve();
    proc.child.once('exit', () => resolve());
    proc.child.kill('SIGTERM');
  });
}

/** A ~3 KB Stripe event (a paid Checkout Session), unique by its event and payment ids. */
const template = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'stripe', 'checkout.session.completed.payment.json'), 'utf8')).payload;
function eventBody(n) {
  const payload = structuredClone(template);
  payload.id = `evt_bench_${n}`;
  payload.data.object.id = `cs_bench_${n}`;
  payload.data.object.payment_intent = `pi_bench_${n}`;
  payload.data.object.customer = `cus_bench_${n % 5000}`;
  payload.data.object.amount_total = 1000 + (n % 9000);
  payload.data.object.metadata = { referral_code: 'ACME-PARTNER-42', order_notes: 'x'.repeat(1450) };
  return JSON.stringify(payload);
}

/** autocannon driving one target; every request a fresh signature, `duplicateShare` of them an earlier event. */
function drive(url, path_, { duplicateShare, offset }) {
  let n = offset;
  const sent = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: DURATION_S,
        requests: [
          {
            method: 'POST',
            path: path_,
            setupRequest(req) {
              const useDuplicate = duplicateShare > 0 && sent.length > 0 && Math.random() < duplicateShare;
              const id = useDuplicate ? sent[Math.floor(Math.random() * sent.length)] : n++;
              if (!useDuplicate) sent.push(id);
              const body = eventBody(id);
              req.body = body;
              req.headers = { ...stripeAdapter.sign(body, SECRET, { now: new Date() }) };
              return req;
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve({ result, next: n })),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/** CPU seconds a process has used (Linux /proc; null elsewhere): the server's cost per request, beside req/s. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function driveMeasured(target, path_, options) {
  const before = cpuSeconds(target.pid);
  const run = await drive(target.url, path_, options);
  const after = cpuSeconds(target.pid);
  run.result.cpuMsPerRequest = before === null || after === null ? null : ((after - before) * 1000) / run.result.requests.total;
  return run;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function summarize(runs) {
  return {
    requests_per_second: median(runs.map((r) => r.requests.average)),
    p50_ms: median(runs.map((r) => r.latency.p50)),
    p99_ms: median(runs.map((r) => r.latency.p99)),
    p99_9_ms: median(runs.map((r) => r.latency.p99_9)),
    non_2xx: runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
    requests: runs.reduce((sum, r) => sum + r.requests.total, 0),
    server_cpu_ms_per_request: runs[0].cpuMsPerRequest === null ? null : Number(median(runs.map((r) => r.cpuMsPerRequest)).toFixed(3)),
  };
}

async function ingestPhase(bare, refwire, projectId, duplicateShare, offset) {
  const bareRuns = [];
  const refwireRuns = [];
  let next = offset;
  for (let round = 0; round < ROUNDS; round++) {
    const b = await driveMeasured(bare, `/webhook/stripe/${projectId}`, { duplicateShare, offset: next });
    bareRuns.push(b.result);
    const r = await driveMeasured(refwire, `/webhook/stripe/${projectId}`, { duplicateShare, offset: b.next });
    refwireRuns.push(r.result);
    next = r.next;
  }
  const bareSummary = summarize(bareRuns);
  const refwireSummary = summarize(refwireRuns);
  return { bare: bareSummary, refwire: refwireSummary, ratio: refwireSummary.requests_per_second / bareSummary.requests_per_second, next };
}

async function api(base, method, route, token, body) {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

async function backlogPhase(env) {
  const dbName = `refwire_bench_backlog_${Date.now().toString(36)}`;
  const url = await createDatabase(dbName);
  const phaseEnv = { ...env, DATABASE_URL: url, QUEUE_PREFIX: `bench-backlog-${crypto.randomBytes(4).toString('hex')}` };
  const apiProc = await spawnProcess(['dist/cli.js', 'start', '--no-worker'], phaseEnv, (o) => /Refwire is running at (\S+)/.exec(o)?.[1]);
  try {
    const base = apiProc.found;
    const project = await api(base, 'POST', '/api/admin/projects', env.ADMIN_TOKEN, { name: 'Backlog', currency: 'USD' });
    await api(base, 'PUT', '/api/v1/integrations/stripe', project.api_key, { webhook_secret: SECRET });
    await api(base, 'POST', '/api/v1/affiliates', project.api_key, { email: 'acme@bench.test', referral_code: 'ACME-PARTNER-42' });
    // the backlog: BACKLOG verified events, stored and queued while no worker runs
    const ids = Array.from({ length: BACKLOG }, (_, i) => i);
    let cursor = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (cursor < ids.length) {
          const body = eventBody(ids[cursor++]);
          const res = await fetch(`${base}/webhook/stripe/${project.id}`, { method: 'POST', headers: stripeAdapter.sign(body, SECRET, { now: new Date() }), body });
          if (res.status !== 200) throw new Error(`backlog delivery answered ${res.status}`);
        }
      }),
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const processed = async () => Number((await client.query(`SELECT count(*) FROM inbound_events WHERE status = 'processed'`)).rows[0].count);
    const started = Date.now();
    const worker = await spawnProcess(['dist/cli.js', 'worker'], phaseEnv, () => true);
    let done = 0;
    while (done < BACKLOG && Date.now() - started < 600_000) {
      await new Promise((r) => setTimeout(r, 100));
      done = await processed();
    }
    const seconds = (Date.now() - started) / 1000;
    await stop(worker);
    const conversions = Number((await client.query('SELECT count(*) FROM conversions')).rows[0].count);
    const verify = await api(base, 'GET', '/api/v1/ledger/verify', project.api_key);
    await client.end();
    return { events: BACKLOG, processed: done, conversions, seconds, events_per_second: done / seconds, ledger_ok: verify.ok };
  } finally {
    await stop(apiProc);
    await dropDatabase(dbName);
    await dropPrefix(phaseEnv.QUEUE_PREFIX);
  }
}

/** Removes the keys a bench run's queue prefix left in Redis (the ingest phases queue jobs nobody consumes). */
function dropPrefix(prefix) {
  return require(path.join(ROOT, 'dist', 'queue', 'redis')).deleteQueuePrefix(REDIS_URL, prefix);
}

async function main() {
  const dbName = `refwire_bench_${Date.now().toString(36)}`;
  const databaseUrl = await createDatabase(dbName);
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    SECRETS_KEY: crypto.randomBytes(32).toString('hex'),
    ADMIN_TOKEN: `bench-admin-${crypto.randomBytes(8).toString('hex')}`,
    QUEUE_PREFIX: `bench-${crypto.randomBytes(4).toString('hex')}`,
    PORT: '0',
  };
  const bareProc = await spawnProcess(['scripts/bench-bare.js'], {}, (o) => /listening on (\d+)/.exec(o)?.[1]);
  const refwireProc = await spawnProcess(['dist/cli.js', 'start', '--no-worker'], env, (o) => /Refwire is running at (\S+)/.exec(o)?.[1]);
  const bare = `http://127.0.0.1:${bareProc.found}`;
  const refwire = refwireProc.found.replace('localhost', '127.0.0.1');
  try {
    const project = await api(refwire, 'POST', '/api/admin/projects', env.ADMIN_TOKEN, { name: 'Bench', currency: 'USD' });
    await api(refwire, 'PUT', '/api/v1/integrations/stripe', project.api_key, { webhook_secret: SECRET });

    log(`Refwire benchmark (${SHORT ? 'short' : 'full'}): ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);
    if (BACKLOG_ONLY) {
      await stop(refwireProc);
      const backlog = await backlogPhase(env);
      log(`backlog: ${backlog.processed}/${backlog.events} events in ${backlog.seconds.toFixed(1)} s (${backlog.events_per_second.toFixed(0)}/s), ledger ${backlog.ledger_ok ? 'ok' : 'NOT ok'}`);
      return;
    }
    log(`ingest: ${CONNECTIONS} connections, ${ROUNDS} × ${DURATION_S} s per target, alternating bare / Refwire`);
    const targets = [
      { url: bare, pid: bareProc.child.pid },
      { url: refwire, pid: refwireProc.child.pid },
    ];
    const unique = await ingestPhase(...targets, project.id, 0, 0);
    const duplicates = await ingestPhase(...targets, project.id, 0.3, unique.next);
    await stop(refwireProc);
    const backlog = INGEST_ONLY ? null : await backlogPhase(env);

    const rows = [
      ['phase', 'target', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'non-2xx', 'server CPU ms/req'],
      ...[
        ['unique', unique],
        ['30% duplicates', duplicates],
      ].flatMap(([name, r]) => [
        [name, 'bare express', r.bare.requests_per_second.toFixed(0), r.bare.p50_ms, r.bare.p99_ms, r.bare.p99_9_ms, r.bare.non_2xx, r.bare.server_cpu_ms_per_request ?? '-'],
        [name, 'refwire', r.refwire.requests_per_second.toFixed(0), r.refwire.p50_ms, r.refwire.p99_ms, r.refwire.p99_9_ms, r.refwire.non_2xx, r.refwire.server_cpu_ms_per_request ?? '-'],
      ]),
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
    for (const row of rows) log(row.map((cell, c) => String(cell).padEnd(widths[c])).join('  '));
    log(`ratio refwire/bare: unique ${unique.ratio.toFixed(2)}, with 30% duplicates ${duplicates.ratio.toFixed(2)} (target ≥ 0.40, p99 < 50 ms)`);
    if (backlog) log(
      `backlog: ${backlog.processed}/${backlog.events} events processed by one worker in ${backlog.seconds.toFixed(1)} s ` +
        `(${backlog.events_per_second.toFixed(0)}/s, target 10,000 in < 30 s), ${backlog.conversions} conversions, ledger ${backlog.ledger_ok ? 'ok' : 'NOT ok'}`,
    );
    const result = {
      at: new Date().toISOString(),
      mode: SHORT ? 'short' : 'full',
      machine: { cores: os.cpus().length, memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      settings: { connections: CONNECTIONS, duration_s: DURATION_S, rounds: ROUNDS, body_bytes: Buffer.byteLength(eventBody(1)) },
      unique,
      duplicates,
      backlog,
    };
    fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
    const file = path.join(ROOT, 'bench-results', `${result.at.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log(`written: ${path.relative(ROOT, file)}`);
  } finally {
    await stop(bareProc);
    await stop(refwireProc);
    await dropDatabase(dbName);
    await dropPrefix(env.QUEUE_PREFIX);
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack || err}\n`);
  process.exit(1);
});
