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
