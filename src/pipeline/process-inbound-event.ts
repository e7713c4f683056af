import type { Logger } from 'pino';
import type { Database } from '../db/database';
import type { ProcessOutcome } from '../domain/process-outcome';
import { eventsToProcess, finishEvents, takeEvents, type EventToProcess, type EventEnd } from '../inbox/inbound-events';
import { applyEvents } from '../ledger/apply-events';
import type { ScopedEvents } from '../ledger/record-events';
import { isProviderName } from '../domain/provider-names';
import type { ProviderName } from '../domain/provider-names';
import { getAdapter, getEnricher } from '../providers/registry';
import { parseJsonObject } from '../providers/shared/json';
import { canonicalEvents, unusableReason, type NormalizedEvent } from '../domain/normalized-event';
import { foreignCurrencyRefund } from '../ledger/refund-currency';

export type { ProcessOutcome };

/** Calls to providers' own APIs, for what their webhooks leave out; absent, events are applied as they came. */
export type ProviderApiAccess = {
  apiKeyFor(projectId: string, provider: ProviderName): Promise<string | null>;
  baseUrls: Partial<Record<ProviderName, string>>;
  fetch: typeof fetch;
};

export type ProcessorDeps = {
  db: Database;
  clock: () => Date;
  logger: Logger;
  providerApi?: ProviderApiAccess;
  /** attempts before an event is marked failed (JOB_ATTEMPTS) */
  maxAttempts?: number;
  /** the wait before the first retry, doubling with each attempt (JOB_BACKOFF_MS) */
  backoffMs?: number;
  /**
   * How long a row left in `processing` by an earlier version is protected from being taken again (its runner may
   * still hold it). Rows are no longer claimed that way: a runner holds them with a row lock while it processes.
   */
  leaseMs?: number;
};

/** A row left in processing by an earlier version's runner is taken up after this long. */
export const PROCESSING_LEASE_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 2000;

/** The wait after failed attempt number `attempt`: `backoffMs`, doubling with each attempt. */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** Math.max(0, attempt - 1);
}

/**
 * The processing entry point: a function of inbox row ids, so the in-process runner, queue workers and the replay
 * API call the same code. A worker hands it the events it holds at once; stages, top to bottom:
 *   1. read the rows that may be processed (received, or left in processing by an earlier version past its lease),
 *      in one statement, without taking them;
 *   2. normalize each: the provider adapter turns the payload into purchases, renewals, refunds and facts, or
 *      says why it is ignored, or why it cannot be used (failed at once: retrying would not help); enrich from
 *      the provider's API where the merchant allowed it; check what came out (unusableReason: an unknown
 *      currency, an amount out of bounds, a string no column holds → failed at once, "invalid event: …");
 *   3. in one transaction: take the rows (another runner's are skipped), apply the events together (record the
 *      facts and recompute the touched customers' ledgers, src/ledger/apply-events.ts) and record every outcome in
 *      one statement. An inbox row is written once, with its end. If the batch fails, nothing of it is written and
 *      each event is applied alone, so one bad event cannot hold back the others.
 */
