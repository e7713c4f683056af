import type { Logger } from 'pino';
import type { SqlClient } from '../db/sql';
import { waitingEvents } from '../inbox/inbound-events';
import { PROCESSING_LEASE_MS } from './process-inbound-event';

export type RunnerOptions = {
  concurrency: number;
  sweepIntervalMs: number;
  batchSize: number;
  /** the processor's clock: a claim's lease and a retry's time are judged by the same "now" that wrote them */
  clock: () => Date;
};

const DEFAULTS: RunnerOptions = { concurrency: 2, sweepIntervalMs: 15_000, batchSize: 200, clock: () => new Date() };

/**
 * Processes stored events inside the API process (no Redis). The receiver notifies it of each new row; a sweep
 * at start and every few seconds also finds rows nobody notified it of: left over from a crash, stored by
 * another process, or put back for a retry.
 */
export class InProcessRunner {
  private readonly options: RunnerOptions;
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  /** the last sweep found a full batch: more are waiting, so the next sweep comes as soon as these are done */
  private backlog = false;

  constructor(
    private readonly sql: SqlClient,
    private readonly process: (eventId: string) => Promise<unknown>,
    private readonly logger: Logger,
    options: Partial<RunnerOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
    this.timer.unref();
  }

  notify(eventId: string): void {
    if (this.stopped || this.queued.has(eventId)) return;
    this.queued.add(eventId);
    this.queue.push(eventId);
    this.pump();
  }

  /** Queues every event that is waiting for processing. */
  async sweep(): Promise<void> {
    if (this.stopped) return;
    const now = this.options.clock();
    try {
      const ids = await waitingEvents(this.sql, { now, staleBefore: new Date(now.getTime() - PROCESSING_LEASE_MS), limit: this.options.batchSize });
      this.backlog = ids.length >= this.options.batchSize;
      for (const id of ids) this.notify(id);
    } catch (err) {
      this.logger.warn({ err }, 'event sweep failed; will retry');
    }
    if (this.active === 0 && this.queue.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work and waits for the events in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.queue.length = 0;
    this.queued.clear();
    await this.idle();
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.active += 1;
      this.process(id)
        .catch((err: unknown) => this.logger.error({ err, eventId: id }, 'event processing crashed'))
        .finally(() => {
          this.active -= 1;
          this.queued.delete(id);
          this.pump();
          if (this.active === 0 && this.queue.length === 0) {
            // a backlog (a restart after a burst, a process that stored while none processed) drains batch after
            // batch, not one batch per sweep interval
            if (this.backlog && !this.stopped) {
              this.backlog = false;
              void this.sweep();
              return;
            }
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }
}
