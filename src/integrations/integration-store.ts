import type { PrismaClient } from '../generated/prisma/client';
import type { ProviderName } from '../domain/provider-names';
import { maskSecret, type SecretBox } from '../security/secret-box';

export type Integration = {
  provider: ProviderName;
  webhookSecretHint: string;
  previousSecret: { hint: string; expiresAt: Date } | null;
  apiKeyHint: string | null;
  /** Lemon Squeezy: the store whose webhooks these are (null: not said, or another provider) */
  storeId: string | null;
  reconciliation: ReconcileState;
  createdAt: Date;
  updatedAt: Date;
};

/** Where reconciliation of a connection stands (only with an API key). */
export type ReconcileState = { through: Date | null; nextAt: Date | null; failures: number; error: string | null };

/** What a reconciliation run needs of a connection, its API key decrypted. */
export type ReconcileTarget = { projectId: string; provider: ProviderName; apiKey: string; storeId: string | null; connectedAt: Date; through: Date | null; failures: number };

export type IntegrationInput = {
  /** undefined keeps the current secret (only allowed once one is stored) */
  webhookSecret?: string;
  /** undefined keeps the stored key, null removes it */
  apiKey?: string | null;
  /** how long the replaced secret keeps verifying deliveries; 0 drops it at once */
  previousSecretTtlHours: number;
  /** Lemon Squeezy's store; undefined keeps the stored one, null forgets it */
  storeId?: string | null;
};

export type WebhookSecrets =
  | { status: 'unknown_project' }
  | { status: 'not_connected' }
  | { status: 'connected'; secrets: string[] };

/** What the receiver needs of a connection, decrypted; cached briefly per process. */
type Connection =
  | { status: 'unknown_project' }
  | { status: 'not_connected' }
  | { status: 'connected'; current: string; previous: { secret: string; expiresAt: Date } | null };

/**
 * The prefixes providers put on every webhook secret and API key they issue: public, so a masked hint may show
 * them. A Lemon Squeezy signing secret is the merchant's own choice (or Refwire's random hex): no part of it is.
 */
