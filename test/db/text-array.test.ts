import { PGlite } from '@electric-sql/pglite';
import { wrapPglite, type Database } from '../../src/db/database';
import { textArray, VARCHAR_OID } from '../../src/db/text-array';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const awkward = ['plain', '', 'a "quoted" {brace}, comma', 'back\\slash \\" and NULL', 'é ü ß', 'emoji 🎉 and 中文', '{"hints":{"ref":"A-1"},"trace":[]}', ' spaced '];

/**
 * textArray (src/db/text-array.ts) on both databases: PostgreSQL over node-postgres and the embedded PGlite. What
 * PostgreSQL holds is every element as given, judged by PostgreSQL itself, and a mismatched declaration is refused.
 */
describe.each([
  ['PostgreSQL', async () => createTestDatabase()],
  ['the embedded database', async () => {
    const db = wrapPglite(await PGlite.create());
    return { db, drop: () => db.close() };
  }],
] as const)('textArray on %s', (_name, open) => {
  let opened: { db: Database; drop: () => Promise<void> } | TestDatabase;
  let db: Database;
  beforeAll(async () => {
    opened = await open();
    db = opened.db;
  });
  afterAll(() => opened.drop());

  it('holds every element as given: quotes, backslashes, braces, multibyte characters, empty strings and NULLs', async () => {
    const values = [...awkward, null, undefined, 'last'];
    const rows = await db.sql.query<{ x: string | null; bytes: number | null }>(
      `SELECT x, octet_length(x) AS bytes FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n`,
      [textArray(values)],
    );
    expect(rows.map((r) => r.x)).toEqual(values.map((v) => v ?? null));
    expect(rows.map((r) => r.bytes)).toEqual(values.map((v) => (v === null || v === undefined ? null : Buffer.byteLength(v))));
    // against literals PostgreSQL parsed itself
    const [same] = await db.sql.query<{ same: boolean }>(`SELECT $1::text[] = ARRAY[E'a "quoted" {brace}, comma', E'back\\\\slash \\\\" and NULL', 'é ü ß'] AS same`, [
      textArray(['a "quoted" {brace}, comma', 'back\\slash \\" and NULL', 'é ü ß']),
    ]);
    expect(same!.same).toBe(true);
  });

  it('holds an empty array, a varchar array, and works inside a transaction and with ANY()', async () => {
    const [empty] = await db.sql.query<{ n: number; same: boolean }>(`SELECT cardinality($1::text[]) AS n, $1::text[] = '{}'::text[] AS same`, [textArray([])]);
    expect(empty).toEqual({ n: 0, same: true });
    const [v] = await db.sql.query<{ v: string[] }>(`SELECT $1::varchar[] AS v`, [textArray(['x', 'é'], VARCHAR_OID)]);
    expect(v!.v).toEqual(['x', 'é']);
    const found = await db.sql.transaction((tx) =>
      tx.query<{ x: string }>(`SELECT x FROM unnest($1::text[]) AS u(x) WHERE x = ANY($2::text[]) ORDER BY x`, [textArray(awkward), textArray(['é ü ß', 'absent', ''])]),
    );
    expect(found.map((r) => r.x)).toEqual(['', 'é ü ß']);
    const [json] = await db.sql.query<{ j: unknown }>(`SELECT (($1::text[])[1])::jsonb AS j`, [textArray([JSON.stringify({ a: 'b"c', n: [1, 2] })])]);
    expect(json!.j).toEqual({ a: 'b"c', n: [1, 2] });
  });

  it('is refused where the statement declares another element type, or where an element holds a NUL', async () => {
    await expect(db.sql.query(`SELECT $1::varchar[] AS v`, [textArray(['x'])])).rejects.toThrow(/element type 25 \(text\) instead of expected 1043/);
    await expect(db.sql.query(`SELECT $1::text[] AS v`, [textArray(['nul\u0000'])])).rejects.toThrow(/0x00|invalid byte/i);
    const [still] = await db.sql.query<{ v: string[] }>(`SELECT $1::text[] AS v`, [textArray(['fine'])]);
    expect(still!.v).toEqual(['fine']);
  });
});
