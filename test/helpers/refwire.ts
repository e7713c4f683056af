import { randomBytes } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import type { Database } from '../../src/db/database';
import { createApp, type AppDeps, type HttpHandler } from '../../src/server/app';
import { InProcessRunner } from '../../src/pipeline/in-process-runner';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { createEventProcessor, type ProviderApiAccess } from '../../src/pipeline/process-inbound-event';
import { SecretBox } from '../../src/security/secret-box';
import { PROVIDER_NAMES, type ProviderName } from '../../src/domain/provider-names';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const silentLogger = pino({ level: 'silent' });

export type TestApp = {
  app: HttpHandler;
  runner: InProcessRunner;
  secretsKey: Buffer;
  /** what the app thinks "now" is; tests move it */
  clock: { now: Date };
};

/** The real app on a real database, with an in-process runner and a clock the test controls. */
export function buildTestApp(
  db: Database,
  options: { tolerance?: number; runner?: boolean; providerApiBaseUrls?: ProviderApiAccess['baseUrls']; rateLimit?: AppDeps['rateLimit']; trackRateLimit?: AppDeps['trackRateLimit']; failedAuthLimit?: AppDeps['failedAuthLimit']; outboundAllowPrivate?: boolean; emailSending?: boolean; publicUrl?: string; trustProxy?: AppDeps['trustProxy']; applicationLimits?: AppDeps['applicationLimits']; dashboardLimits?: AppDeps['dashboardLimits']; portalSignInLimit?: AppDeps['portalSignInLimit'] } = {},
): TestApp {
  const clock = { now: new Date() };
  const secretsKey = randomBytes(32);
  const store = new IntegrationStore(db.prisma, new SecretBox(secretsKey));
  const providerApi: ProviderApiAccess | undefined = options.providerApiBaseUrls
    ? { apiKeyFor: (projectId, provider) => store.apiKey(projectId, provider), baseUrls: options.providerApiBaseUrls, fetch: globalThis.fetch }
    : undefined;
  const processor = createEventProcessor({ db, clock: () => clock.now, logger: silentLogger, providerApi });
  const runner = new InProcessRunner(db.sql, processor, silentLogger, { sweepIntervalMs: 60_000, clock: () => clock.now });
  const app = createApp({
    db,
    logger: silentLogger,
    secretsKey,
    adminToken: ADMIN_TOKEN,
    publicUrl: options.publicUrl ?? 'https://refwire.example.com',
    webhookToleranceSeconds: Object.fromEntries(PROVIDER_NAMES.map((p) => [p, options.tolerance ?? 300])) as Record<
      ProviderName,
      number
    >,
    onEventStored: (id) => {
      if (options.runner !== false) runner.notify(id);
    },
    providerApi,
    clock: () => clock.now,
    // tests about other things may send more than a real client's budget; test/http/rate-limit.test.ts sets it
    rateLimit: options.rateLimit ?? { perMinute: 1_000_000 },
    outboundAllowPrivate: options.outboundAllowPrivate ?? false,
    emailSending: options.emailSending ?? false,
    trackRateLimit: options.trackRateLimit,
    // likewise for refused credentials (tests of 401s send many); test/http/rate-limit.test.ts sets it
    failedAuthLimit: options.failedAuthLimit ?? { perMinute: 1_000_000 },
    trustProxy: options.trustProxy,
    // likewise for the portal's sign-in; test/api/portal/sign-in.test.ts sets it
    portalSignInLimit: options.portalSignInLimit ?? { perAddressPerMinute: 1_000_000, perEmailPerHour: 1_000_000 },
    applicationLimits: options.applicationLimits,
    dashboardLimits: options.dashboardLimits,
  });
  return { app, runner, secretsKey, clock };
}

export async function createProjectViaApi(app: HttpHandler, name = 'Acme'): Promise<{ id: string; apiKey: string }> {
  const res = await request(app)
    .post('/api/admin/projects')
    .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
    .send({ name, currency: 'USD' })
    .expect(201);
  return { id: res.body.data.id, apiKey: res.body.data.api_key };
}

export async function connectProvider(
  app: HttpHandler,
  apiKey: string,
  provider: ProviderName,
  webhookSecret: string,
  extra: Record<string, unknown> = {},
) {
  return request(app)
    .put(`/api/v1/integrations/${provider}`)
    .set('Authorization', `Bearer ${apiKey}`)
    .send({ webhook_secret: webhookSecret, ...extra })
    .expect(200);
}
