const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether a string holds half of a UTF-16 surrogate pair without the other half (JSON's `"\ud800"` reads as one):
 * not text in any encoding, so PostgreSQL's jsonb refuses it and its text stores U+FFFD in its place.
 */
export const hasLoneSurrogate = (value: string): boolean => LONE_SURROGATE.test(value);
