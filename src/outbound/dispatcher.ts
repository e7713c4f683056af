import type { Logger } from 'pino';
import type { SqlClient } from '../db/sql';
import type { SecretBox } from '../security/secret-box';
import { announceExpiredReferrals } from './referral-expiry';
import { sendWebhook, type SendResult } from './send-webhook';
import { deliveryHeaders } from './signature';

export type DispatchOptions = {
  /** OUTBOUND_ALLOW_PRIVATE */
  allowPrivate: boolean;
  /** per attempt */
  timeoutMs: number;
  /** the wait before each retry; the delivery fails for good once they are used up */
  retryDelaysMs: readonly number[];
  /** an endpoint whose deliveries failed for good this many times in a row is disabled */
  disableAfterFailures: number;
  /** attempts under way at once in this process, of every endpoint */
  batch: number;
  /**
   * attempts under way at once to one endpoint, of every process: an endpoint that hangs until the timeout holds at
   * most this many of the `batch`, and the others' deliveries go on
   */
  perEndpoint: number;
  /** how often a pass also looks for referrals whose window ended (referral.expired); 0: never */
  referralExpiryMs: number;
};

/** First retry within a minute, the last about a day after the event. */
export const DEFAULT_DISPATCH: DispatchOptions = {
  allowPrivate: false,
  timeoutMs: 10_000,
  retryDelaysMs: [30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000],
  disableAfterFailures: 5,
  batch: 50,
  perEndpoint: 10,
  referralExpiryMs: 60_000,
};

export function endpointSecretContext(projectId: string, endpointId: string): string {
  return `${projectId}:webhook_endpoint:${endpointId}`;
}

type Claimed = { id: string; project_id: string; endpoint_id: string; message_id: string; event_type: string; payload_format: string; body: string; attempts: number; url: string; secret_enc: string };

/**
 * Sends due outbound deliveries. The schedule lives in PostgreSQL with the deliveries (written in the same
 * transaction as the ledger change that caused them), so neither a Redis outage nor a restart loses or repeats
 * one: each pass claims due rows with `FOR UPDATE SKIP LOCKED` and a lease, so any number of processes may run it.
 * Every attempt is recorded; a failure is retried after the next delay; endpoints that keep failing are disabled.
 * Attempts run concurrently, each bounded by the timeout, each freeing its place when it ends, and passes overlap; an
 * endpoint takes at most `perEndpoint` places, so one slow endpoint never holds back the others.
 */
export class OutboundDispatcher {
  private timer: NodeJS.Timeout | null = null;
  /** passes under way: a new one starts while another still waits on a slow endpoint */
  private readonly passes = new Set<Promise<number>>();
  /** attempts under way, of every pass: at most `batch` at once */
  private inFlight = 0;
  private readonly options: DispatchOptions;
  private lastExpiryAt = -Infinity;

