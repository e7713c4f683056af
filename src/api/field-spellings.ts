import { HttpError } from '../http/errors';

/**
 * One field that other platforms spell otherwise (Refferq's referralCode, Afflixo's affiliateCode or its
 * X-Affiliate-Code header, …): the value given under any of `names`, which must agree where several are given
 * (`same`), or 400 naming the first when none is.
 */
export function oneOf<T>(names: string[], values: (T | undefined)[], same: (a: T, b: T) => boolean): T {
  const given = names.map((name, i) => ({ name, value: values[i] })).filter((g): g is { name: string; value: T } => g.value !== undefined);
  if (given.length === 0) throw new HttpError(400, `${names[0]}: is required`);
  const first = given[0]!;
  const other = given.find((g) => !same(first.value, g.value));
  if (other) throw new HttpError(400, `${first.name}, ${other.name}: two names of the same field with different values`);
  return first.value;
}

/** Afflixo's X-Affiliate-Code header, trimmed (blank: not given), at most a referral code's 64 characters. */
export function affiliateCodeHeader(value: string | undefined): string | undefined {
  const header = value?.trim() ? value.trim() : undefined;
  if (header !== undefined && header.length > 64) throw new HttpError(400, 'X-Affiliate-Code: must be at most 64 characters');
  return header;
}

/** Referral codes are looked up without case: JANE and jane are one value. */
export const sameCode = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
