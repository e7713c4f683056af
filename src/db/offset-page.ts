import type { SqlSession } from './sql';

/** The lists that page a project's rows newest first by (time, id), and the time column of their keyset index. */
const LISTS = {
  conversions: 'occurred_at',
  inbound_events: 'received_at',
} as const;

/**
 * The ids of one `limit`/`offset` page of a project's rows, newest first, read from the index on
 * (project_id, time, id) alone. An OFFSET walks every row it skips; read for the whole row, each skipped row is
 * fetched from the table, so a page in the middle of 100,000 conversions cost 140 ms. Asked for the ids only, the
 * walk stays in the index (an index-only scan, once vacuum has marked the table's pages all-visible), and the page's
 * own rows are then read by primary key. Used for unfiltered pages, whose order and filter the index holds whole.
 */
export async function offsetPageIds(sql: SqlSession, list: keyof typeof LISTS, projectId: string, offset: number, limit: number): Promise<string[]> {
  const time = LISTS[list];
  const rows = await sql.query<{ id: string }>(
    `SELECT id FROM ${list} WHERE project_id = $1::uuid ORDER BY ${time} DESC, id DESC OFFSET $2 LIMIT $3`,
    [projectId, offset, limit],
  );
  return rows.map((r) => r.id);
}

/** `rows` (read by id, in any order) in the order of `ids`; a row deleted between the two reads is left out. */
export function inIdOrder<T extends { id: string }>(ids: readonly string[], rows: readonly T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
