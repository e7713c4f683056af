import { z } from 'zod';
import { MAX_AMOUNT_MINOR, parseMajor, parsePercentToBp } from '../commission/money';
import { formatMajor } from '../domain/currency-digits';
import { Prisma } from '../generated/prisma/client';
import { HttpError } from '../http/errors';
import type { RuleColumns } from '../projects/settings';
import { DATE_RANGE_TEXT, isStorableDate } from '../domain/bounds';

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'must be an email address' }).max(320));

/**
 * An address Refwire sends mail to (an applicant's code, an affiliate's notices, a payout account, the merchant's
 * notifications, an invitation): within what SMTP carries (RFC 5321 §4.5.3.1: 64 octets before the @, a path of 256
 * with its brackets). A longer one passed emailField, was kept, and every email to it failed at the mail server: an
 * applicant who could never verify. Lookups by address keep emailField, so an address kept before is still found.
 */
export const mailboxField = emailField.refine((email) => Buffer.byteLength(email) <= 254 && Buffer.byteLength(email.slice(0, email.lastIndexOf('@'))) <= 64, {
  message: 'must be an email address mail can reach (at most 64 characters before the @, 254 in all)',
});

export const commissionTypeField = z.enum(['percentage', 'fixed']);

/**
 * Every money input of the API: an amount in major units, as a JSON number (exact, see src/http/json-body.ts) or a
 * decimal string. Its decimals and its bound depend on the currency, so amountField() checks them once the
 * currency is known: never negative, never above MAX_AMOUNT_MINOR minor units.
 */
export const moneyField = z
  .union([z.number(), z.string().trim().min(1)], { error: 'must be an amount: a number or a decimal string, e.g. 12.50' })
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
  .union([z.number(), z.string().trim().min(1)], { error: 'must be a number or a decimal string: a percentage, e.g. 20, or for "fixed" an amount, e.g. 12.50' })
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

/** Why a number is not an id (referredUserIdField). */
const wholeIdProblem = (v: number) =>
  !Number.isInteger(v) ? 'must be a whole number or a string' : v < 0 ? 'must not be negative' : `must be at most ${Number.MAX_SAFE_INTEGER} as a number (send a larger id as a string)`;

/**
 * The customer of a conversion as the client knows them: Refgrow types `referred_user_id` an integer (its example
 * sends 501), and Refwire also knows customers by email or by a provider's customer id. A string, or a whole
 * number from 0 up to 2^53 - 1 (beyond, JSON numbers are not exact ids), kept as the number's decimal text: the
 * answers show it as that text, since the same field shows an email or a provider's id.
 */
export const referredUserIdField = z
  .union(
    [
      z.string().trim().min(1).max(320),
      z
        .number()
        .refine((v) => Number.isSafeInteger(v) && v >= 0, { error: (issue) => wholeIdProblem(issue.input as number) })
        // the refinement says what JSON Schema cannot read from it
        .meta({ type: 'integer', minimum: 0 }),
    ],
    { error: 'must be a string or an integer' },
  )
  .transform(String);

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
export const booleanQuery = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], { error: 'must be true or false' });

/**
 * An ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD) or date-time (T or a space, minutes, optional seconds and fraction,
 * optional Z or offset), the years signed and six digits long allowed so that they are refused for their range
 * rather than their form. What Date.parse also takes beside it ("Feb 30 2024", "2024/02/30") is not ISO 8601.
 */
const ISO_DATE = /^([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?)?)?$/i;

/**
 * Whether an ISO 8601 text's components are on the calendar. Date.parse rolls an impossible one over (2024-02-30 is
 * March 1st, 24:00 the next day's midnight), so the instant read would not be the one written.
 */
function existsOnCalendar(text: string): boolean {
  const m = ISO_DATE.exec(text)!;
  const at = (i: number, absent: number) => (m[i] === undefined ? absent : Number(m[i]));
  const year = Number(m[1]);
  const [month, day, hour, minute, second, offsetHours, offsetMinutes] = [at(2, 1), at(3, 1), at(4, 0), at(5, 0), at(6, 0), at(7, 0), at(8, 0)];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  const onCalendar = days !== undefined && day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 59 && offsetHours <= 23 && offsetMinutes <= 59;
  return onCalendar && !Number.isNaN(Date.parse(text));
}

/**
 * `from` / `to` filters and bounds: an ISO 8601 date or date-time that exists (not 2023-02-29, 2024-04-31 or 24:00),
 * in the years PostgreSQL and JavaScript share.
 */
export const isoDate = z
  .string()
  .refine((v) => ISO_DATE.test(v), { message: 'must be an ISO 8601 date or date-time', abort: true })
  .refine(existsOnCalendar, { message: "must be a date that exists: no day past its month's last (2023-02-29, 2024-04-31), no hour past 23, no minute or second past 59", abort: true })
  .transform((v) => new Date(inUtcWhenNoZone(v)))
  .refine(isStorableDate, { message: `must be a date ${DATE_RANGE_TEXT}` });

/**
 * A date-time written without Z or an offset is read as UTC, as a date alone is: JavaScript would read it in the
 * process's time zone, so the same filter would name another instant on a server (or an MCP client over stdio) in
 * another zone.
 */
function inUtcWhenNoZone(text: string): string {
  const [date, time] = text.split(/[T ]/i);
  if (time === undefined || /(?:z|[+-]\d{2}:?\d{2})$/i.test(time)) return text;
  return `${date}T${time}Z`;
}

/**
 * An update's body taking back what GET answered: the resource's fields as GET shows them that the update does not
 * take are accepted and ignored (Refgrow's PUT takes the whole object), while a field the resource does not have at
 * all, a misspelt `comission_value`, is refused by the strict body instead of being dropped in silence.
 */
export function takingBack<B extends z.ZodRawShape, R extends z.ZodRawShape>(fields: z.ZodObject<B, z.core.$strict>, response: z.ZodObject<R>) {
  const readOnly = Object.fromEntries(
    Object.keys(response.shape)
      .filter((key) => !(key in fields.shape))
      .map((key) => [key, z.unknown().optional().describe('read-only, as GET answers it: ignored')]),
  ) as { [K in Exclude<keyof R, keyof B>]: z.ZodOptional<z.ZodUnknown> };
  return fields.extend(readOnly);
}

/**
 * A period [from, to) that ends before it starts is a mistake to say, as the daily report says it, not an empty
 * answer: the reports and the lists of conversions and of the audit log read it alike.
 */
export function checkedPeriod<Q extends { from?: Date; to?: Date }>(q: Q): Q {
  if (q.from && q.to && q.from.getTime() >= q.to.getTime()) throw new HttpError(400, 'from: must be before to');
  return q;
}
