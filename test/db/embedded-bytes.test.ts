import { PGlite } from '@electric-sql/pglite';
import { wrapPglite, type Database } from '../../src/db/database';

/**
 * The embedded session's own bytea parser and serializer (src/db/database.ts): the bytes as stored, every value of
 * a byte, whatever form the parameter takes.
 */
describe('bytea on the embedded database', () => {
  let db: Database;
  beforeAll(async () => {
    db = wrapPglite(await PGlite.create());
  });
  afterAll(async () => db.close());

  it('reads back every byte as stored, outside and inside a transaction', async () => {
    const bytes = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), 0xff, 0x00, 0xc3, 0x28]);
    const [row] = await db.sql.query<{ b: Uint8Array; empty: Uint8Array; none: Uint8Array | null }>('SELECT $1::bytea AS b, $2::bytea AS empty, NULL::bytea AS none', [bytes, Buffer.alloc(0)]);
    expect(Buffer.from(row!.b).equals(bytes)).toBe(true);
    expect(row!.b).toBeInstanceOf(Uint8Array);
    expect(row!.empty).toHaveLength(0);
    expect(row!.none).toBeNull();
    const inTx = await db.sql.transaction((tx) => tx.query<{ b: Uint8Array }>(`SELECT decode('00ff7f80', 'hex') AS b`));
    expect([...inTx[0]!.b]).toEqual([0x00, 0xff, 0x7f, 0x80]);
  });

  it('stores bytea parameters byte for byte: a Buffer, a view into a larger buffer, and an array of them', async () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const whole = new Uint8Array([9, 9, 0x00, 0xff, 0x5c, 0x22, 9]);
    const view = whole.subarray(2, 6); // 00 ff 5c 22: a backslash and a quote, at an offset into its buffer
    await db.sql.exec('CREATE TEMP TABLE bytes_in (n int, b bytea, bs bytea[])');
    await db.sql.query('INSERT INTO bytes_in (n, b) VALUES (1, $1::bytea), (2, $2::bytea), (3, $3::bytea)', [every, view, Buffer.alloc(0)]);
    await db.sql.transaction((tx) => tx.query('INSERT INTO bytes_in (n, b, bs) VALUES (4, $1, $2::bytea[])', [every.subarray(250), [Buffer.from([1, 2]), view]]));
    // PostgreSQL's own hex of what it holds, not the session's parser
    const rows = await db.sql.query<{ n: number; hex: string; hexes: string[] | null }>(
      `SELECT n, encode(b, 'hex') AS hex, (SELECT array_agg(encode(x, 'hex') ORDER BY o) FROM unnest(bs) WITH ORDINALITY AS u(x, o)) AS hexes FROM bytes_in ORDER BY n`,
    );
    expect(rows).toEqual([
      { n: 1, hex: every.toString('hex'), hexes: null },
      { n: 2, hex: '00ff5c22', hexes: null },
      { n: 3, hex: '', hexes: null },
      { n: 4, hex: 'fafbfcfdfeff', hexes: ['0102', '00ff5c22'] },
    ]);
  });
});

/**
 * Text, JSON and arrays of text, which the embedded session also sends in binary format (src/db/database.ts): what
 * PostgreSQL holds is the text given, judged by PostgreSQL itself, and what it refuses it refuses as before.
 */
