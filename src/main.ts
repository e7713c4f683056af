import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config/config';
import { ConfigError } from './config/env';
import { openDatabase, type Database } from './db/database';
import { acquireEmbeddedLock, type EmbeddedLock } from './db/embedded-lock';
import { migrate } from './db/migrator';
import { releaseAllClaims } from './inbox/inbound-events';
import { createLogger } from './observability/logger';
import type { InProcessRunner } from './pipeline/in-process-runner';
import { checkSecretsKey, startProcessing, storesFor, type Processing } from './processing';

export type Refwire = {
  url: string;
  db: Database;
  runner: InProcessRunner | null;
  processing: Processing;
  logger: Logger;
  close(): Promise<void>;
};

export type StartOptions = {
  /** process stored events in this process (`refwire start` without --no-worker) */
  worker: boolean;
  logger?: Logger;
  /** where the first-start guidance goes; stdout by default (with NODE_ENV=production, a line of the log) */
  print?: (text: string) => void;
  /** the address to listen on (the testing kit: 127.0.0.1, unreachable from other machines); every interface by default */
  host?: string;
};

/**
 * The HTTP side, loaded when a process serves: `refwire worker` and the CLI's other commands import this module but
 * serve nothing, and the app (its routes, pages, MCP endpoint and dashboard) was half of what they loaded at start.
 */
const loadHttpSide = () =>
  Promise.all([
    import('./server/app'),
    import('./http/rate-limit'),
    import('./http/client-error'),
    import('./api/applications'),
    import('./api/dashboard-auth'),
    import('./api/portal'),
  ]);

