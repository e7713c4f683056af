/**
 * An inbound event's life: received → one of three ends, written by the transaction that processed it (or back to
 * received, with a retry time, after a failed attempt). failed: after every retry, or at once for an event that
 * cannot be used (status_reason says why; "invalid event: …" when its content is out of bounds). processing: what
 * earlier versions wrote while a runner held the event; such rows are taken up again once their lease ran out.
 */
export const EVENT_STATUSES = ['received', 'processing', 'processed', 'ignored', 'failed'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
