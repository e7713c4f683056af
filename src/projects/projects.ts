import type { PrismaClient } from '../generated/prisma/client';
import { generateApiKey, hashToken } from '../security/tokens';

export type CreatedProject = { id: string; name: string; currency: string; apiKey: string; createdAt: Date };

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** A project and its first API key, created together: a project nobody can reach would be useless. */
export async function createProject(prisma: PrismaClient, input: { name: string; currency: string }): Promise<CreatedProject> {
  const key = generateApiKey();
  const project = await prisma.project.create({
    data: {
      name: input.name,
      currency: input.currency,
      apiKeys: { create: { keyHash: key.hash, prefix: key.prefix, name: 'default' } },
    },
  });
  return { id: project.id, name: project.name, currency: project.currency, apiKey: key.key, createdAt: project.createdAt };
}

export async function issueApiKey(prisma: PrismaClient, projectId: string, name: string | null) {
  const project = await prisma.project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) throw new NotFoundError('project not found');
  const key = generateApiKey();
  const row = await prisma.apiKey.create({ data: { projectId, keyHash: key.hash, prefix: key.prefix, name } });
  return { id: row.id, name: row.name, prefix: row.prefix, apiKey: key.key, createdAt: row.createdAt };
}

export async function revokeApiKey(prisma: PrismaClient, projectId: string, keyId: string): Promise<void> {
  const { count } = await prisma.apiKey.updateMany({
    where: { id: keyId, projectId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw new NotFoundError('API key not found');
}

/** The project an API key belongs to, and the key's id, or null for an unknown or revoked key. */
export async function findApiKey(prisma: PrismaClient, apiKey: string): Promise<{ projectId: string; keyId: string } | null> {
  const row = await prisma.apiKey.findUnique({ where: { keyHash: hashToken(apiKey) }, select: { id: true, projectId: true, revokedAt: true } });
  return row && row.revokedAt === null ? { projectId: row.projectId, keyId: row.id } : null;
}
