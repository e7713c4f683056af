import type { Logger } from 'pino';
import type { Config } from './config/config';
import { ConfigError } from './config/env';
import type { Database } from './db/database';
import { Metrics } from './observability/metrics';
import { IntegrationStore } from './integrations/integration-store';
import { InProcessRunner } from './pipeline/in-process-runner';
import { createBatchProcessor, createEventProcessor, PROCESSING_LEASE_MS, type ProcessorDeps, type ProviderApiAccess } from './pipeline/process-inbound-event';
import { EventQueue } from './queue/event-queue';
import { QueueWorker } from './queue/queue-worker';
import { RequeueSweep } from './queue/requeue-sweep';
import { OutboundDispatcher } from './outbound/dispatcher';
import { EmailSender } from './email/sender';
import { SecretBox } from './security/secret-box';
import { microBatch } from './util/micro-batch';
import { ClickRetentionSweep } from './tracking/click-retention';
import { foldAllRowCounts } from './db/row-counts';
import { foldAllAffiliateTotals } from './db/affiliate-totals';
import { foldAllEventActivity, pruneEventActivity } from './db/event-activity';
import { PeriodicSweep } from './util/periodic-sweep';
import { analyzeNewTables, maintainDatabase } from './db/maintenance';
import { waitingEvents } from './inbox/inbound-events';
import { ReconcileLoop } from './reconcile/reconcile-loop';
import type { ReconcileDeps } from './reconcile/reconcile';

const DELTA_FOLD_MS = 10 * 60_000;
const DELTA_FOLD_EVENTS = 5_000;
/**
 * Vacuum where nothing else does it (src/db/maintenance.ts): at start, hourly, and after every this many events,
 * each once no batch has ended for VACUUM_QUIET_MS and no event waits in the inbox. In a burst a pass took the CPU
 * the batches needed: a 100,000-event drain on 2 cores took 50–53 s with a pass at start and every 20,000 events,
 * 45–47 s with one pass after it, back to back (docs/performance.md); vacuum is for the reads after the burst. In
 * a stream that never pauses, a pass comes after five times VACUUM_EVENTS (periodic-sweep.ts), and hourly.
 */
/** First statistics (analyzeNewTables) are looked for at start and every this many events: a catalog query. */
const STATISTICS_EVENTS = 1_000;
const VACUUM_MS = 60 * 60_000;
const VACUUM_EVENTS = 20_000;
const VACUUM_QUIET_MS = 1_000;

/**
 * How stored events reach processing, in either mode:
 *  - with REDIS_URL: the receiver queues each new row on BullMQ (fail-fast producer); a sweep re-queues rows that
 *    were never queued or whose job was lost; queue workers consume (here if `consume`, else in `refwire worker`);
 *  - without: an in-process runner takes rows from the receiver and from periodic sweeps of the inbox.
 * Both call the same processInboundEvent(id).
 */
export type Processing = {
  /** hands a just-committed inbox row to processing */
  notify(eventId: string): void;
  /** the in-process runner (no Redis), for tests to wait on */
  runner: InProcessRunner | null;
  queue: EventQueue | null;
  metrics: Metrics;
  providerApi: ProviderApiAccess;
  /** one stored event, processed now (the events API's replay), with this installation's settings */
  replay: (eventId: string) => Promise<import('./domain/process-outcome').ProcessOutcome>;
  /** sends outbound webhooks, where this process consumes */
  dispatcher: OutboundDispatcher | null;
  /** what on-demand reconciliation needs (POST /api/v1/integrations/:provider/reconcile), with this process's settings */
  reconcile: ReconcileDeps;
  /** scheduled reconciliation, where this process consumes */
  reconcileLoop: ReconcileLoop | null;
  close(): Promise<void>;
};

/**
 * The sealed secrets of a process, made once by the composition root (src/main.ts, the CLI) and shared by
 * everything in it: one store means one cache of connection secrets, which a change through the API invalidates
 * for the receiver and the enrichers alike.
 */
export type Stores = { box: SecretBox; integrations: IntegrationStore };

export function storesFor(config: Config, db: Database): Stores {
  const box = new SecretBox(config.secretsKey);
  return { box, integrations: new IntegrationStore(db.prisma, box) };
}

/** Refuses to go on with a SECRETS_KEY that does not open the stored provider secrets (IntegrationStore.opensStoredSecrets). */
export async function checkSecretsKey(stores: Stores): Promise<void> {
  if (await stores.integrations.opensStoredSecrets()) return;
  throw new ConfigError(
    'SECRETS_KEY does not open the provider secrets stored in this database: it is not the key they were sealed with. ' +
      'Start with the key this database was set up with (on the embedded database, the secrets_key of secrets.json in DATA_DIR, unless SECRETS_KEY overrides it)',
  );
}

