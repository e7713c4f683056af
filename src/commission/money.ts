/**
 * The one place money is rounded and converted. Amounts are bigint minor units; rates are integer basis points.
 * Rounding: half away from zero, applied once, to the final product of a multiplication and a division.
 */
import { formatMajor, minorUnitDigits } from '../domain/currency-digits';

export function mulDivRound(a: bigint, b: bigint, c: bigint): bigint {
  if (c === 0n) throw new RangeError('division by zero');
  const n = a * b;
  const negative = n < 0n !== c < 0n;
  const absN = n < 0n ? -n : n;
  const absC = c < 0n ? -c : c;
  const q = (absN + absC / 2n) / absC;
  // (absN + floor(absC/2)) / absC rounds half up for even divisors and is exact for odd ones
  return negative ? -q : q;
}

export const BASIS_POINTS = 10_000n;

export function percentOf(baseMinor: bigint, rateBp: number): bigint {
  return mulDivRound(baseMinor, BigInt(rateBp), BASIS_POINTS);
}

/** Refgrow's number form (`"value": 12.5`), derived from the exact string so no float arithmetic happens. */
export function majorNumber(minor: bigint, currency: string): number {
  return Number(formatMajor(minor, currency));
}

/**
 * Parses an amount given in major units (a JSON number or a decimal string) into minor units, exactly:
 * the decimal text is split, never multiplied as a float. More decimals than the currency has is an error.
 */
export function parseMajor(value: number | string, currency: string): bigint {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a decimal amount`);
  const [, sign, whole, frac = ''] = match;
  const exp = minorUnitDigits(currency);
  const trimmed = frac.replace(/0+$/, '');
  if (trimmed.length > exp) throw new RangeError(`${currency} amounts have at most ${exp} decimals`);
  const minor = BigInt(whole! + trimmed.padEnd(exp, '0'));
  return sign === '-' ? -minor : minor;
}

/** A percentage given as a number of percent (12.5) → basis points (1250), exactly, at most 2 decimals. */
export function parsePercentToBp(value: number | string): number {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a percentage`);
  const frac = (match[2] ?? '').replace(/0+$/, '');
  if (frac.length > 2) throw new RangeError('percentages have at most 2 decimals');
  return Number(match[1]! + frac.padEnd(2, '0'));
}

export function bpToPercent(bp: number): number {
  return Number(`${Math.trunc(bp / 100)}.${String(bp % 100).padStart(2, '0')}`);
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError('amount must be finite');
  const text = String(value);
  if (/e/i.test(text)) throw new RangeError('amount out of range');
  return text;
}

export { MAX_AMOUNT_MINOR } from '../domain/bounds';
