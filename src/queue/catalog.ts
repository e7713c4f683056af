import type { JobsOptions } from 'bullmq';

/**
 * Every queue and job Refwire runs, with its retry budget beside it. A job carries a batch of inbox row ids: the
 * events the receiver stored within 20 ms, or rows the requeue sweep found waiting. The inbox row, not the job,
 * is the source of truth: an id in two jobs is taken by one transaction (see process-inbound-event.ts), so losing a
 * job or queueing an event twice is harmless.
 */
export const EVENTS_QUEUE = 'refwire-events';

export const JOBS = {
  processEvents: 'process-events',
} as const;

export type ProcessEventsJob = { eventIds: string[] };

/** At most this many ids per job, so one job stays a batch a worker can take in one go. */
export const MAX_EVENTS_PER_JOB = 200;

/** The job that retries one event after a failed attempt: one per attempt, so re-adding it is idempotent. */
export function retryJobId(eventId: string, attempt: number): string {
  return `retry-${eventId}-${attempt}`;
}

export function processEventsJobOptions(budget: { attempts: number; backoffMs: number }): JobsOptions {
  return {
    // a job fails as a whole only when the database is unreachable; its events' own retries are separate jobs
    attempts: budget.attempts,
    backoff: { type: 'exponential', delay: budget.backoffMs },
    removeOnComplete: true,
    removeOnFail: 5000,
  };
}
