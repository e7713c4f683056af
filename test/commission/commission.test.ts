import {
  bpToPercent,
  majorNumber,
  mulDivRound,
  parseMajor,
  parsePercentToBp,
  percentOf,
} from '../../src/commission/money';
import { formatMajor } from '../../src/domain/currency-digits';
import { failureKeyOf, grossShareOf, grossSharesOf, refundLevels, refundedTotal, reversedAt } from '../../src/commission/reversal';
import { addMonths, computeCommission, selectRule, withinDuration, type CommissionRule } from '../../src/commission/rules';

const pct = (rateBp: number): CommissionRule => ({ type: 'percentage', rateBp });
const fixed = (amountMinor: bigint, currency = 'USD'): CommissionRule => ({ type: 'fixed', amountMinor, currency });

describe('rounding: half away from zero, once', () => {
  it.each([
    ['exact', 1000n, 2000, 200n],
    ['half rounds up', 1025n, 1000, 103n], // 102.5
    ['just under half rounds down', 1024n, 1000, 102n], // 102.4
    ['one minor unit at 20%', 1n, 2000, 0n], // 0.2
    ['three minor units at 20%', 3n, 2000, 1n], // 0.6
    ['zero base', 0n, 2000, 0n],
    ['negative half rounds away from zero', -1025n, 1000, -103n],
    ['100%', 4999n, 10000, 4999n],
    ['large IDR amount beyond 32 bits', 5_000_000_000_00n, 1500, 75_000_000_000n],
  ])('%s: %s × %s bp = %s', (_label, base, bp, expected) => {
    expect(percentOf(base, bp)).toBe(expected);
  });

  it('mulDivRound refuses a zero divisor', () => {
    expect(() => mulDivRound(1n, 1n, 0n)).toThrow(RangeError);
  });
});

describe('commission for one payment', () => {
  it.each([
    ['percentage of the base', pct(2000), 3920n, 'USD', 784n, null],
    ['fixed amount in the project currency', fixed(1500n), 3920n, 'USD', 1500n, null],
    ['fixed amount, payment in another currency', fixed(1500n, 'USD'), 3920n, 'EUR', 0n, 'currency_mismatch'],
    ['zero base earns nothing', pct(2000), 0n, 'USD', 0n, 'zero_base'],
    ['fixed on a zero base earns nothing', fixed(1500n), 0n, 'USD', 0n, 'zero_base'],
    ['zero-decimal currency', pct(1000), 1234n, 'JPY', 123n, null],
  ])('%s', (_label, rule, base, currency, value, reason) => {
    expect(computeCommission(rule, base, currency)).toEqual({ valueMinor: value, reason });
  });
});

describe('rule precedence: affiliate → product → project', () => {
  const productRules = new Map<string, CommissionRule>([
    ['prod_A', pct(3000)],
    ['price_B', fixed(500n)],
  ]);
  it.each([
    ['affiliate override wins', pct(5000), ['prod_A'], 'affiliate', pct(5000)],
    ['product rule by product id', null, ['price_X', 'prod_A'], 'product', pct(3000)],
    ['product rule by price id', null, ['price_B'], 'product', fixed(500n)],
    ['first matching line wins', null, ['price_B', 'prod_A'], 'product', fixed(500n)],
    ['project default otherwise', null, ['prod_Z'], 'project', pct(2000)],
  ])('%s', (_label, affiliateRule, productIds, source, rule) => {
    expect(selectRule({ affiliateRule, productRules, productIds, projectRule: pct(2000) })).toEqual({ source, rule });
  });
});

