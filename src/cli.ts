#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, publicUrlFor, type Config } from './config/config';
import { ConfigError } from './config/env';
import { openDatabase } from './db/database';
import { DataDirLockedError, readLockHolder } from './db/embedded-lock';
import { migrate, MigrationError } from './db/migrator';
import { resetForReplay } from './inbox/inbound-events';
import { startRefwire, startWorker } from './main';
import { createProject } from './projects/projects';
import { createEventProcessor } from './pipeline/process-inbound-event';
import { EventQueue } from './queue/event-queue';
import { createLogger } from './observability/logger';
import { processorDeps, storesFor } from './processing';
import { registerReplayCommands } from './replay/commands';

function fail(message: string): never {
  process.stderr.write(`refwire: ${message}\n`);
  process.exit(1);
}

function configOrFail(overrides: NodeJS.ProcessEnv = {}): Config {
  try {
    return loadConfig({ ...process.env, ...overrides });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

function portOption(value: string): string {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('not a port number');
  return value;
}

/** SIGTERM/SIGINT: stop taking work, finish what is in hand, close connections, exit 0. */
function closeOnSignals(running: { logger: import('pino').Logger; close(): Promise<void> }): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    running.logger.info({ signal }, 'shutting down');
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
  .showHelpAfterError();

program
  .command('start')
  .description('run the API and webhook receivers, and process events in this process unless --no-worker')
  .option('--no-worker', 'only receive and serve; leave processing to other processes')
  .option('-p, --port <port>', 'HTTP port (default: $PORT or 3000)', portOption)
  .action(async (opts: { worker: boolean; port?: string }) => {
    const config = configOrFail(opts.port ? { PORT: opts.port } : {});
    const refwire = await startRefwire(config, { worker: opts.worker }).catch((err: unknown) => {
      if (err instanceof DataDirLockedError || err instanceof MigrationError) fail(err.message);
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`port ${config.port} is already in use (set PORT)`);
      throw err;
    });
    closeOnSignals(refwire);
  });

program
  .command('worker')
  .description('process stored events without serving HTTP (needs DATABASE_URL and SECRETS_KEY; takes them from the queue with REDIS_URL)')
  .action(async () => {
    const config = configOrFail();
    const worker = await startWorker(config).catch((err: unknown) => {
      if (err instanceof ConfigError || err instanceof MigrationError) fail(err.message);
      throw err;
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
    const db = await openDatabase(config.database);
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
      if (!response.ok || !body.data) fail(body.error ?? `the running Refwire answered ${response.status}`);
      created = body.data;
    } else {
      const { currencyCode } = await import('./api/currency');
      const currency = currencyCode.safeParse(input.currency);
      if (!currency.success) fail(`--currency: ${currency.error.issues[0]?.message}`);
      if (input.name.trim() === '') fail('--name must not be empty');
      const db = await openDatabase(config.database);
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
    const db = await openDatabase(config.database);
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

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`refwire: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
