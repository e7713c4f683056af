import { Router } from 'express';
import type { PrismaClient } from '../generated/prisma/client';
import { z } from 'zod';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { MissingSecretError, type Integration, type IntegrationStore } from '../integrations/integration-store';
import { checkTargetUrl } from '../outbound/target-guard';
import type { ProviderAdapter } from '../providers/provider-adapter';
import { ProviderApiError } from '../providers/provider-api';
import { PROVIDER_DISPLAY_NAMES, PROVIDER_NAMES, type ProviderName } from '../domain/provider-names';
import { allAdapters, canConnect, findAdapter, getConnector, getEnricher } from '../providers/registry';
import { ReconcileError, type ReconcileReport } from '../reconcile/reconcile';
import { instant, ok } from './envelope';
import { isoDate, takingBack } from './fields';
import type { Operation } from './operation';

/** How this process reaches providers' APIs: operator-set base URLs (else each provider's public API) and fetch. */
export type ProviderApiTargets = { baseUrls: Partial<Record<ProviderName, string>>; fetch: typeof fetch; allowPrivate: boolean };

const DAY_MS = 86_400_000;

/** A rotated-out secret keeps verifying for a day by default: long enough for the provider's in-flight retries. */
const DEFAULT_PREVIOUS_SECRET_TTL_HOURS = 24;

/** A Lemon Squeezy store id: a positive integer, as JSON:API's string or as a number. */
const storeIdField = z
  .union([z.string().trim().regex(/^[1-9][0-9]{0,18}$/, 'must be a Lemon Squeezy store id (a positive integer)'), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)])
  .transform(String);

const putFields = z.strictObject({
  webhook_secret: z.string().trim().min(1, 'must not be empty').optional(),
  api_key: z.string().trim().min(1, 'must not be empty').nullable().optional(),
  previous_secret_ttl_hours: z.number().int().min(0).max(720).default(DEFAULT_PREVIOUS_SECRET_TTL_HOURS),
  store_id: storeIdField
    .nullable()
    .optional()
    .describe("Lemon Squeezy only: the store these webhooks come from. Its API keys reach every store of their user, so reconciliation reads this store's orders alone (without it, the key's only store; a key that sees several is refused). null forgets it"),
});

const reconcileBody = z.strictObject({
  /** read the provider's history from here instead of the stored checkpoint (ISO 8601) */
  since: isoDate.optional(),
});

/** Runs reconciliation of one integration now (src/reconcile). */
export type ReconcileNow = (request: { projectId: string; provider: ProviderName; since?: Date }) => Promise<ReconcileReport>;

const connectBody = z.strictObject({
  api_key: z.string().trim().min(1, 'must not be empty'),
  /** keep the key for the pipeline's lookups; by default only where the provider's webhooks need them */
  store_api_key: z.boolean().optional(),
  store_id: storeIdField.optional(),
  organization_id: z.string().trim().min(1).optional(),
  sandbox: z.boolean().default(false),
  previous_secret_ttl_hours: z.number().int().min(0).max(720).default(DEFAULT_PREVIOUS_SECRET_TTL_HOURS),
});

/** A provider's refusal is the caller's to fix (a bad key, a missing store); its failure or silence is ours to report. */
function providerFailure(err: ProviderApiError): HttpError {
  if (err.status === 401 || err.status === 403) return new HttpError(400, `api_key: ${err.provider} refused it (${err.message})`);
  if (err.status !== undefined && err.status >= 400 && err.status < 500) return new HttpError(400, err.message);
  return new HttpError(502, err.message);
}

function adapterFor(name: unknown): ProviderAdapter {
  const adapter = findAdapter(String(name));
  if (!adapter) throw new HttpError(404, `unknown provider "${String(name)}" (stripe, paddle, lemonsqueezy, polar)`);
  return adapter;
}

