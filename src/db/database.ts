import fs from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import type { DatabaseTarget } from '../config/config';
import { PrismaClient } from '../generated/prisma/client';
import type { QueryOptions, SqlClient, SqlSession } from './sql';
import { TEXT_OID, textArray, VARCHAR_OID } from './text-array';

export type Database = {
  kind: DatabaseTarget['kind'];
  prisma: PrismaClient;
  sql: SqlClient;
  close(): Promise<void>;
};

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target.url, target.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS) : openEmbedded(target.dir);
}

/** DATABASE_QUERY_TIMEOUT_SECONDS' default: past any statement of Refwire's own, a migration's index on a large table included. */
const DEFAULT_QUERY_TIMEOUT_MS = 300_000;

function openPostgres(url: string, queryTimeoutMs: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // A connection that stops answering (a network partition, a failover that resets nothing) held its statement, and
    // with it a worker's transaction and the customers' locks, for as long as the kernel kept the socket: processing
    // stopped while new connections, and /readyz, still worked. A statement unanswered this long fails (the
    // connection is then given up: see transaction()); the server ends a session left idle inside a transaction as
    // long, which lets go of its locks, and both sides probe an idle connection.
    query_timeout: queryTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // set on each new connection before it is handed out, rather than as startup options, which a connection pooler
    // (PgBouncer) may refuse
    onConnect: async (client) => {
      await client.query(
        `SET idle_in_transaction_session_timeout = ${queryTimeoutMs}; SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3`,
      );
    },
    // How long a statement may wait for a connection: a closed port is refused at once, but this is also the wait for
    // one of the ten to be free, which a burst (a dashboard page's parallel calls beside a worker's batch on a busy
    // machine) exceeded at 1 s. Past it the answer is a 503 with Retry-After (src/http/errors.ts; the receiver's own),
    // still well inside a provider's wait for a webhook's answer.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection emits on the pool; without a listener that would crash the process.
  pool.on('error', () => undefined);

  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const sessionOf = (q: pg.Pool | pg.PoolClient): SqlSession => ({
    async exec(sql) {
      await q.query(sql);
    },
    async query<T extends object>(sql: string, params: readonly unknown[] = [], options?: QueryOptions) {
      const values = params as unknown[];
      return (await (options?.prepareAs ? q.query({ name: options.prepareAs, text: sql, values }) : q.query(sql, values))).rows as T[];
    },
  });
  return {
    kind: 'postgres',
    prisma,
    sql: {
      ...sessionOf(pool),
      async session(fn) {
        const client = await pool.connect();
        let broken = false;
        // A checked-out client whose server goes away emits 'error'; unheard, that would end the process.
        const onError = () => (broken = true);
        client.on('error', onError);
        try {
          return await fn(sessionOf(client));
        } finally {
          client.off('error', onError);
          client.release(broken);
        }
      },
      async transaction(fn) {
        const client = await pool.connect();
        let broken = false;
        const onError = () => (broken = true);
        client.on('error', onError);
        try {
          await client.query('BEGIN');
          const result = await fn(sessionOf(client));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => (broken = true));
          throw err;
        } finally {
          client.off('error', onError);
          // a connection that failed or could not even roll back is not handed out again
          client.release(broken);
        }
      },
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openEmbedded(dir: string): Promise<Database> {
  fs.mkdirSync(dir, { recursive: true });
  const lite = await PGlite.create(dir);
  return wrapPglite(lite, 'embedded');
}

/**
 * Result parsers over PGlite's own: its bytea parser builds the array with one `parseInt` per byte, which took 2.5 s
 * of the 30 s the embedded benchmark spent processing 10,000 events (each event's raw body is read back to be
 * processed); Node decodes the hex natively.
 */
const BYTEA_OID = 17;
const PARSERS = { [BYTEA_OID]: (text: string) => (text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex') : types.parsers[BYTEA_OID]!(text, BYTEA_OID)) };
/**
 * Parameters handed over in PostgreSQL's binary format, as bytes. Bytea's: PGlite's own serializer writes hex one
 * `toString(16)` per byte, and its protocol writer then measures that text one character at a time, together about a
 * fifth of the embedded receiver's CPU for each delivery's raw body (docs/performance.md). Text's, and one-dimensional
 * arrays of text: PGlite measured every string one character at a time, twice, and quoted and escaped an array element
 * by element for PostgreSQL to parse back, character by character, in WebAssembly; a batch's parameters are mostly
 * arrays of JSON texts (its payments' hints and attribution), about 1.5 KB per event. A text's binary format is its
 * UTF-8 bytes, jsonb's the same after a version byte, an array's as `textArray` (src/db/text-array.ts) writes it;
 * PostgreSQL checks them as it checks text (invalid UTF-8 or a NUL is refused either way). A serializer is typed to
 * answer text, but PGlite's bind message (like node-postgres's, which it derives from) sends an ArrayBuffer view as a
 * binary value. Anything else (a number, a nested array) goes through PGlite's own serializers, `own`.
 * test/db/embedded-bytes.test.ts checks that values go in and come out as they were.
 */
function binarySerializers(own: Record<number, (value: unknown) => string>): Record<number, (value: unknown) => string> {
  const JSON_OID = 114;
  const JSONB = 3802;
  const TEXT_ARRAY = 1009;
  const VARCHAR_ARRAY = 1015;
  const asParameter = (bytes: ArrayBufferView) => bytes as unknown as string;
  const bytea = (value: unknown) => (ArrayBuffer.isView(value) ? asParameter(value) : own[BYTEA_OID]!(value));
  // a Date as PGlite writes it (ISO), anything else as its own text
  const textOf = (value: unknown) => (typeof value === 'string' ? value : own[TEXT_OID]!(value));
  const text = (value: unknown) => asParameter(Buffer.from(textOf(value), 'utf8'));
  const json = (value: unknown) => asParameter(Buffer.from(own[JSON_OID]!(value), 'utf8'));
  const jsonb = (value: unknown) => {
    const body = own[JSONB]!(value);
    const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(body, 'utf8'));
    bytes[0] = 1; // jsonb's binary format version
    bytes.write(body, 1, 'utf8');
    return asParameter(bytes);
  };
  // an array already in binary format (textArray) as it is; a nested one through PGlite's own
  const array = (arrayOid: number, elementOid: number) => (value: unknown) => {
    if (ArrayBuffer.isView(value)) return asParameter(value);
    if (!Array.isArray(value) || value.some((e) => Array.isArray(e))) return own[arrayOid]!(value);
    return asParameter(textArray(value.map((e) => (e === null || e === undefined ? e : textOf(e))), elementOid));
  };
  return {
    [BYTEA_OID]: bytea,
    [TEXT_OID]: text,
    [VARCHAR_OID]: text,
    [JSON_OID]: json,
    [JSONB]: jsonb,
    [TEXT_ARRAY]: array(TEXT_ARRAY, TEXT_OID),
    [VARCHAR_ARRAY]: array(VARCHAR_ARRAY, VARCHAR_OID),
  };
}

/** Also used by tests with an in-memory PGlite. PGlite is one connection, so a session is the database itself. */
export function wrapPglite(lite: PGlite, kind: Database['kind'] = 'embedded'): Database {
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  const options = { parsers: PARSERS, serializers: binarySerializers(lite.serializers) };
  const session: SqlSession = {
    async exec(sql) {
      await lite.exec(sql);
    },
    async query<T extends object>(sql: string, params: readonly unknown[] = []) {
      return (await lite.query<T>(sql, params as unknown[], options)).rows;
    },
  };
  return {
    kind,
    prisma,
    sql: {
      ...session,
      session: (fn) => fn(session),
      // PGlite is one connection: its transaction() keeps other transactions out until this one ends.
      transaction: (fn) =>
        lite.transaction((tx) =>
          fn({
            async exec(sql) {
              await tx.exec(sql);
            },
            async query<T extends object>(sql: string, params: readonly unknown[] = []) {
              return (await tx.query<T>(sql, params as unknown[], options)).rows;
            },
          }),
        ),
    },
    async close() {
      await prisma.$disconnect();
      if (!lite.closed) await lite.close();
    },
  };
}
