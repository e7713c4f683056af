import type { Logger } from 'pino';

/** Passes by the work done, beside the timer's (see `PeriodicSweep#worked`). */
export type ByWork = {
  /** a pass is due each time this much work has been counted */
  everyWork?: number;
  /** a due pass waits until no work has been counted for this long: it runs between bursts, not in them */
  quietMs?: number;
  /**
   * asked once the quiet has come: true puts the pass off for another `quietMs`. Work not counted yet is still work:
   * a worker started into a backlog counts nothing until its first batch ends.
   */
  busy?: () => Promise<boolean>;
};

/** A due pass waits for quiet until this many times `everyWork` has piled up, then runs in the midst of the work. */
export const DEFERRED_AT_MOST = 5;

/**
 * A pass of housekeeping run once at start, then every `intervalMs`, in the processes that process events, and
 * after an amount of work when given (`ByWork`). A pass already under way is awaited rather than doubled; one that
 * fails is logged and tried again at the next interval. Passes must be safe to run in several processes at once.
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
    private readonly byWork: ByWork = {},
  ) {}

  /** work counted toward the next `everyWork` mark */
  private work = 0;
  /** work counted while a due pass waits for quiet; null when none is due */
  private waited: number | null = null;
  private quietTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  /**
   * Counts work done (events processed). A pass is due each time it adds up to `everyWork`: it runs at once, or,
   * with `quietMs`, once no work has been counted for that long, or when `everyWork × DEFERRED_AT_MOST` more has
   * been counted while it waited.
   */
  worked(amount: number): void {
    const { everyWork = Infinity, quietMs = 0 } = this.byWork;
    this.work += amount;
    if (this.work >= everyWork) {
      // what a batch carried past the mark counts toward the next one: reset to 0, a pass every 20,000 events came
      // a batch late each time, and the fifth of a 100,000-event drain never came
      this.work %= everyWork;
      if (quietMs === 0) {
        void this.sweep();
        return;
      }
      this.waited ??= 0;
    }
    if (this.waited === null) return;
    this.waited += amount;
    if (this.waited >= everyWork * DEFERRED_AT_MOST) this.passNow();
    else this.waitForQuiet();
  }

  private waitForQuiet(): void {
    if (this.stopped) return;
    this.waited ??= 0;
    if (this.quietTimer) this.quietTimer.refresh();
    else {
      this.quietTimer = setTimeout(() => void this.quietCame(), this.byWork.quietMs);
      this.quietTimer.unref();
    }
  }

  private async quietCame(): Promise<void> {
    this.quietTimer = null;
    // a check that fails lets the pass run: the pass reports its own failure
    const busy = this.byWork.busy ? await this.byWork.busy().catch(() => false) : false;
    if (this.waited === null || this.stopped) return; // passed, or stopped, meanwhile
    if (busy) this.waitForQuiet();
    else this.passNow();
  }

  /** A pass now, which is also the one due, if any. */
  private passNow(): void {
    this.endWait();
    void this.sweep();
  }

  private endWait(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
    this.waited = null;
  }

  /** The timer's passes; the first at once, or, with `quietMs`, due at once and waiting for quiet like the others. */
  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.passNow(), this.intervalMs);
    this.timer.unref();
    if ((this.byWork.quietMs ?? 0) > 0) this.waitForQuiet();
    else void this.sweep();
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

  /** Ends the timers (a pass due but waiting for quiet is left to the next start's) and awaits a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.endWait();
    await this.running;
  }
}
