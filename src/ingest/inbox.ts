import type { SqlClient } from '../db/sql';
import type { VerifiedEvent } from '../providers/provider-adapter';
import type { ProviderName } from '../domain/provider-names';
import { microBatch } from '../util/micro-batch';

export type StoredEvent = { id: string; duplicate: boolean };

export type InboxInput = {
  projectId: string;
  provider: ProviderName;
  event: VerifiedEvent;
  rawBody: Buffer;
  headers: Record<string, string>;
  receivedAt: Date;
};

const COLUMNS = 9;
const keyOf = (i: InboxInput) => `${i.projectId}\u0000${i.provider}\u0000${i.event.eventId}`;

/**
 * The one durable write of the receiver, for many deliveries at once: one multi-row
 * `INSERT … ON CONFLICT DO NOTHING RETURNING` on (project, provider, provider event id). Concurrent deliveries of
 * one event race safely to a single row without an error to catch (PostgreSQL waits for the winner's commit
 * before reporting the conflict); the losers then read the winner's id. Within one batch, the first delivery of
 * an event is the new one and the others are duplicates.
 */
export async function storeInboundEvents(sql: SqlClient, inputs: InboxInput[]): Promise<StoredEvent[]> {
  const values: unknown[] = [];
  const casts = ['::uuid', '::text', '::text', '::text', '::boolean', '::timestamptz', '::bytea', '::jsonb', '::timestamptz'];
  const tuples = inputs.map((input, i) => {
    const { projectId, provider, event } = input;
    // ISO strings: node-pg's own Date formatting costs more per value
    values.push(projectId, provider, event.eventId, event.type, event.livemode, event.occurredAt?.toISOString() ?? null, input.rawBody, JSON.stringify(input.headers), input.receivedAt.toISOString());
    const base = i * COLUMNS;
    return `(${casts.map((cast, c) => `$${base + c + 1}${cast}`).join(', ')})`;
  });
  // One statement answers new and already stored events alike: the insert's RETURNING, plus the stored rows
  // the conflicts hit (read from the statement's snapshot, so a row committed by a concurrent delivery while
  // this one waited on it is not among them: those few are read again below).
  const rows = await sql.query<{ id: string; project_id: string; provider: string; provider_event_id: string; inserted: boolean }>(
    `WITH input (project_id, provider, provider_event_id, event_type, livemode, occurred_at, raw_body, headers, received_at) AS (
       VALUES ${tuples.join(', ')}
     ), ins AS (
       INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, livemode, occurred_at, raw_body, headers, received_at)
       SELECT * FROM input
       ON CONFLICT (project_id, provider, provider_event_id) DO NOTHING
       RETURNING id, project_id, provider, provider_event_id
     )
     SELECT id, project_id, provider, provider_event_id, true AS inserted FROM ins
     UNION ALL
     SELECT e.id, e.project_id, e.provider, e.provider_event_id, false FROM inbound_events e
     WHERE (e.project_id, e.provider, e.provider_event_id) IN (SELECT project_id, provider, provider_event_id FROM input)`,
    values,
  );
  const fresh = new Map(rows.filter((r) => r.inserted).map((r) => [`${r.project_id}\u0000${r.provider}\u0000${r.provider_event_id}`, r.id]));
  const existing = new Map(rows.filter((r) => !r.inserted).map((r) => [`${r.project_id}\u0000${r.provider}\u0000${r.provider_event_id}`, r.id]));

  const missing = inputs.filter((i) => !fresh.has(keyOf(i)) && !existing.has(keyOf(i)));
  if (missing.length > 0) {
    const raced = await sql.query<{ id: string; project_id: string; provider: string; provider_event_id: string }>(
      `SELECT id, project_id, provider, provider_event_id FROM inbound_events
       WHERE (project_id, provider, provider_event_id) IN (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]))`,
      [missing.map((i) => i.projectId), missing.map((i) => i.provider), missing.map((i) => i.event.eventId)],
    );
    for (const r of raced) existing.set(`${r.project_id}\u0000${r.provider}\u0000${r.provider_event_id}`, r.id);
  }

  const claimed = new Set<string>();
  return inputs.map((input) => {
    const key = keyOf(input);
    const id = fresh.get(key);
    if (id !== undefined && !claimed.has(key)) {
      claimed.add(key);
      return { id, duplicate: false };
    }
    const found = id ?? existing.get(key);
    if (!found) throw new Error('inbox conflict without a stored row');
    return { id: found, duplicate: true };
  });
}

export async function storeInboundEvent(sql: SqlClient, input: InboxInput): Promise<StoredEvent> {
  return (await storeInboundEvents(sql, [input]))[0]!;
}

/** One delivery at a time for callers; batched with the other deliveries of the same moment underneath. */
export function inboxWriter(sql: SqlClient): (input: InboxInput) => Promise<StoredEvent> {
  // two inserts in flight at most: deliveries arriving meanwhile share the next statement, so under load there
  // are fewer, larger inserts (less work per delivery for Node and PostgreSQL) instead of one per event-loop turn
  return microBatch((inputs: InboxInput[]) => storeInboundEvents(sql, inputs), 100, 2);
}
