/**
 * JSON with exact integers past 2^53. Money is summed as bigint; a `*_minor` total past Number.MAX_SAFE_INTEGER
 * (an affiliate's or a project's, over many commissions near the per-amount bound) was converted with Number() and
 * answered rounded, beside its exact decimal string. JSON itself has no limit on an integer's digits: such a value
 * is written as its exact integer literal, and a client that reads big integers (or the decimal string beside it)
 * gets it whole.
 */

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer for a JSON answer: a number while that is exact, else the bigint itself (exactJson writes it). */
export function jsonInteger(value: bigint | string | number): number | bigint {
  const v = typeof value === 'bigint' ? value : BigInt(value);
  return v <= MAX && v >= -MAX ? Number(v) : v;
}

// A bigint is first written as this string, then the quoted string replaced by the digits. The NUL cannot come from
// stored text (PostgreSQL text cannot hold it), and a string that happened to match would still leave valid JSON.
const MARK = '\u0000bigint:';
const MARKED = /"\\u0000bigint:(-?\d+)"/g;

export function exactJson(value: unknown): string {
  try {
    // without a replacer while nothing needs one: a replacer is called for every value of every answer
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError) || !/BigInt/.test(err.message)) throw err;
  }
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${MARK}${v}` : v)).replace(MARKED, '$1');
}
