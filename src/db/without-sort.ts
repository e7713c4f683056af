import type { SqlClient } from './sql';

/**
 * Rows of one statement whose order must come from an index: sorting is switched off for its own transaction
 * (SET LOCAL), so a table without statistics (a young table, a restore, the embedded database between vacuums)
 * cannot be planned as "read every matching row, then sort" when an ordered index scan reads only the rows asked
 * for. JIT is off with it: a plan that still sorts carries the planner's penalty for a disabled step, a cost far
 * above `jit_above_cost`, and compiling it took 400 ms where the statement itself takes 1 ms.
 */
export function rowsWithoutSort<T extends object>(sql: SqlClient, statement: string, params: unknown[]): Promise<T[]> {
  return sql.transaction(async (tx) => {
    await tx.exec('SET LOCAL enable_sort = off; SET LOCAL jit = off');
    return tx.query<T>(statement, params);
  });
}