describe('duration', () => {
  const first = new Date('2026-01-31T10:00:00Z');
  it.each([
    ['lifetime, years later', { kind: 'lifetime' } as const, '2030-01-01T00:00:00Z', true],
    ['first_payment, a renewal', { kind: 'first_payment' } as const, '2026-02-28T10:00:00Z', false],
    // which payment it is, not when: the renewal of the same second is not the first payment
    ['first_payment, a renewal in the first payment\'s second', { kind: 'first_payment' } as const, '2026-01-31T10:00:00Z', false],
    ['3 months, within', { kind: 'months', months: 3 } as const, '2026-04-30T08:59:59Z', true],
    // Jan 31 + 3 months is Apr 30, not May 1
    ['3 months, on the boundary (the end month is shorter)', { kind: 'months', months: 3 } as const, '2026-04-30T10:00:00Z', false],
    ['1 month from Jan 31 ends on Feb 28', { kind: 'months', months: 1 } as const, '2026-02-28T10:00:00Z', false],
    // a renewal billed on the anniversary, a moment before the first payment's time of day (Paddle): the next period's
    ['1 month from Jan 31, a second before Feb 28 10:00', { kind: 'months', months: 1 } as const, '2026-02-28T09:59:59Z', false],
    ['1 month from Jan 31, an hour before Feb 28 10:00', { kind: 'months', months: 1 } as const, '2026-02-28T09:00:00Z', false],
    ['1 month from Jan 31, an hour and a second before Feb 28 10:00', { kind: 'months', months: 1 } as const, '2026-02-28T08:59:59Z', true],
    ['1 month from Jan 31, Mar 2 (Date overflow would say Mar 3)', { kind: 'months', months: 1 } as const, '2026-03-02T10:00:00Z', false],
    ['12 months, the 12th renewal', { kind: 'months', months: 12 } as const, '2027-01-30T10:00:00Z', true],
  ])('%s', (_label, duration, at, earns) => {
    expect(withinDuration(duration, first, new Date(at))).toBe(earns);
  });

  it.each([
    ['first_payment', { kind: 'first_payment' } as const],
    ['months', { kind: 'months', months: 1 } as const],
  ])('the first payment itself earns (%s)', (_label, duration) => {
    expect(withinDuration(duration, null, first)).toBe(true);
  });

  it.each([
    ['2026-01-31T10:00:00Z', 1, '2026-02-28T10:00:00.000Z'],
    ['2028-01-31T10:00:00Z', 1, '2028-02-29T10:00:00.000Z'],
    ['2026-03-31T23:59:59Z', 1, '2026-04-30T23:59:59.000Z'],
    ['2026-01-15T08:30:00Z', 1, '2026-02-15T08:30:00.000Z'],
    ['2026-11-30T00:00:00Z', 3, '2027-02-28T00:00:00.000Z'],
    ['2026-05-31T12:00:00Z', 12, '2027-05-31T12:00:00.000Z'],
  ])('addMonths(%s, %i) is %s', (from, months, expected) => {
    expect(addMonths(new Date(from), months).toISOString()).toBe(expected);
  });
});

