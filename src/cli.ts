#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, publicUrlFor, type Config } from './config/config';
import { ConfigError } from './config/env';
import { openDatabase, type Database } from './db/database';
import { acquireEmbeddedLock, DataDirLockedError, readLockHolder } from './db/embedded-lock';
import { migrate, MigrationError } from './db/migrator';
import { resetForReplay } from './inbox/inbound-events';
import { startRefwire, startWorker } from './main';
import { createProject } from './projects/projects';
import { createEventProcessor } from './pipeline/process-inbound-event';
import { EventQueue } from './queue/event-queue';
import { createLogger } from './observability/logger';
import { processorDeps, reconcileDeps, storesFor } from './processing';
import { ReconcileError, reconcileIntegration } from './reconcile/reconcile';
import { isProviderName, PROVIDER_NAMES } from './domain/provider-names';
import { registerReplayCommands } from './replay/commands';
import { isDatabaseUnavailable } from './db/unavailable';
import { PACKAGE_VERSION } from './util/package-version';

function fail(message: string): never {
  process.stderr.write(`refwire: ${message}\n`);
  process.exit(1);
}

/**
 * A start that cannot go on, said in one line an operator can act on (a stack trace only for what is not known):
 * the data directory taken or not writable, a migration refused, the configuration, the database unreachable.
 */
function startupFailed(err: unknown, config: Config): never {
  if (err instanceof DataDirLockedError || err instanceof MigrationError || err instanceof ConfigError) fail(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if ((code === 'EACCES' || code === 'EPERM' || code === 'EROFS') && config.database.kind === 'embedded') {
    fail(`cannot write the data directory ${config.dataDir} (${code}): it must be writable by this user (uid ${process.getuid?.() ?? '?'})`);
  }
  if (isDatabaseUnavailable(err) || /database .* does not exist|role .* does not exist|password authentication failed/i.test(String((err as Error).message))) {
    fail(`the database is unreachable or refused the connection: ${(err as Error).message.split('\n')[0]} (check DATABASE_URL)`);
  }
  throw err;
}

function configOrFail(overrides: NodeJS.ProcessEnv = {}): Config {
  try {
    return loadConfig({ ...process.env, ...overrides });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    // the embedded mode's first start writes its secrets into DATA_DIR
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      fail(`cannot write the data directory: ${(err as Error).message} (it must be writable by this user, uid ${process.getuid?.() ?? '?'})`);
    }
    throw err;
  }
}

function portOption(value: string): string {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('not a port number');
  return value;
}

/** SIGTERM/SIGINT: stop taking work, finish what is in hand, close connections, exit 0. */
/**
 * Why the running process refused this command's admin token, when the likely reason is known: without ADMIN_TOKEN
 * set, the command read the data directory's generated one, which a process started with its own ADMIN_TOKEN refuses.
 */
function adminTokenHint(config: { adminTokenGenerated: boolean; embeddedSecretsFile: string | null }, status: number): string {
  if (status !== 401 || !config.adminTokenGenerated) return '';
  return ` (this command used the token of ${config.embeddedSecretsFile ?? 'the data directory'}; if Refwire was started with ADMIN_TOKEN set, set the same ADMIN_TOKEN for this command)`;
}

/**
 * How long a shutdown may wait for work in hand before the process exits anyway. Nothing is lost by exiting: every
 * event is processed in a transaction that rolls back, and stays received for the next process. A close can wait
 * forever otherwise (BullMQ's, while Redis is unreachable), so `docker stop` and Ctrl-C would need a SIGKILL.
 */
const SHUTDOWN_DEADLINE_MS = 30_000;

/**
 * The database, for a command that opens it itself. On the embedded one it holds the data directory's lock until
 * closed: two processes with PGlite open on the same files corrupt them, so a `refwire start` meanwhile is refused
 * (and this command is, if one started first).
 */
