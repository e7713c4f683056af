import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ProcessOutcome } from '../domain/process-outcome';
import { EVENTS_QUEUE, type ProcessEventsJob } from './catalog';
import type { EventQueue } from './event-queue';
import { workerConnection } from './redis';

/**
 * Consumes the events queue with the same entry point as the in-process runner. Each job's events go through
 * `process`, which gathers the events of all the jobs in hand into batches (processing.ts). An event whose
 * attempt failed gets its own delayed job for the next attempt (exponential backoff); the processor marks it
 * failed once it used its last. A job itself fails only when the database cannot be reached: BullMQ retries it,
 * and a worker killed mid-job leaves a stalled job that another worker picks up again.
 */
export class QueueWorker {
  private readonly worker: Worker<ProcessEventsJob, ProcessOutcome[]>;
  private readonly redis: Redis;

  constructor(
    url: string,
    prefix: string,
    private readonly queue: EventQueue,
    process: (eventId: string) => Promise<ProcessOutcome>,
    private readonly logger: Logger,
    options: { concurrency: number; lockMs: number; stalledMs: number },
  ) {
    this.redis = workerConnection(url);
    this.worker = new Worker<ProcessEventsJob, ProcessOutcome[]>(
      EVENTS_QUEUE,
      async (job: Job<ProcessEventsJob>) => {
        const ids = job.data.eventIds ?? [];
        const outcomes = await Promise.all(ids.map((id) => process(id)));
        await Promise.all(
          outcomes.map((o, i) => (o.status === 'retry' ? this.queue.retry(ids[i]!, o.attempt, o.retryAt) : undefined)),
        );
        return outcomes;
      },
      {
        connection: this.redis,
        prefix,
        concurrency: options.concurrency,
        lockDuration: options.lockMs,
        stalledInterval: options.stalledMs,
        maxStalledCount: 5,
      },
    );
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'queue worker error'));
    this.worker.on('failed', (job, err) => this.logger.warn({ err: err.message, events: job?.data.eventIds.length }, 'queue job failed; BullMQ retries it'));
  }

  /** Stops taking jobs and waits for those in hand. */
  async close(): Promise<void> {
    await this.worker.close();
    this.redis.disconnect();
  }
}
