import type { SqlSession } from '../db/sql';
import { REFGROW_EVENTS, type OutboundEvent, type PayloadFormat } from './events';
import { exactJson } from '../util/exact-json';

/** One event to announce: its payload in whichever format the receiving endpoint asked for. */
export type OutboundMessage = { type: OutboundEvent; payload: (format: PayloadFormat) => Record<string, unknown> };

export type Subscribed = { id: string; events: string[]; payload_format: PayloadFormat };

export async function subscribedEndpoints(tx: SqlSession, projectId: string): Promise<Subscribed[]> {
  return tx.query<Subscribed>(`SELECT id, events, payload_format FROM webhook_endpoints WHERE project_id = $1 AND status = 'active'`, [projectId]);
}

/** The event types some active endpoint of the project receives: the rest need no payload built. */
export function wanted(endpoints: readonly Subscribed[]): Set<string> {
  return new Set(endpoints.flatMap((e) => e.events));
}

/**
 * Whether the body carries its own `id` (the `webhook-id`): Refgrow documents its four payloads without one, so in
 * `refgrow-v1` they have none (the header carries it); every other payload has it.
 */
function carriesId(format: PayloadFormat, type: OutboundEvent): boolean {
  return !(format === 'refgrow-v1' && (REFGROW_EVENTS as readonly string[]).includes(type));
}

/**
 * Queues one delivery per subscribed endpoint and message, in the caller's transaction (the outbox: deliveries
 * exist exactly when the change they announce committed). Each payload is fixed now, in the endpoint's format:
 * what the merchant receives describes the change as it was made. One statement, whatever the number of rows.
 */
export async function enqueue(tx: SqlSession, projectId: string, endpoints: readonly Subscribed[], messages: readonly OutboundMessage[], at: Date): Promise<number> {
  const rows = endpoints.flatMap((e) =>
    messages
      .filter((m) => e.events.includes(m.type))
      .map((m) => {
        const messageId = `msg_${crypto.randomUUID().replace(/-/g, '')}`;
        const payload = m.payload(e.payload_format);
        return { endpointId: e.id, type: m.type, messageId, format: e.payload_format, body: carriesId(e.payload_format, m.type) ? { id: messageId, ...payload } : payload };
      }),
  );
  if (rows.length === 0) return 0;
  await tx.query(
    `INSERT INTO webhook_deliveries (project_id, endpoint_id, event_type, message_id, payload, payload_format, status, next_attempt_at)
     SELECT $1, e, t, m, p::jsonb, f, 'pending', $7
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(e, t, p, m, f)`,
    [
      projectId,
      rows.map((r) => r.endpointId),
      rows.map((r) => r.type),
      // a payload's bigint (a total past 2^53) is written exactly, not thrown on
      rows.map((r) => exactJson(r.body)),
      rows.map((r) => r.messageId),
      rows.map((r) => r.format),
      at.toISOString(),
    ],
  );
  return rows.length;
}