async function openForCommand(config: { database: Parameters<typeof openDatabase>[0]; dataDir: string }): Promise<Database> {
  if (config.database.kind !== 'embedded') return openDatabase(config.database);
  let lock: ReturnType<typeof acquireEmbeddedLock>;
  try {
    lock = acquireEmbeddedLock(config.dataDir);
  } catch (err) {
    if (err instanceof DataDirLockedError) fail(`Refwire (pid ${err.holder.pid}) is running on ${config.dataDir}; stop it first`);
    throw err;
  }
  try {
    const db = await openDatabase(config.database);
    return {
      ...db,
      async close() {
        try {
          await db.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

function closeOnSignals(running: { logger: import('pino').Logger; close(): Promise<void> }): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      // a second Ctrl-C: the operator does not want to wait
      running.logger.warn({ signal }, 'second signal: exiting without waiting for work in hand (it is retried)');
      process.exit(1);
    }
    closing = true;
    running.logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      running.logger.error({ deadline_ms: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time: exiting without waiting for work in hand (it is retried)');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        running.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const program = new Command()
  .name('refwire')
  .description('Payment-provider webhooks in, attributed affiliate commissions out.')
  .version(PACKAGE_VERSION, '-V, --version', 'print the version')
  .showHelpAfterError();

program
  .command('start')
  .description('run the API and webhook receivers, and process events in this process unless --no-worker')
  .option('--no-worker', 'only receive and serve; leave processing to other processes')
  .option('-p, --port <port>', 'HTTP port (default: $PORT or 3000)', portOption)
  .action(async (opts: { worker: boolean; port?: string }) => {
    const config = configOrFail(opts.port ? { PORT: opts.port } : {});
    const refwire = await startRefwire(config, { worker: opts.worker }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`port ${config.port} is already in use (set PORT)`);
      return startupFailed(err, config);
    });
    closeOnSignals(refwire);
  });

program
  .command('worker')
  .description('process stored events without serving HTTP (needs DATABASE_URL and SECRETS_KEY; takes them from the queue with REDIS_URL)')
  .action(async () => {
    const config = configOrFail();
    const worker = await startWorker(config).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`METRICS_PORT ${config.metricsPort} is already in use`);
      return startupFailed(err, config);
    });
    closeOnSignals(worker);
  });

program
  .command('migrate')
  .description('apply pending database migrations (start does this too); on the embedded database, only while Refwire is stopped')
  .action(async () => {
    const config = configOrFail();
    if (config.database.kind === 'embedded') {
      const holder = readLockHolder(config.dataDir);
      if (holder) fail(`Refwire (pid ${holder.pid}) is running on ${config.dataDir}; it applied the migrations when it started`);
    }
    const db = await openForCommand(config);
    try {
      const report = await migrate(db.sql);
      for (const name of report.applied) process.stdout.write(`applied ${name}\n`);
      process.stdout.write(
        report.applied.length === 0 ? 'database is up to date\n' : `${report.applied.length} migration(s) applied\n`,
      );
    } catch (err) {
      if (err instanceof MigrationError) fail(err.message);
      throw err;
    } finally {
      await db.close();
    }
  });

const project = program.command('project').description('manage projects');
project
  .command('create')
  .description('create a project and print its API key (shown once); while Refwire runs on the embedded database, through its admin API')
  .requiredOption('--name <name>', 'the affiliate program name')
  .option('--currency <code>', 'ISO 4217 currency of the program', 'USD')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { name: string; currency: string; json?: boolean }) => {
    const config = configOrFail();
    const input = { name: opts.name, currency: opts.currency };
    const holder = config.database.kind === 'embedded' ? readLockHolder(config.dataDir) : null;
    let created: { id: string; name: string; currency: string; api_key: string };
    if (holder) {
      // The embedded database belongs to the running process: ask it through its admin API.
      if (holder.port === null) fail('Refwire is still starting on this data directory; try again in a moment');
      const response = await fetch(`http://127.0.0.1:${holder.port}/api/admin/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      const body = (await response.json()) as { success: boolean; data?: typeof created; error?: string };
      if (!response.ok || !body.data) fail(`${body.error ?? `the running Refwire answered ${response.status}`}${adminTokenHint(config, response.status)}`);
      created = body.data;
    } else {
      const { currencyCode } = await import('./api/currency');
      const currency = currencyCode.safeParse(input.currency);
      if (!currency.success) fail(`--currency: ${currency.error.issues[0]?.message}`);
      if (input.name.trim() === '') fail('--name must not be empty');
      const db = await openForCommand(config);
      try {
        await migrate(db.sql);
        const p = await createProject(db.prisma, { name: input.name.trim(), currency: currency.data });
        created = { id: p.id, name: p.name, currency: p.currency, api_key: p.apiKey };
      } finally {
        await db.close();
      }
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(created)}\n`);
    } else {
      process.stdout.write(
        `Project created: ${created.name} (${created.currency})\n` +
          `  id:      ${created.id}\n` +
          `  api key: ${created.api_key}   (shown once; keep it)\n` +
          `Webhook URLs: ${publicUrlFor(config, holder?.port ?? config.port)}/webhook/<stripe|paddle|lemonsqueezy|polar>/${created.id}\n`,
      );
    }
  });

