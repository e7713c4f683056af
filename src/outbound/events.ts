/**
 * The outbound event names an endpoint may subscribe to: Refgrow's four (PRODUCT.md §9, §15), Refferq's twelve
 * and two more of the affiliate lifecycle in Refferq's shape (PRODUCT.md §12). One list, read by the API's validation, the outbox writers and the docs' table.
 */
export const REFGROW_EVENTS = ['referral_signed_up', 'referral_converted', 'referral_canceled', 'referral_updated'] as const;
export const REFFERQ_EVENTS = [
  'affiliate.created',
  'affiliate.approved',
  'affiliate.suspended',
  // not Refferq's: PRODUCT.md §12 has every lifecycle action emit its event, so rejection and reactivation have
  // theirs, in the same shape as the affiliate events above
  'affiliate.rejected',
  'affiliate.reactivated',
  'referral.created',
  'referral.converted',
  'referral.expired',
  'commission.created',
  'commission.approved',
  'commission.paid',
  'payout.requested',
  'payout.approved',
  'payout.completed',
] as const;
export const OUTBOUND_EVENTS = [...REFGROW_EVENTS, ...REFFERQ_EVENTS] as const;

export type RefgrowEvent = (typeof REFGROW_EVENTS)[number];
export type RefferqEvent = (typeof REFFERQ_EVENTS)[number];
export type OutboundEvent = (typeof OUTBOUND_EVENTS)[number];

/** What an endpoint receives when it names no events: Refgrow's four, as every endpoint did before the twelve. */
export const DEFAULT_EVENTS: readonly OutboundEvent[] = REFGROW_EVENTS;

export function isOutboundEvent(name: string): name is OutboundEvent {
  return (OUTBOUND_EVENTS as readonly string[]).includes(name);
}

/**
 * Payload formats, recorded per endpoint so that a receiver never sees its payloads change shape under it: a
 * later change of shape is a new format the merchant opts into.
 *  - `refgrow-v1`: Refgrow's four events exactly as Refgrow documents them (the default for new endpoints);
 *  - `refwire-v1`: the envelope Refwire sent before (`{ id, event, created_at, data: { referral, affiliate,
 *    conversion } }`), kept for the endpoints created then.
 * Refferq's twelve have one shape (src/outbound/payloads/refferq.ts), the same in both formats.
 */
export const PAYLOAD_FORMATS = ['refgrow-v1', 'refwire-v1'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];
export const DEFAULT_PAYLOAD_FORMAT: PayloadFormat = 'refgrow-v1';

/** Each format in a sentence, for GET /api/v1/webhooks/event-types and the dashboard's choice of format. */
export const PAYLOAD_FORMAT_DESCRIPTIONS: Record<PayloadFormat, string> = {
  'refgrow-v1': "Refgrow's four events exactly as Refgrow documents them",
  'refwire-v1': "Refwire's earlier envelope ({ id, event, created_at, data: { referral, affiliate, conversion } }), kept for the endpoints created with it",
};
