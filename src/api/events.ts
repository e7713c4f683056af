import { Router } from 'express';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import type { SqlClient } from '../db/sql';
import { countRows } from '../db/row-counts';
import { inIdOrder, keysetPageIds, offsetPageIds } from '../db/list-pages';
import { resetForReplay } from '../inbox/inbound-events';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { EVENT_STATUSES } from '../domain/event-status';
import type { ProcessOutcome } from '../domain/process-outcome';
import { PROVIDER_NAMES } from '../domain/provider-names';
import { parseJsonObject } from '../providers/shared/json';
import { MAX_JSON_DEPTH, nestsDeeper } from '../util/json-text';
import { CURSOR_PAGING, cursorOf, cursorQuery, instant, keysetPage, ok, paginationQuery, uuid } from './envelope';
import { idFromPath, isoDate } from './fields';
import type { Operation } from './operation';
import { conversionResponse, conversionView } from '../views/present';
import { withExplanations } from './explanations';

const listQuery = z.object({
  ...paginationQuery,
  ...cursorQuery,
  provider: z.enum(PROVIDER_NAMES).optional(),
  status: z.enum(EVENT_STATUSES).optional(),
  type: z.string().trim().min(1).max(255).optional(),
  /** webhook, or reconciled: recovered from the provider's API */
  origin: z.enum(['webhook', 'reconciled']).optional(),
  from: isoDate.optional().describe('events received at or after this instant'),
  // half-open, as the reports and the CSV read a period: a month's "to" is the next month's "from"
  to: isoDate.optional().describe('events received before this instant'),
});

/** Up to this many events a call: each is processed in turn, so a call stays well within a request's time. */
export const REPLAY_BATCH_LIMIT = 1000;

const replayAllBody = z
  .object({
    /** only failed events may be replayed in bulk (for now) */
    status: z.literal('failed'),
    provider: z.enum(PROVIDER_NAMES).optional(),
    /** at most this many, oldest first */
    limit: z.number().int().min(1).max(REPLAY_BATCH_LIMIT).default(REPLAY_BATCH_LIMIT),
  })
  .strict();

const replayAllAnswer = z.object({
  status: z.literal('failed'),
  provider: z.enum(PROVIDER_NAMES).nullable(),
  replayed: z.number().int(),
  outcomes: z.object({ processed: z.number().int(), ignored: z.number().int(), failed: z.number().int(), retry: z.number().int(), skipped: z.number().int() }),
  busy: z.number().int(),
  remaining: z.number().int(),
});

type EventRow = Prisma.InboundEventGetPayload<{ omit: { rawBody: true; headers: true } }>;

const eventResponse = z
  .strictObject({
    id: uuid,
    provider: z.enum(PROVIDER_NAMES),
    provider_event_id: z.string(),
    type: z.string(),
    status: z.enum(EVENT_STATUSES),
    status_reason: z.string().nullable(),
    livemode: z.boolean().nullable(),
    attempts: z.number().int(),
    origin: z.enum(['webhook', 'reconciled']),
    occurred_at: instant.nullable(),
    received_at: instant,
    processed_at: instant.nullable(),
  })
  .meta({ id: 'Event' });

/** One event with its headers, payload and the conversions it made. */
const eventDetailResponse = z
  .strictObject({
    ...eventResponse.shape,
    headers: z.record(z.string(), z.unknown()).describe('the request headers kept: content type, user agent, signature headers'),
    payload: z.record(z.string(), z.unknown()).nullable(),
    payload_omitted: z.string().optional().describe('why payload is null'),
    conversions: z.array(conversionResponse),
  })
  .meta({ id: 'EventDetail' });

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
    origin: e.origin,
    occurred_at: e.occurredAt?.toISOString() ?? null,
    received_at: e.receivedAt.toISOString(),
    processed_at: e.processedAt?.toISOString() ?? null,
  };
}

/**
 * The stored body as JSON. Receivers refuse bodies nested past MAX_JSON_DEPTH, but one stored before they did
 * would make the answer fail to serialize: its payload is left out, with the reason.
 */
