import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '../generated/prisma/client';
import { requireAdmin } from '../http/auth';
import type { FailedAuthLimit } from '../http/rate-limit';
import { HttpError } from '../http/errors';
import { createProject, issueApiKey, NotFoundError, revokeApiKey } from '../projects/projects';
import { currencyCode } from './currency';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import { idFromPath } from './fields';
import type { Operation } from './operation';

const createProjectBody = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(200),
  currency: currencyCode.default('USD'),
});

const createKeyBody = z.strictObject({ name: z.string().trim().min(1).max(200).optional() }).default({});

const listQuery = z.object(paginationQuery);


function rethrowNotFound(err: unknown): never {
  if (err instanceof NotFoundError) throw new HttpError(404, err.message);
  throw err;
}

/** `/api/admin/*`: operator endpoints behind ADMIN_TOKEN (PRODUCT.md §2). */
export function adminProjectsRouter(prisma: PrismaClient, adminToken: string | null, failedAuth?: FailedAuthLimit): Router {
  const router = Router();
  router.use(requireAdmin(adminToken, failedAuth));

  router.post('/projects', async (req, res) => {
    const body = createProjectBody.parse(req.body ?? {});
    const project = await createProject(prisma, body);
    res.status(201).json(
      ok({
        id: project.id,
        name: project.name,
        currency: project.currency,
        api_key: project.apiKey,
        created_at: project.createdAt.toISOString(),
      }),
    );
  });

  router.get('/projects', async (req, res) => {
    const { limit, offset } = listQuery.parse(req.query);
    const [rows, total] = await Promise.all([
      prisma.project.findMany({ orderBy: { createdAt: 'asc' }, skip: offset, take: limit }),
      prisma.project.count(),
    ]);
    res.json(
      page(
        rows.map((p) => ({ id: p.id, name: p.name, currency: p.currency, created_at: p.createdAt.toISOString() })),
        limit,
        offset,
        total,
      ),
    );
  });

  router.post('/projects/:id/api-keys', async (req, res) => {
    const projectId = idFromPath(req.params.id, 'project');
    const body = createKeyBody.parse(req.body ?? {});
    const key = await issueApiKey(prisma, projectId, body.name ?? null).catch(rethrowNotFound);
    res.status(201).json(
      ok({ id: key.id, name: key.name, prefix: key.prefix, api_key: key.apiKey, created_at: key.createdAt.toISOString() }),
    );
  });

  router.delete('/projects/:id/api-keys/:keyId', async (req, res) => {
    const projectId = idFromPath(req.params.id, 'project');
    const keyId = idFromPath(req.params.keyId, 'API key');
    await revokeApiKey(prisma, projectId, keyId).catch(rethrowNotFound);
    res.status(204).end();
  });

  return router;
}

const projectResponse = z.strictObject({ id: uuid, name: z.string(), currency: z.string(), created_at: instant });
const createdProjectResponse = z.strictObject({ ...projectResponse.shape, api_key: z.string().describe('shown once') });
const issuedKeyResponse = z.strictObject({ id: uuid, name: z.string().nullable(), prefix: z.string(), api_key: z.string().describe('shown once'), created_at: instant });

export const adminOperations: Operation[] = [
  { method: 'post', path: '/api/admin/projects', tag: 'Admin', access: 'admin', summary: 'Create a project; its first API key is shown once', body: createProjectBody, status: 201, response: createdProjectResponse },
  { method: 'get', path: '/api/admin/projects', tag: 'Admin', access: 'admin', summary: 'List projects', query: listQuery, answer: 'list', response: projectResponse },
  { method: 'post', path: '/api/admin/projects/{id}/api-keys', tag: 'Admin', access: 'admin', summary: 'Issue another API key (shown once)', body: createKeyBody, status: 201, response: issuedKeyResponse },
  { method: 'delete', path: '/api/admin/projects/{id}/api-keys/{keyId}', tag: 'Admin', access: 'admin', summary: 'Revoke an API key', status: 204 },
];
