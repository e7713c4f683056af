import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Store } from 'express-rate-limit';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerExactJson } from '../http/json-answer';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { adminProjectsRouter } from '../api/admin-projects';
import { affiliateLifecycleRouter } from '../api/affiliate-lifecycle';
import { applicationsRouter, DEFAULT_APPLICATION_LIMITS, publicApplicationsRouter, type ApplicationLimits } from '../api/applications';
import { auditLogRouter } from '../api/audit-log';
import { dashboardAuthRouter, DEFAULT_DASHBOARD_LIMITS, type DashboardLimits } from '../api/dashboard-auth';
import { dashboardTeamRouter } from '../api/dashboard-team';
import { affiliatesRouter } from '../api/affiliates';
import { groupsRouter } from '../api/groups';
import { conversionsRouter } from '../api/conversions';
import { couponsRouter } from '../api/coupons';
import { emailsRouter } from '../api/emails';
import { embedTokensRouter } from '../api/embed-tokens';
import { DEFAULT_PORTAL_SIGN_IN_LIMITS, portalCors, portalRouter, type PortalSignInLimits } from '../api/portal';
import { portalSettingsRouter } from '../api/portal-settings';
import { eventsRouter } from '../api/events';
import { integrationsRouter } from '../api/integrations';
import { linksRouter } from '../api/links';
import { openApiHandler } from '../api/openapi';
import { ledgerRouter } from '../api/ledger';
import { payoutsRouter } from '../api/payouts';
import { payoutBatchesRouter } from '../api/payout-batches';
import { productsRouter } from '../api/products';
import { publishableKeysRouter } from '../api/publishable-keys';
import { reportsRouter } from '../api/reports';
import { referralsRouter, storeAttributionRouter } from '../api/referrals';
import { ruleVersionsRouter } from '../api/rule-versions';
import { settingsRouter } from '../api/settings';
import { stripeCustomerInfoRouter } from '../api/stripe-customer-info';
import { trackRouter } from '../api/track';
import { webhooksRouter } from '../api/webhooks';
import type { Database } from '../db/database';
import { inboxWriter } from '../inbox/inbound-events';
import { webhookEndpoint } from '../ingest/webhook-endpoint';
import { IntegrationStore } from '../integrations/integration-store';
import { createEventProcessor, type ProcessOutcome, type ProviderApiAccess } from '../pipeline/process-inbound-event';
import type { ProviderName } from '../domain/provider-names';
import { SecretBox } from '../security/secret-box';
import { trackingScript } from '../tracking/script';
import { linkRedirectRouter } from '../tracking/redirect';
import { portalPagesRouter } from '../pages/portal';
import { dashboardPagesRouter } from '../pages/dashboard';
import { visitorHasher } from '../security/visitor-hash';
import { requireAdminBrowser, requireApiKey } from '../http/auth';
import { auditWrites } from '../http/audit';
import { requireApiKeyOrSession, requireMembership, requireSession } from '../http/dashboard-session';
import { Metrics } from '../observability/metrics';
import { reconcileIntegration, type ReconcileDeps } from '../reconcile/reconcile';
import { errorHandler, notFoundHandler } from '../http/errors';
import { jsonBody } from '../http/json-body';
import { apiKeyRateLimit, failedAuthLimit } from '../http/rate-limit';
import { mcpRouter } from '../mcp/http-endpoint';
import { requestLog, type ProxyTrust } from '../http/request-log';
import { refuseNulInAddress, refuseBracketedQuery } from '../http/address';

/** RECONCILE_INTERVAL_MINUTES' default, for apps built without the process's settings (tests) */
const DEFAULT_RECONCILE_INTERVAL_MS = 15 * 60_000;

export type AppDeps = {
  db: Database;
  logger: Logger;
  secretsKey: Buffer;
  adminToken: string | null;
  publicUrl: string;
  webhookToleranceSeconds: Record<ProviderName, number>;
  /** hands a newly stored event to processing */
  onEventStored: (eventId: string) => void;
  /** provider API access for replays (the runner has its own) */
  providerApi?: ProviderApiAccess;
  metrics?: Metrics;
  /** the process's sealed-secret stores (src/processing.ts storesFor), shared with processing */
  stores?: { box: SecretBox; integrations: IntegrationStore };
  /** processes one stored event now, for the events API's replay; by default with the pipeline's defaults */
  replayEvent?: (eventId: string) => Promise<ProcessOutcome>;
  /** reconciliation's settings (src/processing.ts reconcileDeps); by default built from these deps, every 15 minutes */
  reconcile?: ReconcileDeps;
  /** with REDIS_URL: readiness checks Redis too, and the dashboard shows the queue */
  redis?: { ping(): Promise<void>; queue: Queue };
  clock?: () => Date;
  /** OUTBOUND_ALLOW_PRIVATE: outbound webhook endpoints may point at private addresses */
  outboundAllowPrivate?: boolean;
  /** SMTP_URL is set: emails are sent (else kept in the outbox, and links an email would carry are shown instead) */
  emailSending?: boolean;
  /** requests a minute per API key, and where they are counted (in memory when no store is given) */
  rateLimit?: { perMinute: number; store?: Store };
  /** TRUST_PROXY: behind a reverse proxy, the client address comes from X-Forwarded-For (per-address limits) */
  trustProxy?: boolean | number | string;
  /** requests a minute per client address on the public /api/track endpoints (a store of its own, not rateLimit's) */
  trackRateLimit?: { perMinute: number; store?: Store };
  /** refused API keys and admin tokens a minute per client address (a store of its own) */
  failedAuthLimit?: { perMinute: number; store?: Store };
  /** the portal's sign-in: requests a minute per client address, codes an hour per email */
  portalSignInLimit?: PortalSignInLimits;
  /** the public application form's budgets per client address and per applicant email, an hour */
  applicationLimits?: ApplicationLimits;
  /** the dashboard's budgets of refused sign-ins and of password-reset requests */
  dashboardLimits?: DashboardLimits;
};

