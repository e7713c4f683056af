import type { SqlClient, SqlSession } from './sql';

/**
 * Tables of signed deltas appended by triggers (row_counts, affiliate_totals, event_activity): the sum of a scope's
 * rows per key is the figure, exact as of the reading statement's snapshot. Appending rather than updating one row
 * per key means concurrent writers never wait on each other; the price is that deltas pile up until folded into one
 * row per key.
 */
export type DeltaTable = {
  table: 'row_counts' | 'affiliate_totals' | 'event_activity';
  /** the columns a fold's scope fixes, with their SQL types (their values are `scope`'s parameters, in order) */
  scope: readonly { column: string; type: string }[];
  /** the columns a figure is kept per, within a scope */
  keys: readonly string[];
  /** the summed columns */
  sums: readonly string[];
};

/**
 * Replaces a scope's deltas by one row per key, in one statement: it deletes the deltas its snapshot sees and
 * inserts their sums, so a delta committed meanwhile is kept beside them. A concurrent fold of the same scope is
 * kept out by a transaction-level advisory lock (it folds nothing) rather than left to wait. Returns the number of
 * deltas folded.
 */
export async function foldDeltas(sql: SqlSession, t: DeltaTable, scope: readonly string[]): Promise<number> {
  const param = (i: number) => `$${i + 1}::${t.scope[i]!.type}`;
  const where = t.scope.map((c, i) => `${c.column} = ${param(i)}`).join(' AND ');
  const grouped = [...t.scope.map((c) => c.column), ...t.keys].join(', ');
  const [row] = await sql.query<{ folded: number }>(
    `WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtext('${t.table}'), hashtext(concat_ws('/', ${t.scope.map((_, i) => `${param(i)}::text`).join(', ')}))) AS held),
     gone AS (DELETE FROM ${t.table} WHERE ${where} AND (SELECT held FROM lock) RETURNING ${grouped}, ${t.sums.join(', ')}),
     folded AS (
       INSERT INTO ${t.table} (${grouped}, ${t.sums.join(', ')})
       SELECT * FROM (SELECT ${grouped}, ${t.sums.map((s) => `sum(${s})::bigint AS ${s}`).join(', ')} FROM gone GROUP BY ${grouped}) g
       WHERE (${t.sums.join(', ')}) <> (${t.sums.map(() => '0').join(', ')})
       RETURNING 1)
     SELECT (SELECT count(*) FROM gone)::int AS folded, (SELECT count(*) FROM folded)::int AS kept`,
    scope,
  );
  return row!.folded;
}

/** Folds every scope whose deltas have piled up past `minDeltas` (the periodic sweep); returns the number folded. */
export async function foldPiledDeltas(sql: SqlClient, t: DeltaTable, minDeltas: number): Promise<number> {
  const piles = await sql.query<Record<string, string>>(
    `SELECT ${t.scope.map((c) => `${c.column}::text AS ${c.column}`).join(', ')} FROM ${t.table} GROUP BY ${t.scope.map((c) => c.column).join(', ')} HAVING count(*) > $1`,
    [minDeltas],
  );
  let folded = 0;
  for (const pile of piles) folded += await foldDeltas(sql, t, t.scope.map((c) => pile[c.column]!));
  return folded;
}
