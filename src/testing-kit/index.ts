/**
 * `refwire/testing`: Refwire in-process, on a temporary embedded database, for a merchant's own jest or vitest
 * suite (docs/testing.md). Nothing is read from process.env: a merchant's DATABASE_URL or REDIS_URL never
 * reaches it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config/config';
import type { LogLevel } from '../config/env';
import { startRefwire as startServer } from '../main';
import { isProviderName, PROVIDER_NAMES, type ProviderName } from '../domain/provider-names';
import { postDelivery, type Outcome } from '../replay/deliver';
import { eventIdOfBody, randomChars, type Delivery } from '../replay/inputs';
import { buildSimulation, type ScenarioName, type SimulateOptions, type Simulation } from '../replay/simulate';
import { shippedFixture } from '../replay/sim/kit';

export { SCENARIOS, type ScenarioName, type Simulation } from '../replay/simulate';
export type { ProviderName } from '../domain/provider-names';

export type StartOptions = {
  /** HTTP port; 0 (the default) takes a free one */
  port?: number;
  /** pino level of Refwire's own logs (default 'silent') */
  logLevel?: LogLevel;
  /** attempts per event before it is marked failed (default 3; retries are 10 ms apart, doubling) */
  jobAttempts?: number;
  /** keep the temporary data directory after close(), to look into it (default false) */
  keepData?: boolean;
};

export type TestProject = { id: string; apiKey: string; name: string; currency: string };

/** What Refwire answered for one delivery, and what became of the event once processed. */
export type SentEvent = {
  id: string;
  duplicate: boolean;
  status: 'processed' | 'ignored' | 'failed';
  statusReason: string | null;
};

export type Earnings = {
  email: string;
  referral_code: string;
  purchases: number;
  currency: string;
  total_earnings_minor: number;
  unpaid_earnings_minor: number;
  eligible_earnings_minor: number;
  held_earnings_minor: number;
  [field: string]: unknown;
};

export class DeliveryRejected extends Error {
  override name = 'DeliveryRejected';
  constructor(readonly status: number | null, readonly reason: string) {
    super(`Refwire refused the delivery (${status ?? 'no answer'}): ${reason}`);
  }
}

export type RefwireForTests = {
  /** where it listens, on the loopback address: e.g. http://127.0.0.1:41234 */
  url: string;
  /** bearer token of /api/admin/* */
  adminToken: string;
  /** the temporary data directory (removed by close()) */
  dataDir: string;
  createProject(input?: { name?: string; currency?: string }): Promise<TestProject>;
  /** connects a provider to a project (PUT /api/v1/integrations/:provider); without a secret, one is made up */
  connect(project: string | TestProject, provider: ProviderName, secret?: string): Promise<{ secret: string; webhookUrl: string }>;
  /** any API call with a project's key: `{ status, body }` */
  request(apiKey: string | TestProject, method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: any }>;
  /**
   * Signs a payload with the provider's own scheme, posts it to /webhook/<provider>/<project> and waits until
   * the event is processed. `payload`: an object, or the exact body as a string. The secret (a string, or in the
   * options) defaults to the one connect() used; `eventId` is Polar's webhook-id (by default one derived from the body,
   * so the same payload sent twice is a duplicate, as `refwire replay` has it). Throws DeliveryRejected when
   * Refwire does not store it (400, 404, 413, 503).
   */
  send(
    provider: ProviderName,
    project: string | TestProject,
    payload: Record<string, unknown> | string,
    options?: string | { secret?: string; eventId?: string },
  ): Promise<SentEvent>;
  /**
   * As above, to the project connect() last connected to this provider (PRODUCT.md §16's `send(provider, payload)`).
   * A string payload is told from a project id by its first character: JSON text starts with `{`.
   */
  send(provider: ProviderName, payload: Record<string, unknown> | string, options?: string | { secret?: string; eventId?: string }): Promise<SentEvent>;
  /** a `refwire simulate` scenario, sent event by event like send() */
  simulate(
    scenario: ScenarioName,
    options: SimulateOptions & { provider: ProviderName; project: string | TestProject; secret?: string },
  ): Promise<{ simulation: Simulation; events: SentEvent[] }>;
  /** an affiliate as GET /api/v1/affiliates/:email shows it: purchases and earnings (minor units) */
  earnings(apiKey: string | TestProject, affiliateEmail: string): Promise<Earnings>;
  /** stops the server, closes the database and removes the temporary directory */
  close(): Promise<void>;
};

