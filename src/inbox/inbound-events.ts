/**
 * The one owner of `inbound_events`: every statement that writes an inbox row lives here — the receiver's insert,
 * processing's taking and outcomes, the sweeps that find waiting rows, crash recovery and replay. An inbox row's
 * life: received → processed | ignored | failed, or back to received with a retry time, written once by the
 * transaction that processed it while it held the row; replay puts a finished row back to received. `processing`
 * (claimed, with a lease) is what earlier versions wrote between the two: such rows are taken up once their lease
 * ran out.
 */
import type { SqlClient, SqlSession } from '../db/sql';
import type { VerifiedEvent } from '../providers/provider-adapter';
import type { ProviderName } from '../domain/provider-names';
import { microBatch } from '../util/micro-batch';
import { nth, updateByPosition } from '../db/update-by-position';
import { rowsWithoutSort } from '../db/without-sort';

export type StoredEvent = { id: string; duplicate: boolean };

export type InboxInput = {
  projectId: string;
  provider: ProviderName;
  event: VerifiedEvent;
  rawBody: Buffer;
  headers: Record<string, string>;
  receivedAt: Date;
  /** `reconciled`: recovered from the provider's API (src/reconcile), not delivered by a webhook */
  origin?: EventOrigin;
};

export type EventOrigin = 'webhook' | 'reconciled';

const COLUMNS = 10;
/** The most deliveries the receiver's writer stores in one statement. */
const WRITER_BATCH_MAX = 100;
type StoredKey = { id: string; project_id: string; provider: string; provider_event_id: string };
const rowKey = (r: StoredKey) => `${r.project_id}\u0000${r.provider}\u0000${r.provider_event_id}`;
const keyOf = (i: InboxInput) => `${i.projectId}\u0000${i.provider}\u0000${i.event.eventId}`;

/**
 * The one durable write of the receiver, for many deliveries at once: one multi-row
 * `INSERT … ON CONFLICT DO NOTHING RETURNING` on (project, provider, provider event id). Concurrent deliveries of
 * one event race safely to a single row without an error to catch (PostgreSQL waits for the winner's commit
 * before reporting the conflict); the losers then read the winner's id. Within one batch, the first delivery of
 * an event is the new one and the others are duplicates.
 */