/** `/api/v1/integrations` (PRODUCT.md §3). Secrets go in; only masked hints come out. */
export function integrationsRouter(store: IntegrationStore, publicUrl: string, providerApi: ProviderApiTargets, clock: () => Date, reconcile: ReconcileNow, prisma: PrismaClient): Router {
  const router = Router();

  type Activity = { provider: string; last: Date | null; events: bigint; failures: bigint };
  /**
   * The last event received and the last 24 hours' events and failures (events whose processing failed) of each
   * provider, at a cost that does not grow with the day's events:
   * - the last: a backward seek on the index (project_id, lower(provider), received_at), which only
   *   `lower(provider) = …` matches (migration 20261228000000_inbox_lookup_index says why);
   * - the events: the whole hours of the window from `event_activity` (kept by the inbox's triggers), and its first,
   *   partial hour counted on that index;
   * - the failures: the project's failed events of the window, by the index (project_id, status, received_at); the
   *   statement names no provider there, so no index of the project's every event can be taken for it.
   */
  async function activity(projectId: string, providers: string[]): Promise<Map<string, Activity>> {
    if (providers.length === 0) return new Map();
    const since = new Date(clock().getTime() - DAY_MS);
    const rows = await prisma.$queryRaw<Activity[]>`
      WITH w AS (SELECT date_trunc('hour', ${since}::timestamptz, 'UTC') + interval '1 hour' AS whole_from),
      failed AS (
        SELECT lower(e.provider) AS provider, count(*) AS n FROM inbound_events e
        WHERE e.project_id = ${projectId}::uuid AND e.status = 'failed' AND e.received_at >= ${since}::timestamptz
        GROUP BY 1
      )
      SELECT p.provider,
        (SELECT max(e.received_at) FROM inbound_events e WHERE e.project_id = ${projectId}::uuid AND lower(e.provider) = p.provider) AS last,
        ((SELECT coalesce(sum(a.n), 0) FROM event_activity a, w WHERE a.project_id = ${projectId}::uuid AND a.provider = p.provider AND a.hour >= w.whole_from)
          + (SELECT count(*) FROM inbound_events e, w
             WHERE e.project_id = ${projectId}::uuid AND lower(e.provider) = p.provider AND e.received_at >= ${since}::timestamptz AND e.received_at < w.whole_from))::bigint AS events,
        coalesce((SELECT f.n FROM failed f WHERE f.provider = p.provider), 0)::bigint AS failures
      FROM unnest(${providers}::text[]) AS p(provider)`;
    return new Map(rows.map((r) => [r.provider, r]));
  }
  const withActivity = (view: ReturnType<typeof present>, a: Activity | undefined) => ({
    ...view,
    last_event_received_at: a?.last?.toISOString() ?? null,
    events_last_24h: Number(a?.events ?? 0),
    failures_last_24h: Number(a?.failures ?? 0),
  });

  /** Where a provider delivers this project's webhooks: one URL per provider and project, on PUBLIC_URL. */
  const webhookUrlOf = (provider: ProviderName, projectId: string) => `${publicUrl}/webhook/${provider}/${projectId}`;

  const present = (projectId: string, integration: Integration) => ({
    provider: integration.provider,
    webhook_url: webhookUrlOf(integration.provider, projectId),
    events: findAdapter(integration.provider)!.webhookEvents,
    webhook_secret_hint: integration.webhookSecretHint,
    previous_secret: integration.previousSecret
      ? { hint: integration.previousSecret.hint, expires_at: integration.previousSecret.expiresAt.toISOString() }
      : null,
    api_key_hint: integration.apiKeyHint,
    // Lemon Squeezy's store (whose orders reconciliation reads); null for the other providers
    store_id: integration.storeId,
    // what reconciliation did last, for integrations with an API key
    reconciliation: integration.apiKeyHint
      ? {
          reconciled_through: integration.reconciliation.through?.toISOString() ?? null,
          next_run_at: integration.reconciliation.nextAt?.toISOString() ?? null,
          failures: integration.reconciliation.failures,
          error: integration.reconciliation.error,
        }
      : null,
    created_at: integration.createdAt.toISOString(),
    updated_at: integration.updatedAt.toISOString(),
  });

  router.put('/:provider', async (req, res) => {
    const adapter = adapterFor(req.params.provider);
    const body = putBody.parse(req.body ?? {});
    if (body.webhook_secret !== undefined) {
      const problem = adapter.validateWebhookSecret(body.webhook_secret);
      if (problem) throw new HttpError(400, `webhook_secret: ${problem}`);
    }
    if (typeof body.api_key === 'string') {
      const problem = adapter.validateApiKey(body.api_key);
      if (problem) throw new HttpError(400, `api_key: ${problem}`);
    }
    if (body.store_id != null && adapter.name !== 'lemonsqueezy') throw new HttpError(400, `store_id: only Lemon Squeezy connections have a store (not ${adapter.name})`);
    const projectId = projectIdOf(req);
    try {
      const integration = await store.upsert(
        projectId,
        adapter.name,
        {
          webhookSecret: body.webhook_secret,
          apiKey: body.api_key,
          previousSecretTtlHours: body.previous_secret_ttl_hours,
          ...(body.store_id !== undefined ? { storeId: body.store_id } : {}),
        },
        clock(),
      );
      res.json(ok(present(projectId, integration)));
    } catch (err) {
      if (err instanceof MissingSecretError) throw new HttpError(400, err.message);
      throw err;
    }
  });

  // PRODUCT.md §3: create Refwire's endpoint at the provider with the events the pipeline uses, keep its secret.
  router.post('/:provider/connect', async (req, res) => {
    const adapter = adapterFor(req.params.provider);
    const body = connectBody.parse(req.body ?? {});
    const keyProblem = adapter.validateApiKey(body.api_key);
    if (keyProblem) throw new HttpError(400, `api_key: ${keyProblem}`);
    const projectId = projectIdOf(req);
    const webhookUrl = webhookUrlOf(adapter.name, projectId);
    const reachable = checkTargetUrl(webhookUrl, { allowPrivate: providerApi.allowPrivate });
    if (!reachable.ok) {
      throw new HttpError(400, `${adapter.name} could not deliver to ${webhookUrl} (${reachable.reason}): set PUBLIC_URL to Refwire's public address`);
    }

    const connector = getConnector(adapter.name);
    const api = {
      apiKey: body.api_key,
      baseUrl: providerApi.baseUrls[adapter.name] ?? connector.defaultBaseUrl(body.api_key, { sandbox: body.sandbox }),
      fetch: providerApi.fetch,
    };
    let created;
    try {
      created = await connector.connect(api, {
        webhookUrl,
        events: adapter.webhookEvents,
        description: `Refwire affiliate tracking (project ${projectId})`,
        ...(body.store_id ? { storeId: body.store_id } : {}),
        ...(body.organization_id ? { organizationId: body.organization_id } : {}),
      });
    } catch (err) {
      if (err instanceof ProviderApiError) throw providerFailure(err);
      throw err;
    }
    const keepKey = body.store_api_key ?? getEnricher(adapter.name) !== null;
    const integration = await store.upsert(
      projectId,
      adapter.name,
      {
        webhookSecret: created.webhookSecret,
        ...(keepKey ? { apiKey: body.api_key } : {}),
        previousSecretTtlHours: body.previous_secret_ttl_hours,
        ...(created.storeId ? { storeId: created.storeId } : {}),
      },
      clock(),
    );
    res.status(201).json(ok({ ...present(projectId, integration), provider_endpoint_id: created.endpointId }));
  });

  // PRODUCT.md §16: read back now what the provider recorded and no webhook delivered
  router.post('/:provider/reconcile', async (req, res) => {
    const adapter = adapterFor(req.params.provider);
    const body = reconcileBody.parse(req.body ?? {});
    const since = body.since;
    if (since && since > clock()) throw new HttpError(400, 'since must not be in the future');
    const projectId = projectIdOf(req);
    if (!(await store.get(projectId, adapter.name, clock()))) throw new HttpError(404, `${adapter.name} is not connected`);
    try {
      const report = await reconcile({ projectId, provider: adapter.name, ...(since ? { since } : {}) });
      res.json(
        ok({
          provider: report.provider,
          since: report.since.toISOString(),
          until: report.until.toISOString(),
          listed: report.listed,
          recovered: report.recovered,
          duplicates: report.duplicates,
          reconciled_through: report.checkpoint?.toISOString() ?? null,
        }),
      );
    } catch (err) {
      if (err instanceof ReconcileError) throw new HttpError(err.kind === 'provider_failed' ? 502 : 400, err.message);
      throw err;
    }
  });

  router.get('/', async (req, res) => {
    const projectId = projectIdOf(req);
    const integrations = await store.list(projectId, clock());
    const seen = await activity(projectId, integrations.map((i) => i.provider));
    res.json(ok(integrations.map((i) => withActivity(present(projectId, i), seen.get(i.provider)))));
  });

  // Every provider Refwire supports, connected or not: what to set up at it before its secret exists. Declared
  // before /:provider, which would take "providers" for a provider's name.
  router.get('/providers', async (req, res) => {
    const projectId = projectIdOf(req);
    const connected = new Set((await store.list(projectId, clock())).map((i) => i.provider));
    res.json(
      ok(
        allAdapters().map((adapter) => ({
          provider: adapter.name,
          name: PROVIDER_DISPLAY_NAMES[adapter.name],
          webhook_url: webhookUrlOf(adapter.name, projectId),
          events: [...adapter.webhookEvents],
          connected: connected.has(adapter.name),
          auto_connect: canConnect(adapter.name),
        })),
      ),
    );
  });

  router.get('/:provider', async (req, res) => {
    const adapter = adapterFor(req.params.provider);
    const projectId = projectIdOf(req);
    const integration = await store.get(projectId, adapter.name, clock());
    if (!integration) throw new HttpError(404, `${adapter.name} is not connected`);
    const seen = await activity(projectId, [integration.provider]);
    res.json(ok(withActivity(present(projectId, integration), seen.get(integration.provider))));
  });

  router.delete('/:provider', async (req, res) => {
    const adapter = adapterFor(req.params.provider);
    if (!(await store.remove(projectIdOf(req), adapter.name))) throw new HttpError(404, `${adapter.name} is not connected`);
    res.status(204).end();
  });

  return router;
}

