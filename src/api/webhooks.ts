import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { endpointSecretContext } from '../outbound/dispatcher';
import { DEFAULT_EVENTS, DEFAULT_PAYLOAD_FORMAT, isOutboundEvent, OUTBOUND_EVENTS, PAYLOAD_FORMAT_DESCRIPTIONS, PAYLOAD_FORMATS, REFGROW_EVENTS, type OutboundEvent } from '../outbound/events';
import { ENDPOINT_SECRET_PREFIX, newEndpointSecret } from '../outbound/signature';
import { checkResolvedHost, checkTargetUrl } from '../outbound/target-guard';
import { maskSecret, type SecretBox } from '../security/secret-box';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import { idFromPath, takingBack } from './fields';
import { resourceOperations, type Operation } from './operation';

/** Event names, each known (an unknown one is named in the 400), without repeats. */
const eventsField = z
  .array(z.string(), { error: 'must be a list of event names' })
  .min(1)
  .superRefine((events, ctx) => {
    const unknown = [...new Set(events.filter((e) => !isOutboundEvent(e)))];
    if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown event${unknown.length > 1 ? 's' : ''} ${unknown.map((e) => JSON.stringify(e)).join(', ')} (known: ${OUTBOUND_EVENTS.join(', ')})` });
  })
  .transform((events) => [...new Set(events)])
  .meta({ items: { type: 'string', enum: [...OUTBOUND_EVENTS] }, description: "The events it receives: Refgrow's four, Refferq's twelve and the affiliate lifecycle's rejected and reactivated in Refferq's shape (docs/webhooks.md). Default on creation: Refgrow's four." });
const createBody = z.strictObject({
  url: z.string().trim().min(1).max(2048),
  events: eventsField.optional(),
  payload_format: z
    .enum(PAYLOAD_FORMATS)
    .meta({ description: "The shape of its payloads, kept until the merchant changes it: refgrow-v1 (Refgrow's documented payloads; default on creation) or refwire-v1 (Refwire's earlier envelope)." })
    .optional(),
  description: z.string().trim().max(255).nullable().optional(),
});
const updateFields = createBody.partial().extend({ status: z.enum(['active', 'disabled']).optional() });
const listQuery = z.object(paginationQuery);

/** A secret sent would be ignored like any unknown field, and the merchant would sign-check with one never used. */
function refuseSecret(body: unknown): void {
  if (body !== null && typeof body === 'object' && 'secret' in body) {
    throw new HttpError(400, "secret: Refwire makes each endpoint's signing secret and shows it once, on creation; for a new one, create another endpoint, move to it, then delete this one");
  }
}
const deliveriesQuery = z.object({ ...paginationQuery, status: z.enum(['pending', 'succeeded', 'failed']).optional() });

const webhookEndpointResponse = z
  .strictObject({
    id: uuid,
    url: z.string(),
    events: z.array(z.string()),
    payload_format: z.enum(PAYLOAD_FORMATS),
    description: z.string().nullable(),
    status: z.enum(['active', 'disabled']),
    disabled_reason: z.string().nullable(),
    consecutive_failures: z.number().int(),
    secret_hint: z.string(),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'WebhookEndpoint' });
const updateBody = takingBack(updateFields, webhookEndpointResponse);

const webhookDeliveryResponse = z
  .strictObject({
    id: uuid,
    event: z.string(),
    webhook_id: z.string().describe('the Standard Webhooks webhook-id, the same on every attempt'),
    payload_format: z.enum(PAYLOAD_FORMATS),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    next_attempt_at: instant.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    delivered_at: instant.nullable(),
    created_at: instant,
    payload: z.unknown().describe('the JSON body sent'),
    attempt_log: z.array(
      z.strictObject({
        attempted_at: instant,
        status_code: z.number().int().nullable(),
        error: z.string().nullable(),
        duration_ms: z.number().int(),
        response_excerpt: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'WebhookDelivery' });

/** GET /api/v1/webhooks/event-types: the outbound events and payload formats an endpoint may choose. */
const eventTypesResponse = z
  .strictObject({
    events: z.array(
      z.strictObject({
        name: z.enum(OUTBOUND_EVENTS),
        family: z.enum(['refgrow', 'refferq']).describe("refgrow: Refgrow's four; refferq: Refferq's twelve and the two lifecycle events in their shape (affiliate.rejected, affiliate.reactivated)"),
        default: z.boolean().describe('whether an endpoint created without `events` receives it'),
      }),
    ),
    payload_formats: z.array(
      z.strictObject({
        name: z.enum(PAYLOAD_FORMATS),
        description: z.string(),
        default_for_new_endpoints: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'WebhookEventTypes' });

const familyOf = (name: OutboundEvent): 'refgrow' | 'refferq' => ((REFGROW_EVENTS as readonly string[]).includes(name) ? 'refgrow' : 'refferq');

/** The catalog, built once from src/outbound/events.ts: the same for every project. */
const eventTypes: z.output<typeof eventTypesResponse> = {
  events: OUTBOUND_EVENTS.map((name) => ({ name, family: familyOf(name), default: DEFAULT_EVENTS.includes(name) })),
  payload_formats: PAYLOAD_FORMATS.map((name) => ({ name, description: PAYLOAD_FORMAT_DESCRIPTIONS[name], default_for_new_endpoints: name === DEFAULT_PAYLOAD_FORMAT })),
};

function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    payload_format: e.payloadFormat,
    description: e.description,
    status: e.status,
    disabled_reason: e.disabledReason,
    consecutive_failures: e.consecutiveFailures,
    secret_hint: e.secretHint,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

function deliveryView(d: WebhookDelivery & { tries: WebhookAttempt[] }) {
  return {
    id: d.id,
    event: d.eventType,
    webhook_id: d.messageId,
    payload_format: d.payloadFormat,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    delivered_at: d.deliveredAt?.toISOString() ?? null,
    created_at: d.createdAt.toISOString(),
    payload: d.payload,
    attempt_log: d.tries.map((a) => ({
      attempted_at: a.attemptedAt.toISOString(),
      status_code: a.statusCode,
      error: a.error,
      duration_ms: a.durationMs,
      response_excerpt: a.responseExcerpt,
    })),
  };
}

/**
 * `/api/v1/webhooks`: the merchant's outbound endpoints (PRODUCT.md §9). A URL must point at a public address
 * (src/outbound/target-guard.ts) unless OUTBOUND_ALLOW_PRIVATE=true; the signing secret is shown once, at creation.
 */
export function webhooksRouter(prisma: PrismaClient, box: SecretBox, options: { allowPrivate: boolean }, clock: () => Date): Router {
  const router = Router();

  async function checkUrl(raw: string): Promise<string> {
    const check = checkTargetUrl(raw, options);
    if (!check.ok) throw new HttpError(400, `url: ${check.reason}`);
    if (!options.allowPrivate) {
      let reason: string | null;
      try {
        reason = await checkResolvedHost(check.url.hostname);
      } catch {
        throw new HttpError(400, `url: the host ${check.url.hostname} does not resolve`);
      }
      if (reason) throw new HttpError(400, `url: ${reason}, not a public one`);
    }
    return check.url.toString();
  }

  async function find(projectId: string, id: unknown): Promise<WebhookEndpoint> {
    const row = await prisma.webhookEndpoint.findFirst({ where: { projectId, id: idFromPath(id, 'webhook endpoint') } });
    if (!row) throw new HttpError(404, 'webhook endpoint not found');
    return row;
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const [rows, total] = await Promise.all([
      prisma.webhookEndpoint.findMany({ where: { projectId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      prisma.webhookEndpoint.count({ where: { projectId } }),
    ]);
    res.json(page(rows.map(endpointView), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    refuseSecret(req.body);
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const url = await checkUrl(body.url);
    const id = randomUUID();
    const secret = newEndpointSecret();
    const row = await prisma.webhookEndpoint.create({
      data: {
        id,
        projectId,
        url,
        description: body.description ?? null,
        events: body.events ?? [...DEFAULT_EVENTS],
        payloadFormat: body.payload_format ?? DEFAULT_PAYLOAD_FORMAT,
        secretEnc: box.seal(secret, endpointSecretContext(projectId, id)),
        secretHint: maskSecret(secret, [ENDPOINT_SECRET_PREFIX]),
      },
    });
    res.status(201).json(ok({ ...endpointView(row), secret }));
  });

  // declared before /:id, which would take "event-types" for an endpoint's id
  router.get('/event-types', (_req, res) => {
    res.json(ok(eventTypes));
  });

  router.get('/:id', async (req, res) => {
    res.json(ok(endpointView(await find(projectIdOf(req), req.params.id))));
  });

  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const current = await find(projectId, req.params.id);
    refuseSecret(req.body);
    const body = updateBody.parse(req.body ?? {});
    const reactivated = body.status === 'active' && current.status !== 'active';
    const row = await prisma.webhookEndpoint.update({
      where: { id: current.id },
      data: {
        ...(body.url !== undefined ? { url: await checkUrl(body.url) } : {}),
        ...(body.events !== undefined ? { events: body.events } : {}),
        ...(body.payload_format !== undefined ? { payloadFormat: body.payload_format } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.status !== undefined ? { status: body.status, disabledReason: body.status === 'disabled' ? 'turned off by the merchant' : null } : {}),
        ...(reactivated ? { consecutiveFailures: 0 } : {}),
      },
    });
    res.json(ok(endpointView(row)));
  };
  router.patch('/:id', update);
  router.put('/:id', update);

  router.delete('/:id', async (req, res) => {
    const current = await find(projectIdOf(req), req.params.id);
    await prisma.webhookEndpoint.delete({ where: { id: current.id } });
    res.status(204).end();
  });

  router.get('/:id/deliveries', async (req, res) => {
    const q = deliveriesQuery.parse(req.query);
    const endpoint = await find(projectIdOf(req), req.params.id);
    const where = { endpointId: endpoint.id, ...(q.status ? { status: q.status } : {}) };
    const [rows, total] = await Promise.all([
      prisma.webhookDelivery.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip: q.offset,
        take: q.limit,
        include: { tries: { orderBy: { attemptedAt: 'asc' } } },
      }),
      prisma.webhookDelivery.count({ where }),
    ]);
    res.json(page(rows.map(deliveryView), q.limit, q.offset, total));
  });

  /** Sends a delivery again now, whatever became of it; it keeps its webhook-id, so receivers can deduplicate. */
  router.post('/:id/deliveries/:deliveryId/redeliver', async (req, res) => {
    const endpoint = await find(projectIdOf(req), req.params.id);
    const deliveryId = idFromPath(req.params.deliveryId, 'delivery');
    // answered 202 "pending", it would wait unsent until the endpoint is enabled, then go with nothing said
    if (endpoint.status !== 'active') throw new HttpError(409, 'the endpoint is disabled: enable it (PATCH status "active") to send to it again');
    const { count } = await prisma.webhookDelivery.updateMany({
      where: { id: deliveryId, endpointId: endpoint.id },
      data: { status: 'pending', nextAttemptAt: clock(), lockedUntil: null },
    });
    if (count === 0) throw new HttpError(404, 'delivery not found');
    const row = await prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId }, include: { tries: { orderBy: { attemptedAt: 'asc' } } } });
    res.status(202).json(ok(deliveryView(row)));
  });

  return router;
}

export const webhookOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/webhooks/event-types',
    tag: 'Outbound webhooks',
    access: 'api_key',
    summary: "The events an endpoint may receive (Refgrow's four, the default, Refferq's twelve, and affiliate.rejected/affiliate.reactivated) and the payload formats",
    response: eventTypesResponse,
  },
  ...resourceOperations({
    path: '/api/v1/webhooks',
    tag: 'Outbound webhooks',
    noun: 'webhook endpoint',
    key: 'id',
    list: listQuery,
    create: createBody,
    update: updateBody,
    remove: true,
    response: webhookEndpointResponse,
  }).map((op) =>
    op.method === 'post'
      ? {
          ...op,
          summary: 'Create a webhook endpoint; its signing secret is shown once',
          errors: [],
          response: z.strictObject({ ...webhookEndpointResponse.shape, secret: z.string().describe('the signing secret, shown once') }),
        }
      : op,
  ),
  {
    method: 'get',
    path: '/api/v1/webhooks/{id}/deliveries',
    tag: 'Outbound webhooks',
    access: 'api_key',
    summary: "An endpoint's deliveries, newest first, each with every attempt",
    query: deliveriesQuery,
    answer: 'list',
    response: webhookDeliveryResponse,
  },
  {
    method: 'post',
    path: '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    tag: 'Outbound webhooks',
    access: 'api_key',
    summary: 'Send a delivery again (same webhook-id)',
    description: 'Refused with 409 while the endpoint is disabled.',
    status: 202,
    errors: [409],
    response: webhookDeliveryResponse,
  },
];