/** Calls to providers' APIs with the API keys merchants stored (decrypted only when a call is made). */
export function providerApiAccess(config: Config, stores: Stores): ProviderApiAccess {
  return { apiKeyFor: (projectId, provider) => stores.integrations.apiKey(projectId, provider), baseUrls: config.providerApiBaseUrls, fetch: globalThis.fetch };
}

/**
 * How this installation processes events, for every process that does: the server's runner or queue workers, the
 * events API's replay, and `refwire events replay` all take their processor's settings from here.
 */
export function processorDeps(config: Config, db: Database, logger: Logger, stores: Stores, leaseMs = PROCESSING_LEASE_MS): ProcessorDeps & { providerApi: ProviderApiAccess } {
  return {
    db,
    clock: () => new Date(),
    logger,
    providerApi: providerApiAccess(config, stores),
    maxAttempts: config.worker.attempts,
    backoffMs: config.worker.backoffMs,
    leaseMs,
  };
}

/** Reconciliation with this installation's settings: the scheduled loop, the API's and the CLI's runs. */
export function reconcileDeps(config: Config, db: Database, logger: Logger, stores: Stores, metrics: Metrics | undefined, onStored: (id: string) => void): ReconcileDeps {
  return {
    sql: db.sql,
    integrations: stores.integrations,
    baseUrls: config.providerApiBaseUrls,
    fetch: globalThis.fetch,
    clock: () => new Date(),
    logger,
    ...(metrics ? { metrics } : {}),
    onStored,
    intervalMs: config.reconcileIntervalMs,
  };
}

/**
 * How long the ids of stored events gather before they go to the queue as one job. A job costs Redis and the worker
 * about the same whatever its size: under load the receiver's inserts made jobs of 4–5 events, and a
 * 100,000-event backlog cost Redis 4–5 s of CPU; gathered 20 ms, jobs of about 30, and about 1 s
 * (docs/performance.md). Processing starts that much later, which a webhook's sender never sees.
 */
const QUEUE_LINGER_MS = 20;

/**
 * Events per pass through the pipeline: large enough to amortize its statements, small enough to keep locks short.
 * PGlite plans every statement each time and runs one transaction at a time on this process's thread, so each pass
 * pays more fixed cost there, and a longer one holds nothing a second connection could have used: 500 events per
 * pass processed a backlog 10–15% faster than 200 (1,000 no faster than 500). A pass of 500 holds the embedded
 * database about half a second, during which a delivery waits to be stored (docs/performance.md).
 */
const pipelineBatchMax = (db: Database) => (db.kind === 'postgres' ? 200 : 500);

/**
 * PostgreSQL runs each batch on a connection and a core of its own: with three batches in flight the worker and
 * the server are busy together more of the time (a 100,000-event drain on 2 cores: 39.8 s with two, 33.7 s with
 * three; four made batches smaller and the drain slower, docs/performance.md). PGlite runs one statement at a time
 * on this process's own thread, where a third batch would only wait and take events from the other two.
 */
const batchesInFlight = (db: Database) => (db.kind === 'postgres' ? 3 : 2);

/** Whether any event waits for processing: received and due, or claimed by a runner that died. */
async function eventsWaiting(db: Database, now: Date, leaseMs: number): Promise<boolean> {
  return (await waitingEvents(db.sql, { now, staleBefore: new Date(now.getTime() - leaseMs), limit: 1 })).length > 0;
}

