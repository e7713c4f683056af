import type { Logger } from 'pino';
import type { Database } from '../db/database';
import type { SqlClient } from '../db/sql';
import { applyEvents } from '../ledger/apply-events';
import type { ScopedEvents } from '../ledger/record-events';
import { isProviderName } from '../domain/provider-names';
import type { ProviderName } from '../domain/provider-names';
import { getAdapter, getEnricher } from '../providers/registry';
import { parseJsonObject } from '../providers/shared/json';
import type { NormalizedEvent } from '../domain/normalized-event';

export type ProcessOutcome =
  | { status: 'processed' | 'ignored'; reason: string | null }
  | { status: 'failed'; reason: string }
  /** put back for another attempt, not taken up again before `retryAt` */
  | { status: 'retry'; reason: string; attempt: number; retryAt: Date }
  /** another runner holds it, or it is already done */
  | { status: 'skipped' };

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
   * How long a claim protects an event in processing from other claimants. Queue workers pass 0: BullMQ's job
   * lock already keeps one worker per event, and a job it hands out again is one whose worker died.
   */
  leaseMs?: number;
};

/** A runner that died mid-event loses its claim after this long, and the event is picked up again. */
export const PROCESSING_LEASE_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 2000;

/** The wait after failed attempt number `attempt`: `backoffMs`, doubling with each attempt. */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** Math.max(0, attempt - 1);
}

type Claimed = { id: string; project_id: string; provider: string; event_type: string; attempts: number; raw_body: Uint8Array };

/**
 * The processing entry point: a function of inbox row ids, so the in-process runner, queue workers and the replay
 * API call the same code. A worker hands it the events it holds at once; stages, top to bottom:
 *   1. claim the rows (received, or processing with an expired lease), counting the attempt, in one statement;
 *   2. normalize each: the provider adapter turns the payload into purchases, renewals, refunds and facts, or
 *      says why it is ignored, or why it cannot be used (failed at once: retrying would not help); enrich from
 *      the provider's API where the merchant allowed it;
 *   3. apply them together: record the facts and recompute the touched customers' ledgers
 *      (src/ledger/apply-events.ts). If the batch fails, each event is applied alone, so one bad event cannot
 *      hold back the others;
 *   4. record every outcome in one statement.
 */
export function createBatchProcessor(deps: ProcessorDeps): (eventIds: readonly string[]) => Promise<ProcessOutcome[]> {
  const { db, clock, logger } = deps;
  const { sql } = db;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const failure = (event: Claimed, err: unknown): ProcessOutcome => {
    logger.error({ err, eventId: event.id }, 'event processing failed');
    const reason = `attempt ${event.attempts}: ${(err as Error).message}`;
    if (event.attempts >= maxAttempts) return { status: 'failed', reason };
    return { status: 'retry', reason, attempt: event.attempts, retryAt: new Date(clock().getTime() + retryDelayMs(deps.backoffMs ?? DEFAULT_BACKOFF_MS, event.attempts)) };
  };

  return async function processInboundEvents(eventIds: readonly string[]): Promise<ProcessOutcome[]> {
    const now = clock();
    // by primary key only: the status test is a CASE no index serves, so a backlog of received rows is never read
    const claimed = await sql.query<Claimed>(
      `UPDATE inbound_events SET status = 'processing', attempts = attempts + 1, locked_at = $2, retry_at = NULL
       WHERE id = ANY($1::uuid[]) AND CASE status WHEN 'received' THEN true WHEN 'processing' THEN locked_at < $3 ELSE false END
       RETURNING id, project_id, provider, event_type, attempts, raw_body`,
      [[...new Set(eventIds)], now, new Date(now.getTime() - (deps.leaseMs ?? PROCESSING_LEASE_MS))],
    );
    const outcomes = new Map<string, ProcessOutcome>();
    const ready: { event: Claimed; batch: ScopedEvents }[] = [];
    await Promise.all(
      claimed.map(async (event) => {
        try {
          const prepared = await prepare(deps, event, maxAttempts);
          if ('status' in prepared) outcomes.set(event.id, prepared);
          else ready.push({ event, batch: { scope: { projectId: event.project_id, provider: event.provider, inboundEventId: event.id }, events: prepared.events } });
        } catch (err) {
          outcomes.set(event.id, failure(event, err));
        }
      }),
    );
    try {
      await applyEvents(sql, ready.map((r) => r.batch), now);
      for (const { event } of ready) outcomes.set(event.id, { status: 'processed', reason: null });
    } catch (err) {
      if (ready.length === 1) outcomes.set(ready[0]!.event.id, failure(ready[0]!.event, err));
      else {
        logger.warn({ err: (err as Error).message, events: ready.length }, 'batch failed; applying its events one by one');
        for (const { event, batch } of ready) {
          try {
            await applyEvents(sql, [batch], now);
            outcomes.set(event.id, { status: 'processed', reason: null });
          } catch (e) {
            outcomes.set(event.id, failure(event, e));
          }
        }
      }
    }
    await recordOutcomes(sql, claimed.map((e) => ({ id: e.id, outcome: outcomes.get(e.id)! })), clock());
    return eventIds.map((id) => outcomes.get(id) ?? { status: 'skipped' });
  };
}

