import { foldPiledDeltas, type DeltaTable } from './deltas';
import type { SqlClient } from './sql';

/**
 * Events received per project, provider and hour (UTC), as signed deltas the inbox's triggers append (migration
 * 20270101000000_event_activity): the integrations' count of the last 24 hours' events sums whole hours here and
 * counts only the window's first, partial hour in the inbox, so it costs the same however many events the day had.
 */
export const EVENT_ACTIVITY: DeltaTable = {
  table: 'event_activity',
  scope: [{ column: 'project_id', type: 'uuid' }],
  keys: ['provider', 'hour'],
  sums: ['n'],
};

/** Folds every project's deltas where they have piled up (the periodic sweep); returns the number folded. */
export const foldAllEventActivity = (sql: SqlClient, minDeltas = 64): Promise<number> => foldPiledDeltas(sql, EVENT_ACTIVITY, minDeltas);

/**
 * How long an hour's count is kept. Only the last 24 hours are read (the integrations' activity); a day more leaves
 * room for a clock that moved back, and keeps the table from growing by a row per provider and hour forever.
 */
export const EVENT_ACTIVITY_KEPT_MS = 48 * 60 * 60 * 1000;

/** Deletes the counts of hours before `now` less EVENT_ACTIVITY_KEPT_MS; returns how many rows went. */
export async function pruneEventActivity(sql: SqlClient, now: Date): Promise<number> {
  const [row] = await sql.query<{ n: number }>(
    'WITH gone AS (DELETE FROM event_activity WHERE hour < $1::timestamptz RETURNING 1) SELECT count(*)::int AS n FROM gone',
    [new Date(now.getTime() - EVENT_ACTIVITY_KEPT_MS).toISOString()],
  );
  return row!.n;
}
