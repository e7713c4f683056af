import { randomBytes } from 'node:crypto';
import type { PrismaClient, PublishableKey } from '../generated/prisma/client';

/**
 * Publishable keys (pk_…) let a merchant's pages report to public endpoints (POST /api/track/conversion). They
 * are meant to be seen, so they are kept in clear and listed whole; what keeps them harmless is where they are
 * accepted: only public endpoints, whose calls never move money already recorded (PRODUCT.md §11).
 */
export const PUBLISHABLE_PREFIX = 'pk_';

export function isPublishableKey(token: string): boolean {
  return token.startsWith(PUBLISHABLE_PREFIX);
}

export async function createPublishableKey(prisma: PrismaClient, projectId: string, name: string | null): Promise<PublishableKey> {
  return prisma.publishableKey.create({ data: { projectId, name, key: `${PUBLISHABLE_PREFIX}${randomBytes(24).toString('base64url')}` } });
}

/** The project of a publishable key in force, or null for an unknown or revoked one. */
export async function findPublishableKey(prisma: PrismaClient, key: string): Promise<{ projectId: string; keyId: string } | null> {
  if (!isPublishableKey(key) || key.length > 64) return null;
  const row = await prisma.publishableKey.findUnique({ where: { key }, select: { id: true, projectId: true, revokedAt: true } });
  return row && row.revokedAt === null ? { projectId: row.projectId, keyId: row.id } : null;
}
