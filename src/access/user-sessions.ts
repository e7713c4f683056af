import { createHash } from 'node:crypto';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { tokensEqual } from '../security/tokens';
import { isRole, type Role } from './roles';
import { newToken, presentedHash } from './secret-tokens';

type Db = PrismaClient | Prisma.TransactionClient;

/** A dashboard session lasts 7 days from sign-in, however active; signing out or a password reset ends it sooner. */
export const SESSION_DAYS = 7;

export type IssuedSession = { token: string; csrfToken: string; expiresAt: Date };

/**
 * The CSRF token of a session: derived from the session token, so it needs no storage and `GET /me` can hand it
 * again to a reloaded page. A page on another site cannot compute it: the session token is in an httpOnly cookie.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHash('sha256').update(`refwire-csrf\n${sessionToken}`).digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  return typeof presented === 'string' && presented.length > 0 && tokensEqual(presented, csrfTokenOf(sessionToken));
}

export async function issueSession(db: Db, userId: string, at: Date): Promise<IssuedSession> {
  const { token, hash } = newToken('session');
  const expiresAt = new Date(at.getTime() + SESSION_DAYS * 86_400_000);
  await db.userSession.create({ data: { userId, tokenHash: hash, expiresAt, createdAt: at } });
  return { token, csrfToken: csrfTokenOf(token), expiresAt };
}

export type ActiveSession = { id: string; expiresAt: Date; user: { id: string; email: string } };

/** The live session a cookie holds; null when unknown, expired or revoked (one answer for all). */
export async function findSession(db: Db, token: string | null, at: Date): Promise<ActiveSession | null> {
  const tokenHash = presentedHash('session', token);
  if (!tokenHash) return null;
  const row = await db.userSession.findUnique({ where: { tokenHash }, select: { id: true, expiresAt: true, revokedAt: true, user: { select: { id: true, email: true } } } });
  if (!row || row.revokedAt || row.expiresAt.getTime() <= at.getTime()) return null;
  return { id: row.id, expiresAt: row.expiresAt, user: row.user };
}

export async function revokeSession(db: Db, sessionId: string, at: Date): Promise<void> {
  await db.userSession.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: at } });
}

/** Every session of the user ends (a password was reset): whoever held one must sign in again. */
export async function revokeUserSessions(db: Db, userId: string, at: Date): Promise<number> {
  const { count } = await db.userSession.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: at } });
  return count;
}

/** The user's role in the project, or null when they are not a member. */
export async function roleIn(db: Db, userId: string, projectId: string): Promise<Role | null> {
  const row = await db.projectMember.findUnique({ where: { projectId_userId: { projectId, userId } }, select: { role: true } });
  return row && isRole(row.role) ? row.role : null;
}
