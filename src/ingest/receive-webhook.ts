import type { IntegrationStore } from '../integrations/integration-store';
import type { DeliveryHeaders, VerifiedEvent, VerifyFailure } from '../providers/provider-adapter';
import type { ProviderName } from '../domain/provider-names';
import { findAdapter } from '../providers/registry';
import { MAX_JSON_DEPTH, nestsDeeper } from '../util/json-text';
import { hasLoneSurrogate } from '../util/text';
import { DATE_RANGE_TEXT, isStorableDate } from '../domain/bounds';
import type { InboxInput, StoredEvent } from '../inbox/inbound-events';

export type IngestOutcome =
  | { kind: 'accepted'; id: string; duplicate: boolean }
  | { kind: 'unknown_provider' }
  | { kind: 'unknown_project' }
  | { kind: 'not_connected' }
  | { kind: 'verification_failed'; reason: VerifyFailure }
  /** signed, but not an event the inbox can hold: answered 400, so the provider stops retrying it */
  | { kind: 'unacceptable'; reason: string }
  | { kind: 'unavailable'; error: Error };

export type ReceiveDeps = {
  /** the inbox write (batched with concurrent deliveries, see inbox.ts#inboxWriter) */
  store: (input: InboxInput) => Promise<StoredEvent>;
  integrations: IntegrationStore;
  toleranceSeconds: Record<ProviderName, number>;
  clock: () => Date;
  /** hands a newly stored event to processing (in-process runner or queue) */
  onStored: (eventId: string) => void;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Headers kept with every stored event, beside the provider's own signature headers. */
const KEPT_HEADERS = ['content-type', 'user-agent'];

/** inbound_events.provider_event_id and event_type are VARCHAR(255) */
const MAX_EVENT_ID_LENGTH = 255;

/**
 * Why a verified event cannot be stored, or null. Checked before the insert: an id the columns cannot hold failed
 * the insert (and, batched, the other deliveries of its statement) with a database error, answered 503, and the
 * provider retried it forever; a payload nested past MAX_JSON_DEPTH was stored and then could not be shown.
 */
function unacceptable(event: VerifiedEvent): string | null {
  for (const [name, value] of [['id', event.eventId], ['type', event.type]] as const) {
    if (value.length > MAX_EVENT_ID_LENGTH) return `its event ${name} is longer than ${MAX_EVENT_ID_LENGTH} characters`;
    // PostgreSQL text cannot hold U+0000
    if (value.includes('\u0000')) return `its event ${name} holds a NUL character`;
    // stored as U+FFFD, so the key read back differs from the one inserted and the repeat is never recognized
    if (hasLoneSurrogate(value)) return `its event ${name} holds half of a UTF-16 surrogate pair`;
  }
  if (event.occurredAt && !isStorableDate(event.occurredAt)) return `its timestamp is not a date ${DATE_RANGE_TEXT}`;
  if (nestsDeeper(event.payload, MAX_JSON_DEPTH)) return `its JSON nests deeper than ${MAX_JSON_DEPTH} levels`;
  return null;
}

/**
 * Verify, then store once, then hand off: the only work done while the provider waits. Every path returns a
 * typed outcome; nothing is stored unless the signature verified, and `accepted` only after the row is committed.
 */
export async function receiveWebhook(
  deps: ReceiveDeps,
  request: { provider: string; projectId: string; body: Buffer; headers: DeliveryHeaders },
): Promise<IngestOutcome> {
  const adapter = findAdapter(request.provider);
  if (!adapter) return { kind: 'unknown_provider' };
  if (!UUID.test(request.projectId)) return { kind: 'unknown_project' };
  const projectId = request.projectId.toLowerCase();
  const now = deps.clock();

  let secrets: string[];
  try {
    const found = await deps.integrations.webhookSecretsFor(projectId, adapter.name, now);
    if (found.status !== 'connected') return { kind: found.status };
    secrets = found.secrets;
  } catch (error) {
    return { kind: 'unavailable', error: error as Error };
  }

  const verified = adapter.verify({ body: request.body, headers: request.headers }, secrets, {
    now,
    toleranceSeconds: deps.toleranceSeconds[adapter.name],
  });
  // the signature held when only the body is wrong: the sender is the provider (or holds its secret) and is told what
  // is wrong with it; a signature or timestamp refused gets the generic answer (PRODUCT.md §4)
  if (!verified.ok && verified.reason === 'malformed_payload') {
    return { kind: 'unacceptable', reason: `the signed body is not a ${adapter.name} event (a JSON object with its id and type)` };
  }
  if (!verified.ok) return { kind: 'verification_failed', reason: verified.reason };
  const refused = unacceptable(verified.event);
  if (refused) return { kind: 'unacceptable', reason: refused };

  const headers: Record<string, string> = {};
  for (const name of [...KEPT_HEADERS, ...adapter.signatureHeaders]) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  try {
    const stored = await deps.store({
      projectId,
      provider: adapter.name,
      event: verified.event,
      rawBody: request.body,
      headers,
      receivedAt: now,
    });
    if (!stored.duplicate) deps.onStored(stored.id);
    return { kind: 'accepted', ...stored };
  } catch (error) {
    return { kind: 'unavailable', error: error as Error };
  }
}
