import type { JobsOptions } from 'bullmq';

/**
 * Every queue and job Refwire runs, with its retry budget beside it. Job ids derive from the inbox row, so a job
 * is added at most once however often the receiver and the re-enqueue sweep try.
 */
export const EVENTS_QUEUE = 'refwire-events';

export const JOBS = {
  processEvent: 'process-event',
} as const;

export type ProcessEventJob = { eventId: string };

export function processEventJobId(eventId: string): string {
  return `event-${eventId}`;
}

export function processEventJobOptions(budget: { attempts: number; backoffMs: number }): JobsOptions {
  return {
    attempts: budget.attempts,
    backoff: { type: 'exponential', delay: budget.backoffMs },
    // A completed job is forgotten, so a replay can add the same id again; failed ones stay for the dashboard.
    removeOnComplete: true,
    removeOnFail: 5000,
  };
}
