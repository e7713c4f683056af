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
