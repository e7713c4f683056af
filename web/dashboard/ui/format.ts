/**
 * Money arrives from the API as integer minor units (a number, or a string beyond 2^53) with its currency; it is
 * shown with the currency's own number of decimals, never through a float of the major amount.
 */
import { formatMajor, minorUnitDigits } from '../../../src/domain/currency-digits';
export type Minor = number | string;

// An Intl formatter costs far more to make than to use, and a list draws hundreds of amounts and dates: one of each
// kind is made once and kept.
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''} ${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(locale, options)));
  return f;
}
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(options);
  let f = dateFormats.get(key);
  if (!f) dateFormats.set(key, (f = new Intl.DateTimeFormat(undefined, options)));
  return f;
}

/** "1234" USD → "12.34" (exact, any size) */
export const majorString = (minor: Minor, currency: string): string => formatMajor(BigInt(minor), currency);

export function formatMoney(minor: Minor | null | undefined, currency: string, locale?: string): string {
  if (minor === null || minor === undefined) return '—';
  const e = minorUnitDigits(currency);
  // Intl formats a decimal string exactly (no float rounding) in browsers that support it
  const fmt = numberFormat(locale, { style: 'currency', currency, minimumFractionDigits: e, maximumFractionDigits: e });
  return fmt.format(majorString(minor, currency) as unknown as number);
}

/** "12.34" → 1234 minor units, or null when the text is not an amount with at most the currency's decimals */
export function parseMajor(text: string, currency: string): number | null {
  const e = minorUnitDigits(currency);
  const m = new RegExp(`^(\\d{1,13})(?:[.,](\\d{1,${Math.max(e, 1)}}))?$`).exec(text.trim());
  if (!m || (e === 0 && m[2])) return null;
  return Number(m[1]) * 10 ** e + Number((m[2] ?? '').padEnd(e, '0') || '0');
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return dateFormat({ dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso)) + ' UTC';
}

/**
 * "2026-12-01" (a UTC day, as a date input gives it) → its first instant, or that of `plusDays` later; anything else →
 * undefined. The API's periods are half-open [from, to), so a "to" day is sent as the start of the day after it.
 */
export function dayStart(day: string, plusDays = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d.toISOString();
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return dateFormat({ dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(iso));
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : numberFormat(undefined, {}).format(n);
}

/** basis points → "12.5%" */
export function formatRate(bps: number): string {
  return `${numberFormat(undefined, { maximumFractionDigits: 2 }).format(bps / 100)}%`;
}