const events = program.command('events').description('the stored webhook events');
events
  .command('replay')
  .description('process stored events again (a replay never doubles an effect); on the embedded database, only while Refwire is stopped (else POST /api/v1/events/:id/replay)')
  .argument('[id]', 'the event id')
  .option('--failed', 'replay every failed event')
  .action(async (id: string | undefined, opts: { failed?: boolean }) => {
    if (!id && !opts.failed) fail('give an event id or --failed');
    const config = configOrFail();
    if (config.database.kind === 'embedded') {
      const holder = readLockHolder(config.dataDir);
      if (holder) fail(`Refwire (pid ${holder.pid}) is running on ${config.dataDir}: use POST /api/v1/events/:id/replay, or stop it first`);
    }
    const db = await openForCommand(config);
    try {
      await migrate(db.sql);
      const rows = (await resetForReplay(db.sql, id ? { id } : { failed: true })).map((eventId) => ({ id: eventId }));
      if (id && rows.length === 0) fail(`no event ${id} (or it is being processed right now)`);
      if (config.redisUrl) {
        // Production: hand them to the workers (the sweep would also find them within seconds).
        const queue = new EventQueue(config.redisUrl, config.queuePrefix, config.worker, createLogger('silent'));
        const queued = await queue.enqueue(rows.map((r) => r.id));
        await queue.close();
        process.stdout.write(`${rows.length} event(s) ${queued ? 'queued' : 'marked for replay (Redis unavailable: the sweep will queue them)'}\n`);
        return;
      }
      const processEvent = createEventProcessor(processorDeps(config, db, createLogger('silent'), storesFor(config, db)));
      const tally: Record<string, number> = {};
      for (const row of rows) {
        const outcome = await processEvent(row.id);
        tally[outcome.status] = (tally[outcome.status] ?? 0) + 1;
        if (id) process.stdout.write(`${row.id}: ${outcome.status}${'reason' in outcome && outcome.reason ? ` (${outcome.reason})` : ''}\n`);
      }
      process.stdout.write(`${rows.length} event(s) replayed: ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}\n`);
    } finally {
      await db.close();
    }
  });

/** The new user's password: standard input's first line with --password-stdin, else typed twice, unseen, at a prompt. */
async function readNewPassword(fromStdin: boolean): Promise<string> {
  const { newPasswordField } = await import('./api/dashboard-auth');
  let password: string;
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  } else {
    if (!process.stdin.isTTY) fail('no terminal to ask for the password on: give it on standard input with --password-stdin');
    const readline = await import('node:readline/promises');
    const { Writable } = await import('node:stream');
    let muted = false;
    const output = new Writable({
      write(chunk, _enc, done) {
        if (!muted) process.stderr.write(chunk);
        done();
      },
    });
    const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
    const ask = async (label: string) => {
      process.stderr.write(label);
      muted = true;
      const answer = await rl.question('');
      muted = false;
      process.stderr.write('\n');
      return answer;
    };
    password = await ask('Password: ');
    const again = await ask('Password again: ');
    rl.close();
    if (password !== again) fail('the two passwords differ');
  }
  const checked = newPasswordField.safeParse(password);
  if (!checked.success) fail(`password: ${checked.error.issues[0]?.message}`);
  return checked.data;
}

