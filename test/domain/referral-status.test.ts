import { referralWindowMiss } from '../../src/domain/referral-status';

describe('referralWindowMiss: a public signup reaches only later payments', () => {
  const signup = { source: 'signup', createdAt: new Date('2026-12-05T16:17:09.294Z'), expiresAt: new Date('2026-12-06T16:17:09.294Z') };
  it.each([
    // Stripe's whole seconds: the signup's own second may hold a payment made after it
    ['a whole-second stamp in the signup\'s second', '2026-12-05T16:17:09.000Z', null],
    ['a whole-second stamp a second earlier', '2026-12-05T16:17:08.000Z', 'before_signup'],
    // Lemon Squeezy, Paddle, Polar: finer stamps, compared as they are
    ['a millisecond stamp 1 ms before the signup', '2026-12-05T16:17:09.293Z', 'before_signup'],
    ['a millisecond stamp at the signup', '2026-12-05T16:17:09.294Z', null],
    ['a millisecond stamp after it', '2026-12-05T16:17:09.295Z', null],
    ['at the window\'s end', '2026-12-06T16:17:09.294Z', null],
    ['a millisecond past the window', '2026-12-06T16:17:09.295Z', 'outside_window'],
  ])('%s', (_label, paidAt, miss) => {
    expect(referralWindowMiss(signup, new Date(paidAt))).toBe(miss);
  });

  it("the merchant's own referral reaches earlier payments", () => {
    expect(referralWindowMiss({ ...signup, source: 'api', expiresAt: null }, new Date('2020-01-01T00:00:00.001Z'))).toBeNull();
  });
});