/** One event: a batch of one. */
export function createEventProcessor(deps: ProcessorDeps): (eventId: string) => Promise<ProcessOutcome> {
  const processBatch = createBatchProcessor(deps);
  return async (eventId) => (await processBatch([eventId]))[0]!;
}

async function recordOutcomes(sql: SqlClient, results: { id: string; outcome: ProcessOutcome }[], at: Date): Promise<void> {
  if (results.length === 0) return;
  const finished = (o: ProcessOutcome) => o.status === 'processed' || o.status === 'ignored' || o.status === 'failed';
  // by primary key only, like the claim: the status index holds an entry for every row that was ever
  // 'processing', dead ones included until a vacuum, and reading it costs in proportion to all of them
  await sql.query(
    `UPDATE inbound_events e SET status = u.status, status_reason = u.reason, locked_at = NULL, processed_at = u.processed_at, retry_at = u.retry_at
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS u(id, status, reason, processed_at, retry_at)
     WHERE e.id = u.id AND e.id = ANY($1::uuid[]) AND (e.status = 'processing') IS TRUE`,
    [
      results.map((r) => r.id),
      results.map((r) => (r.outcome.status === 'retry' ? 'received' : r.outcome.status)),
      results.map((r) => ('reason' in r.outcome ? r.outcome.reason : null)),
      results.map((r) => (finished(r.outcome) ? at.toISOString() : null)),
      results.map((r) => (r.outcome.status === 'retry' ? r.outcome.retryAt.toISOString() : null)),
    ],
  );
}

/** Normalized (and enriched) events to apply, or the outcome that makes applying unnecessary. */
async function prepare(deps: ProcessorDeps, event: Claimed, maxAttempts: number): Promise<ProcessOutcome | { events: NormalizedEvent[] }> {
  if (!isProviderName(event.provider)) return { status: 'ignored', reason: `unknown provider "${event.provider}"` };
  const adapter = getAdapter(event.provider);
  const payload = parseJsonObject(Buffer.from(event.raw_body));
  if (!payload) return { status: 'failed', reason: 'the stored body is not a JSON object' };
  const normalized = adapter.normalize(payload);
  if (normalized.kind === 'ignored') return { status: 'ignored', reason: normalized.reason };
  if (normalized.kind === 'invalid') return { status: 'failed', reason: normalized.reason };
  return { events: await enrich(deps, event, payload, normalized.events, maxAttempts) };
}

/**
 * Asks the provider's API for what its webhook left out, when the merchant stored an API key. A failing API is
 * retried with the event; on the last attempt the event is applied without it rather than lost.
 */
async function enrich(deps: ProcessorDeps, event: Claimed, payload: Record<string, unknown>, events: NormalizedEvent[], maxAttempts: number) {
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
