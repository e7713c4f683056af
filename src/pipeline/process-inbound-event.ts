import type { Logger } from 'pino';
import type { SqlClient } from '../db/sql';
import { isProviderName } from '../providers/provider-names';
import { getAdapter } from '../providers/registry';

export type ProcessOutcome =
  | { status: 'processed' | 'ignored'; reason: string | null }
  | { status: 'retry' | 'failed'; reason: string }
  /** another runner holds it, or it is already done */
  | { status: 'skipped' };

export type ProcessorDeps = { sql: SqlClient; clock: () => Date; logger: Logger };

/** A runner that died mid-event loses its claim after this long, and the event is picked up again. */
export const PROCESSING_LEASE_MS = 2 * 60_000;
export const MAX_ATTEMPTS = 5;

type Claimed = { id: string; provider: string; event_type: string; attempts: number };

/**
 * The processing entry point: one function of the inbox row id, so the in-process runner and (later) a queue
 * worker call the same code. Stages, top to bottom:
 *   1. claim the row (received, or processing with an expired lease), counting the attempt;
 *   2. decide what the event means: the event types the provider adapter names are used, others are ignored;
 *   3. record the outcome on the row.
 * Attribution and commissions join stage 2 as the engine grows.
 */
export function createEventProcessor(deps: ProcessorDeps): (eventId: string) => Promise<ProcessOutcome> {
  const { sql, clock, logger } = deps;

  return async function processInboundEvent(eventId: string): Promise<ProcessOutcome> {
    const now = clock();
    const [event] = await sql.query<Claimed>(
      `UPDATE inbound_events SET status = 'processing', attempts = attempts + 1, locked_at = $2
       WHERE id = $1 AND (status = 'received' OR (status = 'processing' AND locked_at < $3))
       RETURNING id, provider, event_type, attempts`,
      [eventId, now, new Date(now.getTime() - PROCESSING_LEASE_MS)],
    );
    if (!event) return { status: 'skipped' };

    let outcome: ProcessOutcome;
    try {
      outcome = decide(event);
    } catch (err) {
      const reason = `attempt ${event.attempts}: ${(err as Error).message}`;
      outcome = event.attempts >= MAX_ATTEMPTS ? { status: 'failed', reason } : { status: 'retry', reason };
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

function decide(event: Claimed): ProcessOutcome {
  if (!isProviderName(event.provider)) return { status: 'ignored', reason: `unknown provider "${event.provider}"` };
  const adapter = getAdapter(event.provider);
  if (!adapter.webhookEvents.includes(event.event_type)) {
    return { status: 'ignored', reason: `event type "${event.event_type}" is not used by Refwire` };
  }
  return { status: 'processed', reason: null };
}
