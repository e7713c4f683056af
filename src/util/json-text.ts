import { hasLoneSurrogate } from './text';

/**
 * Deeper than this, JSON is refused (API bodies) or not taken (webhook bodies). No request body Refwire reads
 * nests past a few levels, and the deepest recorded provider payload in fixtures/ has 9; deep nesting costs
 * recursion everywhere downstream: Prisma's argument serializer overflowed its stack at about 3,000 levels, and
 * JSON.stringify at 5,000, when an event's payload was shown.
 */
export const MAX_JSON_DEPTH = 64;

type Container = { object: boolean; key: string | null; index: number; expectKey: boolean };

const isDigit = (c: number) => c >= 48 && c <= 57;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A decimal number's value in one spelling: digits without leading or trailing zeros, and the power of ten. */
function decimal(literal: string): string | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!match) return null;
  const [, sign, whole, frac = '', exp = '0'] = match;
  const digits = `${whole}${frac}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const trimmed = digits.replace(/0+$/, '');
  const power = BigInt(exp) - BigInt(frac.length) + BigInt(digits.length - trimmed.length);
  return `${sign}${trimmed}e${power}`;
}

/**
 * Whether JSON.parse reads a number literal as exactly the decimal written: 12.5 and 1e3 yes, 9007199254740993
 * (read as …992), 0.1000000000000000055 (read as 0.1) and 1e400 (read as Infinity) no.
 */
export function isExactJsonNumber(literal: string): boolean {
  const written = decimal(literal);
  const read = Number(literal);
  return written !== null && Number.isFinite(read) && decimal(String(read)) === written;
}

/**
 * Why a number cannot be taken, without advice the field would refuse: past 2^53 − 1 no field takes it (amounts are
 * bounded far below, counts and days too), so it is too large; a smaller one has more digits than a double keeps,
 * which only an amount can carry, as decimal text.
 */
function inexactNumber(literal: string): string {
  const shown = literal.length > 40 ? `${literal.slice(0, 40)}…` : literal;
  if (!(Math.abs(Number(literal)) <= Number.MAX_SAFE_INTEGER)) {
    return literal.startsWith('-') ? `the number ${shown} is too small (at least -${Number.MAX_SAFE_INTEGER})` : `the number ${shown} is too large (at most ${Number.MAX_SAFE_INTEGER})`;
  }
  return `the number ${shown} has more digits than can be read exactly; an amount can be sent as a decimal string, e.g. "12.34"`;
}

function pathOf(stack: Container[]): string {
  return stack
    .map((c) => (c.object ? c.key : String(c.index)))
    .filter((part): part is string => part !== null)
    .join('.');
}

/** Whether `text` at `at` reads `uD800` to `uDFFF` (after a backslash): a surrogate's escape, case-insensitive. */
function isSurrogateEscape(text: string, at: number): boolean {
  if (text.charCodeAt(at) !== 0x75 || (text.charCodeAt(at + 1) | 0x20) !== 0x64) return false;
  const third = text.charCodeAt(at + 2) | 0x20;
  return third === 0x38 || third === 0x39 || (third >= 0x61 && third <= 0x66);
}

/**
 * One pass over JSON text, without parsing it: the first place that nests deeper than `maxDepth`, or (with
 * `exactNumbers`) holds a number JSON.parse would not read exactly, or (with `storableText`) a string PostgreSQL
 * cannot hold, as an error naming the field. Text that is not JSON is left for JSON.parse to refuse.
 */
export function jsonTextProblem(text: string, options: { maxDepth: number; exactNumbers: boolean; storableText?: boolean }): string | null {
  const stack: Container[] = [];
  const at = (what: string, within = stack) => {
    const path = pathOf(within);
    return path === '' ? what : `${path}: ${what}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x7b || c === 0x5b) {
      // { [
      // named by its top-level field: the full path would be as deep as the nesting
      if (stack.length >= options.maxDepth) return at(`nested deeper than ${options.maxDepth} levels`, stack.slice(0, 1));
      stack.push({ object: c === 0x7b, key: null, index: 0, expectKey: c === 0x7b });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      // ,
      if (top?.object) top.expectKey = true;
      else if (top) top.index += 1;
    } else if (c === 0x3a) {
      // :
      if (top) top.expectKey = false;
    } else if (c === 0x22) {
      // a string: to its closing quote, past escapes
      const start = i;
      let escaped = false;
      let nul = false;
      let surrogate = false;
      for (i += 1; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) {
          escaped = true;
          nul ||= text.startsWith('u0000', i + 1);
          surrogate ||= isSurrogateEscape(text, i + 1);
          i += 1;
        } else if (d === 0x22) break;
      }
      // What PostgreSQL's text and jsonb cannot hold, refused here and named rather than failing a statement later:
      // U+0000, and half of a UTF-16 surrogate pair (jsonb refuses it; text stored U+FFFD in its place)
      if (options.storableText && nul) return at('holds a NUL character (\\u0000), which no text can hold');
      if (options.storableText && surrogate) {
        let value: string;
        try {
          value = JSON.parse(text.slice(start, i + 1)) as string;
        } catch {
          return null;
        }
        if (hasLoneSurrogate(value)) return at('holds half of a UTF-16 surrogate pair (\\ud800 to \\udfff) without the other half, which is not text');
      }
      if (top?.object && top.expectKey) {
        const raw = text.slice(start, i + 1);
        try {
          top.key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        } catch {
          return null;
        }
      }
    } else if (c === 0x2d || isDigit(c)) {
      // - or a digit: a number literal, up to the next structural character or space
      const start = i;
      while (i + 1 < text.length && /[-+.eE0-9]/.test(text[i + 1]!)) i += 1;
      const literal = text.slice(start, i + 1);
      if (!JSON_NUMBER.test(literal)) return null;
      if (options.exactNumbers && !isExactJsonNumber(literal)) {
        return at(inexactNumber(literal));
      }
    }
  }
  return null;
}

/**
 * Whether a parsed JSON value nests deeper than `maxDepth` (an object or array is one level): for the webhook
 * receiver, which holds the parsed payload already; visiting only objects and arrays, and stopping at the limit,
 * it costs a fraction of the parse.
 */
export function nestsDeeper(value: unknown, maxDepth: number, depth = 1): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > maxDepth) return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (child !== null && typeof child === 'object' && nestsDeeper(child, maxDepth, depth + 1)) return true;
  }
  return false;
}

/** What the API refuses in a JSON body's text (its rules: MAX_JSON_DEPTH, exact numbers, storable text), or null. */
export function apiJsonTextProblem(text: string): string | null {
  return jsonTextProblem(text, { maxDepth: MAX_JSON_DEPTH, exactNumbers: true, storableText: true });
}
