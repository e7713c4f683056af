import { Router } from 'express';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { EVENT_STATUSES } from '../pipeline/event-status';
import { PROVIDER_NAMES } from '../providers/provider-names';
import { ok, page, paginationQuery } from './envelope';

const isoDate = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an ISO 8601 date or date-time' })
  .transform((v) => new Date(v));

const listQuery = z.object({
  ...paginationQuery,
  provider: z.enum(PROVIDER_NAMES).optional(),
  status: z.enum(EVENT_STATUSES).optional(),
  type: z.string().trim().min(1).max(255).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
});

type EventRow = Prisma.InboundEventGetPayload<{ omit: { rawBody: true; headers: true } }>;

function summary(e: EventRow) {
  return {
    id: e.id,
    provider: e.provider,
    provider_event_id: e.providerEventId,
    type: e.eventType,
    status: e.status,
    status_reason: e.statusReason,
    livemode: e.livemode,
    attempts: e.attempts,
    occurred_at: e.occurredAt?.toISOString() ?? null,
    received_at: e.receivedAt.toISOString(),
    processed_at: e.processedAt?.toISOString() ?? null,
  };
}

/** `/api/v1/events`: the webhook event log, newest first, scoped to the key's project. */
export function eventsRouter(prisma: PrismaClient): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    if (q.from && q.to && q.from > q.to) throw new HttpError(400, 'from must not be after to');
    const where: Prisma.InboundEventWhereInput = {
      projectId: projectIdOf(req),
      provider: q.provider,
      status: q.status,
      eventType: q.type,
      receivedAt: q.from || q.to ? { gte: q.from, lte: q.to } : undefined,
    };
    const [rows, total] = await Promise.all([
      prisma.inboundEvent.findMany({
        where,
        omit: { rawBody: true, headers: true },
        orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
        skip: q.offset,
        take: q.limit,
      }),
      prisma.inboundEvent.count({ where }),
    ]);
    res.json(page(rows.map(summary), q.limit, q.offset, total));
  });

  router.get('/:id', async (req, res) => {
    const id = z.string().uuid().safeParse(req.params.id);
    const event = id.success
      ? await prisma.inboundEvent.findFirst({ where: { id: id.data.toLowerCase(), projectId: projectIdOf(req) } })
      : null;
    if (!event) throw new HttpError(404, 'event not found');
    const { rawBody, headers, ...rest } = event;
    res.json(ok({ ...summary(rest), headers, payload: JSON.parse(Buffer.from(rawBody).toString('utf8')) as unknown }));
  });

  return router;
}
