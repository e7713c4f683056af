import type { Logger } from 'pino';
import type { SqlClient } from '../db/sql';
import type { ProviderName } from '../domain/provider-names';
import { storeInboundEvents, type InboxInput } from '../inbox/inbound-events';
import type { IntegrationStore } from '../integrations/integration-store';
import type { Metrics } from '../observability/metrics';
import { ProviderApiError, type ReconcileWindow, type RecoveredEvent } from '../providers/provider-api';
import { getReconciler } from '../providers/registry';

export type ReconcileDeps = {
  sql: SqlClient;
  integrations: IntegrationStore;
  /** operator-set API base URLs (else each provider's public API) and the fetch to reach them */
  baseUrls: Partial<Record<ProviderName, string>>;
  fetch: typeof fetch;
  clock: () => Date;
  logger: Logger;
  metrics?: Metrics;
  /** hands a newly stored inbox row to processing, as the receiver does */
  onStored: (eventId: string) => void;
  /** RECONCILE_INTERVAL_MINUTES: when the next scheduled run is due after this one */
  intervalMs: number;
  /** how long one call to a provider may take (default PROVIDER_API_TIMEOUT_MS) */
  timeoutMs?: number;
};

export type ReconcileReport = { provider: ProviderName; since: Date; until: Date; listed: number; recovered: number; duplicates: number; checkpoint: Date | null };

/** Why a run could not happen or did not finish; `refusedKey`: the provider does not accept the stored key. */
export class ReconcileError extends Error {
  override name = 'ReconcileError';
  constructor(
    message: string,
    /** `needs_setting`: the key works but the connection must say which account to read (Lemon Squeezy's store) */
    readonly kind: 'no_api_key' | 'refused_key' | 'needs_setting' | 'provider_failed',
  ) {
    super(message);
  }
}

/**
 * Each run reads a little before the checkpoint: a provider's list may show an object a moment after its creation
 * time, and what is read twice is stored once.
 */
const OVERLAP_MS = 10 * 60_000;
/** After a failed run: 1 minute, doubling, at most 6 hours. A refused key waits a day, or a new key. */
const FIRST_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 6 * 3_600_000;
const REFUSED_KEY_WAIT_MS = 24 * 3_600_000;
const INSERT_BATCH = 100;
const DAY_MS = 86_400_000;
/** How old a payment the sweep still looks at for a refund (ReconcileWindow.sweep): past most refund policies. */
const SWEEP_LOOKBACK_MS = 120 * DAY_MS;

/**
 * The sweep for refunds of older payments reads months of a provider's list, so it runs once a day: on the run whose
 * window holds a UTC midnight (a failed one keeps its window and is retried), for what changed since the day before
 * or since the window's start if that is earlier. A run asked for with `since` sweeps from there.
 */
export function sweepOf(since: Date, until: Date, asked: boolean): ReconcileWindow['sweep'] {
  const paidSince = new Date(since.getTime() - SWEEP_LOOKBACK_MS);
  if (asked) return { paidSince, changedSince: since };
  const midnight = Math.floor(until.getTime() / DAY_MS) * DAY_MS;
  if (midnight < since.getTime()) return undefined;
  return { paidSince, changedSince: new Date(Math.min(since.getTime(), midnight - DAY_MS - OVERLAP_MS)) };
}

export function backoffMs(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, failures - 1));
}

/**
 * One integration's run: list what the provider recorded from the checkpoint (or `since`) to now, store what the
 * inbox lacks as rows marked `reconciled`, hand them to processing. The checkpoint moves only after a run that
 * covered it succeeded; a failure keeps it and backs off.
 */
