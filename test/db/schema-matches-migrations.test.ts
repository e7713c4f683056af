import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { getDMMF } from '@prisma/internals';
import { wrapPglite, type Database } from '../../src/db/database';
import { migrate } from '../../src/db/migrator';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * Prisma's own migrate engine cannot run here, so this test stands in for `prisma migrate diff`: it reads the
 * schema through Prisma's parser (DMMF) and compares it with what the migrations built, table by table,
 * column by column (type, length, nullability, default presence), plus primary keys, unique and plain indexes
 * (by Prisma's default names) and foreign keys with their actions.
 */

/**
 * Partial and expression indexes, which Prisma's schema cannot express (no WHERE and no expression on @@index): they
 * live in the migrations only and are left out of the comparison by name, each with why it exists.
 */
const PARTIAL_INDEXES: Record<string, string> = {
  conversions_review_pending_idx: 'the review queue (GET /api/v1/conversions?review=pending) without reading every conversion',
  conversions_reverses_id_idx: "a payment's refund rows (and the foreign key's check), without an entry for every payment's null",
  conversions_payout_id_idx: "a payout's rows (and the foreign key's check), without an entry for every unpaid row's null",
  inbound_events_status_received_at_idx: 'the sweeps (waiting rows, stale claims, failed rows to replay), without an entry for every finished event',
};
const EXPRESSION_INDEXES: Record<string, string> = {
  inbound_events_activity_idx: "the integrations' activity per provider, on lower(provider) so that the inbox's lookup by its unique key never takes it",
};

/**
 * Indexes that carry columns beyond their key (INCLUDE), which Prisma's schema cannot express either: compared by
 * their key columns, and listed here, each with why it carries them.
 */
const COVERING_INDEXES: Record<string, string> = {
  conversions_project_id_affiliate_id_occurred_at_idx: "an affiliate's earnings summed from the index alone (an index-only scan), not from every one of its rows in the table",
};

type Column = { table: string; column: string; type: string; nullable: boolean; hasDefault: boolean };
type Index = { table: string; name: string; unique: boolean; primary: boolean; columns: string[] };
type ForeignKey = { table: string; name: string; columns: string[]; refTable: string; refColumns: string[]; onDelete: string };

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
};

function nativeType(nt: [string, string[]]): string {
  const [name, args] = nt;
  switch (name) {
    case 'Uuid':
      return 'uuid';
    case 'VarChar':
      return `character varying(${args[0]})`;
    case 'Char':
      return `character(${args[0]})`;
    case 'Timestamptz':
      return `timestamp(${args[0] ?? 6}) with time zone`;
    case 'Timestamp':
      return `timestamp(${args[0] ?? 6}) without time zone`;
    case 'Text':
      return 'text';
    default:
      throw new Error(`add native type ${name} to this test`);
  }
}

async function expectedFromSchema() {
  const datamodel = fs.readFileSync(path.resolve(__dirname, '..', '..', 'prisma', 'schema.prisma'), 'utf8');
  const dmmf = await getDMMF({ datamodel });
  const columns: Column[] = [];
  const indexes: Index[] = [];
  const foreignKeys: ForeignKey[] = [];
  const tableOf = (modelName: string) => {
    const m = dmmf.datamodel.models.find((x) => x.name === modelName)!;
    return m.dbName ?? m.name;
  };
  const columnOf = (modelName: string, field: string) => {
    const f = dmmf.datamodel.models.find((x) => x.name === modelName)!.fields.find((x) => x.name === field)!;
    return f.dbName ?? f.name;
  };
  for (const model of dmmf.datamodel.models) {
    const table = model.dbName ?? model.name;
    for (const f of model.fields) {
      if (f.kind === 'object') {
        if (f.relationFromFields && f.relationFromFields.length > 0) {
          const cols = f.relationFromFields.map((x) => columnOf(model.name, x));
          foreignKeys.push({
            table,
            name: `${table}_${cols.join('_')}_fkey`,
            columns: cols,
            refTable: tableOf(f.type),
            refColumns: f.relationToFields!.map((x) => columnOf(f.type, x)),
            onDelete: (f.relationOnDelete ?? 'SetNull').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase(),
          });
        }
        continue;
      }
      const type = f.nativeType ? nativeType(f.nativeType as [string, string[]]) : SCALAR_TYPES[f.type]!;
      columns.push({
        table,
        column: f.dbName ?? f.name,
        // Prisma creates scalar lists as nullable arrays
        type: f.isList ? `${type}[]` : type,
        nullable: f.isList || !f.isRequired,
        hasDefault: f.hasDefaultValue,
      });
    }
  }
  for (const idx of dmmf.datamodel.indexes) {
    const table = tableOf(idx.model);
    const cols = idx.fields.map((f) => columnOf(idx.model, f.name));
    const suffix = idx.type === 'id' ? 'pkey' : idx.type === 'unique' ? 'key' : 'idx';
    indexes.push({
      table,
      name: idx.dbName ?? (idx.type === 'id' ? `${table}_pkey` : `${table}_${cols.join('_')}_${suffix}`),
      unique: idx.type !== 'normal',
      primary: idx.type === 'id',
      columns: cols,
    });
  }
  return { columns, indexes, foreignKeys };
}

