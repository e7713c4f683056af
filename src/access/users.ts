import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { isRole, type Role } from './roles';

type Db = PrismaClient | Prisma.TransactionClient;

/** Why a first owner could not be made. */
export class FirstOwnerError extends Error {
  constructor(readonly reason: 'users_exist' | 'project_not_found') {
    super(reason === 'users_exist' ? 'a dashboard user already exists: sign in, or ask an owner for an invitation' : 'project not found');
  }
}

// one set-up at a time: two at once must not both see "no user yet"
const FIRST_OWNER_LOCK = 72_707_417;

/**
 * The installation's first dashboard user, owner of the project (`POST /api/dashboard/setup`, the CLI while Refwire
 * runs on its embedded database). Refused once any user exists, whoever made it.
 */
export async function createFirstOwner(prisma: PrismaClient, args: { email: string; passwordHash: string; projectId: string; at: Date }) {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${FIRST_OWNER_LOCK})`);
    if ((await tx.user.count()) > 0) throw new FirstOwnerError('users_exist');
    if (!(await tx.project.findUnique({ where: { id: args.projectId }, select: { id: true } }))) throw new FirstOwnerError('project_not_found');
    const user = await tx.user.create({ data: { email: args.email, passwordHash: args.passwordHash, passwordChangedAt: args.at, createdAt: args.at } });
    await tx.projectMember.create({ data: { projectId: args.projectId, userId: user.id, role: 'owner', createdAt: args.at } });
    return { id: user.id, email: user.email };
  });
}

/**
 * `refwire user create` on a database it opens itself: makes the user an owner of the project, creating the user
 * when the email is new (then `passwordHash` is needed) and leaving an existing user's password as it is.
 */
export async function makeOwner(prisma: PrismaClient, args: { email: string; passwordHash: string | null; projectId: string; at: Date }) {
  return prisma.$transaction(async (tx) => {
    if (!(await tx.project.findUnique({ where: { id: args.projectId }, select: { id: true } }))) throw new FirstOwnerError('project_not_found');
    let user = await tx.user.findUnique({ where: { email: args.email }, select: { id: true, email: true } });
    const created = !user;
    if (!user) {
      if (!args.passwordHash) throw new Error('makeOwner: a new user needs a password');
      user = await tx.user.create({ data: { email: args.email, passwordHash: args.passwordHash, passwordChangedAt: args.at, createdAt: args.at }, select: { id: true, email: true } });
    }
    await tx.projectMember.upsert({
      where: { projectId_userId: { projectId: args.projectId, userId: user.id } },
      create: { projectId: args.projectId, userId: user.id, role: 'owner', createdAt: args.at },
      update: { role: 'owner' },
    });
    return { ...user, created };
  });
}

export async function findUserByEmail(db: Db, email: string) {
  return db.user.findUnique({ where: { email }, select: { id: true, email: true, passwordHash: true } });
}

export type MembershipView = { project_id: string; project_name: string; currency: string; role: Role };

/** The projects a user sees, oldest membership first. */
export async function membershipsOf(db: Db, userId: string): Promise<MembershipView[]> {
  const rows = await db.projectMember.findMany({
    where: { userId },
    orderBy: [{ createdAt: 'asc' }, { project: { name: 'asc' } }],
    select: { role: true, project: { select: { id: true, name: true, currency: true } } },
  });
  return rows.filter((r) => isRole(r.role)).map((r) => ({ project_id: r.project.id, project_name: r.project.name, currency: r.project.currency, role: r.role as Role }));
}