  constructor(
    private readonly sql: SqlClient,
    private readonly box: SecretBox,
    private readonly logger: Logger,
    options: Partial<DispatchOptions> = {},
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.options = { ...DEFAULT_DISPATCH, ...options };
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.passes);
  }

  /**
   * One pass: claims what is due and sends it; the number of attempts made. Passes overlap: a pass waits for its own
   * attempts, each up to the timeout, and the next tick's pass claims what became due meanwhile (the claims skip rows
   * another pass holds), so one slow endpoint never holds back the other deliveries.
   */
  runOnce(): Promise<number> {
    const room = this.options.batch - this.inFlight;
    if (room <= 0) return Promise.resolve(0);
    const pass: Promise<number> = this.pass(room)
      .catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message }, 'outbound webhook pass failed; will retry');
        return 0;
      })
      .finally(() => this.passes.delete(pass));
    this.passes.add(pass);
    return pass;
  }

  private async pass(room: number): Promise<number> {
    const now = this.clock();
    // expired referrals are queued first, so this very pass can send them
    if (this.options.referralExpiryMs > 0 && now.getTime() - this.lastExpiryAt >= this.options.referralExpiryMs) {
      this.lastExpiryAt = now.getTime();
      await announceExpiredReferrals(this.sql, now);
    }
    // each endpoint's due deliveries in order, as many as its free places (those under a lease are in flight in some
    // process); then the earliest of all of them, up to this process's room
    const claimed = await this.sql.query<Claimed>(
      `WITH busy AS (
         SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
         WHERE status = 'pending' AND locked_until >= $1 GROUP BY endpoint_id
       ), ranked AS (
         SELECT d.id, d.next_attempt_at, row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.id) + coalesce(b.n, 0) AS place
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id LEFT JOIN busy b ON b.endpoint_id = d.endpoint_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until < $1) AND e.status = 'active'
       ), due AS (
         -- the claim's conditions again, on the locked row: a pass that committed its claim after this statement's
         -- snapshot leaves ranked (read from the snapshot) unchanged, and PostgreSQL re-checks only these against the
         -- row it locks; without them the row would be claimed, and sent, twice
         SELECT d.id FROM webhook_deliveries d JOIN ranked r ON r.id = d.id
         WHERE r.place <= $4 AND d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until < $1)
         ORDER BY r.next_attempt_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d SET locked_until = $3 FROM due, webhook_endpoints e
       WHERE d.id = due.id AND e.id = d.endpoint_id
       RETURNING d.id, d.project_id, d.endpoint_id, d.message_id, d.event_type, d.payload_format, d.payload::text AS body, d.attempts, e.url, e.secret_enc`,
      [now, room, new Date(now.getTime() + this.options.timeoutMs * 3), this.options.perEndpoint],
    );
    // a place is freed as its attempt ends, not when the pass's slowest does
    this.inFlight += claimed.length;
    await Promise.all(claimed.map((d) => this.attempt(d).finally(() => (this.inFlight -= 1))));
    return claimed.length;
  }

  private async attempt(d: Claimed): Promise<void> {
    const at = this.clock();
    let result: SendResult;
    try {
      const secret = this.box.open(d.secret_enc, endpointSecretContext(d.project_id, d.endpoint_id));
      result = await sendWebhook(d.url, d.body, deliveryHeaders(secret, d.message_id, d.body, at, { event: d.event_type, format: d.payload_format }), this.options);
    } catch (err) {
      result = { ok: false, statusCode: null, error: `could not send: ${(err as Error).message}`, durationMs: 0, responseExcerpt: null };
    }
    await this.record(d, at, result);
  }

  private async record(d: Claimed, at: Date, r: SendResult): Promise<void> {
    const attempt = d.attempts + 1;
    const delay = this.options.retryDelaysMs[attempt - 1];
    const status = r.ok ? 'succeeded' : delay === undefined ? 'failed' : 'pending';
    await this.sql.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms, response_excerpt) VALUES ($1, $2, $3, $4, $5, $6)`,
        [d.id, at, r.statusCode, r.error?.slice(0, 1000) ?? null, r.durationMs, r.responseExcerpt?.slice(0, 1000) ?? null],
      );
      await tx.query(
        `UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status_code = $4, last_error = $5, locked_until = NULL,
           next_attempt_at = $6, delivered_at = $7, updated_at = now()
         WHERE id = $1`,
        [d.id, status, attempt, r.statusCode, r.error?.slice(0, 1000) ?? null, status === 'pending' ? new Date(at.getTime() + delay!) : null, r.ok ? at : null],
      );
      if (r.ok) await tx.query('UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures > 0', [d.endpoint_id]);
      if (status === 'failed') {
        await tx.query(
          `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
             status = CASE WHEN consecutive_failures + 1 >= $2 THEN 'disabled' ELSE status END,
             disabled_reason = CASE WHEN consecutive_failures + 1 >= $2 THEN $3 ELSE disabled_reason END, updated_at = now()
           WHERE id = $1`,
          [d.endpoint_id, this.options.disableAfterFailures, `disabled after ${this.options.disableAfterFailures} deliveries in a row failed every attempt; last: ${r.error ?? ''}`.slice(0, 500)],
        );
      }
    });
    // failed for good is something to act on (the merchant's endpoint lost an event): a warning, where a retry is not
    if (!r.ok) {
      if (status === 'failed') this.logger.warn({ delivery: d.id, attempt, error: r.error }, 'outbound webhook failed for good');
      else this.logger.info({ delivery: d.id, attempt, error: r.error }, 'outbound webhook attempt failed; will retry');
    }
  }
}
