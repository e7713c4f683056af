import type { Logger } from 'pino';
import type { SqlClient } from '../db/sql';
import { sweepClicks } from '../ledger/clicks';
import { PeriodicSweep } from '../util/periodic-sweep';

const HOUR = 3_600_000;

/**
 * Deletes click rows older than their project's `click_retention_days` (default 395: a year and a month, so a
 * year-on-year daily report still has its clicks). Runs in every process that processes events (`refwire start`,
 * `refwire worker`): once at start, then hourly. Deleting is idempotent, so several processes may sweep at once.
 * The all-time counters on affiliates and tracking links are not touched.
 */
export class ClickRetentionSweep extends PeriodicSweep {
  constructor(sql: SqlClient, logger: Logger, clock: () => Date = () => new Date(), intervalMs = HOUR) {
    super('click retention sweep', () => sweepClicks(sql, clock()), logger, intervalMs, 'click rows past their retention deleted');
  }
}
