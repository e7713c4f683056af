import type { IntegrationStore } from '../integrations/integration-store';
import type { DeliveryHeaders, VerifyFailure } from '../providers/provider-adapter';
import type { ProviderName } from '../domain/provider-names';
import { findAdapter } from '../providers/registry';
import type { InboxInput, StoredEvent } from '../inbox/inbound-events';

export type IngestOutcome =
  | { kind: 'accepted'; id: string; duplicate: boolean }
  | { kind: 'unknown_provider' }
  | { kind: 'unknown_project' }
  | { kind: 'not_connected' }
  | { kind: 'verification_failed'; reason: VerifyFailure }
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
  if (!verified.ok) return { kind: 'verification_failed', reason: verified.reason };

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
