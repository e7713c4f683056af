import type { PrismaClient } from '../generated/prisma/client';
import { sqlSessionOf } from '../db/prisma-session';
import { queueEmail } from '../email/outbox';
import { hashPassword } from './passwords';
import { newToken, presentedHash } from './secret-tokens';
import { revokeUserSessions } from './user-sessions';

export const RESET_VALID_MINUTES = 60;

/**
 * Emails a reset link when the address has an account, and does nothing otherwise: the caller answers the same
 * either way, so the form tells nobody which addresses have accounts. A new link ends the earlier ones.
 */
export async function requestPasswordReset(prisma: PrismaClient, args: { email: string; at: Date; resetUrl: (token: string) => string }): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email: args.email }, select: { id: true } });
    if (!user) return;
    await tx.passwordReset.updateMany({ where: { userId: user.id, usedAt: null }, data: { usedAt: args.at } });
    const { token, hash } = newToken('password_reset');
    await tx.passwordReset.create({ data: { userId: user.id, tokenHash: hash, expiresAt: new Date(args.at.getTime() + RESET_VALID_MINUTES * 60_000), createdAt: args.at } });
    await queueEmail(sqlSessionOf(tx), { projectId: null, to: args.email, template: 'password_reset', data: { resetUrl: args.resetUrl(token), validMinutes: RESET_VALID_MINUTES } }, args.at);
  });
}

export class ResetError extends Error {
  constructor(
    readonly status: 404 | 410,
    message: string,
  ) {
    super(message);
  }
}

/** Sets the new password with a valid link, once; every session of the user ends. */
export async function confirmPasswordReset(prisma: PrismaClient, args: { token: string; password: string; at: Date }): Promise<{ userId: string; sessionsEnded: number }> {
  const tokenHash = presentedHash('password_reset', args.token);
  const reset = tokenHash ? await prisma.passwordReset.findUnique({ where: { tokenHash } }) : null;
  if (!reset || reset.usedAt) throw new ResetError(404, 'this password reset link is not valid: it was used or replaced by a newer one; ask for a new one');
  if (reset.expiresAt.getTime() <= args.at.getTime()) throw new ResetError(410, `this password reset link expired (links are valid ${RESET_VALID_MINUTES} minutes): ask for a new one`);
  const passwordHash = await hashPassword(args.password);
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.passwordReset.updateMany({ where: { id: reset.id, usedAt: null }, data: { usedAt: args.at } });
    if (count !== 1) throw new ResetError(404, 'this password reset link is not valid: it was used or replaced by a newer one; ask for a new one');
    await tx.user.update({ where: { id: reset.userId }, data: { passwordHash, passwordChangedAt: args.at } });
    const sessionsEnded = await revokeUserSessions(tx, reset.userId, args.at);
    return { userId: reset.userId, sessionsEnded };
  });
}