describe('text parameters on the embedded database', () => {
  let db: Database;
  beforeAll(async () => {
    db = wrapPglite(await PGlite.create());
  });
  afterAll(async () => db.close());

  const awkward = ['plain', '', 'a "quoted" {brace}, comma', 'back\\slash \\" and NULL', 'é ü ß', 'emoji 🎉 and 中文', '{"json":["in",1,"text"]}', ' spaced '];

  it('stores text and varchar as given, every character', async () => {
    for (const value of awkward) {
      const [row] = await db.sql.query<{ t: string; v: string; same: boolean; bytes: number; chars: number }>(
        `SELECT $1::text AS t, $2::varchar AS v, $1::text = $3::text AS same, octet_length($1::text) AS bytes, char_length($2::varchar) AS chars`,
        [value, value, value],
      );
      expect(row).toEqual({ t: value, v: value, same: true, bytes: Buffer.byteLength(value), chars: [...value].length });
    }
    // compared with a literal PostgreSQL parsed itself, not with another parameter
    const [row] = await db.sql.query<{ same: boolean }>(`SELECT $1::text = E'back\\\\slash \\\\" and NULL' AS same`, ['back\\slash \\" and NULL']);
    expect(row!.same).toBe(true);
  });

  it('stores what is not a string as PGlite writes it: a number, a Date', async () => {
    const at = new Date('2026-12-03T10:00:00.000Z');
    const [row] = await db.sql.query<{ n: string; d: string; back: Date }>(`SELECT $1::text AS n, $2::text AS d, $2::text::timestamptz AS back`, [42, at]);
    expect(row).toEqual({ n: '42', d: '2026-12-03T10:00:00.000Z', back: at });
  });

  it('stores arrays of text element by element: empty, with NULLs, with quotes and braces, and as ANY()', async () => {
    const rows = await db.sql.query<{ n: number; arr: (string | null)[] | null; len: number | null; nulls: number }>(
      `SELECT n, arr, cardinality(arr) AS len, (SELECT count(*)::int FROM unnest(arr) x WHERE x IS NULL) AS nulls
       FROM (VALUES (1, $1::text[]), (2, $2::text[]), (3, $3::text[]), (4, $4::varchar[]::text[])) AS v(n, arr) ORDER BY n`,
      [awkward, [], ['a', null, undefined, 'b'], ['x', 'y']],
    );
    expect(rows).toEqual([
      { n: 1, arr: awkward, len: awkward.length, nulls: 0 },
      { n: 2, arr: [], len: 0, nulls: 0 },
      { n: 3, arr: ['a', null, null, 'b'], len: 4, nulls: 2 },
      { n: 4, arr: ['x', 'y'], len: 2, nulls: 0 },
    ]);
    const found = await db.sql.query<{ x: string }>(`SELECT x FROM unnest($1::text[]) AS u(x) WHERE x = ANY($2::text[]) ORDER BY x`, [awkward, ['é ü ß', 'absent', '']]);
    expect(found.map((r) => r.x)).toEqual(['', 'é ü ß']);
    const [unset] = await db.sql.query<{ none: boolean }>(`SELECT $1::text[] IS NULL AS none`, [null]);
    expect(unset!.none).toBe(true);
    // a nested array still goes through PGlite's own serializer
    const [nested] = await db.sql.query<{ m: string[][] }>(`SELECT $1::text[] AS m`, [[['a', 'b'], ['c', 'd']]]);
    expect(nested!.m).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('stores json and jsonb, from a string or an object, inside a transaction too', async () => {
    const doc = { name: 'Zoë "Z"', tags: ['a\\b', '🎉'], n: 12.5, none: null };
    const [row] = await db.sql.transaction((tx) =>
      tx.query<{ j: unknown; b: unknown; fromText: unknown; name: string }>(
        `SELECT $1::json AS j, $2::jsonb AS b, $3::jsonb AS "fromText", $2::jsonb->>'name' AS name`,
        [doc, doc, JSON.stringify(doc)],
      ),
    );
    expect(row).toEqual({ j: doc, b: doc, fromText: doc, name: 'Zoë "Z"' });
  });

  it('refuses a NUL in text as PostgreSQL always did, and goes on working', async () => {
    await expect(db.sql.query(`SELECT $1::text AS t`, ['before\u0000after'])).rejects.toThrow(/0x00|null|invalid byte/i);
    await expect(db.sql.query(`SELECT $1::text[] AS t`, [['ok', 'nul\u0000']])).rejects.toThrow(/0x00|null|invalid byte/i);
    await expect(db.sql.query(`SELECT $1::jsonb AS t`, ['{not json'])).rejects.toThrow(/json/i);
    const [row] = await db.sql.query<{ t: string }>(`SELECT $1::text AS t`, ['still here']);
    expect(row!.t).toBe('still here');
  });
});
