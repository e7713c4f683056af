import { foldDeltas, foldPiledDeltas, type DeltaTable } from './deltas';
import type { SqlClient, SqlSession } from './sql';

/**
 * Exact row counts without counting rows. Triggers (migration 20261226000000_row_counts) append a signed delta to
 * `row_counts` for each statement that inserts, deletes or moves rows of `inbound_events` (keyed by provider and
 * status) or `conversions` (keyed by kind), in the same transaction as the rows: the sum of a project's deltas is
 * its number of rows as of the reading statement's snapshot, whatever commits around it. A count that reads more
 * than FOLD_AFTER deltas folds them (src/db/deltas.ts), as does the periodic sweep of the processes that process
 * events.
 */
export type CountedTable = 'inbound_events' | 'conversions';

/** A count over one table of one project; an absent key counts every value, a list counts any of them. */
export type CountFilter = { keyA?: string | readonly string[]; keyB?: string | readonly string[] };

export const ROW_COUNTS: DeltaTable = {
  table: 'row_counts',
  scope: [
    { column: 'project_id', type: 'uuid' },
    { column: 'table_name', type: 'text' },
  ],
  keys: ['key_a', 'key_b'],
  sums: ['n'],
};

/** Deltas a read sums before it folds them (a few milliseconds of summing at most). */
export const FOLD_AFTER = 256;

const asList = (key: string | readonly string[] | undefined): string[] | null => (key === undefined ? null : typeof key === 'string' ? [key] : [...key]);

export async function countRows(sql: SqlSession, projectId: string, table: CountedTable, filter: CountFilter = {}): Promise<number> {
  const [row] = await sql.query<{ n: string; deltas: number }>(
    `SELECT coalesce(sum(n), 0)::text AS n, count(*)::int AS deltas FROM row_counts
     WHERE project_id = $1::uuid AND table_name = $2 AND ($3::text[] IS NULL OR key_a = ANY($3::text[])) AND ($4::text[] IS NULL OR key_b = ANY($4::text[]))`,
    [projectId, table, asList(filter.keyA), asList(filter.keyB)],
  );
  if (row!.deltas > FOLD_AFTER) await foldRowCounts(sql, projectId, table);
  return Number(row!.n);
}

export const foldRowCounts = (sql: SqlSession, projectId: string, table: CountedTable): Promise<number> => foldDeltas(sql, ROW_COUNTS, [projectId, table]);

/** Folds every project's deltas where they have piled up (the periodic sweep); returns the number folded. */
export const foldAllRowCounts = (sql: SqlClient, minDeltas = 64): Promise<number> => foldPiledDeltas(sql, ROW_COUNTS, minDeltas);
