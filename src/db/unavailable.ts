// What the database (or the pool in front of it) says when it cannot take a statement now, as opposed to a
// statement that failed: node-postgres' socket errors and the pool's wait, PostgreSQL's "shutting down", "too many
// connections" and a transaction aborted by a concurrent one, and Prisma's names for the same.
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  'P1001', // Prisma: can't reach the database server
  'P1017', // Prisma: the server closed the connection
  'P2024', // Prisma: timed out fetching a connection from the pool
  // Prisma: an interactive transaction that could not start in time (its connection waited on the pool or a lock),
  // or ran past its timeout and was rolled back: nothing of it was kept
  'P2028',
  // a transaction PostgreSQL aborted to break a deadlock, or one a concurrent write made unserializable: nothing of it
  // was kept, and the same request sent again goes through
  '40P01', // deadlock_detected
  '40001', // serialization_failure
  'P2034', // Prisma: the same two
]);
const MESSAGES = /timeout exceeded when trying to connect|Connection terminated|deadlock detected|could not serialize access/i;

/** True when `err` (or an error it wraps, as Prisma's driver adapter errors do) means "not now", not "wrong". */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const { message, code } = e as { message?: unknown; code?: unknown };
    if (typeof code === 'string' && CODES.has(code)) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