/** present()'s answer: a connection, its secrets masked. */
const integrationResponse = z
  .strictObject({
    provider: z.enum(PROVIDER_NAMES),
    webhook_url: z.string(),
    events: z.array(z.string()).describe("the provider's event types to enable"),
    webhook_secret_hint: z.string(),
    previous_secret: z.strictObject({ hint: z.string(), expires_at: instant }).nullable(),
    api_key_hint: z.string().nullable(),
    store_id: z.string().nullable().describe("Lemon Squeezy: the store these webhooks come from, whose orders reconciliation reads; null for the other providers, or when not said (reconciliation then reads the API key's only store)"),
    reconciliation: z
      .strictObject({ reconciled_through: instant.nullable(), next_run_at: instant.nullable(), failures: z.number().int(), error: z.string().nullable() })
      .nullable()
      .describe('with an API key: what reconciliation did last'),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'Integration' });
const putBody = takingBack(putFields, integrationResponse);

/** GET's answers: the connection with its activity (last event, 24-hour counts). */
const integrationActivityResponse = z
  .strictObject({
    ...integrationResponse.shape,
    last_event_received_at: instant.nullable(),
    events_last_24h: z.number().int(),
    failures_last_24h: z.number().int(),
  })
  .meta({ id: 'IntegrationWithActivity' });

