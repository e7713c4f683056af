import type { Logger } from 'pino';

/**
 * A pass of housekeeping run once at start, then every `intervalMs`, in the processes that process events. A pass
 * already under way is awaited rather than doubled; one that fails is logged and tried again at the next interval.
 * Passes must be safe to run in several processes at once.
 */
export class PeriodicSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<number>,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    /** said after a pass that did something (its count > 0) */
    private readonly done: string,
    /** also a pass after this much work (see `worked`), between the timer's */
    private readonly everyWork: number = Infinity,
  ) {}

  private work = 0;

  /** Counts work done (events processed); a pass starts each time it adds up to `everyWork`. */
  worked(amount: number): void {
    this.work += amount;
    if (this.work < this.everyWork) return;
    // what a batch carried past the mark counts toward the next one: reset to 0, a pass every 20,000 events came
    // a batch late each time, and the fifth of a 100,000-event drain never came
    this.work %= this.everyWork;
    void this.sweep();
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
    void this.sweep();
  }

  /** One pass; resolves to what it counted (0 when it failed). */
  sweep(): Promise<number> {
    this.running ??= this.pass()
      .then((count) => {
        if (count > 0) this.logger.info({ count }, this.done);
        return count;
      })
      .catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message }, `${this.name} failed; will retry`);
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