async function actualFromDatabase(db: Database) {
  const q = <T extends object>(sql: string) => db.sql.query<T>(sql);
  const columns = (
    await q<{ table: string; column: string; type: string; nullable: boolean; has_default: boolean }>(`
      SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
             NOT a.attnotnull AS nullable, a.atthasdef AS has_default
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND c.relname <> '_prisma_migrations'`)
  ).map((r) => ({ table: r.table, column: r.column, type: r.type, nullable: r.nullable, hasDefault: r.has_default }));
  const indexes = (
    await q<{ table: string; name: string; unique: boolean; primary: boolean; columns: string[]; covering: boolean }>(`
      SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
             array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                   WHERE k.ord <= ix.indnkeyatts ORDER BY k.ord)::text[] AS columns,
             ix.indnatts > ix.indnkeyatts AS covering
      FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
        AND NOT (ix.indpred IS NOT NULL AND i.relname IN (${Object.keys(PARTIAL_INDEXES).map((name) => `'${name}'`).join(', ')}))
        AND NOT (ix.indexprs IS NOT NULL AND i.relname IN (${Object.keys(EXPRESSION_INDEXES).map((name) => `'${name}'`).join(', ')}))`)
  ).map((r) => ({ table: r.table, name: r.name, unique: r.unique, primary: r.primary, columns: [...r.columns], covering: r.covering }));
  const foreignKeys = (
    await q<{ table: string; name: string; columns: string[]; ref_table: string; ref_columns: string[]; on_delete: string }>(`
      SELECT t.relname AS table, con.conname AS name,
             array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
             r.relname AS ref_table,
             array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS ref_columns,
             CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT' WHEN 'n' THEN 'SET NULL'
                                  WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_delete
      FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE con.contype = 'f' AND n.nspname = 'public'`)
  ).map((r) => ({
    table: r.table,
    name: r.name,
    columns: [...r.columns],
    refTable: r.ref_table,
    refColumns: [...r.ref_columns],
    onDelete: r.on_delete,
  }));
  return { columns, indexes, foreignKeys };
}

const byKey = <T extends { table: string }>(rows: T[], key: (r: T) => string) =>
  [...rows].sort((a, b) => key(a).localeCompare(key(b)));

async function expectMatches(db: Database) {
  const expected = await expectedFromSchema();
  const actual = await actualFromDatabase(db);
  const colKey = (c: Column) => `${c.table}.${c.column}`;
  expect(byKey(actual.columns, colKey)).toEqual(byKey(expected.columns, colKey));
  const idxKey = (i: Index) => i.name;
  expect(byKey(actual.indexes.map(({ covering: _, ...index }) => index), idxKey)).toEqual(byKey(expected.indexes, idxKey));
  expect(actual.indexes.filter((i) => i.covering).map((i) => i.name).sort()).toEqual(Object.keys(COVERING_INDEXES).sort());
  const fkKey = (f: ForeignKey) => f.name;
  expect(byKey(actual.foreignKeys, fkKey)).toEqual(byKey(expected.foreignKeys, fkKey));
  // Money is 64-bit: every *_minor column is BIGINT.
  const minor = actual.columns.filter((c) => c.column.endsWith('_minor'));
  expect(minor.length).toBeGreaterThan(0);
  for (const c of minor) expect(c.type).toBe('bigint');
}

describe('the migrated database matches prisma/schema.prisma', () => {
  it('on PostgreSQL', async () => {
    const t: TestDatabase = await createTestDatabase();
    try {
      await expectMatches(t.db);
    } finally {
      await t.drop();
    }
  });

  it('on embedded PGlite', async () => {
    const db = wrapPglite(await PGlite.create());
    try {
      await migrate(db.sql);
      await expectMatches(db);
    } finally {
      await db.close();
    }
  });
});