function storedPayload(rawBody: Uint8Array): { payload: unknown; payload_omitted?: string } {
  const payload = parseJsonObject(Buffer.from(rawBody));
  if (payload && nestsDeeper(payload, MAX_JSON_DEPTH)) return { payload: null, payload_omitted: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  return { payload };
}

/** `/api/v1/events`: the webhook event log, newest first, scoped to the key's project. */
export function eventsRouter(prisma: PrismaClient, sql: SqlClient, processEvent: (id: string) => Promise<ProcessOutcome>, clock: () => Date): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    if (q.from && q.to && q.from > q.to) throw new HttpError(400, 'from must not be after to');
    const where: Prisma.InboundEventWhereInput = {
      projectId: projectIdOf(req),
      provider: q.provider,
      status: q.status,
      eventType: q.type,
      origin: q.origin,
      receivedAt: q.from || q.to ? { gte: q.from, lt: q.to } : undefined,
    };
    const orderBy: Prisma.InboundEventOrderByWithRelationInput[] = [{ receivedAt: 'desc' }, { id: 'desc' }];
    const keyOf = (e: EventRow) => ({ at: e.receivedAt, id: e.id });
    // by provider and status alone (or no filter), the total is the project's maintained count (src/db/row-counts.ts)
    const countable = !q.type && !q.origin && !q.from && !q.to;
    const projectId = where.projectId as string;
    const cursor = await cursorOf(q, req.query, 'events', async (id) => (await prisma.inboundEvent.count({ where: { id, projectId } })) > 0);
    // a page of the whole log reads its ids from the index alone, then its rows by id (src/db/list-pages.ts)
    const whole = countable && !q.provider && !q.status;
    const byIds = async (ids: string[]) => inIdOrder(ids, await prisma.inboundEvent.findMany({ where: { projectId, id: { in: ids } }, omit: { rawBody: true, headers: true } }));
    if (cursor) {
      let rows: EventRow[];
      if (whole) rows = await byIds(await keysetPageIds(sql, 'inbound_events', projectId, cursor, q.limit + 1));
      else {
        // two seeks, each an index range on (project_id, received_at, id): the rows of the cursor's own instant
        // after it (ties broken by id), then the older ones; an OR of both would scan every row of a shared instant
        const tied = await prisma.inboundEvent.findMany({ where: { AND: [where, { receivedAt: cursor.at, id: { lt: cursor.id } }] }, omit: { rawBody: true, headers: true }, orderBy, take: q.limit + 1 });
        const older =
          tied.length > q.limit ? [] : await prisma.inboundEvent.findMany({ where: { AND: [where, { receivedAt: { lt: cursor.at } }] }, omit: { rawBody: true, headers: true }, orderBy, take: q.limit + 1 - tied.length });
        rows = [...tied, ...older];
      }
      res.json(keysetPage('events', rows, summary, keyOf, q, cursor, null));
      return;
    }
    const [rows, total] = await Promise.all([
      whole ? offsetPageIds(sql, 'inbound_events', projectId, q.offset, q.limit).then(byIds) : prisma.inboundEvent.findMany({ where, omit: { rawBody: true, headers: true }, orderBy, skip: q.offset, take: q.limit }),
      countable ? countRows(sql, projectId, 'inbound_events', { keyA: q.provider, keyB: q.status }) : prisma.inboundEvent.count({ where }),
    ]);
    res.json(keysetPage('events', rows, summary, keyOf, q, null, total));
  });

  async function detail(projectId: string, rawId: unknown) {
    const event = await prisma.inboundEvent.findFirst({ where: { id: idFromPath(rawId, 'event'), projectId } });
    if (!event) throw new HttpError(404, 'event not found');
    const conversions = await prisma.conversion.findMany({ where: { projectId, inboundEventId: event.id }, orderBy: { createdAt: 'asc' } });
    const { rawBody, headers, ...rest } = event;
    const now = clock();
    return {
      ...summary(rest),
      headers,
      ...storedPayload(rawBody),
      // the ledger rows this event created; their attribution trace says why each was (not) attributed
      conversions: await withExplanations(prisma, projectId, conversions, (c) => conversionView(c, now)),
    };
  }

  router.get('/:id', async (req, res) => {
    res.json(ok(await detail(projectIdOf(req), req.params.id)));
  });

  /**
   * Replays the project's failed events, oldest first, up to `limit` a call, each as the single replay does (every
   * write is keyed, so effects never double). `remaining`: failed events this call did not take.
   */
  router.post('/replay', async (req, res) => {
    const body = replayAllBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const where: Prisma.InboundEventWhereInput = { projectId, status: body.status, provider: body.provider };
    const [rows, total] = await Promise.all([
      prisma.inboundEvent.findMany({ where, select: { id: true }, orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }], take: body.limit }),
      prisma.inboundEvent.count({ where }),
    ]);
    const outcomes = { processed: 0, ignored: 0, failed: 0, retry: 0, skipped: 0 };
    let busy = 0;
    for (const { id } of rows) {
      // failed a moment ago, but a runner may have taken it since: leave it to that runner
      const reset = await resetForReplay(sql, { id, projectId });
      if (reset.length === 0) {
        busy += 1;
        continue;
      }
      outcomes[(await processEvent(id)).status] += 1;
    }
    res.json(ok({ status: body.status, provider: body.provider ?? null, replayed: rows.length - busy, outcomes, busy, remaining: total - rows.length } satisfies z.infer<typeof replayAllAnswer>));
  });

  /** Re-runs processing of a stored event. Every write is keyed, so a replay never doubles an effect. */
  router.post('/:id/replay', async (req, res) => {
    const projectId = projectIdOf(req);
    const event = await detail(projectId, req.params.id);
    const reset = await resetForReplay(sql, { id: event.id, projectId });
    if (reset.length === 0) throw new HttpError(409, 'the event is being processed right now; try again shortly');
    await processEvent(event.id);
    res.json(ok(await detail(projectId, event.id)));
  });

  return router;
}

export const eventOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/events',
    tag: 'Events',
    access: 'api_key',
    summary: 'The webhook event log, newest first',
    description: CURSOR_PAGING,
    query: listQuery,
    answer: 'list',
    response: eventResponse,
  },
  { method: 'get', path: '/api/v1/events/{id}', tag: 'Events', access: 'api_key', summary: 'One event: payload, status, attribution trace and resulting conversions', response: eventDetailResponse },
  {
    method: 'post',
    path: '/api/v1/events/replay',
    tag: 'Events',
    access: 'api_key',
    summary: "Replay the project's failed events (of one provider, optionally), oldest first, up to 1,000 a call",
    description: 'Each as POST /api/v1/events/{id}/replay does, so effects never double. Answers how each ended and how many failed events remain for another call.',
    body: replayAllBody,
    response: replayAllAnswer,
  },
  {
    method: 'post',
    path: '/api/v1/events/{id}/replay',
    tag: 'Events',
    access: 'api_key',
    summary: 'Process a stored event again (never doubles its effect)',
    errors: [409],
    response: eventDetailResponse,
  },
];

/** The schema above, for the MCP tool that calls this route (src/mcp/tools.ts). */
export { listQuery as eventListQuery, replayAllBody as eventReplayAllBody };
