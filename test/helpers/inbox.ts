import type { InboxInput } from '../../src/inbox/inbound-events';

/** A Stripe event payload as the receiver would store it, for tests that fill the inbox without HTTP. */
export function stripeInboxInput(projectId: string, payload: Record<string, unknown> & { id: string; type: string }, receivedAt = new Date()): InboxInput {
  return {
    projectId,
    provider: 'stripe',
    event: { eventId: payload.id, type: payload.type, payload, occurredAt: null, livemode: false },
    rawBody: Buffer.from(JSON.stringify(payload)),
    headers: {},
    receivedAt,
  };
}