export function startProcessing(config: Config, db: Database, logger: Logger, stores: Stores, options: { consume: boolean; pollMs?: number }): Processing {
  const queue = config.redisUrl ? new EventQueue(config.redisUrl, config.queuePrefix, config.worker, logger) : null;
  const metrics = new Metrics(queue ? () => queue.depth() : undefined);
  // Queue workers' claims last as long as BullMQ's job lock: a killed worker's events come back with its job.
  const leaseMs = queue ? config.worker.lockMs : PROCESSING_LEASE_MS;
  const deps = processorDeps(config, db, logger, stores, leaseMs);
  const { providerApi } = deps;
  // The deltas behind the lists' totals, the summary's and the integrations' activity (src/db/deltas.ts) pile up with
  // the events stored and processed, about one per affiliate a batch touches: folded every DELTA_FOLD_EVENTS events
  // here, so that a burst leaves a small table behind it for the reads (and for vacuum), and on a timer where no event
  // comes.
  const foldDeltas = async () =>
    (await foldAllRowCounts(db.sql)) +
    (await foldAllAffiliateTotals(db.sql)) +
    (await pruneEventActivity(db.sql, deps.clock())) +
    (await foldAllEventActivity(db.sql));
  const deltaFold = options.consume ? new PeriodicSweep('delta folding', foldDeltas, logger, DELTA_FOLD_MS, 'deltas folded', { everyWork: DELTA_FOLD_EVENTS }) : null;
  // PostgreSQL's autovacuum does this for a server, where it is on; PGlite has none
  const vacuum = options.consume
    ? new PeriodicSweep('database vacuum', () => maintainDatabase(db), logger, VACUUM_MS, 'database vacuumed and analyzed', {
        everyWork: VACUUM_EVENTS,
        quietMs: VACUUM_QUIET_MS,
        busy: () => eventsWaiting(db, deps.clock(), leaseMs),
      })
    : null;
  const statistics = options.consume
    ? new PeriodicSweep('first statistics', () => analyzeNewTables(db), logger, VACUUM_MS, 'tables analyzed for the first time', { everyWork: STATISTICS_EVENTS })
    : null;
  const batches = createBatchProcessor(deps);
  const processBatch = async (ids: readonly string[]) => {
    const outcomes = await batches(ids);
    deltaFold?.worked(ids.length);
    statistics?.worked(ids.length);
    vacuum?.worked(ids.length);
    return outcomes;
  };
  // The events a worker holds (of all its jobs) go through the pipeline together, a few batches at a time, each
  // taking whatever arrived meanwhile: while one computes, the others wait on the database.
  const batchMax = pipelineBatchMax(db);
  const process = metrics.instrument(microBatch(processBatch, batchMax, batchesInFlight(db)));

  // Outbound webhooks go out from the processes that process events.
  const dispatcher = options.consume
    ? new OutboundDispatcher(db.sql, stores.box, logger, { allowPrivate: config.outboundAllowPrivate })
    : null;
  dispatcher?.start();
  // and email, beside them (without SMTP_URL it only marks the outbox `kept`)
  const emailSender = options.consume ? new EmailSender(db.sql, config.email, logger) : null;
  emailSender?.start();
  // click rows past their project's click_retention_days go where events are processed, too
  const clickSweep = options.consume ? new ClickRetentionSweep(db.sql, logger) : null;
  clickSweep?.start();
  deltaFold?.start();
  statistics?.start();
  vacuum?.start();
  // what no webhook delivered: read back from the providers where events are processed; `notify` is bound below
  let notifyStored: (id: string) => void = () => undefined;
  const reconcile = reconcileDeps(config, db, logger, stores, metrics, (id) => notifyStored(id));
  const reconcileLoop = options.consume ? new ReconcileLoop(reconcile) : null;

  if (queue) {
    const sweep = new RequeueSweep(db.sql, queue, logger, leaseMs);
    sweep.start();
    void sweep.sweep();
    const worker = options.consume ? new QueueWorker(config.redisUrl!, config.queuePrefix, queue, process, logger, {
          concurrency: config.worker.concurrency,
          lockMs: config.worker.lockMs,
          stalledMs: config.worker.stalledMs,
        }) : null;
    // one job, and one Redis round trip, for the events stored within QUEUE_LINGER_MS; one add at a time: ids
    // stored meanwhile wait and go into the next job, so jobs grow with the load
    const enqueue = microBatch(async (ids: string[]) => {
      const ok = await queue.enqueue(ids);
      return ids.map(() => ok);
    }, 1000, 1, QUEUE_LINGER_MS);
    notifyStored = (id) => void enqueue(id);
    reconcileLoop?.start();
    return {
      replay: metrics.instrument(createEventProcessor(deps)),
      notify: (id) => void enqueue(id),
      runner: null,
      queue,
      metrics,
      providerApi,
      dispatcher,
      reconcile,
      reconcileLoop,
      async close() {
        sweep.stop();
        await reconcileLoop?.stop();
        await worker?.close();
        await dispatcher?.stop();
        await emailSender?.stop();
        await clickSweep?.stop();
        await deltaFold?.stop();
        await statistics?.stop();
        await vacuum?.stop();
        await queue.close();
      },
    };
  }

  // Without Redis the runner holds events, not jobs of many: holding fewer than a pipeline batch would only cut each
  // sweep's batch into smaller passes, each paying the batch's fixed statements on PGlite's one thread.
  const held = Math.max(config.worker.concurrency, batchMax);
  const runner = options.consume
    ? new InProcessRunner(db.sql, process, logger, { concurrency: held, batchSize: batchMax, ...(options.pollMs ? { sweepIntervalMs: options.pollMs } : {}) })
    : null;
  runner?.start();
  notifyStored = (id) => runner?.notify(id);
  reconcileLoop?.start();
  return {
    replay: metrics.instrument(createEventProcessor(deps)),
    notify: (id) => runner?.notify(id),
    runner,
    queue: null,
    metrics,
    providerApi,
    dispatcher,
    reconcile,
    reconcileLoop,
    async close() {
      await reconcileLoop?.stop();
      await runner?.stop();
      await dispatcher?.stop();
      await emailSender?.stop();
      await clickSweep?.stop();
      await deltaFold?.stop();
      await statistics?.stop();
      await vacuum?.stop();
    },
  };
}
