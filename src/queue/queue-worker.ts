import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SqlClient } from '../db/sql';
import type { ProcessOutcome } from '../pipeline/process-inbound-event';
import { EVENTS_QUEUE, type ProcessEventJob } from './catalog';
import { workerConnection } from './redis';

export class RetryableProcessingError extends Error {
  override name = 'RetryableProcessingError';
}

/**
 * Consumes the events queue with the same entry point as the in-process runner. A "retry" outcome throws so
 * BullMQ retries with backoff; when a job has used its last attempt, the event is marked failed rather than left
 * waiting. A worker killed mid-job leaves a stalled job that another worker picks up again.
 */
export class QueueWorker {
  private readonly worker: Worker<ProcessEventJob, ProcessOutcome>;
  private readonly redis: Redis;

  constructor(
    url: string,
    prefix: string,
    private readonly sql: SqlClient,
    process: (eventId: string) => Promise<ProcessOutcome>,
    private readonly logger: Logger,
    options: { concurrency: number; lockMs: number; stalledMs: number },
  ) {
    this.redis = workerConnection(url);
    this.worker = new Worker<ProcessEventJob, ProcessOutcome>(
      EVENTS_QUEUE,
      async (job: Job<ProcessEventJob>) => {
        const outcome = await process(job.data.eventId);
        if (outcome.status === 'retry') throw new RetryableProcessingError(outcome.reason);
        return outcome;
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
    this.worker.on('failed', (job, err) => void this.onFailed(job, err));
  }

  private async onFailed(job: Job<ProcessEventJob> | undefined, err: Error): Promise<void> {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    try {
      await this.sql.query(
        `UPDATE inbound_events SET status = 'failed', status_reason = $2, locked_at = NULL, processed_at = now()
         WHERE id = $1 AND status IN ('received', 'processing')`,
        [job.data.eventId, `gave up after ${job.attemptsMade} attempts: ${err.message}`.slice(0, 1000)],
      );
    } catch (e) {
      this.logger.error({ err: e, eventId: job.data.eventId }, 'could not mark an exhausted event failed');
    }
  }

  /** Stops taking jobs and waits for those in hand. */
  async close(): Promise<void> {
    await this.worker.close();
    this.redis.disconnect();
  }
}
