import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SqlClient, SqlSession } from './sql';

/**
 * Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's native schema engine:
 * same folder format, same `_prisma_migrations` table, same SHA-256 checksums and the same advisory lock id,
 * so a machine that can run `prisma migrate deploy` sees this history as its own.
 * Unlike Prisma, each migration runs in a transaction with its history row, so a failure leaves nothing half done.
 */

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'prisma', 'migrations');

/** The id Prisma's schema engine locks with (`pg_advisory_lock(72707369)`), so the two never run at once. */
const PRISMA_ADVISORY_LOCK_ID = 72707369;

const HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id")
)`;

export type Migration = { name: string; sql: string; checksum: string };

export type MigrationReport = { applied: string[]; alreadyApplied: string[]; unknownInDatabase: string[] };

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

type HistoryRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
};

export async function migrate(sql: SqlClient, migrations: Migration[] = readMigrations()): Promise<MigrationReport> {
  return sql.session(async (s) => {
    await s.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_ID]);
    try {
      return await applyPending(s, migrations);
    } finally {
      await s.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_ID]);
    }
  });
}

async function applyPending(s: SqlSession, migrations: Migration[]): Promise<MigrationReport> {
  await s.exec(HISTORY_TABLE);
  const history = await s.query<HistoryRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  const live = history.filter((h) => h.rolled_back_at === null);
  const report: MigrationReport = { applied: [], alreadyApplied: [], unknownInDatabase: [] };

  const failed = live.find((h) => h.finished_at === null);
  if (failed) {
    throw new MigrationError(
      `migration ${failed.migration_name} failed earlier and was never resolved; ` +
        'fix the database by hand, then mark it rolled back (prisma migrate resolve --rolled-back)',
    );
  }
  const localNames = new Set(migrations.map((m) => m.name));
  report.unknownInDatabase = live.map((h) => h.migration_name).filter((n) => !localNames.has(n));

  for (const migration of migrations) {
    const done = live.find((h) => h.migration_name === migration.name);
    if (done) {
      if (done.checksum !== migration.checksum) {
        throw new MigrationError(
          `migration ${migration.name} was changed after it was applied (checksum differs); ` +
            'never edit an applied migration, add a new one',
        );
      }
      report.alreadyApplied.push(migration.name);
      continue;
    }
    await s.exec('BEGIN');
    try {
      await s.exec(migration.sql);
      await s.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), now(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      await s.exec('COMMIT');
    } catch (err) {
      await s.exec('ROLLBACK');
      throw new MigrationError(`migration ${migration.name} failed: ${(err as Error).message}`);
    }
    report.applied.push(migration.name);
  }
  return report;
}
