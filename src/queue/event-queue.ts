import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EVENTS_QUEUE, JOBS, MAX_EVENTS_PER_JOB, processEventsJobOptions, retryJobId, type ProcessEventsJob } from './catalog';
import { producerConnection } from './redis';

const ADD_TIMEOUT_MS = 1000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e as Error);
      },
    );
  });
}

/** The producer side of the events queue: one job per batch of stored events, never waiting long for Redis. */
export class EventQueue {
  readonly queue: Queue<ProcessEventsJob>;
  private readonly redis: Redis;

  constructor(
    url: string,
    prefix: string,
    private readonly budget: { attempts: number; backoffMs: number },
    private readonly logger: Logger,
  ) {
    this.redis = producerConnection(url);
    this.queue = new Queue<ProcessEventsJob>(EVENTS_QUEUE, { connection: this.redis, prefix });
    this.queue.on('error', () => undefined);
  }

  /** false when Redis could not take it now: the row stays stored and the sweep queues it later. */
  async enqueue(eventIds: readonly string[]): Promise<boolean> {
    if (eventIds.length === 0) return true;
    try {
      const jobs = [];
      for (let at = 0; at < eventIds.length; at += MAX_EVENTS_PER_JOB) {
        jobs.push({ name: JOBS.processEvents, data: { eventIds: eventIds.slice(at, at + MAX_EVENTS_PER_JOB) }, opts: processEventsJobOptions(this.budget) });
      }
      await withTimeout(this.queue.addBulk(jobs), ADD_TIMEOUT_MS);
      return true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, events: eventIds.length }, 'could not queue events; the sweep will retry');
      return false;
    }
  }

  /** Queues another attempt of one event at `notBefore`; false when Redis is away (the sweep retries it then). */
  async retry(eventId: string, attempt: number, notBefore: Date): Promise<boolean> {
    try {
      await withTimeout(
        this.queue.add(JOBS.processEvents, { eventIds: [eventId] }, {
          ...processEventsJobOptions(this.budget),
          jobId: retryJobId(eventId, attempt),
          delay: Math.max(0, notBefore.getTime() - Date.now()),
        }),
        ADD_TIMEOUT_MS,
      );
      return true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, eventId }, 'could not queue a retry; the sweep will');
      return false;
    }
  }

  async depth(): Promise<Record<string, number>> {
    return withTimeout(this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'), ADD_TIMEOUT_MS);
  }

  /** Jobs no worker has taken yet. */
  async waitingJobs(): Promise<number> {
    return withTimeout(this.queue.getJobCountByTypes('waiting', 'prioritized'), ADD_TIMEOUT_MS);
  }

  async ping(): Promise<void> {
    await withTimeout(this.redis.ping(), ADD_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
