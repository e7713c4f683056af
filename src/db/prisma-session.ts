import type { Prisma } from '../generated/prisma/client';
import type { SqlSession } from './sql';

/**
 * Plain SQL inside a Prisma interactive transaction, for code written against `SqlSession` (the outbox writers):
 * what it writes commits or rolls back with the Prisma writes around it.
 */
export function sqlSessionOf(tx: Prisma.TransactionClient): SqlSession {
  return {
    async exec(sql) {
      await tx.$executeRawUnsafe(sql);
    },
    async query<T extends object>(sql: string, params: readonly unknown[] = []) {
      return (await tx.$queryRawUnsafe(sql, ...params)) as T[];
    },
  };
}
