/** An inbound event's life: stored → claimed by a runner → one of three ends (failed only after every retry). */
export const EVENT_STATUSES = ['received', 'processing', 'processed', 'ignored', 'failed'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
