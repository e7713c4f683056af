import { isDatabaseUnavailable } from '../../src/db/unavailable';

/** What answers 503 with Retry-After (src/http/errors.ts) rather than 500: "not now", as the errors arrive. */
describe('isDatabaseUnavailable', () => {
  it.each([
    ['node-postgres: a deadlock victim', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
    ['node-postgres: a serialization failure', Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' })],
    ["Prisma's write conflict", Object.assign(new Error('Transaction failed due to a write conflict or a deadlock. Please retry your transaction'), { code: 'P2034' })],
    ["Prisma's raw query failure naming the deadlock", Object.assign(new Error('Raw query failed. Code: `40P01`. Message: `deadlock detected`'), { code: 'P2010' })],
    ['a wrapped pool timeout', new Error('query failed', { cause: new Error('timeout exceeded when trying to connect') })],
  ])('%s is "not now"', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })],
    ['a programming error', new TypeError('x is undefined')],
  ])('%s is not', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});
