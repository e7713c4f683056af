import type { Logger } from 'pino';
import type { SqlClient } from '../db/sql';
import { waitingEvents } from '../inbox/inbound-events';
import type { EventQueue } from './event-queue';

/** Older than this, a "received" row was either never queued or its job was lost (Redis restarted empty). */
const GRACE_MS = 3000;
const BATCH = 1000;

/**
 * Queues stored-but-unqueued events: every few seconds, the rows still waiting (past their retry time, if an
 * attempt failed) or abandoned mid-processing by a killed worker (claim older than the lease) are added again.
 * An event queued twice is claimed once, so this may run in every process at once.
 *
 * While jobs wait in the queue, the workers are behind and a received row is most likely in one of them: only
 * abandoned claims are queued again then, and waiting rows once the queue has no job waiting (at once after Redis
 * restarted empty). Queuing the oldest 1,000 rows of a backlog every 5 s from every process only added jobs of
 * events already queued, each claimed for nothing.
 */
export class RequeueSweep {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly sql: SqlClient,
    private readonly queue: EventQueue,
    private readonly logger: Logger,
    private readonly leaseMs: number,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  async sweep(now = new Date()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const behind = (await this.queue.waitingJobs()) > 0;
      const ids = await waitingEvents(this.sql, {
        now,
        staleOnly: behind,
        staleBefore: new Date(now.getTime() - this.leaseMs),
        receivedBefore: new Date(now.getTime() - GRACE_MS),
        limit: BATCH,
      });
      if (ids.length > 0 && (await this.queue.enqueue(ids))) {
        this.logger.debug({ events: ids.length }, 're-enqueued stored events');
      }
      return ids.length;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'requeue sweep failed; will retry');
      return 0;
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
