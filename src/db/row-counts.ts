import type { SqlClient, SqlSession } from './sql';

/**
 * Exact row counts without counting rows. Triggers (migration 20261226000000_row_counts) append a signed delta to
 * `row_counts` for each statement that inserts, deletes or moves rows of `inbound_events` (keyed by provider and
 * status) or `conversions` (keyed by kind), in the same transaction as the rows: the sum of a project's deltas is
 * its number of rows as of the reading statement's snapshot, whatever commits around it.
 *
 * Deltas accumulate with every write statement (a few per batch of events), so they are folded into one row per key
 * by `foldRowCounts`: when a count reads more than FOLD_AFTER of them, and by the periodic sweep of the processes
 * that process events.
 */
export type CountedTable = 'inbound_events' | 'conversions';

/** A count over one table of one project; an absent key counts every value, a list counts any of them. */
export type CountFilter = { keyA?: string | readonly string[]; keyB?: string | readonly string[] };

/** Deltas a count reads before it folds them (a few milliseconds of summing at most). */
const FOLD_AFTER = 256;

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

/**
 * Replaces a project's deltas for a table by one row per key, in one statement: it deletes the deltas its snapshot
 * sees and inserts their sums, so a delta committed meanwhile is kept beside them, and a concurrent fold (which
 * would skip the rows this one deleted) is kept out by a transaction-level advisory lock rather than left to wait.
 * Returns the number of deltas folded.
 */
export async function foldRowCounts(sql: SqlSession, projectId: string, table: CountedTable): Promise<number> {
  const [row] = await sql.query<{ folded: number }>(
    `WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtext('row_counts'), hashtext($1 || $2)) AS held),
     gone AS (DELETE FROM row_counts WHERE project_id = $1::uuid AND table_name = $2 AND (SELECT held FROM lock) RETURNING key_a, key_b, n),
     sums AS (INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
              SELECT $1::uuid, $2, key_a, key_b, sum(n) FROM gone GROUP BY key_a, key_b HAVING sum(n) <> 0 RETURNING 1)
     SELECT (SELECT count(*) FROM gone)::int AS folded, (SELECT count(*) FROM sums)::int AS kept`,
    [projectId, table],
  );
  return row!.folded;
}

/** Folds every project's deltas where they have piled up (the periodic sweep); returns the number folded. */
export async function foldAllRowCounts(sql: SqlClient, minDeltas = 64): Promise<number> {
  const piles = await sql.query<{ project_id: string; table_name: CountedTable }>(
    `SELECT project_id::text, table_name FROM row_counts GROUP BY project_id, table_name HAVING count(*) > $1`,
    [minDeltas],
  );
  let folded = 0;
  for (const pile of piles) folded += await foldRowCounts(sql, pile.project_id, pile.table_name);
  return folded;
}
