/** Small, total readers for untyped JSON: they return null instead of throwing on a missing or odd field. */

export type Json = Record<string, unknown>;

export function obj(value: unknown): Json | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** An id field that may be a string or an expanded object with an `id`. */
export function idOf(value: unknown): string | null {
  return str(value) ?? str(obj(value)?.id);
}

/** Integer minor units from a JSON integer or an integer string (Paddle); never from a fraction. */
export function minor(value: unknown): bigint | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return null;
}

export function at(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    const o = obj(current);
    if (!o) return undefined;
    current = o[key];
  }
  return current;
}

export function unixSeconds(value: unknown): Date | null {
  return typeof value === 'number' && Number.isFinite(value) ? new Date(value * 1000) : null;
}

export function unique(values: (string | null | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}

/** An ISO 8601 timestamp; null when absent or unparseable. */
export function isoDate(value: unknown): Date | null {
  const s = str(value);
  const d = s ? new Date(s) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

/** A three-letter currency code, upper-cased (providers send "usd" and "USD" alike). */
export function currencyCode(value: unknown): string | null {
  const c = str(value);
  return c && /^[A-Z]{3}$/i.test(c) ? c.toUpperCase() : null;
}
