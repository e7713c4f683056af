import { getAdapter } from '../providers/registry';
import { PROVIDER_NAMES, type ProviderName } from '../domain/provider-names';
import type { Delivery, Skipped } from './inputs';

export type Target = {
  /** where Refwire is reached, e.g. http://localhost:3000 */
  url: string;
  projectId: string;
  /** the webhook secret the project's integration holds: one for every provider, or one per provider */
  secret: string | Partial<Record<ProviderName, string>>;
};

export function secretFor(target: Pick<Target, 'secret'>, provider: ProviderName): string | undefined {
  return typeof target.secret === 'string' ? target.secret : target.secret[provider];
}

/**
 * What Refwire answered. accepted/duplicate: 200 `{"received":true,"id":…,"duplicate":…}`; rejected: 400
 * (verification failed), 404 (unknown project or provider, provider not connected), 413, 503 after the retries,
 * or no answer at all.
 */
export type Outcome =
  | { kind: 'accepted' | 'duplicate'; status: 200; id: string }
  | { kind: 'rejected'; status: number | null; reason: string };

export type PostOptions = {
  /** attempts after the first for a 503 or an unreachable server (default 2) */
  retries?: number;
  /** the wait before a retry when no Retry-After says otherwise, doubling (default 1000 ms) */
  retryDelayMs?: number;
  fetch?: typeof globalThis.fetch;
  now?: () => Date;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function webhookUrl(target: Pick<Target, 'url' | 'projectId'>, provider: ProviderName): string {
  return `${target.url.replace(/\/+$/, '')}/webhook/${provider}/${encodeURIComponent(target.projectId)}`;
}

/** Signs the body with the provider's own scheme (its adapter's `sign`), at the moment of sending, and posts it. */
export async function postDelivery(target: Target, delivery: Delivery, options: PostOptions = {}): Promise<Outcome> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const retries = options.retries ?? 2;
  const baseDelay = options.retryDelayMs ?? 1000;
  const adapter = getAdapter(delivery.provider);
  const secret = secretFor(target, delivery.provider);
  if (secret === undefined) return { kind: 'rejected', status: null, reason: `no secret for ${delivery.provider}` };
  let last: Outcome = { kind: 'rejected', status: null, reason: 'not sent' };
  let retryAfterSeconds = 0;
  for (let attempt = 0; attempt <= retries; attempt++) {
    // Refwire's 503 says when to come back (Retry-After); waited at most 5 s
    if (attempt > 0) await sleep(retryAfterSeconds > 0 ? Math.min(retryAfterSeconds, 5) * 1000 : baseDelay * 2 ** (attempt - 1));
    retryAfterSeconds = 0;
    const headers = adapter.sign(delivery.body, secret, {
      now: options.now?.() ?? new Date(),
      ...(delivery.eventId ? { eventId: delivery.eventId } : {}),
    });
    let response: Response;
    try {
      response = await doFetch(webhookUrl(target, delivery.provider), { method: 'POST', headers, body: delivery.body });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      last = { kind: 'rejected', status: null, reason: `no answer from ${target.url} (${cause?.code ?? cause?.message ?? (err as Error).message})` };
      continue;
    }
    const text = await response.text();
    let body: Record<string, unknown> | null = null;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = null;
    }
    if (response.status === 200 && body?.received === true && typeof body.id === 'string') {
      return { kind: body.duplicate === true ? 'duplicate' : 'accepted', status: 200, id: body.id };
    }
    const error = typeof body?.error === 'string' ? body.error : text.slice(0, 200) || response.statusText;
    last = { kind: 'rejected', status: response.status, reason: error };
    if (response.status !== 503) return last;
    retryAfterSeconds = Number(response.headers.get('retry-after')) || 0;
  }
  return last;
}

export type Counts = { sent: number; accepted: number; duplicates: number; rejected: number; skipped: number };

const zero = (): Counts => ({ sent: 0, accepted: 0, duplicates: 0, rejected: 0, skipped: 0 });

/** The summary: per provider and in total. */
export class Tally {
  readonly byProvider = new Map<ProviderName | 'unknown', Counts>();
  readonly total: Counts = zero();

  private row(provider: ProviderName | null): Counts {
    const key = provider ?? 'unknown';
    let counts = this.byProvider.get(key);
    if (!counts) this.byProvider.set(key, (counts = zero()));
    return counts;
  }

  add(provider: ProviderName, outcome: Outcome): void {
    for (const c of [this.row(provider), this.total]) {
      c.sent++;
      if (outcome.kind === 'accepted') c.accepted++;
      else if (outcome.kind === 'duplicate') c.duplicates++;
      else c.rejected++;
    }
  }

  skip(skipped: Skipped): void {
    this.row(skipped.provider).skipped++;
    this.total.skipped++;
  }

  /**
   * 0: everything sent was stored (new or duplicate) and nothing was skipped; 1: at least one delivery was
   * rejected; 2: none rejected, but some file was skipped (not JSON, not a provider payload).
   */
  exitCode(): 0 | 1 | 2 {
    if (this.total.rejected > 0) return 1;
    return this.total.skipped > 0 ? 2 : 0;
  }

  table(): string {
    const columns: (keyof Counts)[] = ['sent', 'accepted', 'duplicates', 'rejected', 'skipped'];
    const order = [...PROVIDER_NAMES, 'unknown' as const].filter((p) => this.byProvider.has(p));
    const rows: [string, Counts][] = [...order.map((p) => [p, this.byProvider.get(p)!] as [string, Counts]), ['total', this.total]];
    const width = Math.max(8, ...rows.map(([name]) => name.length));
    const line = (name: string, cells: string[]) => `${name.padEnd(width)}  ${cells.map((c, i) => c.padStart(columns[i]!.length)).join('  ')}`;
    return [line('provider', columns), ...rows.map(([name, c]) => line(name, columns.map((k) => String(c[k]))))].join('\n');
  }
}
