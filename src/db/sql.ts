/** The little SQL surface the migrator and the hot paths need, over `pg` or PGlite alike. */
export interface SqlSession {
  /** Runs one or more statements without parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface SqlClient extends SqlSession {
  /** Runs `fn` on one connection, so session state (transactions, advisory locks) holds across its calls. */
  session<R>(fn: (session: SqlSession) => Promise<R>): Promise<R>;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<R>(fn: (tx: SqlSession) => Promise<R>): Promise<R>;
}
