import { z } from 'zod';
import { HttpError } from '../http/errors';
import { isStorableDate } from '../domain/bounds';

export const paginationQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
};

/**
 * Keyset pagination beside limit/offset (which Refgrow clients use): `cursor` is the opaque `next_cursor` of the
 * previous page. An offset makes the database walk and discard every skipped row, and its total is exact (for the
 * conversions and events without other filters than kind, provider or status, read from counts kept by triggers:
 * src/db/row-counts.ts; otherwise counted); a cursor seeks by index to where the last page ended, and counts nothing.
 */
export const cursorQuery = {
  cursor: z.string().trim().min(1).max(200).optional(),
};

/**
 * `cursor=start`: the first page in keyset mode. A client that pages by cursor (the dashboard) asks for its first
 * page this way too, so no page of it counts the rows: at 100,000 rows a count is most of a first page's cost.
 */
export const FIRST_PAGE = 'start';
// after every row: the seek's "same instant, smaller id" range is empty and "older" starts at the newest row
const BEFORE_ALL: Cursor = { at: new Date('9999-12-31T23:59:59.999Z'), id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };

/** The OpenAPI description of a list that takes `cursor`. */
export const CURSOR_PAGING =
  "Paged by limit/offset (Refgrow's), or by cursor: pass pagination.next_cursor as cursor for the next page (null on the last). " +
  'A cursor page seeks by index and counts nothing: its offset is 0 and its total null; cursor=start is the first page so. ' +
  'cursor and offset together are refused.';

/** Where a page ended: the last row's sort key (a timestamp) and its id, the tie-breaker. */
export type Cursor = { at: Date; id: string };

/**
 * The lists that page by cursor. Each cursor carries its list's name, so one list's cursor is refused by another
 * (a conversions cursor read on /events would seek by a conversion's time among events, and page wrongly).
 */
export type CursorList = 'conversions' | 'events';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(list: CursorList, at: Date, id: string): string {
  return Buffer.from(JSON.stringify([list, at.toISOString(), id])).toString('base64url');
}

const invalidCursor = () => new HttpError(400, 'cursor: not a cursor this endpoint returned (use pagination.next_cursor as given)');

/**
 * The cursor a client sent back to `list`, or a 400 naming `cursor`: it is only ever made by encodeCursor for the
 * same list. `untagged`: a cursor made before cursors named their list ([at, id]), which the caller still takes
 * when its id is a row of that list (cursorOf).
 */
export function decodeCursor(raw: string, list: CursorList): Cursor & { untagged?: true } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) throw invalidCursor();
  const untagged = parsed.length === 2;
  if (!untagged && (parsed.length !== 3 || parsed[0] !== list)) throw invalidCursor();
  const [at, id] = (untagged ? parsed : parsed.slice(1)) as [string, string];
  const date = new Date(at);
  // as encodeCursor wrote it: any other date JavaScript reads (the year 0, 275760) reached PostgreSQL, which cannot
  // hold it, and failed the query with a 500
  if (Number.isNaN(date.getTime()) || date.toISOString() !== at || !isStorableDate(date) || !UUID.test(id)) throw invalidCursor();
  return untagged ? { at: date, id, untagged } : { at: date, id };
}

/**
 * The cursor mode of a list query, checked against the raw query: `offset` has a default, so only the raw query
 * tells whether the client sent one beside `cursor` (two starting points for one page). `isRowOf` answers whether
 * an id is one of this list's rows in the project: a cursor handed out before cursors named their list is taken
 * only when its row is this list's (one lookup by primary key), so no other list's cursor gets through that way.
 */
export async function cursorOf(
  q: { cursor?: string | undefined },
  rawQuery: unknown,
  list: CursorList,
  isRowOf: (id: string) => Promise<boolean>,
): Promise<Cursor | null> {
  if (q.cursor === undefined) return null;
  if (rawQuery && typeof rawQuery === 'object' && 'offset' in rawQuery) throw new HttpError(400, 'cursor: cannot be combined with offset; send one of them');
  if (q.cursor === FIRST_PAGE) return BEFORE_ALL;
  const { untagged, ...cursor } = decodeCursor(q.cursor, list);
  if (untagged && !(await isRowOf(cursor.id))) throw invalidCursor();
  return cursor;
}

/** Refgrow's list envelope. */
export function page<T>(data: T[], limit: number, offset: number, total: number) {
  return { success: true as const, data, pagination: { limit, offset, total, has_more: offset + data.length < total } };
}

/**
 * A keyset-paginated list's envelope: Refgrow's, with `next_cursor`, where the next page starts (null on the last
 * page). Pages are read with one row more than `limit` to know whether another follows. With a cursor, `offset`
 * is 0 and `total` null: the rows are not counted, which is what keeps a page's cost flat with the data.
 */
export function keysetPage<R, T>(
  list: CursorList,
  rows: R[],
  view: (row: R) => T,
  keyOf: (row: R) => Cursor,
  q: { limit: number; offset: number },
  cursor: Cursor | null,
  total: number | null,
) {
  const shown = rows.slice(0, q.limit);
  const hasMore = total === null ? rows.length > q.limit : q.offset + shown.length < total;
  const last = shown[shown.length - 1];
  const key = hasMore && last !== undefined ? keyOf(last) : null;
  return {
    success: true as const,
    data: shown.map(view),
    pagination: { limit: q.limit, offset: cursor ? 0 : q.offset, total: cursor ? null : total, has_more: hasMore, next_cursor: key ? encodeCursor(list, key.at, key.id) : null },
  };
}

export function ok<T>(data: T) {
  return { success: true as const, data };
}

/*
 * The answers' side: zod schemas of what handlers send (Operation.response), for /openapi.json. Objects are strict,
 * so the document says `additionalProperties: false` and a test parsing a real answer fails on an undocumented field.
 */

export { instant, majorText, minor, uuid } from '../views/schema-fields';

/**
 * How a list pages: `offset` is page(); `keyset` is keysetPage() (offset or cursor: next_cursor, and a null total
 * on cursor pages); `cursor` pages by cursor alone ({ limit, next_cursor }: the portal's commissions).
 */
export type Paging = 'offset' | 'keyset' | 'cursor';

/** The schema of a list's whole answer around one item's schema. */
export function listEnvelope(item: z.ZodType, paging: Paging) {
  const pagination =
    paging === 'cursor'
      ? z.strictObject({ limit: z.number().int(), next_cursor: z.string().nullable().describe('pass as cursor for the next page; null on the last') })
      : z.strictObject({
          limit: z.number().int(),
          offset: z.number().int(),
          total: paging === 'keyset' ? z.number().int().nullable().describe('null on a page asked for by cursor') : z.number().int(),
          has_more: z.boolean(),
          ...(paging === 'keyset' ? { next_cursor: z.string().nullable().describe('pass as cursor for the next page; null on the last') } : {}),
        });
  return z.strictObject({ success: z.literal(true), data: z.array(item), pagination });
}

/** How a list operation pages, read from its query: a cursor beside offset is keysetPage's, a cursor alone the portal's. */
export function pagingOf(query: z.ZodObject | undefined): Paging {
  const shape = query?.shape ?? {};
  if (!('cursor' in shape)) return 'offset';
  return 'offset' in shape ? 'keyset' : 'cursor';
}

/** The `{ success, data }` envelope around the data's schema. */
export function objectEnvelope(data: z.ZodType) {
  return z.strictObject({ success: z.literal(true), data });
}
