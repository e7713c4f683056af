/** The little SQL surface the migrator and the hot paths need, over `pg` or PGlite alike. */
export interface SqlSession {
  /** Runs one or more statements without parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<T[]>;
}

export type QueryOptions = {
  /**
   * Names a statement sent very often with this exact text, so that PostgreSQL parses and plans it once per
   * connection and reuses the plan (a generic one after five runs) instead of planning every time. A name must
   * stand for one text. Only for statements whose right plan does not depend on the tables' size or statistics:
   * a generic plan made while a table was empty is kept until the next ANALYZE of it. PGlite ignores it.
   */
  prepareAs?: string;
};

export interface SqlClient extends SqlSession {
  /** Runs `fn` on one connection, so session state (transactions, advisory locks) holds across its calls. */
  session<R>(fn: (session: SqlSession) => Promise<R>): Promise<R>;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<R>(fn: (tx: SqlSession) => Promise<R>): Promise<R>;
}
