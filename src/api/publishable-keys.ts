import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient, PublishableKey } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { createPublishableKey } from '../projects/publishable-keys';
import { idFromPath } from './fields';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import type { Operation } from './operation';

const createBody = z.object({ name: z.string().trim().min(1).max(200).optional() }).strict();
const listQuery = z.object({ ...paginationQuery });

const publishableKeyResponse = z
  .strictObject({ id: uuid, name: z.string().nullable(), key: z.string().describe('pk_…'), created_at: instant, revoked_at: instant.nullable() })
  .meta({ id: 'PublishableKey' });

function view(k: PublishableKey) {
  return { id: k.id, name: k.name, key: k.key, created_at: k.createdAt.toISOString(), revoked_at: k.revokedAt?.toISOString() ?? null };
}

/** `/api/v1/publishable-keys`: the project's keys for public endpoints, created, listed whole and revoked by the merchant. */
export function publishableKeysRouter(prisma: PrismaClient, clock: () => Date): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const where = { projectId: projectIdOf(req) };
    const [rows, total] = await Promise.all([
      prisma.publishableKey.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      prisma.publishableKey.count({ where }),
    ]);
    res.json(page(rows.map(view), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    res.status(201).json(ok(view(await createPublishableKey(prisma, projectIdOf(req), body.name ?? null))));
  });

  // a revoked key is refused from then on; it stays listed with its revoked_at
  router.delete('/:id', async (req, res) => {
    const { count } = await prisma.publishableKey.updateMany({
      where: { id: idFromPath(req.params.id, 'publishable key'), projectId: projectIdOf(req), revokedAt: null },
      data: { revokedAt: clock() },
    });
    if (count === 0) throw new HttpError(404, 'publishable key not found');
    res.status(204).end();
  });

  return router;
}

export const publishableKeyOperations: Operation[] = [
  { method: 'get', path: '/api/v1/publishable-keys', tag: 'Publishable keys', access: 'api_key', summary: "List the project's publishable keys (pk_…), whole: they are meant to be seen", query: listQuery, answer: 'list', response: publishableKeyResponse },
  {
    method: 'post',
    path: '/api/v1/publishable-keys',
    tag: 'Publishable keys',
    access: 'api_key',
    summary: 'Create a publishable key for public endpoints (POST /api/track/conversion), safe to ship in a page',
    description: 'A publishable key is accepted only on public endpoints, and never on /api/v1; a secret API key is never accepted on public endpoints.',
    body: createBody,
    status: 201,
    response: publishableKeyResponse,
  },
  { method: 'delete', path: '/api/v1/publishable-keys/{id}', tag: 'Publishable keys', access: 'api_key', summary: 'Revoke a publishable key: refused from then on', status: 204 },
];
