import { formatMajor, minorUnitDigits } from '../../src/domain/currency-digits';
import type { Minor } from './api';

/**
 * Integer minor units shown in the currency, with its own decimals (HUF 2 where Intl's default shows none), built
 * from the integer's text rather than by dividing a float, so a large amount is not rounded on its way to Intl
 * (which formats decimal strings exactly).
 */
export function money(minor: Minor | undefined | null, currency: string, lang: string): string {
  let decimal = '0';
  try {
    decimal = formatMajor(BigInt(minor ?? 0), currency);
  } catch {
    // not an integer: shown as nothing owed rather than as a broken widget
  }
  const digits = minorUnitDigits(currency);
  const nf = new Intl.NumberFormat(lang, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  // the cast is for the DOM typings that still say number
  return nf.format(decimal as unknown as number);
}

export function count(n: number | undefined | null, lang: string): string {
  return new Intl.NumberFormat(lang).format(n ?? 0);
}

export function percent(ratio: number, lang: string): string {
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 2 }).format(ratio);
}

/** A timestamp or a YYYY-MM-DD day, shown as a date; days are UTC days, as the API counts them. */
export function date(value: string | null | undefined, lang: string, style: 'medium' | 'short' = 'medium'): string {
  if (!value) return '';
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) return value;
  // a timestamp too: a commission of 23:30 UTC belongs to that UTC day in every time zone, as the chart counts it
  return new Intl.DateTimeFormat(lang, { dateStyle: style, timeZone: 'UTC' }).format(d);
}

export function dayMonth(epochSeconds: number, lang: string): string {
  return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(epochSeconds * 1000));
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function minorIsPositive(minor: Minor | undefined | null): boolean {
  const text = String(minor ?? '0').trim();
  return /^\d+$/.test(text) && /[1-9]/.test(text);
}

export function compareMinor(a: Minor | undefined | null, b: Minor | undefined | null): number {
  const x = BigInt(String(a ?? 0));
  const y = BigInt(String(b ?? 0));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Unicode isolates: an email or URL inside a translated sentence keeps its own direction in Arabic and Hebrew. */
export const iso = (value: string) => `\u2068${value}\u2069`;