const user = program.command('user').description('merchant dashboard users (docs/dashboard.md)');
user
  .command('create')
  .description(
    'make a dashboard owner of a project: a new user with a password, or an existing user made owner; while Refwire runs on the embedded database, through its set-up endpoint (the first user only)',
  )
  .requiredOption('--email <email>', "the user's email address")
  .requiredOption('--project <id>', 'the project id (refwire project create prints it)')
  .option('--password-stdin', 'read the password from standard input (its first line) instead of a prompt')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { email: string; project: string; passwordStdin?: boolean; json?: boolean }) => {
    const { emailField, uuidField } = await import('./api/fields');
    const email = emailField.safeParse(opts.email);
    if (!email.success) fail(`--email: ${email.error.issues[0]?.message}`);
    const projectId = uuidField.safeParse(opts.project);
    if (!projectId.success) fail('--project: must be a project id');
    const config = configOrFail();
    const holder = config.database.kind === 'embedded' ? readLockHolder(config.dataDir) : null;
    let result: { id: string; email: string; created: boolean };
    if (holder) {
      // the embedded database belongs to the running process: its set-up endpoint makes the first owner
      if (holder.port === null) fail('Refwire is still starting on this data directory; try again in a moment');
      const password = await readNewPassword(opts.passwordStdin === true);
      const response = await fetch(`http://127.0.0.1:${holder.port}/api/dashboard/setup`, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: email.data, password, project_id: projectId.data }),
      });
      const body = (await response.json()) as { data?: { user: { id: string; email: string } }; error?: string };
      if (!response.ok || !body.data) {
        fail(
          response.status === 409
            ? `${body.error ?? 'users exist'} (while Refwire runs on the embedded database, this command makes the first user only; stop it to add owners here)`
            : `${body.error ?? `the running Refwire answered ${response.status}`}${adminTokenHint(config, response.status)}`,
        );
      }
      result = { ...body.data.user, created: true };
    } else {
      const { hashPassword } = await import('./access/passwords');
      const { makeOwner, FirstOwnerError } = await import('./access/users');
      const db = await openForCommand(config);
      try {
        await migrate(db.sql);
        const exists = await db.prisma.user.findUnique({ where: { email: email.data }, select: { id: true } });
        // an existing user keeps their password: they become owner of this project too
        const passwordHash = exists ? null : await hashPassword(await readNewPassword(opts.passwordStdin === true));
        result = await makeOwner(db.prisma, { email: email.data, passwordHash, projectId: projectId.data, at: new Date() }).catch((err: unknown) => {
          if (err instanceof FirstOwnerError) fail(`--project: ${err.message}`);
          throw err;
        });
      } finally {
        await db.close();
      }
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ id: result.id, email: result.email, project_id: projectId.data, role: 'owner', created: result.created })}\n`);
    } else {
      process.stdout.write(
        `${result.created ? 'User created' : 'Existing user'}: ${result.email}, owner of project ${projectId.data}\n` +
          `Sign in at ${publicUrlFor(config, holder?.port ?? config.port)}/dashboard\n`,
      );
    }
  });

program
  .command('reconcile')
  .description("read back a provider's payments and refunds (and event history) and store what no webhook delivered; on the embedded database, only while Refwire is stopped (else POST /api/v1/integrations/:provider/reconcile)")
  .requiredOption('--project <id>', 'the project id')
  .requiredOption('--provider <name>', PROVIDER_NAMES.join(' | '))
  .option('--since <date>', 'read from this ISO 8601 date instead of the stored checkpoint')
  .action(async (opts: { project: string; provider: string; since?: string }) => {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(opts.project)) fail('--project must be a project id (a UUID)');
    if (!isProviderName(opts.provider)) fail(`--provider: unknown provider "${opts.provider}" (${PROVIDER_NAMES.join(', ')})`);
    const since = opts.since === undefined ? undefined : new Date(opts.since);
    if (since && (Number.isNaN(since.getTime()) || since > new Date())) fail('--since must be an ISO 8601 date, not in the future');
    const config = configOrFail();
    if (config.database.kind === 'embedded') {
      const holder = readLockHolder(config.dataDir);
      if (holder) fail(`Refwire (pid ${holder.pid}) is running on ${config.dataDir}: use POST /api/v1/integrations/${opts.provider}/reconcile, or stop it first`);
    }
    const db = await openForCommand(config);
    try {
      await migrate(db.sql);
      const [project] = await db.sql.query<{ id: string }>('SELECT id FROM projects WHERE id = $1', [opts.project]);
      if (!project) fail(`no project ${opts.project} in this database`);
      const logger = createLogger('silent');
      const stores = storesFor(config, db);
      const stored: string[] = [];
      const deps = reconcileDeps(config, db, logger, stores, undefined, (id) => stored.push(id));
      let report;
      try {
        report = await reconcileIntegration(deps, { projectId: opts.project, provider: opts.provider, ...(since ? { since } : {}) });
      } catch (err) {
        if (err instanceof ReconcileError) fail(err.message);
        throw err;
      }
      process.stdout.write(
        `${opts.provider}: listed ${report.listed} event(s) from ${report.since.toISOString()} to ${report.until.toISOString()}: ` +
          `${report.recovered} recovered, ${report.duplicates} already stored\n`,
      );
      if (stored.length === 0) return;
      if (config.redisUrl) {
        const queue = new EventQueue(config.redisUrl, config.queuePrefix, config.worker, logger);
        const queued = await queue.enqueue(stored);
        await queue.close();
        process.stdout.write(`${stored.length} event(s) ${queued ? 'queued' : 'stored (Redis unavailable: the sweep will queue them)'}\n`);
        return;
      }
      // the running workers of this database poll the inbox too; processing here shows the outcome at once
      const processEvent = createEventProcessor(processorDeps(config, db, logger, stores));
      const tally: Record<string, number> = {};
      for (const id of stored) {
        const outcome = await processEvent(id);
        tally[outcome.status] = (tally[outcome.status] ?? 0) + 1;
      }
      process.stdout.write(`${stored.length} event(s) processed: ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
    } finally {
      await db.close();
    }
  });

// refwire replay, refwire simulate
registerReplayCommands(program);

program
  .command('mcp')
  .description('the MCP server on stdio, for Claude Desktop, Cursor or Claude Code (needs REFWIRE_API_KEY; REFWIRE_API_URL, default http://localhost:3000)')
  .action(async () => {
    // loaded only for this command: the others start as before
    const { runStdioServer, stdioSettings } = await import('./mcp/stdio');
    const settings = stdioSettings(process.env);
    if ('problem' in settings) fail(settings.problem);
    await runStdioServer(settings);
  });

// `refwire replay … | head`: the reader is gone, so stop as a Unix tool does on SIGPIPE (exit 141), without a stack trace
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`refwire: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