export async function storeInboundEvents(sql: SqlSession, inputs: InboxInput[]): Promise<StoredEvent[]> {
  const values: unknown[] = [];
  const casts = ['::uuid', '::text', '::text', '::text', '::boolean', '::timestamptz', '::bytea', '::jsonb', '::timestamptz', '::text'];
  const tuples = inputs.map((input, i) => {
    const { projectId, provider, event } = input;
    // ISO strings: node-pg's own Date formatting costs more per value
    values.push(projectId, provider, event.eventId, event.type, event.livemode, event.occurredAt?.toISOString() ?? null, input.rawBody, JSON.stringify(input.headers), input.receivedAt.toISOString(), input.origin ?? 'webhook');
    const base = i * COLUMNS;
    return `(${casts.map((cast, c) => `$${base + c + 1}${cast}`).join(', ')})`;
  });
  // The insert alone is prepared (by name, one per batch size, so a connection keeps at most WRITER_BATCH_MAX of
  // them): planning it for every batch was a fifth of PostgreSQL's time per delivery, and its plan (an insert
  // through the unique index) is the same at any table size. The rows the conflicts hit are read by a second
  // statement, planned each time: a lookup prepared beside the insert kept the plan made while the table was
  // small (a sequential scan) as it grew, on the connection that made it, until the next ANALYZE
  // (docs/performance.md: 300 deliveries a second instead of 6,000 in a benchmark run).
  const inserted = await sql.query<StoredKey>(
    `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, livemode, occurred_at, raw_body, headers, received_at, origin)
     VALUES ${tuples.join(', ')}
     ON CONFLICT (project_id, provider, provider_event_id) DO NOTHING
     RETURNING id, project_id, provider, provider_event_id`,
    values,
    inputs.length <= WRITER_BATCH_MAX ? { prepareAs: `inbox_insert_${inputs.length}` } : undefined,
  );
  const fresh = new Map(inserted.map((r) => [rowKey(r), r.id]));

  // An event already stored: the conflict waited for the row's transaction to end, so the row is committed and
  // this statement's snapshot sees it.
  const existing = new Map<string, string>();
  const stored = [...new Map(inputs.filter((i) => !fresh.has(keyOf(i))).map((i) => [keyOf(i), i])).values()];
  if (stored.length > 0) {
    const rows = await sql.query<StoredKey>(
      `SELECT id, project_id, provider, provider_event_id FROM inbound_events
       WHERE (project_id, provider, provider_event_id) IN (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]))`,
      [stored.map((i) => i.projectId), stored.map((i) => i.provider), stored.map((i) => i.event.eventId)],
    );
    for (const r of rows) existing.set(rowKey(r), r.id);
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
  // one insert in flight at a time: deliveries arriving meanwhile share the next statement, so under load there
  // are fewer, larger inserts (less work per delivery for Node and PostgreSQL) instead of one per event-loop turn.
  // One rather than two: at 64 concurrent deliveries PostgreSQL's CPU per stored row fell by a fifth (larger
  // batches), for the same rate and p99 (docs/performance.md).
  return microBatch((inputs: InboxInput[]) => storeInboundEvents(sql, inputs), WRITER_BATCH_MAX, 1);
}

/** A row to process: what the pipeline needs of it; `attempts` counts the attempt about to be made. */
export type EventToProcess = { id: string; project_id: string; provider: string; event_type: string; attempts: number; raw_body: Uint8Array };

/**
 * Which rows may be processed: received ones, and ones a runner of an earlier version left in processing longer
 * than the lease. By primary key only: the status test is a CASE no index serves, so a backlog of received rows is
 * never read.
 */
const PROCESSABLE = `id = ANY($1::uuid[]) AND CASE status WHEN 'received' THEN true WHEN 'processing' THEN locked_at < $2 ELSE false END`;

/**
 * Reads the rows that may be processed, without taking them: what is done with a row before it is taken (parsing,
 * asking the provider's API) writes nothing, and must not hold a transaction open.
 */
export async function eventsToProcess(sql: SqlSession, ids: readonly string[], staleBefore: Date): Promise<EventToProcess[]> {
  return sql.query<EventToProcess>(`SELECT id, project_id, provider, event_type, attempts + 1 AS attempts, raw_body FROM inbound_events WHERE ${PROCESSABLE}`, [
    [...new Set(ids)],
    staleBefore,
  ]);
}

/**
 * Takes, inside the caller's transaction, the rows among `ids` (distinct: those `eventsToProcess` read) that may
 * still be processed, with a row lock held until it ends: the transaction that applies the events also records
 * their ends, so a row is written once when processed. Rows another transaction holds are skipped, not waited for;
 * a runner that dies lets go of its rows with its connection, and they stay received. Answers the ids taken.
 */
export async function takeEvents(tx: SqlSession, ids: readonly string[], staleBefore: Date): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.query<{ id: string }>(`SELECT id FROM inbound_events WHERE ${PROCESSABLE} FOR UPDATE SKIP LOCKED`, [ids, staleBefore]);
  return new Set(rows.map((r) => r.id));
}

/** How a taken row ends: finished (processed, ignored, failed) or back to received until `retryAt`. */
export type EventEnd =
  | { id: string; status: 'processed' | 'ignored' | 'failed'; reason: string | null }
  | { id: string; status: 'retry'; reason: string; retryAt: Date };

/**
 * Records the ends of rows the transaction took (`takeEvents`) in one statement, counting the attempt. By primary
 * key only: the status index keeps an entry for every row that was ever waiting, dead ones included until a vacuum,
 * so the status test is written as an expression it cannot serve.
 */
export async function finishEvents(tx: SqlSession, ends: readonly EventEnd[], at: Date): Promise<void> {
  if (ends.length === 0) return;
  await tx.query(
    updateByPosition(
      'inbound_events',
      'e',
      {
        status: nth(2, 'text'),
        status_reason: nth(3, 'text'),
        attempts: 'e.attempts + 1',
        locked_at: 'NULL::timestamptz',
        processed_at: nth(4, 'timestamptz'),
        retry_at: nth(5, 'timestamptz'),
      },
      `(e.status IN ('received', 'processing')) IS TRUE`,
    ),
    [
      ends.map((e) => e.id),
      ends.map((e) => (e.status === 'retry' ? 'received' : e.status)),
      ends.map((e) => storableReason(e.reason)),
      ends.map((e) => (e.status === 'retry' ? null : at.toISOString())),
      ends.map((e) => (e.status === 'retry' ? e.retryAt.toISOString() : null)),
    ],
  );
}

