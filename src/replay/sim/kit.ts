import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { minorUnitDigits } from '../../domain/currency-digits';
import type { ProviderName } from '../../domain/provider-names';
import { randomChars } from '../inputs';

/** What simulate builds on: the shipped fixtures (in the package, beside dist/ and src/). */
export const FIXTURES_DIR = path.resolve(__dirname, '..', '..', '..', 'fixtures');

export type Json = Record<string, any>;

const cache = new Map<string, { payload: Json; webhook_id?: string }>();

/** A deep copy of a shipped fixture's payload. */
export function shippedFixture(provider: ProviderName, file: string): Json {
  const key = `${provider}/${file}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, provider, file), 'utf8')) as { payload: Json };
    cache.set(key, entry);
  }
  return structuredClone(entry.payload);
}

export type SimulateOptions = {
  /** the affiliate's referral code, put where the provider carries it */
  referralCode: string;
  /** the customer's email (default: a new simulated-…@example.com per run) */
  email?: string;
  /** what each payment charges, minor units (default 4900) */
  amountMinor?: number;
  /** ISO 4217 (default USD) */
  currency?: string;
  /** the partial refunds' amount, minor units (default: half the payment, rounded down) */
  refundMinor?: number;
  /** the moment the last event happens (default: a minute ago) */
  now?: Date;
};

export type Resolved = Required<Omit<SimulateOptions, 'now'>> & { now: Date };

/**
 * Fresh ids for one simulated sequence. An id of a payment (its invoice, charge, order, refund, event…) is new per
 * payment: `scope` names the payment, so the refund of payment p1 finds the ids the renewal p1 was sent with.
 * Ids of the customer and the subscription are new once per sequence. Catalog ids (products, prices) keep the
 * fixtures' values: a product commission rule can be tested with them.
 */
export class IdMap {
  private readonly map = new Map<string, string>();
  constructor(private readonly classify: (id: string) => 'payment' | 'shared' | null) {}

  isId(value: string): boolean {
    return this.classify(value) !== null;
  }

  get(original: string, scope: string): string {
    const kind = this.classify(original);
    if (!kind) return original;
    const key = kind === 'payment' ? `${scope}|${original}` : original;
    let fresh = this.map.get(key);
    if (!fresh) this.map.set(key, (fresh = freshLike(original)));
    return fresh;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A new id in the original's format: its prefix kept, the rest random in the same alphabet and length. */
export function freshLike(original: string): string {
  const at = original.lastIndexOf('_');
  const prefix = original.slice(0, at + 1);
  const rest = original.slice(at + 1);
  if (UUID.test(rest)) return prefix + randomUUID();
  if (/^\d+$/.test(rest)) {
    const digits = Math.max(rest.length, 6);
    return prefix + String(randomInt(10 ** (digits - 1), 10 ** digits));
  }
  // Paddle's ids are ULID-like, `txn_01…`: the 01 stays, so the fresh id has Paddle's form (and is an id again)
  const kept = /^01[a-z0-9]+$/.test(rest) ? '01' : '';
  const lower = rest === rest.toLowerCase();
  return prefix + kept + randomChars(rest.length - kept.length, lower ? 'abcdefghijklmnopqrstuvwxyz0123456789' : undefined);
}

/** Replaces every string that is an id, and every id inside a string (URLs), with its fresh counterpart. */
export function remapIds(payload: Json, ids: IdMap, scope: string): void {
  const found = new Set<string>();
  walkStrings(payload, (s) => {
    if (ids.isId(s)) found.add(s);
    return s;
  });
  const originals = [...found].sort((a, b) => b.length - a.length);
  walkStrings(payload, (s) => {
    if (found.has(s)) return ids.get(s, scope);
    let out = s;
    for (const o of originals) if (out.includes(o)) out = out.split(o).join(ids.get(o, scope));
    return out;
  });
}

export function walkStrings(value: unknown, fn: (s: string, key: string) => string, key = ''): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] === 'string') value[i] = fn(value[i], key);
      else walkStrings(value[i], fn, key);
    }
  } else if (value && typeof value === 'object') {
    const obj = value as Json;
    for (const k of Object.keys(obj)) {
      if (typeof obj[k] === 'string') obj[k] = fn(obj[k], k);
      else walkStrings(obj[k], fn, k);
    }
  }
  return value;
}

function walk(value: unknown, fn: (holder: Json, key: string) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => (v && typeof v === 'object' ? walk(v, fn) : fn(value as unknown as Json, String(i))));
  else if (value && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      const v = (value as Json)[k];
      if (v && typeof v === 'object') walk(v, fn);
      else fn(value as Json, k);
    }
  }
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/;
const UNIX_MIN = 946_684_800; // 2000-01-01
const UNIX_MAX = 4_102_444_800; // 2100-01-01

function shiftIso(value: string, deltaMs: number): string {
  const m = ISO.exec(value);
  if (!m) return value;
  const date = new Date(new Date(value).getTime() + deltaMs);
  const base = date.toISOString().slice(0, 19);
  const digits = m[2]?.length ?? 0;
  // keep the fraction's precision (Paddle and Polar send microseconds, Lemon Squeezy six zeros)
  const fraction = digits === 0 ? '' : `.${String(date.getUTCMilliseconds()).padStart(3, '0').padEnd(digits, '0').slice(0, digits)}`;
  return `${base}${fraction}Z`;
}

/**
 * Moves every timestamp of a payload by the same amount, so that its `primary` one becomes `target`: the
 * intervals inside it (a billing period, a refund three days after its charge) stay as the fixture has them.
 * ISO strings anywhere, and Unix seconds (Stripe) in fields that are not amounts.
 */
export function shiftTimes(payload: Json, primary: Date, target: Date): void {
  const deltaMs = target.getTime() - primary.getTime();
  walk(payload, (holder, key) => {
    const v = holder[key];
    if (typeof v === 'string') holder[key] = shiftIso(v, deltaMs);
    else if (typeof v === 'number' && Number.isInteger(v) && v >= UNIX_MIN && v <= UNIX_MAX && !/amount|total|price|tax|fee/.test(key)) {
      holder[key] = v + Math.round(deltaMs / 1000);
    }
  });
}

/**
 * When each object of a sequence was created, by its (fresh) id: the first event that shows an object fixes its
 * creation time, and every later one shows the same. Each fixture is shifted by its own event's time, so without this
 * a subscription would be created on one day in its `created` event and on another, a year apart, in its `canceled`.
 */
export class CreationTimes {
  private readonly created = new Map<string, number>();

  /** Sets, in the payload, each object's creation time (`created`, `created_at`, or JSON:API `attributes.created_at`) to the first one seen. */
  pin(payload: Json): void {
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(visit);
      if (!value || typeof value !== 'object') return;
      const obj = value as Json;
      const id = typeof obj.id === 'string' || typeof obj.id === 'number' ? `${String(obj.type ?? obj.object ?? '')}:${String(obj.id)}` : null;
      const holder = obj.attributes && typeof obj.attributes === 'object' && !Array.isArray(obj.attributes) ? (obj.attributes as Json) : obj;
      const key = 'created_at' in holder ? 'created_at' : 'created' in holder ? 'created' : null;
      if (id !== null && key !== null) this.keep(id, holder, key);
      for (const k of Object.keys(obj)) visit(obj[k]);
    };
    visit(payload);
  }

  private keep(id: string, holder: Json, key: string): void {
    const v = holder[key];
    const at = typeof v === 'number' && Number.isInteger(v) && v >= UNIX_MIN && v <= UNIX_MAX ? v * 1000 : typeof v === 'string' && ISO.test(v) ? new Date(v).getTime() : null;
    if (at === null) return;
    const first = this.created.get(id);
    if (first === undefined) this.created.set(id, at);
    else if (typeof v === 'number') holder[key] = Math.floor(first / 1000);
    else holder[key] = shiftIso(v as string, first - at);
  }
}

/** "$49.00" for the "*_formatted" fields some providers send beside amounts. */
export function formatMoney(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(minor / 10 ** digits);
  } catch {
    return `${(minor / 10 ** digits).toFixed(digits)} ${currency}`;
  }
}

export const DAY = 86_400;
