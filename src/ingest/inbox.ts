import type { SqlClient } from '../db/sql';
import type { VerifiedEvent } from '../providers/provider-adapter';
import type { ProviderName } from '../providers/provider-names';

export type StoredEvent = { id: string; duplicate: boolean };

/**
 * The one durable write of the receiver. `ON CONFLICT DO NOTHING` on (project, provider, provider event id)
 * makes concurrent deliveries of one event race safely to a single row without an error to catch; the loser
 * then reads the winner's id (PostgreSQL waits for the winner's commit before reporting the conflict).
 */
export async function storeInboundEvent(
  sql: SqlClient,
  input: {
    projectId: string;
    provider: ProviderName;
    event: VerifiedEvent;
    rawBody: Buffer;
    headers: Record<string, string>;
    receivedAt: Date;
  },
): Promise<StoredEvent> {
  const { projectId, provider, event } = input;
  const inserted = await sql.query<{ id: string }>(
    `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, livemode, occurred_at, raw_body, headers, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (project_id, provider, provider_event_id) DO NOTHING
     RETURNING id`,
    [projectId, provider, event.eventId, event.type, event.livemode, event.occurredAt, input.rawBody, JSON.stringify(input.headers), input.receivedAt],
  );
  if (inserted[0]) return { id: inserted[0].id, duplicate: false };
  const existing = await sql.query<{ id: string }>(
    'SELECT id FROM inbound_events WHERE project_id = $1 AND provider = $2 AND provider_event_id = $3',
    [projectId, provider, event.eventId],
  );
  if (!existing[0]) throw new Error('inbox conflict without a stored row');
  return { id: existing[0].id, duplicate: true };
}