const PUBLIC_PREFIXES: Record<ProviderName, { webhookSecret: readonly string[]; apiKey: readonly string[] }> = {
  stripe: { webhookSecret: ['whsec_'], apiKey: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'] },
  paddle: { webhookSecret: ['pdl_ntfset_'], apiKey: ['pdl_live_apikey_', 'pdl_sdbx_apikey_'] },
  lemonsqueezy: { webhookSecret: [], apiKey: [] },
  polar: { webhookSecret: ['whsec_'], apiKey: ['polar_oat_', 'polar_pat_'] },
};

export class MissingSecretError extends Error {
  override name = 'MissingSecretError';
}

type Row = {
  provider: string;
  webhookSecretEnc: string;
  webhookSecretHint: string;
  previousSecretEnc: string | null;
  previousSecretHint: string | null;
  previousSecretExpiresAt: Date | null;
  apiKeyHint: string | null;
  storeId: string | null;
  reconciledThrough: Date | null;
  reconcileNextAt: Date | null;
  reconcileFailures: number;
  reconcileError: string | null;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * Provider connections with their secrets sealed under SECRETS_KEY. Plaintext leaves this module only through
 * webhookSecretsFor(), for the verifier, and apiKey(), for the pipeline's calls to the provider's API.
 */
/**
 * How long the receiver trusts what it read about a project's connection. A change made through this process is
 * seen at once; one made through another API process within this many milliseconds (a rotation's previous
 * secret keeps working meanwhile).
 */
const SECRETS_CACHE_MS = 5000;

export class IntegrationStore {
  private readonly cache = new Map<string, { value: Promise<Connection>; until: number }>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly box: SecretBox,
  ) {}

  /**
   * Whether this installation's key opens the provider secrets already stored (true with none stored). Started with
   * another SECRETS_KEY than the one they were sealed with, Refwire could verify no delivery: every webhook would be
   * answered 503 until its provider gave up, so the processes refuse to start instead.
   */
  async opensStoredSecrets(): Promise<boolean> {
    const row = await this.prisma.integration.findFirst({ orderBy: { updatedAt: 'desc' }, select: { projectId: true, provider: true, webhookSecretEnc: true } });
    if (!row) return true;
    try {
      this.box.open(row.webhookSecretEnc, this.context(row.projectId, row.provider, 'webhook_secret'));
      return true;
    } catch {
      return false;
    }
  }

  private forget(projectId: string, provider: string): void {
    this.cache.delete(`${projectId}:${provider}`);
  }

  private context(projectId: string, provider: string, field: 'webhook_secret' | 'api_key'): string {
    return `${projectId}:${provider}:${field}`;
  }

  private view(row: Row, now: Date): Integration {
    const previousLive = row.previousSecretHint !== null && row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now;
    return {
      provider: row.provider as ProviderName,
      webhookSecretHint: row.webhookSecretHint,
      previousSecret: previousLive ? { hint: row.previousSecretHint!, expiresAt: row.previousSecretExpiresAt! } : null,
      apiKeyHint: row.apiKeyHint,
      storeId: row.storeId,
      reconciliation: { through: row.reconciledThrough, nextAt: row.reconcileNextAt, failures: row.reconcileFailures, error: row.reconcileError },
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  async upsert(projectId: string, provider: ProviderName, input: IntegrationInput, now: Date): Promise<Integration> {
    const where = { projectId_provider: { projectId, provider } };
    const existing = await this.prisma.integration.findUnique({ where });
    const secretContext = this.context(projectId, provider, 'webhook_secret');

    let secret: Pick<Row, 'webhookSecretEnc' | 'webhookSecretHint'>;
    let previous: Pick<Row, 'previousSecretEnc' | 'previousSecretHint' | 'previousSecretExpiresAt'>;
    if (input.webhookSecret === undefined) {
      if (!existing) throw new MissingSecretError('webhook_secret is required to connect a provider');
      secret = existing;
      previous = existing;
    } else {
      secret = { webhookSecretEnc: this.box.seal(input.webhookSecret, secretContext), webhookSecretHint: maskSecret(input.webhookSecret, PUBLIC_PREFIXES[provider].webhookSecret) };
      const rotated = existing !== null && this.box.open(existing.webhookSecretEnc, secretContext) !== input.webhookSecret;
      if (rotated && input.previousSecretTtlHours > 0) {
        previous = {
          previousSecretEnc: existing.webhookSecretEnc,
          previousSecretHint: existing.webhookSecretHint,
          previousSecretExpiresAt: new Date(now.getTime() + input.previousSecretTtlHours * 3_600_000),
        };
      } else if (rotated || !existing) {
        previous = { previousSecretEnc: null, previousSecretHint: null, previousSecretExpiresAt: null };
      } else {
        previous = existing;
      }
    }

    let apiKey: { apiKeyEnc: string | null; apiKeyHint: string | null } | undefined;
    if (input.apiKey === null) apiKey = { apiKeyEnc: null, apiKeyHint: null };
    else if (input.apiKey !== undefined) {
      apiKey = { apiKeyEnc: this.box.seal(input.apiKey, this.context(projectId, provider, 'api_key')), apiKeyHint: maskSecret(input.apiKey, PUBLIC_PREFIXES[provider].apiKey) };
    }
    const store = input.storeId === undefined ? {} : { storeId: input.storeId };
    // a new key (or none), or another store, ends a refused run's pause: the next reconciliation pass tries at once
    const reconcileReset = apiKey || input.storeId !== undefined ? { reconcileNextAt: null, reconcileFailures: 0, reconcileError: null } : {};

    const data = {
      webhookSecretEnc: secret.webhookSecretEnc,
      webhookSecretHint: secret.webhookSecretHint,
      previousSecretEnc: previous.previousSecretEnc,
      previousSecretHint: previous.previousSecretHint,
      previousSecretExpiresAt: previous.previousSecretExpiresAt,
      ...apiKey,
      ...store,
      ...reconcileReset,
    };
    this.forget(projectId, provider);
    const row = await this.prisma.integration.upsert({
      where,
      // on the app's clock: reconciliation reads a new connection's history from this moment
      create: { projectId, provider, ...data, createdAt: now },
      update: data,
    });
    // and again once written: a read begun while the write ran may have seen the old connection
    this.forget(projectId, provider);
    return this.view(row, now);
  }

  async list(projectId: string, now: Date): Promise<Integration[]> {
    const rows = await this.prisma.integration.findMany({ where: { projectId }, orderBy: { provider: 'asc' } });
    return rows.map((r) => this.view(r, now));
  }

  async get(projectId: string, provider: ProviderName, now: Date): Promise<Integration | null> {
    const row = await this.prisma.integration.findUnique({ where: { projectId_provider: { projectId, provider } } });
    return row ? this.view(row, now) : null;
  }

  async remove(projectId: string, provider: ProviderName): Promise<boolean> {
    const { count } = await this.prisma.integration.deleteMany({ where: { projectId, provider } });
    this.forget(projectId, provider);
    return count > 0;
  }

  /**
   * What the receiver needs in one query: whether the project exists, whether the provider is connected, and the
   * secrets a delivery may be signed with (two while a rotated secret is still valid).
   */
  async webhookSecretsFor(projectId: string, provider: ProviderName, now: Date): Promise<WebhookSecrets> {
    const key = `${projectId}:${provider}`;
    let entry = this.cache.get(key);
    if (!entry || entry.until <= Date.now()) {
      // One read for every delivery that finds the entry stale: the deliveries arriving while it runs share it
      // (at thousands a second each made its own, tens of reads every few seconds). Cached before it ends, so a
      // change through this process (forget) while it runs is not overwritten by what it read.
      const read = this.readConnection(projectId, provider);
      const fresh = { value: read, until: Date.now() + SECRETS_CACHE_MS };
      entry = fresh;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, fresh);
      // a failed read is not kept: the next delivery reads again
      read.catch(() => this.cache.get(key) === fresh && this.cache.delete(key));
    }
    const connection = await entry.value;
    if (connection.status !== 'connected') return connection;
    // The previous secret's expiry is judged now, not when the connection was read.
    const previous = connection.previous && connection.previous.expiresAt > now ? [connection.previous.secret] : [];
    return { status: 'connected', secrets: [connection.current, ...previous] };
  }

  private async readConnection(projectId: string, provider: ProviderName): Promise<Connection> {
    const project = await this.prisma.project.findUnique({
      where: { id: projectId },
      select: {
        integrations: {
          where: { provider },
          select: { webhookSecretEnc: true, previousSecretEnc: true, previousSecretExpiresAt: true },
        },
      },
    });
    if (!project) return { status: 'unknown_project' };
    const row = project.integrations[0];
    if (!row) return { status: 'not_connected' };
    const context = this.context(projectId, provider, 'webhook_secret');
    return {
      status: 'connected',
      current: this.box.open(row.webhookSecretEnc, context),
      previous:
        row.previousSecretEnc && row.previousSecretExpiresAt
          ? { secret: this.box.open(row.previousSecretEnc, context), expiresAt: row.previousSecretExpiresAt }
          : null,
    };
  }

  /** The provider API key a merchant stored, for the pipeline's calls to the provider (never returned by the API). */
  async apiKey(projectId: string, provider: ProviderName): Promise<string | null> {
    const row = await this.prisma.integration.findUnique({
      where: { projectId_provider: { projectId, provider } },
      select: { apiKeyEnc: true },
    });
    return row?.apiKeyEnc ? this.box.open(row.apiKeyEnc, this.context(projectId, provider, 'api_key')) : null;
  }

  /**
   * Takes the connections with an API key whose reconciliation is due, each for this caller alone: its next run is
   * moved to `leaseUntil` by a conditional update, so processes sharing the database never run one twice at once.
   */
  async claimDueReconciliations(now: Date, leaseUntil: Date, limit: number): Promise<{ projectId: string; provider: ProviderName }[]> {
    const due = { apiKeyEnc: { not: null }, OR: [{ reconcileNextAt: null }, { reconcileNextAt: { lte: now } }] };
    const rows = await this.prisma.integration.findMany({ where: due, select: { id: true, projectId: true, provider: true }, orderBy: { reconcileNextAt: { sort: 'asc', nulls: 'first' } }, take: limit });
    const claimed: { projectId: string; provider: ProviderName }[] = [];
    for (const row of rows) {
      const { count } = await this.prisma.integration.updateMany({ where: { id: row.id, ...due }, data: { reconcileNextAt: leaseUntil } });
      if (count === 1) claimed.push({ projectId: row.projectId, provider: row.provider as ProviderName });
    }
    return claimed;
  }

  async reconcileTarget(projectId: string, provider: ProviderName): Promise<ReconcileTarget | null> {
    const row = await this.prisma.integration.findUnique({ where: { projectId_provider: { projectId, provider } } });
    if (!row?.apiKeyEnc) return null;
    return {
      projectId,
      provider,
      apiKey: this.box.open(row.apiKeyEnc, this.context(projectId, provider, 'api_key')),
      storeId: row.storeId,
      connectedAt: row.createdAt,
      through: row.reconciledThrough,
      failures: row.reconcileFailures,
    };
  }

  /** A run's end: a success moves the checkpoint (when given) and clears the error; a failure keeps the checkpoint. */
  async recordReconcile(projectId: string, provider: ProviderName, end: { ok: true; through: Date | null; nextAt: Date } | { ok: false; error: string; failures: number; nextAt: Date }): Promise<void> {
    const data = end.ok
      ? { ...(end.through ? { reconciledThrough: end.through } : {}), reconcileNextAt: end.nextAt, reconcileFailures: 0, reconcileError: null }
      : { reconcileNextAt: end.nextAt, reconcileFailures: end.failures, reconcileError: end.error };
    await this.prisma.integration.updateMany({ where: { projectId, provider }, data });
  }
}
