import type { NormalizedEvent } from '../domain/normalized-event';
import type { ProviderName } from '../domain/provider-names';
import type { Json } from './shared/read';

/**
 * How Refwire reaches one merchant's account at a provider: that merchant's key and the API's base URL, given to a
 * client made for this call alone (never to module-global SDK state), so calls for many merchants can run at once.
 */
export type ProviderApi = { apiKey: string; baseUrl: string; fetch: typeof fetch; /** default PROVIDER_API_TIMEOUT_MS */ timeoutMs?: number };

/** How long one call to a provider's API may take before it counts as failed. */
export const PROVIDER_API_TIMEOUT_MS = 10_000;

/**
 * Fills in what a provider leaves out of its webhooks (Paddle: the customer's email; Lemon Squeezy: the discount
 * code) by asking its API. Only runs when an API key is stored; the normalized events stay the one input of the
 * provider-blind ledger.
 */
export type Enricher = {
  /** the API's base URL for this key (sandbox or live) unless the operator set one */
  defaultBaseUrl(apiKey: string): string;
  enrich(input: { payload: Json; events: NormalizedEvent[]; api: ProviderApi }): Promise<NormalizedEvent[]>;
};

export class ProviderApiError extends Error {
  override name = 'ProviderApiError';
  constructor(
    readonly provider: ProviderName,
    message: string,
    /** the provider's HTTP status; absent when it could not be reached */
    readonly status?: number,
  ) {
    super(`${provider} API: ${message}`);
  }
}

/** What creating Refwire's webhook endpoint at a provider needs. */
export type ConnectRequest = {
  webhookUrl: string;
  events: readonly string[];
  description: string;
  /** Lemon Squeezy: which store, when the key sees several */
  storeId?: string;
  /** Polar: needed unless the token is an organization token */
  organizationId?: string;
};

export type ConnectResult = {
  /** the signing secret the provider will use, for the receiver to verify with */
  webhookSecret: string;
  /** Lemon Squeezy: the store the endpoint was made in, whose webhooks it delivers */
  storeId?: string;
  /** the provider's id of the endpoint it created */
  endpointId: string;
};

/** Creates the webhook endpoint in the merchant's provider account through the provider's API. */
export type Connector = {
  /** the API's base URL for this key unless the operator set one */
  defaultBaseUrl(apiKey: string, options: { sandbox: boolean }): string;
  connect(api: ProviderApi, request: ConnectRequest): Promise<ConnectResult>;
};
/** A provider event recovered from its API: what its webhook would have carried, in the webhook's own shape. */
export type RecoveredEvent = {
  /**
   * The inbox key: the provider's own event id when its API lists events (a late webhook of it is then a duplicate),
   * else `reconciled:` and the object's id and money state (the ledger's payment keys dedupe the late webhook).
   */
  eventId: string;
  type: string;
  /** the webhook payload, read by the provider's own normalizer */
  payload: Record<string, unknown>;
  occurredAt: Date;
};

/**
 * Lists what happened in a merchant's account from `since` to `until` (payments, refunds, and the provider's event
 * history where it keeps one), newest pages first, stopping at `since`. Throws ProviderApiError.
 */
export type Reconciler = {
  defaultBaseUrl(apiKey: string): string;
  recover(api: ProviderApi, window: ReconcileWindow, account: ReconcileAccount): Promise<RecoveredEvent[]>;
};

/**
 * What the connection says of the merchant's account beyond its key. Lemon Squeezy's keys reach every store of
 * their user, and its webhooks come from one store: that one is read (null: the key's only store, else an error).
 */
export type ReconcileAccount = { storeId: string | null };

export type ReconcileWindow = {
  since: Date;
  until: Date;
  /**
   * Set on one run a day and on a run asked for with `since`: also the payments made before `since`, back to
   * `paidSince`, that changed after `changedSince`. A provider whose API lists payments by their creation alone (Lemon
   * Squeezy: no refund list, no event history) finds a later refund of an older payment this way; the others list
   * refunds or events by their own time and ignore it.
   */
  sweep?: { paidSince: Date; changedSince: Date };
};

/** Races a call against the provider API timeout, for SDKs that take no abort signal. */
export async function withTimeout<T>(provider: ProviderName, what: string, call: Promise<T>, ms = PROVIDER_API_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProviderApiError(provider, `request failed (${what}: no answer within ${ms / 1000} s)`)), ms);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
