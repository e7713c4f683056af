import { withinLimit, type EligibleRow } from '../../src/ledger/payouts';

/** A payout request for at most an amount takes whole rows: refunds carried forward first, then the oldest commissions. */
describe('withinLimit', () => {
  const row = (id: string, value: number, day: number): EligibleRow => ({ id, value_minor: BigInt(value), due: new Date(Date.UTC(2026, 10, day)) });
  const ids = (rows: EligibleRow[]) => rows.map((r) => r.id);

  it('takes the oldest commissions while their sum stays within the limit, and stops at the first that does not fit', () => {
    const rows = [row('c', 700, 3), row('a', 2500, 1), row('b', 1000, 2)];
    expect(ids(withinLimit(rows, 3500n))).toEqual(['a', 'b']);
    expect(ids(withinLimit(rows, 3499n))).toEqual(['a']);
    // a later, smaller commission that would fit is not taken past one that does not: the prefix stays the oldest
    expect(ids(withinLimit(rows, 2600n))).toEqual(['a']);
    expect(ids(withinLimit(rows, 4200n))).toEqual(['a', 'b', 'c']);
    expect(withinLimit(rows, 100n)).toEqual([]);
  });

  it('takes refunds carried forward first, whatever their date, so the debt is settled before anything is paid', () => {
    const rows = [row('a', 2500, 1), row('refund', -1000, 9), row('b', 1000, 2)];
    expect(ids(withinLimit(rows, 1500n))).toEqual(['refund', 'a']);
    expect(ids(withinLimit(rows, 2500n))).toEqual(['refund', 'a', 'b']);
    expect(ids(withinLimit(rows, 1000n))).toEqual(['refund']);
  });

  it('orders rows due at the same moment by id, so the choice does not depend on how the database returned them', () => {
    const rows = [row('b', 100, 1), row('a', 100, 1)];
    expect(ids(withinLimit(rows, 100n))).toEqual(['a']);
    expect(ids(withinLimit([...rows].reverse(), 100n))).toEqual(['a']);
  });

  it('takes a refund of an unpaid commission only with that commission, at its date: never alone, as a debt', () => {
    const refundOf = (id: string, value: number, day: number, of: string): EligibleRow => ({ ...row(id, value, day), reverses_id: of });
    // "a" (25.00) half refunded; "old-refund" reverses a commission paid before (not among these rows): a debt
    const rows = [row('a', 2500, 1), refundOf('a-refund', -1250, 5, 'a'), row('b', 1000, 2), refundOf('old-refund', -300, 9, 'paid-before'), row('c', 700, 3)];
    expect(ids(withinLimit(rows, 1000n))).toEqual(['old-refund', 'a', 'a-refund']);
    expect(ids(withinLimit(rows, 900n))).toEqual(['old-refund']);
    expect(ids(withinLimit(rows, 2000n))).toEqual(['old-refund', 'a', 'a-refund', 'b']);
    // the refund alone would have fitted 100 (−12.50 first): it is not taken apart from "a"
    expect(ids(withinLimit([row('a', 2500, 1), refundOf('a-refund', -1250, 5, 'a')], 100n))).toEqual([]);
  });
});
