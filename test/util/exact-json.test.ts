import { exactJson, jsonInteger } from '../../src/util/exact-json';

describe('exactJson and jsonInteger (src/util/exact-json.ts)', () => {
  it('keeps an integer a number while it is exact, and the bigint past 2^53', () => {
    expect(jsonInteger(9_007_199_254_740_991n)).toBe(9_007_199_254_740_991);
    expect(jsonInteger('-9007199254740991')).toBe(-9_007_199_254_740_991);
    expect(jsonInteger(9_007_199_254_740_992n)).toBe(9_007_199_254_740_992n);
    expect(jsonInteger('-18000000000000000000')).toBe(-18_000_000_000_000_000_000n);
  });

  it('writes bigints as their exact integer literals, anywhere in the value', () => {
    const text = exactJson({ a: 10_999_999_999_999_989n, list: [1, -18_000_000_000_000_000_001n, { b: 0n }], s: 'bigint:5', n: null });
    expect(text).toBe('{"a":10999999999999989,"list":[1,-18000000000000000001,{"b":0}],"s":"bigint:5","n":null}');
  });

  it('is JSON.stringify where there is no bigint', () => {
    const value = { a: 1, b: 'x\u0000y', c: [true, null], d: undefined };
    expect(exactJson(value)).toBe(JSON.stringify(value));
    expect(exactJson(undefined)).toBeUndefined();
  });
});