describe('refunds', () => {
  it.each([
    ['no refund', 784n, 3920n, 0n, 0n],
    ['partial refund, proportional', 784n, 3920n, 1960n, 392n],
    ['full refund', 784n, 3920n, 3920n, 784n],
    ['over-refund is capped at the commission', 784n, 3920n, 5000n, 784n],
    ['rounding of a small partial', 333n, 1000n, 1n, 0n],
    ['zero commission', 0n, 3920n, 3920n, 0n],
  ])('%s', (_label, commission, gross, refunded, reversed) => {
    expect(reversedAt(commission, gross, refunded)).toBe(reversed);
  });

  it('partial then full reverses exactly the commission, whatever the split', () => {
    const c = 1001n;
    const g = 3333n;
    const first = reversedAt(c, g, 1111n);
    const rest = reversedAt(c, g, 3333n) - first;
    expect(first + rest).toBe(c);
  });

  const refund = (amountMinor: bigint) => ({ cumulative: false, withdrawal: false, amountMinor });
  const cumulative = (amountMinor: bigint) => ({ cumulative: true, withdrawal: false, amountMinor });
  const withdrawal = (amountMinor: bigint) => ({ cumulative: false, withdrawal: true, amountMinor });
  it.each([
    ['one cumulative report', [cumulative(1000n)], 1000n],
    ['cumulative reports: the largest', [cumulative(1000n), cumulative(2500n)], 2500n],
    ['distinct refunds: the sum', [refund(1000n), refund(1500n)], 2500n],
    ['the same refund reported both ways counts once', [refund(1000n), cumulative(1000n)], 1000n],
    ['capped at the payment', [cumulative(9999n)], 4000n],
    // Stripe's amount_refunded never includes a lost dispute's money
    ['a withdrawal adds to a cumulative report', [cumulative(1000n), withdrawal(1000n)], 2000n],
    ['a withdrawal adds to the refunds reported both ways', [refund(1000n), cumulative(1000n), withdrawal(500n)], 1500n],
    ['withdrawals capped at the payment', [cumulative(3000n), withdrawal(2000n)], 4000n],
    // a chargeback is a withdrawal; its reversal (Paddle's chargeback_reverse) a negative one
    ['a chargeback given back nets to nothing', [withdrawal(4000n), withdrawal(-4000n)], 0n],
    ['a refund stays when the chargeback after it is given back', [refund(1000n), withdrawal(3000n), withdrawal(-3000n)], 1000n],
    ['money given back with nothing taken is no negative refund', [withdrawal(-1000n)], 0n],
    // a chargeback reversed whose chargeback was never counted gives nothing back: the refunds stand whole
    ['money given back with nothing taken cancels no refund', [withdrawal(-2000n), refund(1000n), refund(1000n)], 2000n],
    ['money given back returns at most what was taken', [withdrawal(1000n), withdrawal(-3000n), refund(500n)], 500n],
  ])('refunded total: %s', (_label, observations, total) => {
    expect(refundedTotal(observations, 4000n)).toBe(total);
  });

  it('refunds that name their tax are carried onto the gross together: their shares add up to the share of their sum', () => {
    // 66.05 paid of which 4.61 tax; twelve refunds of 5.12 + 0.38 tax give back the whole base of 61.44
    const shares = grossSharesOf(Array.from({ length: 12 }, () => ({ amountMinor: 550n, taxMinor: 38n })), 6605n, 461n);
    expect(shares.reduce((a, b) => a + b, 0n)).toBe(6605n);
    expect(new Set(shares)).toEqual(new Set([550n, 551n]));
    // one by one, each would be 550: 6,600 in all
    expect(grossShareOf(550n, 38n, 6605n, 461n)).toBe(550n);
    // one refund alone: its own share
    expect(grossSharesOf([{ amountMinor: 6000n, taxMinor: 1000n }], 11_000n, 1000n)).toEqual([5500n]);
    // three untaxed units of a base of 6 on a gross of 9 (each 1.5, rounded alone to 2): 2, 1, 2, adding up to 5 (4.5 rounded)
    expect(grossSharesOf([{ amountMinor: 2n, taxMinor: 1n }, { amountMinor: 2n, taxMinor: 1n }, { amountMinor: 2n, taxMinor: 1n }], 9n, 3n)).toEqual([2n, 1n, 2n]);
    // no base to share: as given
    expect(grossSharesOf([{ amountMinor: 500n, taxMinor: 100n }], 500n, 500n)).toEqual([500n]);
  });

  it("a refund that names its tax weighs its untaxed share of the payment's base, carried onto the gross", () => {
    // 110.00 paid of which 10.00 tax: 60.00 back with 10.00 tax is half the base, so half the gross
    expect(grossShareOf(6000n, 1000n, 11_000n, 1000n)).toBe(5500n);
    expect(grossShareOf(5000n, 0n, 11_000n, 1000n)).toBe(5500n);
    // tax alone is no share; a refund taxed as its payment is its own amount
    expect(grossShareOf(980n, 980n, 5880n, 980n)).toBe(0n);
    expect(grossShareOf(2940n, 490n, 5880n, 980n)).toBe(2940n);
    // rounded once, half away from zero; given back (negative) alike
    expect(grossShareOf(1n, 0n, 3n, 1n)).toBe(2n);
    expect(grossShareOf(-6000n, -1000n, 11_000n, 1000n)).toBe(-5500n);
    // a payment with no base to share: the refund as given
    expect(grossShareOf(500n, 100n, 500n, 500n)).toBe(500n);
  });

  it('levels stop at the final total, each dated when it was first reached', () => {
    const at = (day: number) => new Date(Date.UTC(2026, 0, day));
    const o = (key: string, day: number, amountMinor: bigint, w = false) => ({ cumulative: false, withdrawal: w, amountMinor, occurredAt: at(day), observationKey: key });
    const levels = (obs: ReturnType<typeof o>[]) => refundLevels(obs, 10_000n).map((l) => [l.level, l.at.getUTCDate()]);
    // refund 3000 on the 1st, chargeback 7000 on the 5th, 4000 of it given back on the 9th: 6000 refunded in all
    const story = [o('refund', 1, 3000n), o('chargeback', 5, 7000n, true), o('reverse', 9, -4000n, true)];
    expect(levels(story)).toEqual([[3000n, 1], [6000n, 5]]);
    // in any order of arrival, the same levels
    expect(levels([...story].reverse())).toEqual([[3000n, 1], [6000n, 5]]);
    // given back in full: the refund's level alone
    expect(levels([o('refund', 1, 3000n), o('chargeback', 5, 7000n, true), o('reverse', 9, -7000n, true)])).toEqual([[3000n, 1]]);
    // without money given back, the levels as they rose
    expect(levels([o('refund', 1, 3000n), o('chargeback', 5, 7000n, true)])).toEqual([[3000n, 1], [10_000n, 5]]);
    // a chargeback and its reversal stamped alike net to nothing, the reversal counted after what it gives back
    expect(levels([o('refund', 1, 3000n), o('reverse', 5, -7000n, true), o('chargeback', 5, 7000n, true)])).toEqual([[3000n, 1]]);
    // given back with no chargeback counted: nothing given back, the refunds after it stand
    expect(levels([o('reverse', 2, -5000n, true), o('refund', 3, 2000n), o('refund', 4, 2000n)])).toEqual([[2000n, 3], [4000n, 4]]);
  });

  it('a refund that failed counts nowhere: neither itself nor in the cumulative totals reported since it was made', () => {
    const at = (day: number) => new Date(Date.UTC(2026, 0, day));
    const refundOf = (key: string, day: number, amountMinor: bigint) => ({ cumulative: false, withdrawal: false, amountMinor, occurredAt: at(day), observationKey: key });
    const total = (day: number, amountMinor: bigint) => ({ cumulative: true, withdrawal: false, amountMinor, occurredAt: at(day), observationKey: `cumulative:${amountMinor}` });
    const failure = (key: string, made: number, day: number, amountMinor: bigint) => ({
      cumulative: false,
      withdrawal: false,
      amountMinor,
      occurredAt: at(day),
      observationKey: failureKeyOf(key),
      failedSince: at(made),
    });
    const levels = (obs: ReturnType<typeof refundOf>[]) => refundLevels(obs, 10_000n).map((l) => [l.level, l.at.getUTCDate()]);
    // A 1000 on the 1st, B 500 on the 3rd, B failed on the 8th: A's level alone
    const both = [refundOf('A', 1, 1000n), total(1, 1000n), refundOf('B', 3, 500n), total(3, 1500n)];
    expect(levels([...both, failure('B', 3, 8, 500n)])).toEqual([[1000n, 1]]);
    expect(levels([failure('B', 3, 8, 500n), ...both].reverse())).toEqual([[1000n, 1]]);
    // the same with the cumulative totals alone, and with the refunds alone
    expect(levels([total(1, 1000n), total(3, 1500n), failure('B', 3, 8, 500n)])).toEqual([[1000n, 1]]);
    expect(levels([refundOf('A', 1, 1000n), refundOf('B', 3, 500n), failure('B', 3, 8, 500n)])).toEqual([[1000n, 1]]);
    // a report made before B was (on the 1st) never included it
    expect(levels([total(1, 1000n), failure('B', 3, 8, 500n)])).toEqual([[1000n, 1]]);
    // a total reported after the failure (C 300 on the 10th) no longer includes B
    expect(levels([...both, failure('B', 3, 8, 500n), refundOf('C', 10, 300n), total(10, 1300n)])).toEqual([[1000n, 1], [1300n, 10]]);
    // reported failed twice, counted once; the failure of a refund never seen lowers nothing
    expect(levels([...both, failure('B', 3, 8, 500n), { ...failure('B', 3, 9, 500n), observationKey: failureKeyOf('B') }])).toEqual([[1000n, 1]]);
    expect(levels([refundOf('A', 1, 1000n), failure('Z', 5, 8, 700n)])).toEqual([[1000n, 1]]);
  });
});

