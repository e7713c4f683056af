import { z } from 'zod';
import type { ApiAnswer, ApiCall, ApiClient } from './api-client';

/** Refgrow's list tools take `limit` up to 500 (its src/tools.ts); a page of Refwire's API holds at most 100. */
export const TOOL_LIST_MAX = 500;

/**
 * A list tool's input from its route's query: the same arguments, `limit` up to TOOL_LIST_MAX with the route's own
 * default, and `offset` without a default (sent only when given: a cursor beside an offset is refused by the API, so
 * a default offset would refuse every cursor). `paged` is the route's page maximum, read from its schema; above it
 * the tool reads page after page (readPages).
 */
export function listInput<S extends z.ZodObject>(query: S) {
  const limit = query.shape.limit as z.ZodDefault<z.ZodNumber>;
  const offset = query.shape.offset as z.ZodDefault<z.ZodNumber>;
  const paged = limit.unwrap().maxValue;
  if (paged === null) throw new TypeError('a list query without a largest limit');
  return {
    input: query.extend({
      // numbers only, as the schema the tools list says: the route's own query coerces the text of a URL
      limit: z
        .number()
        .int()
        .min(1)
        .max(TOOL_LIST_MAX)
        .default(limit.def.defaultValue as number)
        .describe(`how many to return, 1 to ${TOOL_LIST_MAX}; over ${paged} (a page of the API) the tool reads page after page, each a call counted against the key's rate limit`),
      offset: z.number().int().min(0).optional().describe(`how many to skip (default 0)${'cursor' in query.shape ? '; not with cursor' : ''}`),
    }),
    paged,
  };
}

type Pagination = { limit: number; offset: number; total: number | null; has_more: boolean; next_cursor?: string | null };
type ListBody = { success: true; data: unknown[]; pagination: Pagination };

/**
 * `limit` rows of a list whose API pages hold at most `pageMax`: the first page as asked, then the next ones where the
 * previous ended (by its next_cursor on the lists that have one: a seek, so rows inserted meanwhile do not shift
 * the pages; by offset on the others), until `limit` rows or the end. Answered as one page of `limit`: the first
 * page's offset and total, the last page's has_more and next_cursor. A row already read (same id: the list moved
 * under an offset) is not repeated.
 */
export async function readPages(api: ApiClient, call: ApiCall, pageMax: number): Promise<ApiAnswer> {
  const query = call.query ?? {};
  const want = Number(query.limit);
  const first = await api.call({ ...call, query: { ...query, limit: Math.min(want, pageMax) } });
  const body = first.body as ListBody;
  const rows = [...body.data];
  const seen = new Set(rows.map(idOf).filter((id) => id !== undefined));
  let read = body.data.length;
  let last = body.pagination;
  while (rows.length < want && last.has_more) {
    const { offset: _offset, cursor: _cursor, ...filters } = query;
    const limit = Math.min(pageMax, want - rows.length);
    const next = last.next_cursor ? { ...filters, limit, cursor: last.next_cursor } : { ...filters, limit, offset: Number(query.offset ?? 0) + read };
    const page = (await api.call({ ...call, query: next })).body as ListBody;
    read += page.data.length;
    for (const row of page.data) {
      const id = idOf(row);
      if (id !== undefined && seen.has(id)) continue;
      if (id !== undefined) seen.add(id);
      rows.push(row);
    }
    last = page.pagination;
    // an empty page that says more follow would loop forever
    if (page.data.length === 0) break;
  }
  return {
    status: first.status,
    body: { ...body, data: rows, pagination: { ...body.pagination, limit: want, has_more: last.has_more, ...('next_cursor' in last ? { next_cursor: last.next_cursor } : {}) } },
  };
}

function idOf(row: unknown): string | undefined {
  const id = (row as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
