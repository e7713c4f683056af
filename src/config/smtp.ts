import { inspect } from 'node:util';

/**
 * Where email goes: `SMTP_URL` (`smtp://user:pass@host:port`, STARTTLS when the server offers it; `smtps://` for
 * TLS from the first byte) and `EMAIL_FROM`. Parsed once with the rest of the configuration.
 *
 * The password is kept out of every serialization: `JSON.stringify`, pino (which serializes with JSON) and
 * `util.inspect` (console.log) all show `[redacted]`, so logging the configuration cannot leak it.
 */
export class SmtpSettings {
  readonly #password: string;

  constructor(
    readonly host: string,
    readonly port: number,
    /** true for smtps:// (implicit TLS); smtp:// upgrades with STARTTLS when the server offers it */
    readonly secure: boolean,
    readonly user: string | null,
    password: string | null,
  ) {
    this.#password = password ?? '';
  }

  /** For the transport only. */
  password(): string {
    return this.#password;
  }

  /** The URL without its password, for messages and logs. */
  describe(): string {
    const auth = this.user === null ? '' : `${encodeURIComponent(this.user)}:[redacted]@`;
    return `${this.secure ? 'smtps' : 'smtp'}://${auth}${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  toJSON(): Record<string, unknown> {
    return { host: this.host, port: this.port, secure: this.secure, user: this.user, password: this.user === null ? null : '[redacted]' };
  }

  [inspect.custom](): string {
    return `SmtpSettings(${this.describe()})`;
  }
}

export type EmailSettings = {
  /** null: SMTP_URL unset; emails are kept in the outbox and nothing is sent */
  smtp: SmtpSettings | null;
  /** EMAIL_FROM: `Name <address>` or `address`; required with SMTP_URL */
  from: string | null;
};

/** Parses SMTP_URL; a problem is described without repeating the URL (it may hold a password). */
export function parseSmtpUrl(value: string): { ok: true; settings: SmtpSettings } | { ok: false; problem: string } {
  const fail = (problem: string) => ({ ok: false as const, problem });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('must be a URL like smtp://user:password@host:587 or smtps://user:password@host:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return fail(`must start with smtp:// or smtps://, not ${url.protocol}//`);
  if (url.hostname === '') return fail('names no host (smtp://user:password@host:port)');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return fail('takes no path, query or fragment: smtp://user:password@host:port');
  }
  if (url.password !== '' && url.username === '') return fail('has a password but no user name');
  const secure = url.protocol === 'smtps:';
  let user: string | null = null;
  let password: string | null = null;
  try {
    user = url.username === '' ? null : decodeURIComponent(url.username);
    password = url.password === '' ? null : decodeURIComponent(url.password);
  } catch {
    return fail('has a user name or password that is not valid percent-encoding');
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? (secure ? 465 : 587) : Number(url.port);
  return { ok: true, settings: new SmtpSettings(host, port, secure, user, password) };
}

const ADDRESS = /^[^\s<>@"]+@[^\s<>@"]+$/;

/** EMAIL_FROM: `address` or `Display Name <address>`; the problem, or null. */
export function emailFromProblem(value: string): string | null {
  const named = /^(.*?)\s*<([^<>]+)>$/.exec(value);
  const address = named ? named[2]!.trim() : value;
  if (!ADDRESS.test(address)) return 'must be an email address, or "Name <address>"';
  if (named && /[\r\n]/.test(named[1]!)) return 'must be on one line';
  return null;
}

/** SMTP_URL's problem, or null. */
export function smtpUrlProblem(value: string): string | null {
  const parsed = parseSmtpUrl(value);
  return parsed.ok ? null : parsed.problem;
}

/** The email settings from the already validated SMTP_URL and EMAIL_FROM. */
export function emailSettings(smtpUrl: string | undefined, from: string | undefined): EmailSettings {
  const parsed = smtpUrl === undefined ? null : parseSmtpUrl(smtpUrl);
  if (parsed && !parsed.ok) throw new Error(`SMTP_URL: ${parsed.problem}`);
  return { smtp: parsed?.settings ?? null, from: from ?? null };
}
