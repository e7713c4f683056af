import { z } from 'zod';
import { formatMajor, MAX_AMOUNT_MINOR, parseMajor, parsePercentToBp } from '../commission/money';
import { Prisma } from '../generated/prisma/client';
import { HttpError } from '../http/errors';
import type { RuleColumns } from '../projects/settings';
import { DATE_RANGE_TEXT, isStorableDate } from '../domain/bounds';

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'must be an email address' }).max(320));

export const commissionTypeField = z.enum(['percentage', 'fixed']);

/**
 * Every money input of the API: an amount in major units, as a JSON number (exact, see src/http/json-body.ts) or a
 * decimal string. Its decimals and its bound depend on the currency, so amountField() checks them once the
 * currency is known: never negative, never above MAX_AMOUNT_MINOR minor units.
 */
export const moneyField = z
  .union([z.number(), z.string().trim().min(1)])
  .describe(`an amount in major units (number or decimal string), from 0 to ${MAX_AMOUNT_MINOR} minor units`);

/**
 * An amount given in minor units, as an integer (a payout minimum, a payout asked for): bounded like every amount,
 * never above MAX_AMOUNT_MINOR. `minorAmountQueryField` for a query string's text.
 */
export const minorAmountField = z
  .number()
  .int()
  .min(0)
  .max(Number(MAX_AMOUNT_MINOR), { message: `must be at most ${MAX_AMOUNT_MINOR} minor units` });
export const minorAmountQueryField = z.coerce.number().pipe(minorAmountField);

/** A percentage is a number of percent; a fixed amount a money amount in the project currency. */
export const commissionValueField = z
  .union([z.number(), z.string().trim().min(1)])
  .describe(`a percentage (0 to 100, 2 decimals), or for "fixed" an amount in major units of at most ${MAX_AMOUNT_MINOR} minor units`);


/**
 * `commission_type` + `commission_value` → the stored columns, exactly (no float arithmetic). Both null means
 * "inherit" where `nullable`; one without the other is an error naming the field.
 */
export function ruleColumns(
  type: 'percentage' | 'fixed' | null | undefined,
  value: number | string | null | undefined,
  currency: string,
  nullable: boolean,
): RuleColumns {
  if ((type === null || type === undefined) && (value === null || value === undefined)) {
    if (!nullable) throw new HttpError(400, 'commission_type and commission_value are required');
    return { commissionType: null, commissionRateBp: null, commissionAmountMinor: null };
  }
  if (!type) throw new HttpError(400, 'commission_type: required with commission_value');
  if (value === null || value === undefined) throw new HttpError(400, 'commission_value: required with commission_type');
  try {
    if (type === 'percentage') {
      const bp = parsePercentToBp(value);
      if (bp > 10_000) throw new RangeError('must be at most 100');
      return { commissionType: type, commissionRateBp: bp, commissionAmountMinor: null };
    }
    return { commissionType: type, commissionRateBp: null, commissionAmountMinor: amountField('commission_value', value, currency) };
  } catch (err) {
    if (err instanceof RangeError) throw new HttpError(400, `commission_value: ${err.message}`);
    throw err;
  }
}

/** A moneyField's value in minor units of `currency`, or a 400 naming the field. */
export function amountField(name: string, value: number | string, currency: string): bigint {
  let minor: bigint;
  try {
    minor = parseMajor(value, currency);
  } catch (err) {
    throw new HttpError(400, `${name}: ${(err as Error).message}`);
  }
  if (minor < 0n) throw new HttpError(400, `${name}: must not be negative`);
  if (minor > MAX_AMOUNT_MINOR) throw new HttpError(400, `${name}: must be at most ${formatMajor(MAX_AMOUNT_MINOR, currency)} ${currency}`);
  return minor;
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/** A unique index lost a race the pre-check could not see: the same 409 the pre-check would have given. */
export async function conflictAs409<T>(work: Promise<T>, message: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isUniqueViolation(err)) throw new HttpError(409, message);
    throw err;
  }
}

export const uuidField = z.string().uuid({ message: 'must be an id' }).transform((v) => v.toLowerCase());

/** What a malformed path segment was, quoted and cut short, for its error. */
const shown = (value: unknown) => {
  const text = String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
};

/**
 * A row's id from the path. One that cannot be an id is 400, as Refgrow answers ("Invalid conversion ID"): the
 * client has a bug to fix, where a well-formed id that names no row of the project is 404.
 */
export function idFromPath(value: unknown, what: string): string {
  const parsed = uuidField.safeParse(value);
  if (!parsed.success) throw new HttpError(400, `invalid ${what} id: ${shown(value)} is not a UUID`);
  return parsed.data;
}

/** An email from the path (affiliates and referrals are keyed by it): 400 when it cannot be one, as Refgrow answers. */
export function emailFromPath(value: unknown): string {
  const parsed = emailField.safeParse(String(value));
  if (!parsed.success) throw new HttpError(400, `invalid email: ${shown(value)} is not an email address`);
  return parsed.data;
}

/**
 * A yes/no filter: "true" or "false" in a query string, or a JSON boolean where the same schema checks the
 * arguments of an MCP tool (src/mcp/tools.ts), whose arguments are JSON rather than text.
 */
export const booleanQuery = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** `from` / `to` filters and bounds: an ISO 8601 date or date-time in the years PostgreSQL and JavaScript share. */
export const isoDate = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an ISO 8601 date or date-time' })
  .transform((v) => new Date(v))
  .refine(isStorableDate, { message: `must be a date ${DATE_RANGE_TEXT}` });
