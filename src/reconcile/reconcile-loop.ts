import { reconcileIntegration, type ReconcileDeps } from './reconcile';

/** Integrations taken per pass; the rest wait for the next tick. */
const PASS_LIMIT = 50;
/** How often due integrations are looked for; each one runs every RECONCILE_INTERVAL_MINUTES. */
const MAX_TICK_MS = 60_000;

/**
 * Runs reconciliation for every integration with an API key when it is due: at once on start (what happened while
 * Refwire was stopped), then every interval, or later after a failure's backoff. Due rows are claimed in the
 * database, so any number of processes can run this loop.
 */
export class ReconcileLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: ReconcileDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pass(), Math.min(MAX_TICK_MS, this.deps.intervalMs));
    this.timer.unref();
    void this.pass();
  }

  /** One pass over the due integrations; a pass already running is waited for, not doubled. */
  pass(): Promise<void> {
    this.running ??= this.runPass().finally(() => (this.running = null));
    return this.running;
  }

  private async runPass(): Promise<void> {
    const now = this.deps.clock();
    let due: Awaited<ReturnType<ReconcileDeps['integrations']['claimDueReconciliations']>>;
    try {
      due = await this.deps.integrations.claimDueReconciliations(now, new Date(now.getTime() + this.deps.intervalMs), PASS_LIMIT);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'reconciliation: could not read the due integrations');
      return;
    }
    for (const target of due) {
      // a failure is recorded on the integration (error, backoff) and logged by reconcileIntegration
      await reconcileIntegration(this.deps, target).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
