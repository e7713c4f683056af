// What the database (or the pool in front of it) says when it cannot take a statement now, as opposed to a
// statement that failed: node-postgres' socket errors and the pool's wait, PostgreSQL's "shutting down" and
// "too many connections", and Prisma's names for the same.
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
]);
const MESSAGES = /timeout exceeded when trying to connect|Connection terminated/i;

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