export async function reconcileIntegration(deps: ReconcileDeps, request: { projectId: string; provider: ProviderName; since?: Date }): Promise<ReconcileReport> {
  const { projectId, provider } = request;
  const target = await deps.integrations.reconcileTarget(projectId, provider);
  if (!target) throw new ReconcileError(`${provider} has no API key stored: add one with PUT /api/v1/integrations/${provider} (api_key)`, 'no_api_key');
  const until = deps.clock();
  const start = target.through ? new Date(target.through.getTime() - OVERLAP_MS) : target.connectedAt;
  const since = request.since ?? start;
  const reconciler = getReconciler(provider);
  const api = { apiKey: target.apiKey, baseUrl: deps.baseUrls[provider] ?? reconciler.defaultBaseUrl(target.apiKey), fetch: deps.fetch, ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}) };

  let listed: RecoveredEvent[];
  try {
    const sweep = sweepOf(since, until, request.since !== undefined);
    listed = await reconciler.recover(api, { since, until, ...(sweep ? { sweep } : {}) }, { storeId: target.storeId });
  } catch (err) {
    const failures = target.failures + 1;
    const status = err instanceof ProviderApiError ? err.status : undefined;
    const refused = status === 401 || status === 403;
    // the provider answered, but which of the key's accounts to read is not known (the key's stores): a setting to
    // make, which no retry supplies
    const unsettled = status === 422;
    const message = refused
      ? `${provider} refused the stored API key (${(err as Error).message}); store a valid one with PUT /api/v1/integrations/${provider}`
      : unsettled
        ? `${(err as Error).message}, with PUT /api/v1/integrations/${provider}`
        : (err as Error).message;
    const nextAt = new Date(until.getTime() + (refused || unsettled ? REFUSED_KEY_WAIT_MS : backoffMs(failures)));
    await deps.integrations.recordReconcile(projectId, provider, { ok: false, error: message, failures, nextAt });
    deps.metrics?.reconcileRuns.inc({ provider, outcome: refused ? 'refused_key' : 'failed' });
    deps.logger.warn({ projectId, provider, failures, nextAt, err: (err as Error).message }, 'reconciliation failed; the checkpoint stays');
    throw new ReconcileError(message, refused ? 'refused_key' : unsettled ? 'needs_setting' : 'provider_failed');
  }

  const stored = await store(deps, projectId, provider, listed, until);
  // a window that began after the checkpoint (an explicit later --since) leaves a gap behind it: no move then
  const covered = since.getTime() <= (target.through ?? target.connectedAt).getTime();
  const checkpoint = covered ? until : null;
  await deps.integrations.recordReconcile(projectId, provider, { ok: true, through: checkpoint, nextAt: new Date(until.getTime() + deps.intervalMs) });
  deps.metrics?.reconcileRuns.inc({ provider, outcome: 'ok' });
  if (stored.recovered > 0) deps.metrics?.reconciled.inc({ provider }, stored.recovered);
  const report = { provider, since, until, listed: listed.length, ...stored, checkpoint };
  deps.logger[stored.recovered > 0 ? 'info' : 'debug']({ projectId, ...report }, 'reconciliation recovered events no webhook delivered');
  return report;
}

/** Inserts the listed events the inbox lacks (keyed like webhooks: project, provider, event id), in batches. */
async function store(deps: ReconcileDeps, projectId: string, provider: ProviderName, events: RecoveredEvent[], now: Date) {
  let recovered = 0;
  let duplicates = 0;
  for (let i = 0; i < events.length; i += INSERT_BATCH) {
    const inputs: InboxInput[] = events.slice(i, i + INSERT_BATCH).map((e) => ({
      projectId,
      provider,
      event: { eventId: e.eventId, type: e.type, payload: e.payload, occurredAt: e.occurredAt, livemode: typeof e.payload.livemode === 'boolean' ? e.payload.livemode : null },
      rawBody: Buffer.from(JSON.stringify(e.payload)),
      headers: {},
      receivedAt: now,
      origin: 'reconciled',
    }));
    for (const row of await storeInboundEvents(deps.sql, inputs)) {
      if (row.duplicate) duplicates++;
      else {
        recovered++;
        deps.onStored(row.id);
      }
    }
  }
  return { recovered, duplicates };
}