const DEFAULT_RATE_LIMIT_PER_MINUTE = 100;
const DEFAULT_TRACK_RATE_LIMIT_PER_MINUTE = 60;
const DEFAULT_FAILED_AUTH_PER_MINUTE = 20;

/** Node's request listener: what the server runs, and what tests drive with supertest. */
export type HttpHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** the Express app behind it (everything but the webhook receivers), for tests that inspect its routes */
  readonly express: Express;
};

/** Builds the HTTP handler without listening, so tests drive it with supertest. */
export function createApp(deps: AppDeps): HttpHandler {
  const clock = deps.clock ?? (() => new Date());
  const metrics = deps.metrics ?? new Metrics();
  const { prisma } = deps.db;
  // the composition root passes the process's one store; tests and callers without one get their own
  const box = deps.stores?.box ?? new SecretBox(deps.secretsKey);
  const integrations = deps.stores?.integrations ?? new IntegrationStore(prisma, box);

  const app = express();
  answerExactJson(app);
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  // JSON API answers, mostly to POSTs: an ETag would cost a hash of every response and save nothing
  app.set('etag', false);
  const failedAuth = failedAuthLimit(deps.failedAuthLimit ?? { perMinute: DEFAULT_FAILED_AUTH_PER_MINUTE });
  app.use(refuseNulInAddress);
  app.use(refuseBracketedQuery);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const check = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        () => 'unreachable',
      );
    const [database, redis] = await Promise.all([
      check(deps.db.sql.query('SELECT 1')),
      deps.redis ? check(deps.redis.ping()) : Promise.resolve(undefined),
    ]);
    const ready = database === 'ok' && (redis === undefined || redis === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database, ...(redis ? { redis } : {}) });
  });
  app.get('/openapi.json', openApiHandler(deps.publicUrl));
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  if (deps.redis) {
    const board = new ExpressAdapter();
    board.setBasePath('/admin/queues');
    createBullBoard({ queues: [new BullMQAdapter(deps.redis.queue, { readOnlyMode: false })], serverAdapter: board });
    app.use('/admin/queues', requireAdminBrowser(deps.adminToken, failedAuth), board.getRouter());
  } else {
    // a documented page should not answer a bare 404: say why it is not here
    app.use('/admin/queues', (_req, res) => {
      res.status(404).json({ success: false, error: 'the queue dashboard runs only in production mode (REDIS_URL set): without Redis, events are processed from the database and listed at /api/v1/events' });
    });
  }


  const json = jsonBody({ limit: '1mb' });
  app.use('/api/admin', json, adminProjectsRouter(prisma, deps.adminToken, failedAuth));
  const sessions = { publicUrl: deps.publicUrl, clock };
  const audited = auditWrites(deps.db.sql, clock, deps.logger);
  app.use('/api/dashboard/projects/:projectId', requireSession(prisma, sessions), requireMembership(prisma), json, audited, dashboardTeamRouter(prisma, { ...sessions, emailSending: deps.emailSending }));
  app.use('/api/dashboard', dashboardAuthRouter(prisma, { ...sessions, adminToken: deps.adminToken, failedAuth, limits: deps.dashboardLimits ?? DEFAULT_DASHBOARD_LIMITS }));
  const v1 = express.Router();
  const limited = apiKeyRateLimit(deps.rateLimit ?? { perMinute: DEFAULT_RATE_LIMIT_PER_MINUTE });
  // one API, two ways in (PRODUCT.md §14): an API key, or the dashboard's session cookie. Who calls is settled
  // before the body is read: a caller without credentials hears 401 whatever it sent, and its body is not parsed.
  // The key's budget is counted next, before the body too, so a request refused for its body (400, 413, 415)
  // counts and carries the X-RateLimit-* headers like any other: the limiter reads only who calls.
  v1.use(requireApiKeyOrSession(prisma, requireApiKey(prisma, failedAuth), sessions), limited, json, audited);
  v1.use('/audit-log', auditLogRouter(prisma));
  const providerApi = {
    baseUrls: deps.providerApi?.baseUrls ?? {},
    fetch: deps.providerApi?.fetch ?? globalThis.fetch,
    allowPrivate: deps.outboundAllowPrivate ?? false,
  };
  const reconcile: ReconcileDeps = deps.reconcile ?? {
    sql: deps.db.sql,
    integrations,
    baseUrls: providerApi.baseUrls,
    fetch: providerApi.fetch,
    clock,
    logger: deps.logger,
    metrics,
    onStored: deps.onEventStored,
    intervalMs: DEFAULT_RECONCILE_INTERVAL_MS,
  };
  v1.use('/integrations', integrationsRouter(integrations, deps.publicUrl, providerApi, clock, (request) => reconcileIntegration(reconcile, request), prisma));
  v1.use('/events', eventsRouter(prisma, deps.db.sql, deps.replayEvent ?? metrics.instrument(createEventProcessor({ db: deps.db, clock, logger: deps.logger, providerApi: deps.providerApi })), clock));
  v1.use('/settings', settingsRouter(prisma, clock));
  v1.use('/rule-versions', ruleVersionsRouter(prisma));
  v1.use('/affiliates/:email/links', linksRouter(prisma, deps.publicUrl, clock));
  v1.use('/affiliates/:email/embed-tokens', embedTokensRouter(deps.db, clock));
  v1.use('/affiliates', affiliateLifecycleRouter(prisma, clock, deps.publicUrl), affiliatesRouter(prisma, clock, deps.publicUrl));
  v1.use('/groups', groupsRouter(prisma, clock));
  v1.use('/applications', applicationsRouter(prisma));
  v1.use('/referrals', referralsRouter(prisma, deps.db.sql, clock));
  v1.use('/coupons', couponsRouter(prisma));
  v1.use('/products', productsRouter(prisma, clock));
  v1.use('/conversions', conversionsRouter(prisma, deps.db.sql, clock));
  v1.use('/ledger', ledgerRouter(prisma, clock));
  v1.use('/payouts', payoutsRouter(prisma, deps.db.sql, clock));
  v1.use('/payout-batches', payoutBatchesRouter(prisma, deps.db.sql, clock));
  v1.use('/reports', reportsRouter(prisma, clock));
  v1.use('/emails', emailsRouter(prisma));
  v1.use('/portal', portalSettingsRouter(prisma));
  v1.use('/publishable-keys', publishableKeysRouter(prisma, clock));
  v1.use('/projects', stripeCustomerInfoRouter(deps.db.sql));
  v1.use('/webhooks', webhooksRouter(prisma, box, { allowPrivate: deps.outboundAllowPrivate ?? false }, clock));
  app.use('/api/v1', v1);
  // the MCP tools call /api/v1 back with the same key, where each call counts against its rate limit once
  app.use('/mcp', mcpRouter(jsonBody({ limit: '1mb', textProblems: 'report' }), requireApiKey(prisma, failedAuth)));
  app.use('/api/store-attribution', requireApiKey(prisma, failedAuth), limited, json, audited, storeAttributionRouter(prisma, deps.db.sql, clock));
  app.use(
    '/api/portal/:projectId',
    portalCors,
    json,
    portalRouter({ db: deps.db, clock, publicUrl: deps.publicUrl, limits: deps.portalSignInLimit ?? DEFAULT_PORTAL_SIGN_IN_LIMITS, failedAuth }),
  );
  app.get('/js/refwire.js', trackingScript());
  const hashVisitor = visitorHasher(deps.secretsKey);
  const trackBudget = deps.trackRateLimit ?? { perMinute: DEFAULT_TRACK_RATE_LIMIT_PER_MINUTE };
  app.use('/api/track', trackRouter(prisma, deps.db.sql, clock, trackBudget, hashVisitor, failedAuth));
  app.use('/r', linkRedirectRouter(deps.db.sql, clock, hashVisitor, { perMinute: trackBudget.perMinute }));
  app.use('/api/public/projects/:projectId/applications', publicApplicationsRouter(prisma, clock, hashVisitor, deps.applicationLimits ?? DEFAULT_APPLICATION_LIMITS, deps.publicUrl));
  app.use(portalPagesRouter(prisma));
  app.use(dashboardPagesRouter());

  app.use(notFoundHandler);
  app.use(errorHandler);

  // Webhook deliveries take a path of their own ahead of Express and the request log, logging for themselves
  // (src/ingest/webhook-endpoint.ts).
  // the log names the client Express's req.ip names (TRUST_PROXY), not the proxy in front
  const trust = deps.trustProxy ? (app.get('trust proxy fn') as ProxyTrust) : undefined;
  const log = requestLog(deps.logger, trust);
  const webhook = webhookEndpoint(
    { store: inboxWriter(deps.db.sql), integrations, toleranceSeconds: deps.webhookToleranceSeconds, clock, onStored: deps.onEventStored },
    deps.logger,
    metrics,
    trust,
  );
  const handler = (req: IncomingMessage, res: ServerResponse) => webhook(req, res) || log(req, res, () => app(req, res));
  return Object.assign(handler, { express: app });
}
