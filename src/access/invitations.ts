import type { PrismaClient } from '../generated/prisma/client';
import { sqlSessionOf } from '../db/prisma-session';
import { queueEmail } from '../email/outbox';
import { hashPassword, passwordMatches, PASSWORD_MIN_LENGTH } from './passwords';
import type { Role } from './roles';
import { newToken, presentedHash } from './secret-tokens';

export const INVITATION_DAYS = 7;

export class InvitationError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 410,
    message: string,
  ) {
    super(message);
  }
}

export type InvitationRow = { id: string; email: string; role: string; invitedByEmail: string; expiresAt: Date; acceptedAt: Date | null; revokedAt: Date | null; createdAt: Date };

export function invitationStatus(i: InvitationRow, at: Date): 'pending' | 'accepted' | 'revoked' | 'expired' {
  if (i.acceptedAt) return 'accepted';
  if (i.revokedAt) return 'revoked';
  return i.expiresAt.getTime() <= at.getTime() ? 'expired' : 'pending';
}

/**
 * Invites an address to the project with a role, and emails the link in the same transaction. A new invitation
 * of the same address replaces a pending one. The email belongs to no project (project_id null): the link lets
 * whoever holds it join, so it must not be readable through `GET /api/v1/emails` by the project's viewers. The link
 * is also answered to the caller, who shows it to whoever invited when no mail server sends it.
 */
export async function invite(
  prisma: PrismaClient,
  args: { projectId: string; email: string; role: Role; by: { id: string; email: string }; at: Date; acceptUrl: (token: string) => string },
): Promise<{ row: InvitationRow; acceptUrl: string }> {
  return prisma.$transaction(async (tx) => {
    const project = await tx.project.findUnique({ where: { id: args.projectId }, select: { name: true } });
    if (!project) throw new InvitationError(404, 'project not found');
    const member = await tx.projectMember.findFirst({ where: { projectId: args.projectId, user: { email: args.email } }, select: { id: true } });
    if (member) throw new InvitationError(409, 'this email is already a member of the project');
    await tx.userInvitation.updateMany({ where: { projectId: args.projectId, email: args.email, acceptedAt: null, revokedAt: null }, data: { revokedAt: args.at } });
    const { token, hash } = newToken('invitation');
    const row = await tx.userInvitation.create({
      data: {
        projectId: args.projectId,
        email: args.email,
        role: args.role,
        tokenHash: hash,
        invitedByUserId: args.by.id,
        invitedByEmail: args.by.email,
        expiresAt: new Date(args.at.getTime() + INVITATION_DAYS * 86_400_000),
        createdAt: args.at,
      },
    });
    const acceptUrl = args.acceptUrl(token);
    await queueEmail(
      sqlSessionOf(tx),
      { projectId: null, to: args.email, template: 'user_invitation', data: { projectName: project.name, inviterEmail: args.by.email, role: args.role, acceptUrl, validDays: INVITATION_DAYS } },
      args.at,
    );
    return { row, acceptUrl };
  });
}

const NOT_VALID = 'this invitation link is not valid: it was used or revoked; ask for a new invitation';

/** A live invitation by its token, or the refusal accepting it would meet (used or revoked 404, expired 410). */
async function liveInvitation(prisma: PrismaClient, token: string, at: Date) {
  const tokenHash = presentedHash('invitation', token);
  const invitation = tokenHash ? await prisma.userInvitation.findUnique({ where: { tokenHash } }) : null;
  if (!invitation || invitation.acceptedAt || invitation.revokedAt) throw new InvitationError(404, NOT_VALID);
  if (invitation.expiresAt.getTime() <= at.getTime()) throw new InvitationError(410, `this invitation expired (invitations are valid ${INVITATION_DAYS} days): ask for a new one`);
  return invitation;
}

/**
 * What the link's holder is invited to, before they join: the address, the project, the role and who invited them,
 * and whether the address has an account already (so the page asks for its password rather than a new one). Only
 * the holder of the token learns it, which the email gave them.
 */
export async function describeInvitation(
  prisma: PrismaClient,
  args: { token: string; at: Date },
): Promise<{ email: string; projectName: string; role: string; invitedBy: string; expiresAt: Date; accountExists: boolean }> {
  const invitation = await liveInvitation(prisma, args.token, args.at);
  const [project, user] = await Promise.all([
    prisma.project.findUniqueOrThrow({ where: { id: invitation.projectId }, select: { name: true } }),
    prisma.user.findUnique({ where: { email: invitation.email }, select: { id: true } }),
  ]);
  return { email: invitation.email, projectName: project.name, role: invitation.role, invitedBy: invitation.invitedByEmail, expiresAt: invitation.expiresAt, accountExists: user !== null };
}

/**
 * The invitee joins: a new address becomes a user with the password given; an address that already has an account
 * proves it with that account's password (the invitation does not change it). The token works once.
 */
export async function acceptInvitation(prisma: PrismaClient, args: { token: string; password: string; at: Date }): Promise<{ userId: string; email: string; projectId: string; role: string }> {
  const invitation = await liveInvitation(prisma, args.token, args.at);
  const existing = await prisma.user.findUnique({ where: { email: invitation.email }, select: { id: true, passwordHash: true } });
  if (existing && !(await passwordMatches(existing.passwordHash, args.password))) {
    throw new InvitationError(401, 'this email already has a Refwire dashboard account: enter its password to join (or reset it first)');
  }
  if (!existing && args.password.length < PASSWORD_MIN_LENGTH) throw new InvitationError(400, `password: must be at least ${PASSWORD_MIN_LENGTH} characters`);
  const newHash = existing ? null : await hashPassword(args.password);
  return prisma.$transaction(async (tx) => {
    // the conditional update is what makes the token single-use when two acceptances race
    const { count } = await tx.userInvitation.updateMany({ where: { id: invitation.id, acceptedAt: null, revokedAt: null }, data: { acceptedAt: args.at } });
    if (count !== 1) throw new InvitationError(404, NOT_VALID);
    const userId = existing
      ? existing.id
      : (await tx.user.create({ data: { email: invitation.email, passwordHash: newHash!, passwordChangedAt: args.at, createdAt: args.at }, select: { id: true } })).id;
    const member = await tx.projectMember.findUnique({ where: { projectId_userId: { projectId: invitation.projectId, userId } } });
    // already a member (invited twice, or made owner meanwhile): the role they hold stays
    if (!member) await tx.projectMember.create({ data: { projectId: invitation.projectId, userId, role: invitation.role, createdAt: args.at } });
    return { userId, email: invitation.email, projectId: invitation.projectId, role: member?.role ?? invitation.role };
  });
}
