/**
 * A multi-row UPDATE of the rows whose ids are array parameter $1, each row taking its new values from parallel array
 * parameters at its own position in $1 (`nth`). There is no join for the planner to choose: the rows are read through
 * the primary key (`id = ANY($1)`), whatever the statistics say, and each finds its position once.
 *
 * Why not `UPDATE … FROM unnest($1, $2, …) AS u WHERE t.id = u.id AND t.id = ANY($1)`, the form this replaces: with
 * the table's side estimated at one row, PostgreSQL planned a nested loop that expanded the whole unnest again for
 * every row updated, so a batch cost grew with its size squared (200 rows: 200 × 200 expansions of eleven arrays,
 * 30–60 ms of a batch's ~100 ms in the benchmark, against 9–13 ms written this way; docs/performance.md).
 */
export function updateByPosition(table: string, alias: string, set: Record<string, string>, where?: string): string {
  const columns = Object.keys(set);
  return `UPDATE ${table} ${alias} SET (${columns.join(', ')}) =
      (SELECT ${columns.map((c) => set[c]).join(', ')} FROM (SELECT array_position($1::uuid[], ${alias}.id) AS i) AS p)
    WHERE ${alias}.id = ANY($1::uuid[])${where ? ` AND ${where}` : ''}`;
}

/** Array parameter `param`'s element at the row's position (inside `updateByPosition`'s values). */
export const nth = (param: number, type: string): string => `($${param}::${type}[])[p.i]`;