/** The composition root: config → database (migrated) → processing → HTTP. */
export async function startRefwire(config: Config, options: StartOptions): Promise<Refwire> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const lock: EmbeddedLock | null = config.database.kind === 'embedded' ? acquireEmbeddedLock(config.dataDir) : null;
  let db: Database | null = null;
  try {
    db = await openDatabase(config.database);
    const report = await migrate(db.sql);
    if (report.applied.length > 0) logger.info({ applied: report.applied }, 'migrations applied');
    if (report.unknownInDatabase.length > 0) {
      logger.warn({ migrations: report.unknownInDatabase }, 'the database has migrations this version does not know');
    }
    if (lock) {
      // The lock proves no other process works on this database: whatever is "processing" was cut off by a crash.
      await releaseAllClaims(db.sql);
    }

    if (!options.worker && lock) {
      logger.warn('--no-worker on the embedded database: no other process can process these events');
    }
    const [
      { createApp },
      { redisRateLimitStore },
      { answerMalformedRequests, requestTimeouts },
      { DEFAULT_APPLICATION_LIMITS },
      { DASHBOARD_LIMITERS, DEFAULT_DASHBOARD_LIMITS },
      { DEFAULT_PORTAL_SIGN_IN_LIMITS },
    ] = await loadHttpSide();
    const stores = storesFor(config, db);
    await checkSecretsKey(stores);
    const processing = startProcessing(config, db, logger, stores, { consume: options.worker });
    // Listen first: with PORT=0 the port, and so the default public URL, is known only then.
    const server = http.createServer(requestTimeouts(config.requestTimeoutSeconds));
    answerMalformedRequests(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (options.host) server.listen(config.port, options.host, resolve);
      else server.listen(config.port, resolve);
    });
    const port = (server.address() as AddressInfo).port;
    const local = `http://${options.host ?? 'localhost'}:${port}`;
    lock?.setPort(port);
    // with Redis, every API process counts against one budget per key
    const rateLimitStore = config.redisUrl ? redisRateLimitStore(config.redisUrl, config.queuePrefix) : null;
    // a limiter needs a store of its own
    const trackRateLimitStore = config.redisUrl ? redisRateLimitStore(config.redisUrl, `${config.queuePrefix}:track`) : null;
    const failedAuthStore = config.redisUrl ? redisRateLimitStore(config.redisUrl, `${config.queuePrefix}:authfail`) : null;
    const portalAddressStore = config.redisUrl ? redisRateLimitStore(config.redisUrl, `${config.queuePrefix}:portal-address`) : null;
    const portalEmailStore = config.redisUrl ? redisRateLimitStore(config.redisUrl, `${config.queuePrefix}:portal-email`) : null;
    const applicationAddressStore = config.redisUrl ? redisRateLimitStore(config.redisUrl, `${config.queuePrefix}:apply-address`) : null;
    const applicationEmailStore = config.redisUrl ? redisRateLimitStore(config.redisUrl, `${config.queuePrefix}:apply-email`) : null;
    const dashboardStores = config.redisUrl ? DASHBOARD_LIMITERS.map((name) => [name, redisRateLimitStore(config.redisUrl!, `${config.queuePrefix}:dashboard-${name}`)] as const) : [];
    const app = createApp({
      db,
      logger,
      secretsKey: config.secretsKey,
      adminToken: config.adminToken,
      publicUrl: config.publicUrl ?? local,
      webhookToleranceSeconds: config.webhookToleranceSeconds,
      onEventStored: (id) => processing.notify(id),
      providerApi: processing.providerApi,
      stores,
      replayEvent: processing.replay,
      reconcile: processing.reconcile,
      metrics: processing.metrics,
      redis: processing.queue ? { ping: () => processing.queue!.ping(), queue: processing.queue.queue } : undefined,
      outboundAllowPrivate: config.outboundAllowPrivate,
      emailSending: config.email.smtp !== null,
      trustProxy: config.trustProxy,
      rateLimit: { perMinute: config.rateLimitPerMinute, ...(rateLimitStore ? { store: rateLimitStore.store } : {}) },
      trackRateLimit: { perMinute: config.trackRateLimitPerMinute, ...(trackRateLimitStore ? { store: trackRateLimitStore.store } : {}) },
      failedAuthLimit: { perMinute: config.authFailureLimitPerMinute, ...(failedAuthStore ? { store: failedAuthStore.store } : {}) },
      portalSignInLimit: {
        ...DEFAULT_PORTAL_SIGN_IN_LIMITS,
        ...(portalAddressStore ? { store: portalAddressStore.store } : {}),
        ...(portalEmailStore ? { emailStore: portalEmailStore.store } : {}),
      },
      applicationLimits: {
        ...DEFAULT_APPLICATION_LIMITS,
        ...(applicationAddressStore ? { store: applicationAddressStore.store } : {}),
        ...(applicationEmailStore ? { emailStore: applicationEmailStore.store } : {}),
      },
      dashboardLimits: { ...DEFAULT_DASHBOARD_LIMITS, stores: Object.fromEntries(dashboardStores.map(([name, s]) => [name, s.store])) },
    });
    server.on('request', app);
    const url = local;
    logger.info({ url, database: config.database.kind, worker: options.worker }, 'refwire listening');

    const openDb = db;
    // with NODE_ENV=production stdout is the JSON log (the Docker image): the guidance is one of its lines, not
    // plain text among them that a log collector cannot parse
    const print =
      options.print ??
      (config.production
        ? (text: string) => logger.info({ guidance: text.split('\n').filter((line) => line.trim() !== '') }, 'first steps')
        : (text: string) => process.stdout.write(text));
    print(await welcome(config, openDb, url));

    return {
      url,
      db: openDb,
      runner: processing.runner,
      processing,
      logger,
      async close() {
        // Stop accepting, finish the jobs in hand, then close connections.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        await processing.close();
        rateLimitStore?.close();
        trackRateLimitStore?.close();
        failedAuthStore?.close();
        portalAddressStore?.close();
        portalEmailStore?.close();
        for (const [, s] of dashboardStores) s.close();
        applicationAddressStore?.close();
        applicationEmailStore?.close();
        await openDb.close();
        lock?.release();
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    lock?.release();
    throw err;
  }
}

export type Worker = { processing: Processing; db: Database; logger: Logger; close(): Promise<void> };

/**
 * `refwire worker`: processes stored events without serving the API, beside any number of `refwire start
 * --no-worker` processes on one PostgreSQL: from the BullMQ queue with REDIS_URL, else by polling the inbox every
 * second (the claim in processInboundEvent keeps two workers off one event). METRICS_PORT serves /metrics, /healthz
 * and /readyz.
 */
