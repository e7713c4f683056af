import type { Prisma, PrismaClient } from '../generated/prisma/client';
import type { Role } from './roles';

export class MemberError extends Error {
  constructor(
    readonly reason: 'not_found' | 'last_owner',
    message: string,
  ) {
    super(message);
  }
}

const LAST_OWNER = 'a project keeps at least one owner: make another member owner first';

/**
 * Locks the project's owner rows and answers how many there are, so two owners demoting each other at once cannot
 * leave the project with none.
 */
async function lockedOwnerCount(tx: Prisma.TransactionClient, projectId: string): Promise<number> {
  const rows = await tx.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM project_members WHERE project_id = $1::uuid AND role = 'owner' FOR UPDATE`, projectId);
  return rows.length;
}

export async function listMembers(db: PrismaClient, projectId: string) {
  const rows = await db.projectMember.findMany({
    where: { projectId },
    orderBy: [{ createdAt: 'asc' }, { user: { email: 'asc' } }],
    select: { role: true, createdAt: true, user: { select: { id: true, email: true } } },
  });
  return rows.map((r) => ({ user_id: r.user.id, email: r.user.email, role: r.role, joined_at: r.createdAt.toISOString() }));
}

export async function changeRole(prisma: PrismaClient, args: { projectId: string; userId: string; role: Role }) {
  return prisma.$transaction(async (tx) => {
    const owners = await lockedOwnerCount(tx, args.projectId);
    const member = await tx.projectMember.findUnique({ where: { projectId_userId: { projectId: args.projectId, userId: args.userId } } });
    if (!member) throw new MemberError('not_found', 'member not found');
    if (member.role === 'owner' && args.role !== 'owner' && owners <= 1) throw new MemberError('last_owner', LAST_OWNER);
    await tx.projectMember.update({ where: { id: member.id }, data: { role: args.role } });
  });
}

/** Removes a member from the project; their sessions stay (other projects), this project refuses them at once. */
export async function removeMember(prisma: PrismaClient, args: { projectId: string; userId: string }) {
  return prisma.$transaction(async (tx) => {
    const owners = await lockedOwnerCount(tx, args.projectId);
    const member = await tx.projectMember.findUnique({ where: { projectId_userId: { projectId: args.projectId, userId: args.userId } } });
    if (!member) throw new MemberError('not_found', 'member not found');
    if (member.role === 'owner' && owners <= 1) throw new MemberError('last_owner', LAST_OWNER);
    await tx.projectMember.delete({ where: { id: member.id } });
  });
}
