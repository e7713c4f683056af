/**
 * An inbound event's life: stored → claimed by a runner → one of three ends. failed: after every retry, or at once
 * for an event that cannot be used (status_reason says why; "invalid event: …" when its content is out of bounds).
 */
export const EVENT_STATUSES = ['received', 'processing', 'processed', 'ignored', 'failed'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
