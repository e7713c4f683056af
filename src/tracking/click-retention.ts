import type { Logger } from 'pino';
import type { SqlClient } from '../db/sql';
import { sweepClicks } from '../ledger/clicks';

const HOUR = 3_600_000;

/**
 * Deletes click rows older than their project's `click_retention_days` (default 395: a year and a month, so a
 * year-on-year daily report still has its clicks). Runs in every process that processes events (`refwire start`,
 * `refwire worker`): once at start, then hourly. Deleting is idempotent, so several processes may sweep at once.
 * The all-time counters on affiliates and tracking links are not touched.
 */
export class ClickRetentionSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly sql: SqlClient,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
    private readonly intervalMs = HOUR,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
    void this.sweep();
  }

  /** One pass; a pass already under way is awaited rather than doubled. */
  sweep(): Promise<number> {
    this.running ??= sweepClicks(this.sql, this.clock())
      .then((deleted) => {
        if (deleted > 0) this.logger.info({ deleted }, 'click rows past their retention deleted');
        return deleted;
      })
      .catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message }, 'click retention sweep failed; will retry');
        return 0;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