describe('money forms', () => {
  it.each([
    [5000n, 'USD', '50.00', 50],
    [1250n, 'USD', '12.50', 12.5],
    [-392n, 'USD', '-3.92', -3.92],
    [5n, 'USD', '0.05', 0.05],
    [1234n, 'JPY', '1234', 1234],
    [1234n, 'BHD', '1.234', 1.234],
    // ISO 4217's decimals, not ICU's display digits (which drop them for these)
    [200050n, 'HUF', '2000.50', 2000.5],
    [1500000n, 'IDR', '15000.00', 15000],
    [6170n, 'IQD', '6.170', 6.17],
    [800n, 'KRW', '800', 800],
    [800n, 'MGA', '800', 800],
    // Stripe counts ISK in hundredths (ISO gives it none): 500 ISK arrives as 50000
    [50000n, 'ISK', '500.00', 500],
  ])('%s %s is "%s"', (minor, currency, text, number) => {
    expect(formatMajor(minor, currency)).toBe(text);
    expect(majorNumber(minor, currency)).toBe(number);
    expect(parseMajor(text, currency)).toBe(minor);
  });

  it('parses JSON numbers without float arithmetic, and refuses extra decimals', () => {
    expect(parseMajor(19.99, 'USD')).toBe(1999n);
    expect(parseMajor(0.1, 'USD')).toBe(10n);
    expect(parseMajor(10, 'JPY')).toBe(10n);
    expect(() => parseMajor(12.345, 'USD')).toThrow(/at most 2 decimals/);
    expect(() => parseMajor(1.5, 'JPY')).toThrow(/at most 0 decimals/);
    expect(() => parseMajor('abc', 'USD')).toThrow();
    expect(() => parseMajor(1e21, 'USD')).toThrow();
  });

  it('percentages are basis points', () => {
    expect(parsePercentToBp(20)).toBe(2000);
    expect(parsePercentToBp(12.5)).toBe(1250);
    expect(parsePercentToBp('7.25')).toBe(725);
    expect(() => parsePercentToBp(12.345)).toThrow();
    expect(bpToPercent(1250)).toBe(12.5);
    expect(bpToPercent(2000)).toBe(20);
  });
});

describe('a fixed commission never exceeds its base (PRODUCT.md §11)', () => {
  it('pays the sale when the fixed amount is larger, with the reason', () => {
    expect(computeCommission(fixed(1000n), 400n, 'USD')).toEqual({ valueMinor: 400n, reason: 'capped_at_base' });
    expect(computeCommission(fixed(1000n), 1000n, 'USD')).toEqual({ valueMinor: 1000n, reason: null });
  });
});
