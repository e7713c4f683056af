/**
 * PRODUCT.md §11: no amount Refwire takes — API input or provider event — exceeds 10^15 minor units (ten trillion
 * dollars): far beyond any real payment, and small enough that sums of millions of them stay within a bigint and
 * that each is exact as a JSON number (below 2^53).
 */
export const MAX_AMOUNT_MINOR = 10n ** 15n;

/**
 * The dates Refwire takes, from the API or in a provider's event: the years 1 to 9999. JavaScript's dates reach
 * ±275,760 and PostgreSQL's timestamps 4713 BC to 294276 AD, but their ends do not meet (year 0, a negative year, or
 * 99999 failed a statement or read back wrong), and no sale, filter or rule needs more.
 */
export const DATE_RANGE_TEXT = 'between the years 1 and 9999';
export function isStorableDate(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999;
}
