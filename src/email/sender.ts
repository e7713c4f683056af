import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { EmailSettings } from '../config/smtp';
import type { SqlClient } from '../db/sql';

export type EmailSendOptions = {
  /** the wait before each retry; the email fails for good once they are used up (so attempts = delays + 1) */
  retryDelaysMs: readonly number[];
  /** emails taken per pass */
  batch: number;
  /** connecting, the greeting, and each SMTP command: a server that hangs costs at most this much per stage */
  timeoutMs: number;
  /** how long a claim holds: a process that died while sending leaves its emails to another after this */
  leaseMs: number;
  /** SMTP connections held open at once */
  maxConnections: number;
};

/** 1 min, 5 min, 30 min, 2 h, 12 h, then `failed`: six attempts over about 15 hours. */
export const DEFAULT_EMAIL_SEND: EmailSendOptions = {
  retryDelaysMs: [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000],
  batch: 20,
  timeoutMs: 15_000,
  leaseMs: 300_000,
  maxConnections: 3,
};

type Claimed = { id: string; to_address: string; subject: string; text_body: string; html_body: string; attempts: number };

type SmtpError = Error & { code?: string; responseCode?: number };

/**
 * Refused for good: the server rejected the sender, the recipient or the message with a 5xx (or nodemailer found
 * the envelope invalid before sending). Connection and authentication failures and 4xx answers are retried:
 * they pass, or an operator fixes them.
 */
function permanent(err: SmtpError): boolean {
  if (err.code !== 'EENVELOPE' && err.code !== 'EMESSAGE') return false;
  return err.responseCode === undefined || err.responseCode >= 500;
}

/** The domain of EMAIL_FROM's address, for Message-IDs. */
function domainOf(from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  return address.slice(address.lastIndexOf('@') + 1).trim() || 'refwire.invalid';
}

/**
 * Sends the email outbox (src/email/outbox.ts) through SMTP_URL. The schedule lives in the database with the
 * emails, so a restart neither loses nor repeats one: each pass claims due rows with `FOR UPDATE SKIP LOCKED` and a
 * lease (as src/outbound/dispatcher.ts does for webhooks), so any number of processes may run it. A failure is
 * recorded and retried after the next delay; once the delays are used up the email is `failed`.
 *
 * Every message carries a Message-ID made from the email's id, the same on every attempt. An SMTP server that
 * accepted a message and then lost the connection before answering gets it again (at least once); the Message-ID
 * lets the receiving side see the duplicate.
 *
 * Without SMTP_URL nothing is sent: each pass marks pending emails `kept`, readable in GET /api/v1/emails.
 */
export class EmailSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly options: EmailSendOptions;
  private readonly transport: Transporter | null;

  constructor(
    private readonly sql: SqlClient,
    private readonly settings: EmailSettings,
    private readonly logger: Logger,
    options: Partial<EmailSendOptions> = {},
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.options = { ...DEFAULT_EMAIL_SEND, ...options };
    const smtp = settings.smtp;
    this.transport =
      smtp && settings.from
        ? nodemailer.createTransport({
            host: smtp.host,
            port: smtp.port,
            secure: smtp.secure,
            ...(smtp.user !== null ? { auth: { user: smtp.user, pass: smtp.password() } } : {}),
            pool: true,
            maxConnections: this.options.maxConnections,
            connectionTimeout: this.options.timeoutMs,
            greetingTimeout: this.options.timeoutMs,
            socketTimeout: this.options.timeoutMs,
            // nodemailer's own logging would write the SMTP dialogue, AUTH included: never
            logger: false,
            debug: false,
          })
        : null;
  }

  /** true when SMTP_URL is set: emails are sent; false: they are kept in the outbox */
  get sends(): boolean {
    return this.transport !== null;
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    this.transport?.close();
  }

  /** One pass: sends (or keeps) what is due; the number of emails it handled. */
  runOnce(): Promise<number> {
    if (this.running) return this.running;
    this.running = (this.transport ? this.sendDue(this.transport) : this.keepPending())
      .catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message }, 'email pass failed; will retry');
        return 0;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private async keepPending(): Promise<number> {
    const now = this.clock();
    const kept = await this.sql.query(
      `UPDATE emails SET status = 'kept', next_attempt_at = NULL, locked_until = NULL, updated_at = $1
       WHERE status = 'pending' AND (locked_until IS NULL OR locked_until < $1) RETURNING id`,
      [now],
    );
    return kept.length;
  }

  private async sendDue(transport: Transporter): Promise<number> {
    const now = this.clock();
    const claimed = await this.sql.query<Claimed>(
      `WITH due AS (
         SELECT id FROM emails
         WHERE status = 'pending' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
         ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       UPDATE emails e SET locked_until = $3 FROM due WHERE e.id = due.id
       RETURNING e.id, e.to_address, e.subject, e.text_body, e.html_body, e.attempts`,
      [now, this.options.batch, new Date(now.getTime() + this.options.leaseMs)],
    );
    await Promise.all(claimed.map((e) => this.attempt(transport, e)));
    return claimed.length;
  }

  private async attempt(transport: Transporter, e: Claimed): Promise<void> {
    const at = this.clock();
    const from = this.settings.from!;
    const messageId = `<${e.id}@${domainOf(from)}>`;
    try {
      const info = (await transport.sendMail({
        from,
        to: e.to_address,
        subject: e.subject,
        text: e.text_body,
        html: e.html_body,
        messageId,
        headers: { 'Auto-Submitted': 'auto-generated' },
      })) as { messageId?: string; response?: string };
      await this.record(e, at, { ok: true, messageId: info.messageId ?? messageId, response: info.response ?? null });
    } catch (err) {
      await this.record(e, at, { ok: false, error: err as SmtpError });
    }
  }

  private async record(
    e: Claimed,
    at: Date,
    r: { ok: true; messageId: string; response: string | null } | { ok: false; error: SmtpError },
  ): Promise<void> {
    const attempt = e.attempts + 1;
    const delay = r.ok || permanent(r.error) ? undefined : this.options.retryDelaysMs[attempt - 1];
    const status = r.ok ? 'sent' : delay === undefined ? 'failed' : 'pending';
    const error = r.ok ? null : (r.error.message || String(r.error)).slice(0, 1000);
    await this.sql.query(
      `UPDATE emails SET status = $2, attempts = $3, last_error = $4, next_attempt_at = $5, sent_at = $6, message_id = $7,
         smtp_response = $8, locked_until = NULL, updated_at = $9
       WHERE id = $1`,
      [
        e.id,
        status,
        attempt,
        error,
        status === 'pending' ? new Date(at.getTime() + delay!) : null,
        r.ok ? at : null,
        r.ok ? r.messageId.slice(0, 255) : null,
        r.ok ? r.response?.slice(0, 1000) ?? null : null,
        at,
      ],
    );
    if (!r.ok) {
      // failed for good is something to act on (an affiliate never got the email): a warning, where a retry is not
      if (status === 'failed') this.logger.warn({ email: e.id, attempt, error }, 'email failed for good');
      else this.logger.info({ email: e.id, attempt, error }, 'email attempt failed; will retry');
    }
  }
}
