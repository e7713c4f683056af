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
      const ids = await waitingEvents(this.sql, {
        now,
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