export function createBatchProcessor(deps: ProcessorDeps): (eventIds: readonly string[]) => Promise<ProcessOutcome[]> {
  const { db, clock, logger } = deps;
  const { sql } = db;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const failure = (event: EventToProcess, err: unknown): ProcessOutcome => {
    logger.error({ err, eventId: event.id }, 'event processing failed');
    const reason = `attempt ${event.attempts}: ${(err as Error).message}`;
    if (event.attempts >= maxAttempts) return { status: 'failed', reason };
    return { status: 'retry', reason, attempt: event.attempts, retryAt: new Date(clock().getTime() + retryDelayMs(deps.backoffMs ?? DEFAULT_BACKOFF_MS, event.attempts)) };
  };

  type Ready = { event: EventToProcess; batch: ScopedEvents };

  /**
   * One transaction: takes the rows of `events` still to process (skipping those another runner holds), applies
   * the `ready` ones among them as one batch, and records every taken row's end. Answers the ends recorded.
   */
  const settle = (events: readonly EventToProcess[], decided: ReadonlyMap<string, ProcessOutcome>, ready: readonly Ready[], staleBefore: Date, now: Date) =>
    sql.transaction(async (tx) => {
      const taken = await takeEvents(tx, events.map((e) => e.id), staleBefore);
      const applied = ready.filter((r) => taken.has(r.event.id));
      if (applied.length > 0) await applyEvents(tx, applied.map((r) => r.batch), now);
      const ends = new Map<string, ProcessOutcome>();
      for (const r of applied) ends.set(r.event.id, { status: 'processed', reason: null });
      for (const e of events) if (taken.has(e.id) && !ends.has(e.id)) ends.set(e.id, decided.get(e.id)!);
      await finishEvents(tx, [...ends].map(([id, outcome]) => endOf(id, outcome)), clock());
      return ends;
    });

  return async function processInboundEvents(eventIds: readonly string[]): Promise<ProcessOutcome[]> {
    const now = clock();
    const staleBefore = new Date(now.getTime() - (deps.leaseMs ?? PROCESSING_LEASE_MS));
    const events = await eventsToProcess(sql, eventIds, staleBefore);
    // ids queued again after they were processed (a sweep's, a retried job's): nothing to take
    if (events.length === 0) return eventIds.map(() => ({ status: 'skipped' }));
    const decided = new Map<string, ProcessOutcome>();
    const ready: Ready[] = [];
    await Promise.all(
      events.map(async (event) => {
        try {
          const prepared = await prepare(deps, event, maxAttempts);
          if ('status' in prepared) decided.set(event.id, prepared);
          else ready.push({ event, batch: { scope: { projectId: event.project_id, provider: event.provider, inboundEventId: event.id }, events: prepared.events } });
        } catch (err) {
          decided.set(event.id, failure(event, err));
        }
      }),
    );
    let ends: Map<string, ProcessOutcome>;
    try {
      ends = await settle(events, decided, ready, staleBefore, now);
    } catch (err) {
      // Nothing of the batch was written. Each ready event is applied alone, so one bad event only retries itself.
      if (ready.length > 1) logger.warn({ err: (err as Error).message, events: ready.length }, 'batch failed; applying its events one by one');
      ends = new Map();
      if (ready.length === 1) decided.set(ready[0]!.event.id, failure(ready[0]!.event, err));
      else
        for (const r of ready) {
          try {
            for (const [id, outcome] of await settle([r.event], decided, [r], staleBefore, now)) ends.set(id, outcome);
          } catch (e) {
            decided.set(r.event.id, failure(r.event, e));
          }
        }
      const rest = events.filter((e) => !ends.has(e.id) && decided.has(e.id));
      for (const [id, outcome] of await settle(rest, decided, [], staleBefore, now)) ends.set(id, outcome);
    }
    return eventIds.map((id) => ends.get(id) ?? { status: 'skipped' });
  };
}

/** One event: a batch of one. */
export function createEventProcessor(deps: ProcessorDeps): (eventId: string) => Promise<ProcessOutcome> {
  const processBatch = createBatchProcessor(deps);
  return async (eventId) => (await processBatch([eventId]))[0]!;
}

/** A taken row's outcome as the inbox records it. */
function endOf(id: string, outcome: ProcessOutcome): EventEnd {
  if (outcome.status === 'retry') return { id, status: 'retry', reason: outcome.reason, retryAt: outcome.retryAt };
  if (outcome.status === 'skipped') throw new Error(`a taken event cannot be skipped (${id})`);
  return { id, status: outcome.status, reason: outcome.reason };
}

/** Normalized (and enriched) events to apply, or the outcome that makes applying unnecessary. */
async function prepare(deps: ProcessorDeps, event: EventToProcess, maxAttempts: number): Promise<ProcessOutcome | { events: NormalizedEvent[] }> {
  if (!isProviderName(event.provider)) return { status: 'ignored', reason: `unknown provider "${event.provider}"` };
  const adapter = getAdapter(event.provider);
  const payload = parseJsonObject(Buffer.from(event.raw_body));
  if (!payload) return { status: 'failed', reason: 'the stored body is not a JSON object' };
  const normalized = adapter.normalize(payload);
  if (normalized.kind === 'ignored') return { status: 'ignored', reason: normalized.reason };
  if (normalized.kind === 'invalid') return { status: 'failed', reason: normalized.reason };
  const events = canonicalEvents(await enrich(deps, event, payload, normalized.events, maxAttempts));
  const unusable = unusableReason(events);
  if (unusable) return { status: 'failed', reason: `invalid event: ${unusable}` };
  const foreign = await foreignCurrencyRefund(deps.db.sql, event.project_id, event.provider, events);
  if (foreign) return { status: 'failed', reason: foreign };
  return { events };
}

/**
 * Asks the provider's API for what its webhook left out, when the merchant stored an API key. A failing API is
 * retried with the event; on the last attempt the event is applied without it rather than lost.
 */
async function enrich(deps: ProcessorDeps, event: EventToProcess, payload: Record<string, unknown>, events: NormalizedEvent[], maxAttempts: number) {
  const provider = event.provider as ProviderName;
  const enricher = getEnricher(provider);
  if (!enricher || !deps.providerApi) return events;
  const apiKey = await deps.providerApi.apiKeyFor(event.project_id, provider);
  if (!apiKey) return events;
  const api = { apiKey, baseUrl: deps.providerApi.baseUrls[provider] ?? enricher.defaultBaseUrl(apiKey), fetch: deps.providerApi.fetch };
  try {
    return await enricher.enrich({ payload, events, api });
  } catch (err) {
    if (event.attempts < maxAttempts) throw err;
    deps.logger.warn({ err, eventId: event.id }, 'provider API unavailable; applying the event without its details');
    return events;
  }
}
