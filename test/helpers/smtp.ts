import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export type ReceivedMail = { envelope: { from: string; to: string[] }; user: string | null; raw: string; parsed: ParsedMail };

/** An SMTP error the server answers with, at the recipient (RCPT TO) or after the message (DATA). */
export type SmtpRefusal = { at: 'rcpt' | 'data'; responseCode: number; message: string };

/**
 * A real SMTP server on a random loopback port (the `smtp-server` package), keeping every message it accepts,
 * parsed with `mailparser`. With `auth`, it requires those credentials (PLAIN/LOGIN over the plain connection, as
 * a local relay would); `refuse` makes it answer errors.
 */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  /** every RCPT TO it was asked, accepted or not: one per attempt */
  readonly recipientsTried: string[] = [];
  /** every AUTH it was offered */
  readonly logins: { user: string; password: string }[] = [];
  refuse: SmtpRefusal | null = null;
  port = 0;
  private readonly server: SMTPServer;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly auth: { user: string; password: string } | null = null) {
    const options: SMTPServerOptions = {
      logger: false,
      // plain loopback connections: no STARTTLS with the package's self-signed certificate
      hideSTARTTLS: true,
      disabledCommands: ['STARTTLS', ...(auth ? [] : ['AUTH'])],
      authOptional: auth === null,
      allowInsecureAuth: true,
      onAuth: (a, _session, cb) => {
        this.logins.push({ user: a.username ?? '', password: a.password ?? '' });
        if (auth && a.username === auth.user && a.password === auth.password) return cb(null, { user: a.username });
        const err = Object.assign(new Error('Authentication failed'), { responseCode: 535 });
        return cb(err);
      },
      onRcptTo: (address, _session, cb) => {
        this.recipientsTried.push(address.address);
        if (this.refuse?.at === 'rcpt') return cb(Object.assign(new Error(this.refuse.message), { responseCode: this.refuse.responseCode }));
        return cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.refuse?.at === 'data') return cb(Object.assign(new Error(this.refuse.message), { responseCode: this.refuse.responseCode }));
          const raw = Buffer.concat(chunks).toString('utf8');
          void simpleParser(raw).then((parsed) => {
            const from = session.envelope.mailFrom;
            this.received.push({
              envelope: { from: from ? from.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
              user: (session.user as string | undefined) ?? null,
              raw,
              parsed,
            });
            this.waiters = this.waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
            cb(null, `OK: queued as TEST${this.received.length}`);
          }, cb);
        });
      },
    };
    this.server = new SMTPServer(options);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** SMTP_URL for this server, with these credentials (its own by default) */
  url(credentials: { user: string; password: string } | null = this.auth): string {
    const auth = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@` : '';
    return `smtp://${auth}127.0.0.1:${this.port}`;
  }

  /** Resolves once `count` messages arrived in all (fails the test after `timeoutMs`). */
  waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} messages, got ${this.received.length}`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  stop(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
