import { PGlite } from '@electric-sql/pglite';
import { wrapPglite, type Database } from '../../src/db/database';

/** The embedded session's own bytea parser (src/db/database.ts): the bytes as stored, every value of a byte. */
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
});