/** A shipped fixture's payload (`fixtures/<provider>/<file>`), and for Polar the webhook id it was sent with. */
export function fixture(provider: ProviderName, file: string): { payload: Record<string, any>; webhookId?: string } {
  const full = JSON.parse(fs.readFileSync(path.join(fixturesDir(), provider, file), 'utf8')) as { payload: Record<string, unknown>; webhook_id?: string };
  return { payload: shippedFixture(provider, file), ...(full.webhook_id ? { webhookId: full.webhook_id } : {}) };
}

function fixturesDir(): string {
  return path.resolve(__dirname, '..', '..', 'fixtures');
}

/** A webhook secret each provider's integration accepts. */
export function exampleSecret(provider: ProviderName): string {
  const random = randomChars(24);
  switch (provider) {
    case 'stripe':
    case 'polar':
      return `whsec_${random}`;
    case 'paddle':
      return `pdl_ntfset_${random}`;
    case 'lemonsqueezy':
      return random;
  }
}

/** A project as send() takes it: a TestProject, or its id or API key (a string that is not JSON text). */
function isProjectRef(value: unknown): value is string | TestProject {
  if (typeof value === 'string') return !/^\s*[{[]/.test(value);
  return typeof value === 'object' && value !== null && typeof (value as TestProject).id === 'string' && typeof (value as TestProject).apiKey === 'string';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts Refwire on PGlite in a new temporary directory, on a free port. */
export async function startRefwire(options: StartOptions = {}): Promise<RefwireForTests> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-test-'));
  const adminToken = `rw_admin_${randomBytes(16).toString('hex')}`;
  const logLevel = options.logLevel ?? 'silent';
  // Built here, never from process.env. Limits are off: a test suite is not an abusive client.
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: String(options.port ?? 0),
    SECRETS_KEY: randomBytes(32).toString('hex'),
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: logLevel,
    JOB_ATTEMPTS: String(options.jobAttempts ?? 3),
    JOB_BACKOFF_MS: '10',
    RATE_LIMIT_PER_MINUTE: '1000000',
    TRACK_RATE_LIMIT_PER_MINUTE: '1000000',
    OUTBOUND_ALLOW_PRIVATE: 'true',
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    // on the loopback address only: a test instance, its limits off and private outbound targets allowed, is not
    // reachable from other machines on a shared CI host
    server = await startServer(config, { worker: true, logger: pino({ level: logLevel }), print: () => undefined, host: '127.0.0.1' });
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const url = server.url;
  const projects = new Map<string, TestProject>();
  const secrets = new Map<string, string>();
  /** each provider's project connected last: where send(provider, payload) goes */
  const lastConnected = new Map<ProviderName, string>();

  const keyOf = (project: string | TestProject) => (typeof project === 'string' ? (projects.get(project)?.apiKey ?? project) : project.apiKey);
  // a project named by its API key is the project that key belongs to
  const idOf = (project: string | TestProject) => (typeof project === 'string' ? ([...projects.values()].find((p) => p.apiKey === project)?.id ?? project) : project.id);

  async function request(apiKey: string | TestProject, method: string, apiPath: string, body?: unknown) {
    const response = await fetch(`${url}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${keyOf(apiKey)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, body: parsed as any };
  }

  /** Until the runner has processed the event (retries run at once: the runner is asked to look again). */
  async function settled(eventId: string, timeoutMs = 15_000): Promise<Pick<SentEvent, 'status' | 'statusReason'>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await server.db.sql.query<{ status: string; status_reason: string | null }>(
        'SELECT status, status_reason FROM inbound_events WHERE id = $1',
        [eventId],
      );
      if (row && (row.status === 'processed' || row.status === 'ignored' || row.status === 'failed')) {
        return { status: row.status, statusReason: row.status_reason };
      }
      if (Date.now() > deadline) throw new Error(`event ${eventId} is still ${row?.status ?? 'missing'} after ${timeoutMs} ms`);
      if (row?.status === 'received') void server.runner?.sweep();
      await sleep(20);
    }
  }

  async function deliver(delivery: Delivery, projectId: string, secret: string): Promise<SentEvent> {
    const outcome: Outcome = await postDelivery({ url, projectId, secret }, delivery, { retries: 0 });
    if (outcome.kind === 'rejected') throw new DeliveryRejected(outcome.status, outcome.reason);
    return { id: outcome.id, duplicate: outcome.kind === 'duplicate', ...(await settled(outcome.id)) };
  }

  function secretFor(projectId: string, provider: ProviderName, given?: string): string {
    const secret = given ?? secrets.get(`${projectId}:${provider}`);
    if (!secret) throw new Error(`no secret for ${provider} on project ${projectId}: connect() it first, or pass the secret`);
    return secret;
  }

  return {
    url,
    adminToken,
    dataDir,

    async createProject(input = {}) {
      const response = await fetch(`${url}/api/admin/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: input.name ?? 'Test project', currency: input.currency ?? 'USD' }),
      });
      const body = (await response.json()) as { data?: { id: string; api_key: string; name: string; currency: string }; error?: string };
      if (response.status !== 201 || !body.data) throw new Error(`creating the project failed (${response.status}): ${body.error ?? ''}`);
      const project = { id: body.data.id, apiKey: body.data.api_key, name: body.data.name, currency: body.data.currency };
      projects.set(project.id, project);
      return project;
    },

    async connect(project, provider, secret) {
      if (!isProviderName(provider)) throw new Error(`unknown provider ${provider}: one of ${PROVIDER_NAMES.join(', ')}`);
      const webhookSecret = secret ?? exampleSecret(provider);
      const res = await request(project, 'PUT', `/api/v1/integrations/${provider}`, { webhook_secret: webhookSecret });
      if (res.status !== 200) throw new Error(`connecting ${provider} failed (${res.status}): ${JSON.stringify(res.body)}`);
      // the answer's webhook_url ends with the project id, whichever of id or API key named the project
      const webhookUrl = String(res.body.data.webhook_url);
      const projectId = decodeURIComponent(webhookUrl.slice(webhookUrl.lastIndexOf('/') + 1));
      secrets.set(`${projectId}:${provider}`, webhookSecret);
      lastConnected.set(provider, projectId);
      return { secret: webhookSecret, webhookUrl: `${url}/webhook/${provider}/${projectId}` };
    },

    request,

    async send(provider: ProviderName, ...args: unknown[]) {
      const named = isProjectRef(args[0]);
      const project = named ? (args[0] as string | TestProject) : lastConnected.get(provider);
      if (project === undefined) throw new Error(`no project has ${provider} connected: connect() one first, or name the project: send(provider, project, payload)`);
      const payload = (named ? args[1] : args[0]) as Record<string, unknown> | string;
      const secretOrOptions = ((named ? args[2] : args[1]) ?? {}) as string | { secret?: string; eventId?: string };
      const options = typeof secretOrOptions === 'string' ? { secret: secretOrOptions } : secretOrOptions;
      const projectId = idOf(project);
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      // a Polar payload's id travels in a header: without one given, the body's (the same payload twice is a duplicate)
      const eventId = options.eventId ?? (provider === 'polar' ? eventIdOfBody(body) : undefined);
      return deliver({ provider, label: 'send', body, ...(eventId ? { eventId } : {}) }, projectId, secretFor(projectId, provider, options.secret));
    },

    async simulate(scenario, options) {
      const projectId = idOf(options.project);
      const secret = secretFor(projectId, options.provider, options.secret);
      const simulation = buildSimulation(options.provider, scenario, options);
      const events: SentEvent[] = [];
      for (const delivery of simulation.deliveries) events.push(await deliver(delivery, projectId, secret));
      return { simulation, events };
    },

    async earnings(apiKey, affiliateEmail) {
      const res = await request(apiKey, 'GET', `/api/v1/affiliates/${encodeURIComponent(affiliateEmail)}`);
      if (res.status !== 200) throw new Error(`no affiliate ${affiliateEmail} (${res.status}): ${JSON.stringify(res.body)}`);
      return res.body.data as Earnings;
    },

    async close() {
      await server.close();
      if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