/**
 * A reason as PostgreSQL text can hold it: a reason quotes what the event said (`billing_reason "…" is not a sale`,
 * an error's message), and a NUL there failed the statement that records every outcome of the batch, which left
 * the events in processing, retried for ever. The NUL is shown as U+FFFD.
 */
const storableReason = (reason: string | null) => reason?.replaceAll('\u0000', '\uFFFD') ?? null;

/**
 * Rows waiting for processing, oldest first: received (past their retry time, stored before `receivedBefore` when
 * given — a just-stored row is still on its way to the queue — and not held by a runner), or left in processing
 * before `staleBefore` by an earlier version's runner; only the latter with `staleOnly`. What the in-process runner
 * and the queue's requeue sweep take up.
 *
 * Each kind is read in order from the partial (status, received_at) index and stops at `limit`, so a call costs
 * in proportion to its limit, not to the backlog: as one `OR` the two were gathered whole and sorted (57 ms for
 * the first 1,000 of 100,000 received rows, against 1.5 ms), on every sweep of a backlog being drained.
 */
export async function waitingEvents(
  sql: SqlClient,
  o: { now: Date; staleBefore: Date; receivedBefore?: Date; limit: number; staleOnly?: boolean },
): Promise<string[]> {
  const stale = (lease: string, limit: string) =>
    `(SELECT id, received_at FROM inbound_events WHERE status = 'processing' AND locked_at < ${lease} ORDER BY received_at LIMIT ${limit})`;
  // A received row a runner is processing is held by its transaction (takeEvents): skipped here, so a sweep hands
  // out the next waiting rows rather than the ones in hand. The share lock lasts the statement; a runner that tried
  // to take the row in that instant skipped it, and this sweep hands it out.
  const received = `(SELECT * FROM (SELECT id, received_at FROM inbound_events
     WHERE status = 'received' AND ($4::timestamptz IS NULL OR received_at < $4) AND (retry_at IS NULL OR retry_at <= $1)
     ORDER BY received_at LIMIT $3 FOR KEY SHARE SKIP LOCKED) r)`;
  const rows = o.staleOnly
    ? await rowsWithoutSort<{ id: string; received_at: Date }>(sql, `SELECT * FROM ${stale('$1', '$2')} w`, [o.staleBefore, o.limit])
    : await rowsWithoutSort<{ id: string; received_at: Date }>(sql, `SELECT * FROM (${received} UNION ALL ${stale('$2', '$3')}) w`, [o.now, o.staleBefore, o.limit, o.receivedBefore ?? null]);
  return rows
    .sort((a, b) => a.received_at.getTime() - b.received_at.getTime())
    .slice(0, o.limit)
    .map((r) => r.id);
}

/** After a crash, when this process alone owns the database: whatever was in processing was cut off. */
export async function releaseAllClaims(sql: SqlSession): Promise<number> {
  return (await sql.query(`UPDATE inbound_events SET status = 'received', locked_at = NULL WHERE status = 'processing' RETURNING id`)).length;
}

/**
 * Puts rows back to received with a fresh attempt budget, for replay: one row of a project (any status but
 * processing), or every failed row (of one project, or of all). Answers the ids put back.
 */
export async function resetForReplay(sql: SqlSession, which: { id: string; projectId?: string } | { failed: true; projectId?: string }): Promise<string[]> {
  const rows =
    'id' in which
      ? await sql.query<{ id: string }>(
          `UPDATE inbound_events SET status = 'received', attempts = 0, locked_at = NULL, retry_at = NULL
           WHERE id::text = $1 AND ($2::uuid IS NULL OR project_id = $2::uuid) AND status <> 'processing' RETURNING id`,
          [which.id, which.projectId ?? null],
        )
      : await sql.query<{ id: string }>(
          `UPDATE inbound_events SET status = 'received', attempts = 0, locked_at = NULL, retry_at = NULL
           WHERE status = 'failed' AND ($1::uuid IS NULL OR project_id = $1::uuid) RETURNING id`,
          [which.projectId ?? null],
        );
  return rows.map((r) => r.id);
}