const reconcileResponse = z.strictObject({
  provider: z.enum(PROVIDER_NAMES),
  since: instant,
  until: instant,
  listed: z.number().int(),
  recovered: z.number().int(),
  duplicates: z.number().int(),
  reconciled_through: instant.nullable(),
});

/** GET /api/v1/integrations/providers: one supported provider, connected or not. */
const supportedProviderResponse = z
  .strictObject({
    provider: z.enum(PROVIDER_NAMES),
    name: z.string().describe('its display name, e.g. "Lemon Squeezy"'),
    webhook_url: z.string().describe("the URL to give the provider for this project's webhooks (on PUBLIC_URL)"),
    events: z.array(z.string()).describe("the provider's event types to enable"),
    connected: z.boolean().describe('whether the project has connected it (GET /api/v1/integrations/{provider} then answers)'),
    auto_connect: z.boolean().describe('whether POST /api/v1/integrations/{provider}/connect can create the webhook endpoint with an API key'),
  })
  .meta({ id: 'SupportedProvider' });

const providerPath = '/api/v1/integrations/{provider}';
export const integrationOperations: Operation[] = [
  { method: 'get', path: '/api/v1/integrations', tag: 'Integrations', access: 'api_key', summary: "List connected providers, with the last event received and the last 24 hours' events and failures", response: z.array(integrationActivityResponse) },
  {
    method: 'get',
    path: '/api/v1/integrations/providers',
    tag: 'Integrations',
    access: 'api_key',
    summary: 'Every supported provider, connected or not: display name, webhook URL, events to enable, whether POST …/connect can set it up',
    response: z.array(supportedProviderResponse),
  },
  { method: 'put', path: providerPath, tag: 'Integrations', access: 'api_key', summary: 'Connect a provider with its webhook secret (rotation keeps the old one for a while)', body: putBody, response: integrationResponse },
  {
    method: 'get',
    path: providerPath,
    tag: 'Integrations',
    access: 'api_key',
    summary: "A provider's connection: webhook URL, events to enable, masked secrets, last event received, the last 24 hours' events and failures",
    response: integrationActivityResponse,
  },
  { method: 'delete', path: providerPath, tag: 'Integrations', access: 'api_key', summary: 'Disconnect a provider', status: 204 },
  {
    method: 'post',
    path: `${providerPath}/connect`,
    tag: 'Integrations',
    access: 'api_key',
    summary: "Create Refwire's webhook endpoint at the provider with its API key and store the signing secret",
    body: connectBody,
    status: 201,
    errors: [502],
    response: z.strictObject({ ...integrationResponse.shape, provider_endpoint_id: z.string().describe("the webhook endpoint's id at the provider") }),
  },
  {
    method: 'post',
    path: `${providerPath}/reconcile`,
    tag: 'Integrations',
    access: 'api_key',
    summary: "Read back the provider's payments and refunds (and event history) since the checkpoint and store what no webhook delivered",
    body: reconcileBody,
    errors: [502],
    response: reconcileResponse,
  },
];
