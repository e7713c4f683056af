import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EVENTS_QUEUE, JOBS, processEventJobId, processEventJobOptions, type ProcessEventJob } from './catalog';
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

/** The producer side of the events queue: adds are idempotent by job id and never wait long for Redis. */
export class EventQueue {
  readonly queue: Queue<ProcessEventJob>;
  private readonly redis: Redis;

  constructor(
    url: string,
    prefix: string,
    private readonly budget: { attempts: number; backoffMs: number },
    private readonly logger: Logger,
  ) {
    this.redis = producerConnection(url);
    this.queue = new Queue<ProcessEventJob>(EVENTS_QUEUE, { connection: this.redis, prefix });
    this.queue.on('error', () => undefined);
  }

  /** false when Redis could not take it now: the row stays stored and the sweep queues it later. */
  async enqueue(eventIds: readonly string[]): Promise<boolean> {
    if (eventIds.length === 0) return true;
    try {
      await withTimeout(
        this.queue.addBulk(
          eventIds.map((eventId) => ({
            name: JOBS.processEvent,
            data: { eventId },
            opts: { ...processEventJobOptions(this.budget), jobId: processEventJobId(eventId) },
          })),
        ),
        ADD_TIMEOUT_MS,
      );
      return true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, events: eventIds.length }, 'could not queue events; the sweep will retry');
      return false;
    }
  }

  async depth(): Promise<Record<string, number>> {
    return withTimeout(this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'), ADD_TIMEOUT_MS);
  }

  async ping(): Promise<void> {
    await withTimeout(this.redis.ping(), ADD_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
