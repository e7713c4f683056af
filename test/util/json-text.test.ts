import { isExactJsonNumber, jsonTextProblem, MAX_JSON_DEPTH } from '../../src/util/json-text';

describe('JSON text checks', () => {
  it.each(['0', '-0', '12', '12.5', '12.50', '1e3', '1E+3', '1.5e-7', '9007199254740991', '-9007199254740991', '0.1', '123456.78', '1e21', '100000000000000000000'])(
    '%s is read exactly',
    (literal) => expect(isExactJsonNumber(literal)).toBe(true),
  );

  it.each(['9007199254740993', '9223372036854775807', '0.1000000000000000055', '12.345678901234567890', '1e400', '-1e400', '1e-400', '123456789012345678.9'])(
    '%s is not read exactly',
    (literal) => expect(isExactJsonNumber(literal)).toBe(false),
  );

  const exact = { maxDepth: MAX_JSON_DEPTH, exactNumbers: true };

  it('names the field holding a NUL (\\u0000), when asked; an escaped backslash before "u0000" is text', () => {
    const storable = { ...exact, storableText: true };
    expect(jsonTextProblem('{"a":{"b":["ok","x\\u0000"]}}', storable)).toBe('a.b.1: holds a NUL character (\\u0000), which no text can hold');
    expect(jsonTextProblem('{"name":"a\\\\u0000b"}', storable)).toBeNull();
    expect(jsonTextProblem('{"name":"x\\u0000"}', exact)).toBeNull();
  });

  it('names the field holding half of a surrogate pair, when asked; a whole pair is text', () => {
    const storable = { ...exact, storableText: true };
    const half = 'holds half of a UTF-16 surrogate pair (\\ud800 to \\udfff) without the other half, which is not text';
    expect(jsonTextProblem('{"appearance":{"title":"\\ud800"}}', storable)).toBe(`appearance.title: ${half}`);
    expect(jsonTextProblem('{"a":["x\\uDFFFy"]}', storable)).toBe(`a.0: ${half}`);
    expect(jsonTextProblem('{"a":"\\udc00\\ud800"}', storable)).toBe(`a: ${half}`);
    expect(jsonTextProblem('{"a":"\\ud83d\\ude00 and \\uD83D\\uDE00"}', storable)).toBeNull();
    expect(jsonTextProblem('{"a":"\\\\ud800"}', storable)).toBeNull();
    expect(jsonTextProblem('{"a":"\\ud800"}', exact)).toBeNull();
  });

  it('names the field holding an inexact number, inside objects and arrays', () => {
    expect(jsonTextProblem('{"email":"a@b.c","commission_value":9223372036854775807}', exact)).toBe(
      'commission_value: the number 9223372036854775807 is too large (at most 9007199254740991)',
    );
    expect(jsonTextProblem('{"items":[{"v":1},{"v":0.1000000000000000055}]}', exact)).toMatch(/^items\.1\.v: the number 0\.1000000000000000055 /);
    expect(jsonTextProblem('{"a\\"b":1e999}', exact)).toMatch(/^a"b: /);
    expect(jsonTextProblem('{"hold_days":-1e309}', exact)).toBe('hold_days: the number -1e309 is too small (at least -9007199254740991)');
    // strings are not numbers, however they look
    expect(jsonTextProblem('{"value":"9223372036854775807","note":"a \\" 1e999 ] }"}', exact)).toBeNull();
    expect(jsonTextProblem('{"value":12.5,"ok":true,"none":null,"list":[1,2,3]}', exact)).toBeNull();
    expect(jsonTextProblem('{"value":9223372036854775807}', { maxDepth: 64, exactNumbers: false })).toBeNull();
  });

  it('names where JSON nests deeper than the limit', () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
    expect(jsonTextProblem(nested(64), exact)).toBeNull();
    expect(jsonTextProblem(nested(65), exact)).toBe('a: nested deeper than 64 levels');
    expect(jsonTextProblem(`{"name":"x","payout_details":${'['.repeat(3000)}${']'.repeat(3000)}}`, exact)).toBe('payout_details: nested deeper than 64 levels');
    expect(jsonTextProblem(`${'['.repeat(65)}${']'.repeat(65)}`, exact)).toBe('0: nested deeper than 64 levels');
  });

  it('leaves text that is not JSON to JSON.parse', () => {
    expect(jsonTextProblem('{"a": 01}', exact)).toBeNull();
    expect(jsonTextProblem('{"a": -}', exact)).toBeNull();
    expect(jsonTextProblem('{"a": "unterminated', exact)).toBeNull();
  });
});
