import { Router } from 'express';
import { z } from 'zod';
import type { AuditLogEntry, Prisma, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { instant, page, paginationQuery, uuid } from './envelope';
import { checkedPeriod, isoDate } from './fields';
import type { Operation } from './operation';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const listQuery = z.object({
  ...paginationQuery,
  actor: z.string().trim().min(1).max(320).optional().describe("a user's email or id, or an API key's prefix or id"),
  actor_type: z.enum(['user', 'api_key']).optional(),
  from: isoDate.optional().describe('entries at or after this instant'),
  to: isoDate.optional().describe('entries before this instant'),
});

function actorFilter(actor: string): Prisma.AuditLogEntryWhereInput {
  if (UUID.test(actor)) return { OR: [{ actorUserId: actor.toLowerCase() }, { apiKeyId: actor.toLowerCase() }] };
  if (actor.includes('@')) return { actorEmail: actor.toLowerCase() };
  return { apiKeyPrefix: actor };
}

const auditLogEntryResponse = z
  .strictObject({
    id: uuid,
    actor: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('user'), user_id: uuid.nullable(), email: z.string().nullable() }),
      z.strictObject({ type: z.literal('api_key'), api_key_id: uuid.nullable(), api_key_prefix: z.string().nullable() }),
    ]),
    method: z.string(),
    path: z.string(),
    status: z.number().int(),
    target: z.string().nullable(),
    created_at: instant,
  })
  .meta({ id: 'AuditLogEntry' });

function entryView(e: AuditLogEntry) {
  return {
    id: e.id,
    actor:
      e.actorType === 'user'
        ? { type: 'user', user_id: e.actorUserId, email: e.actorEmail }
        : { type: 'api_key', api_key_id: e.apiKeyId, api_key_prefix: e.apiKeyPrefix },
    method: e.method,
    path: e.path,
    status: e.status,
    target: e.target,
    created_at: e.createdAt.toISOString(),
  };
}

/** `GET /api/v1/audit-log`: every write to the project through an API key or a dashboard session, newest first. */
export function auditLogRouter(prisma: PrismaClient): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = checkedPeriod(listQuery.parse(req.query));
    const where: Prisma.AuditLogEntryWhereInput = {
      projectId: projectIdOf(req),
      ...(q.actor_type ? { actorType: q.actor_type } : {}),
      ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lt: q.to } : {}) } } : {}),
      ...(q.actor ? actorFilter(q.actor) : {}),
    };
    const [rows, total] = await Promise.all([
      prisma.auditLogEntry.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: q.offset, take: q.limit }),
      prisma.auditLogEntry.count({ where }),
    ]);
    res.json(page(rows.map(entryView), q.limit, q.offset, total));
  });
  return router;
}

export const auditLogOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/audit-log',
    tag: 'Audit log',
    access: 'api_key',
    summary: 'Every write to the project (who: user or API key; what: method, path, status, target; when), newest first',
    query: listQuery,
    answer: 'list',
    response: auditLogEntryResponse,
  },
];