export async function startWorker(config: Config, options: { logger?: Logger; pollMs?: number } = {}): Promise<Worker> {
  const logger = options.logger ?? createLogger(config.logLevel);
  if (config.database.kind !== 'postgres') {
    throw new ConfigError('refwire worker needs DATABASE_URL: the embedded database belongs to the `refwire start` process');
  }
  const db = await openDatabase(config.database);
  const stores = storesFor(config, db);
  try {
    const report = await migrate(db.sql);
    // in a deployment the worker may be the process that upgrades the database: its log says so, as start's does
    if (report.applied.length > 0) logger.info({ applied: report.applied }, 'migrations applied');
    if (report.unknownInDatabase.length > 0) logger.warn({ migrations: report.unknownInDatabase }, 'the database has migrations this version does not know');
    await checkSecretsKey(stores);
  } catch (err) {
    await db.close();
    throw err;
  }
  const processing = startProcessing(config, db, logger, stores, { consume: true, pollMs: options.pollMs ?? 1000 });
  let metricsServer: http.Server | null = null;
  if (config.metricsPort !== undefined) {
    metricsServer = http.createServer((req, res) => {
      if (req.url === '/metrics') {
        void processing.metrics.registry.metrics().then((body) => {
          res.setHeader('Content-Type', processing.metrics.registry.contentType);
          res.end(body);
        });
      } else if (req.url === '/healthz') {
        res.setHeader('Content-Type', 'application/json');
        res.end('{"status":"ok"}');
      } else if (req.url === '/readyz') {
        // what the image's HEALTHCHECK asks a worker: it answers, and reaches PostgreSQL (and Redis, with REDIS_URL)
        const check = (p: Promise<unknown>) => p.then(() => 'ok', () => 'unreachable');
        void Promise.all([check(db.sql.query('SELECT 1')), processing.queue ? check(processing.queue.ping()) : undefined]).then(([database, redis]) => {
          const ready = database === 'ok' && (redis === undefined || redis === 'ok');
          res.writeHead(ready ? 200 : 503, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ status: ready ? 'ready' : 'unavailable', database, ...(redis ? { redis } : {}) }));
        });
      } else {
        res.writeHead(404).end();
      }
    });
    const server = metricsServer;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.metricsPort, resolve);
      });
    } catch (err) {
      // a port already taken: stop what started, so the process can say so and exit
      await processing.close();
      await db.close();
      throw err;
    }
  }
  logger.info({ queue: processing.queue ? 'bullmq' : 'database polling' }, 'refwire worker processing stored events');
  return {
    processing,
    db,
    logger,
    async close() {
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      await processing.close();
      await db.close();
    },
  };
}

/**
 * The admin token the banner may print: only a generated one (an operator who set ADMIN_TOKEN has it, and it
 * must not reach `docker logs`), only on the first start of its data directory (so `npm start` needs no other
 * step, and it is printed once), and never with NODE_ENV=production (the Docker image), where stdout is a log
 * kept long after the moment — there the banner says where the token is kept instead.
 */
function printableAdminToken(config: Config): string | null {
  return config.adminTokenGenerated && config.freshDataDir && !config.production ? config.adminToken : null;
}

/** What a newcomer needs next: where Refwire runs, the admin token, and how to create a project. */
export async function welcome(config: Config, db: Database, url: string): Promise<string> {
  const lines = [`\nRefwire is running at ${url} (${config.database.kind === 'embedded' ? `embedded database in ${config.database.dir}` : 'PostgreSQL'})`];
  const printable = printableAdminToken(config);
  if (printable) {
    lines.push(`Admin token: ${printable}  (shown on this first start only; kept in ${config.embeddedSecretsFile})`);
  } else if (config.adminTokenGenerated) {
    lines.push(`Admin token: "admin_token" in ${config.embeddedSecretsFile}`);
  }
  // what the counts add is advice: a database that went away a moment after the start must not end the process
  const [projects, users] = await Promise.all([db.prisma.project.count(), db.prisma.user.count()]).catch(() => [null, null]);
  if (config.adminToken === null) {
    // PostgreSQL without ADMIN_TOKEN: the admin API and the dashboard's set-up page are off
    lines.push(`Dashboard: ${url}/dashboard`);
    if (projects === 0 || users === 0) {
      lines.push(
        '',
        'ADMIN_TOKEN is not set: the admin API and the dashboard set-up page are off. Create a project and its first user here:',
        '  npx refwire project create --name Acme --currency USD',
        '  npx refwire user create --email you@example.com --project <the project id>',
        'or set ADMIN_TOKEN and restart.',
      );
    }
    return `${lines.join('\n')}\n\n`;
  }
  lines.push(`Dashboard: ${url}/dashboard${users === 0 ? '  (no user yet: its set-up page asks for the admin token)' : ''}`);
  if (projects === 0) {
    const token = printable ?? '$ADMIN_TOKEN';
    lines.push(
      '',
      'No project yet. Create one in the dashboard, or here (the answer holds its API key, shown once):',
      `  curl -s -X POST ${url}/api/admin/projects -H "Authorization: Bearer ${token}" \\`,
      `       -H "Content-Type: application/json" -d '{"name":"Acme","currency":"USD"}'`,
      '  or: npx refwire project create --name Acme --currency USD',
      'Then connect a provider: PUT /api/v1/integrations/stripe with {"webhook_secret":"whsec_..."} (see README.md).',
    );
  }
  return `${lines.join('\n')}\n\n`;
}
