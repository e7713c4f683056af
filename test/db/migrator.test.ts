import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { wrapPglite } from '../../src/db/database';
import { migrate, MIGRATIONS_DIR, MigrationError, readMigrations } from '../../src/db/migrator';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

function migrationsDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-migrations-'));
  for (const [name, sql] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

describe('migrator on PostgreSQL', () => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase({ migrated: false });
  });
  afterEach(async () => t.drop());

  it("applies the project's migrations and records them as prisma migrate deploy would", async () => {
    const report = await migrate(t.db.sql);
    const local = readMigrations(MIGRATIONS_DIR);
    expect(report.applied).toEqual(local.map((m) => m.name));
    const rows = await t.db.sql.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number; id: string }>(
      'SELECT id, migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows).toHaveLength(local.length);
    for (const [i, row] of rows.entries()) {
      const sql = fs.readFileSync(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.migration_name).toBe(local[i]!.name);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    // a second run changes nothing
    expect(await migrate(t.db.sql)).toEqual({ applied: [], alreadyApplied: local.map((m) => m.name), unknownInDatabase: [] });
  });

  it('runs once when two processes migrate at the same time', async () => {
    const reports = await Promise.all([migrate(t.db.sql), migrate(t.db.sql), migrate(t.db.sql)]);
    expect(reports.map((r) => r.applied.length).sort()).toEqual([0, 0, readMigrations().length]);
  });

  it('refuses to continue when an applied migration was edited', async () => {
    const dir = migrationsDir({ '001_a': 'CREATE TABLE a (id int);' });
    await migrate(t.db.sql, readMigrations(dir));
    fs.writeFileSync(path.join(dir, '001_a', 'migration.sql'), 'CREATE TABLE a (id bigint);');
    await expect(migrate(t.db.sql, readMigrations(dir))).rejects.toThrow(/001_a was changed after it was applied/);
  });

  it('rolls a failing migration back completely and records nothing for it', async () => {
    const dir = migrationsDir({
      '001_ok': 'CREATE TABLE ok_table (id int);',
      '002_bad': 'CREATE TABLE half_done (id int);\nSELECT no_such_function();',
    });
    await expect(migrate(t.db.sql, readMigrations(dir))).rejects.toThrow(MigrationError);
    const tables = await t.db.sql.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    expect(tables.map((r) => r.tablename)).toEqual(['_prisma_migrations', 'ok_table']);
    const names = await t.db.sql.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations"');
    expect(names.map((r) => r.migration_name)).toEqual(['001_ok']);
  });

  it('stops on a migration that prisma recorded as failed and never resolved', async () => {
    const dir = migrationsDir({ '001_a': 'SELECT 1;' });
    await migrate(t.db.sql, []);
    await t.db.sql.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, 'x', '001_a', now(), 0)`,
      ['00000000-0000-4000-8000-000000000001'],
    );
    await expect(migrate(t.db.sql, readMigrations(dir))).rejects.toThrow(/001_a failed earlier/);
  });

  it('reports migrations the database has but this version does not know', async () => {
    const dir = migrationsDir({ '001_a': 'SELECT 1;', '002_b': 'SELECT 2;' });
    await migrate(t.db.sql, readMigrations(dir));
    const report = await migrate(t.db.sql, readMigrations(dir).slice(0, 1));
    expect(report.unknownInDatabase).toEqual(['002_b']);
  });
});

describe('data migrations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => t.drop());

  it('20261121060000_integration_hints keeps at most 4 characters of a stored secret beside a public prefix', async () => {
    const all = readMigrations();
    const at = all.findIndex((m) => m.name === '20261121060000_integration_hints');
    await migrate(t.db.sql, all.slice(0, at));
    const projects = ['a', 'b', 'c', 'd'].map((_, i) => `00000000-0000-4000-8000-00000000000${i}`);
    for (const id of projects) await t.db.sql.query(`INSERT INTO projects (id, name, currency, updated_at) VALUES ($1, 'P', 'USD', now())`, [id]);
    // hints as the old masking made them: anything up to a "_" counted as a prefix
    const rows: [string, string, string, string | null, string | null][] = [
      [projects[0]!, 'lemonsqueezy', 'abcdefgh_…', 'my_chosen_secret_…', 'lsk_…wxyz'],
      [projects[1]!, 'stripe', 'whsec_…uvwx', 'whsec_…', 'sk_live_…1234'],
      [projects[2]!, 'paddle', 'pdl_ntfset_…GrOW', null, 'pdl_sdbx_apikey_…stuv'],
      [projects[3]!, 'polar', 'my_polar_…', null, 'polar_oat_…abcd'],
    ];
    for (const [projectId, provider, hint, previous, apiKey] of rows) {
      await t.db.sql.query(
        `INSERT INTO integrations (project_id, provider, webhook_secret_enc, webhook_secret_hint, previous_secret_hint, api_key_hint, updated_at)
         VALUES ($1, $2, 'v1.x.y.z', $3, $4, $5, now())`,
        [projectId, provider, hint, previous, apiKey],
      );
    }
    await migrate(t.db.sql, all.slice(0, at + 1));
    const after = await t.db.sql.query('SELECT provider, webhook_secret_hint, previous_secret_hint, api_key_hint FROM integrations ORDER BY provider');
    expect(after).toEqual([
      { provider: 'lemonsqueezy', webhook_secret_hint: '…', previous_secret_hint: '…', api_key_hint: '…wxyz' },
      { provider: 'paddle', webhook_secret_hint: 'pdl_ntfset_…GrOW', previous_secret_hint: null, api_key_hint: 'pdl_sdbx_apikey_…stuv' },
      { provider: 'polar', webhook_secret_hint: '…', previous_secret_hint: null, api_key_hint: 'polar_oat_…abcd' },
      { provider: 'stripe', webhook_secret_hint: 'whsec_…uvwx', previous_secret_hint: 'whsec_…', api_key_hint: 'sk_live_…1234' },
    ]);
  });
});

describe('20270103000000_inbox_body_lz4', () => {
  const compressionOf = async (sql: { query<T extends object>(q: string): Promise<T[]> }) =>
    (await sql.query<{ c: string }>(`SELECT attcompression::text AS c FROM pg_attribute WHERE attrelid = 'inbound_events'::regclass AND attname = 'raw_body'`))[0]!.c;

  it('compresses new raw bodies with LZ4 where the server has it, and a body reads back byte for byte', async () => {
    const t = await createTestDatabase();
    try {
      expect(await compressionOf(t.db.sql)).toBe('l');
      const [project] = await t.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('lz4', 'USD') RETURNING id`);
      const body = Buffer.from(JSON.stringify({ id: 'evt_lz4', notes: 'x'.repeat(4000), bytes: [...Array(256).keys()] }));
      await t.db.sql.query(
        `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, raw_body, headers) VALUES ($1, 'stripe', 'evt_lz4', 'invoice.paid', $2, '{}')`,
        [project!.id, body],
      );
      const [row] = await t.db.sql.query<{ raw_body: Buffer; method: string }>(
        `SELECT raw_body, pg_column_compression(raw_body) AS method FROM inbound_events WHERE provider_event_id = 'evt_lz4'`,
      );
      expect(row!.method).toBe('lz4');
      expect(Buffer.compare(Buffer.from(row!.raw_body), body)).toBe(0);
    } finally {
      await t.drop();
    }
  });

  it('leaves pglz on a server built without LZ4 (PGlite)', async () => {
    const db = wrapPglite(await PGlite.create());
    try {
      await migrate(db.sql);
      expect(await compressionOf(db.sql)).toBe('');
    } finally {
      await db.close();
    }
  });
});

describe('migrator on embedded PGlite', () => {
  it('applies and records the same history', async () => {
    const db = wrapPglite(await PGlite.create());
    try {
      const report = await migrate(db.sql);
      expect(report.applied).toEqual(readMigrations().map((m) => m.name));
      expect((await migrate(db.sql)).applied).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
