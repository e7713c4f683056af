import type { Database } from './database';
import type { SqlClient } from './sql';

/**
 * What PostgreSQL's autovacuum does, for the embedded database: PGlite runs PostgreSQL as one process, without the
 * autovacuum launcher, so nothing else reclaims the dead row versions every update leaves behind (each event is
 * updated as it is processed, a payment again when a refund or a change recomputes it), marks pages
 * all-visible, gathers the planner's statistics or freezes old transaction ids before the counter wraps around.
 * One database-wide `VACUUM (ANALYZE)`: after the first, it skips the pages the visibility map says are unchanged,
 * so a pass costs in proportion to what changed since the last one (about 80 ms for 50,000 twice-updated rows
 * here, measured when an event was updated twice), on the one thread PGlite shares with the HTTP server.
 */
export async function vacuumAndAnalyze(sql: SqlClient): Promise<number> {
  await sql.exec('VACUUM (ANALYZE)');
  return 1;
}

/**
 * The same for a PostgreSQL server whose autovacuum is off (`autovacuum = off` is a server setting some
 * installations choose; the one these tests and the benchmark run on has it): Refwire's tables that changed
 * enough since their last vacuum or analyze, by the thresholds autovacuum itself uses (a tenth of the table,
 * 50 rows at least; inserts alone count too, since only vacuum marks new pages all-visible for index-only scans).
 * Without it, a list page after a drain visited every row version the drain left (130 ms for the middle of
 * 100,000 conversions, 3 ms vacuumed), plans were made without statistics, and the tables only grew. Where
 * autovacuum is on, or the server keeps no counts to judge by, it does nothing. Answers the tables vacuumed.
 */
export async function vacuumChangedTables(sql: SqlClient): Promise<number> {
  const tables = await sql.query<{ name: string }>(
    `SELECT format('%I.%I', s.schemaname, s.relname) AS name
     FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
     WHERE current_setting('autovacuum') = 'off' AND current_setting('track_counts') = 'on'
       AND s.schemaname = current_schema() AND pg_has_role(c.relowner, 'USAGE')
       AND greatest(s.n_dead_tup, s.n_mod_since_analyze, s.n_ins_since_vacuum) > 50 + 0.1 * greatest(c.reltuples, 0)
     ORDER BY s.relname`,
  );
  if (tables.length === 0) return 0;
  await sql.exec(`VACUUM (ANALYZE) ${tables.map((t) => t.name).join(', ')}`);
  return tables.length;
}

/**
 * The planner's first statistics, for tables that have rows and were never analyzed, where nothing else gathers them
 * (the embedded database; a server without autovacuum). A table that grew from empty without statistics is taken
 * for a handful of rows, every index leading with `project_id` looks as good as the one a lookup names, and the
 * newest won: a batch's probes by payment key or customer scanned all of a project's conversions through the
 * affiliate index, each, until the table held some 10,000 rows, and a drain's first seconds ran at a third of
 * its rate (docs/performance.md). Analyzed once with rows, the planner scales what it learned with the table's
 * size. Only statistics: the vacuum pass waits for a pause. Answers the tables analyzed.
 */
export async function analyzeNewTables(db: Pick<Database, 'kind' | 'sql'>): Promise<number> {
  const tables = await db.sql.query<{ name: string }>(
    `SELECT format('%I.%I', s.schemaname, s.relname) AS name
     FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
     WHERE ($1 OR current_setting('autovacuum') = 'off') AND current_setting('track_counts') = 'on'
       AND s.schemaname = current_schema() AND pg_has_role(c.relowner, 'USAGE')
       AND s.last_analyze IS NULL AND s.last_autoanalyze IS NULL AND s.n_mod_since_analyze > 50
     ORDER BY s.relname`,
    [db.kind === 'embedded'],
  );
  if (tables.length === 0) return 0;
  await db.sql.exec(`ANALYZE ${tables.map((t) => t.name).join(', ')}`);
  return tables.length;
}

/** The maintenance pass of the database's kind: the embedded database always, a server only without autovacuum. */
export function maintainDatabase(db: Pick<Database, 'kind' | 'sql'>): Promise<number> {
  return db.kind === 'embedded' ? vacuumAndAnalyze(db.sql) : vacuumChangedTables(db.sql);
}
