import type { Logger } from 'pino';
import type { Database } from '../db/database';
import { applyEvents } from '../ledger/apply-events';
import { isProviderName } from '../providers/provider-names';
import type { ProviderName } from '../providers/provider-names';
import { getAdapter, getEnricher } from '../providers/registry';
import { parseJsonObject } from '../providers/shared/json';
import type { NormalizedEvent } from './normalized-event';

export type ProcessOutcome =
  | { status: 'processed' | 'ignored'; reason: string | null }
  | { status: 'retry' | 'failed'; reason: string }
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
  /**
   * How long a claim protects an event in processing from other claimants. Queue workers pass 0: BullMQ's job
   * lock already keeps one worker per event, and a job it hands out again is one whose worker died.
   */
  leaseMs?: number;
};

/** A runner that died mid-event loses its claim after this long, and the event is picked up again. */
export const PROCESSING_LEASE_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;

type Claimed = { id: string; project_id: string; provider: string; event_type: string; attempts: number; raw_body: Uint8Array };

/**
 * The processing entry point: one function of the inbox row id, so the in-process runner and (later) a queue
 * worker call the same code. Stages, top to bottom:
 *   1. claim the row (received, or processing with an expired lease), counting the attempt;
 *   2. normalize: the provider adapter turns the payload into purchases, renewals, refunds and facts, or says
 *      why it is ignored, or why it cannot be used (failed at once: retrying would not help);
 *   3. apply: record the facts and recompute the touched customers' ledgers (src/ledger/apply-events.ts);
 *   4. record the outcome on the row.
 */
export function createEventProcessor(deps: ProcessorDeps): (eventId: string) => Promise<ProcessOutcome> {
  const { db, clock, logger } = deps;
  const { sql } = db;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const apply = (event: Claimed) => decide(deps, event, maxAttempts);

  return async function processInboundEvent(eventId: string): Promise<ProcessOutcome> {
    const now = clock();
    const [event] = await sql.query<Claimed>(
      `UPDATE inbound_events SET status = 'processing', attempts = attempts + 1, locked_at = $2
       WHERE id = $1 AND (status = 'received' OR (status = 'processing' AND locked_at < $3))
       RETURNING id, project_id, provider, event_type, attempts, raw_body`,
      [eventId, now, new Date(now.getTime() - (deps.leaseMs ?? PROCESSING_LEASE_MS))],
    );
    if (!event) return { status: 'skipped' };

    let outcome: ProcessOutcome;
    try {
      outcome = await apply(event);
    } catch (err) {
      const reason = `attempt ${event.attempts}: ${(err as Error).message}`;
      outcome = event.attempts >= maxAttempts ? { status: 'failed', reason } : { status: 'retry', reason };
      logger.error({ err, eventId }, 'event processing failed');
    }

    const finished = outcome.status === 'processed' || outcome.status === 'ignored' || outcome.status === 'failed';
    await sql.query(
      `UPDATE inbound_events SET status = $2, status_reason = $3, locked_at = NULL, processed_at = $4
       WHERE id = $1 AND status = 'processing'`,
      [
        event.id,
        outcome.status === 'retry' ? 'received' : outcome.status,
        'reason' in outcome ? outcome.reason : null,
        finished ? clock() : null,
      ],
    );
    return outcome;
  };
}

async function decide(deps: ProcessorDeps, event: Claimed, maxAttempts: number): Promise<ProcessOutcome> {
  if (!isProviderName(event.provider)) return { status: 'ignored', reason: `unknown provider "${event.provider}"` };
  const adapter = getAdapter(event.provider);
  const payload = parseJsonObject(Buffer.from(event.raw_body));
  if (!payload) return { status: 'failed', reason: 'the stored body is not a JSON object' };
  const normalized = adapter.normalize(payload);
  if (normalized.kind === 'ignored') return { status: 'ignored', reason: normalized.reason };
  if (normalized.kind === 'invalid') return { status: 'failed', reason: normalized.reason };
  const events = await enrich(deps, event, payload, normalized.events, maxAttempts);
  await applyEvents(deps.db.sql, { projectId: event.project_id, provider: event.provider, inboundEventId: event.id }, events);
  return { status: 'processed', reason: null };
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
