import { withinLimit, type EligibleRow } from '../../src/ledger/payouts';

/** A payout request for at most an amount takes whole rows: refunds carried forward first, then the oldest commissions that fit. */
describe('withinLimit', () => {
  const row = (id: string, value: number, day: number): EligibleRow => ({ id, value_minor: BigInt(value), due: new Date(Date.UTC(2026, 10, day)) });
  const ids = (rows: EligibleRow[]) => rows.map((r) => r.id);

  it('takes the oldest commissions that fit within what the limit leaves, passing over one that does not', () => {
    const rows = [row('c', 700, 3), row('a', 2500, 1), row('b', 1000, 2)];
    expect(ids(withinLimit(rows, 3500n))).toEqual(['a', 'b']);
    // "b" no longer fits after "a"; the later, smaller "c" still does
    expect(ids(withinLimit(rows, 3499n))).toEqual(['a', 'c']);
    expect(ids(withinLimit(rows, 2600n))).toEqual(['a']);
    expect(ids(withinLimit(rows, 4200n))).toEqual(['a', 'b', 'c']);
    // the oldest larger than the whole request: the newer ones are paid, not nothing
    expect(ids(withinLimit(rows, 2000n))).toEqual(['b', 'c']);
    expect(ids(withinLimit(rows, 800n))).toEqual(['c']);
    expect(withinLimit(rows, 100n)).toEqual([]);
  });

  it('takes refunds carried forward first, whatever their date, so the debt is settled before anything is paid', () => {
    const rows = [row('a', 2500, 1), row('refund', -1000, 9), row('b', 1000, 2)];
    expect(ids(withinLimit(rows, 1500n))).toEqual(['refund', 'a']);
    expect(ids(withinLimit(rows, 2500n))).toEqual(['refund', 'a', 'b']);
    // the debt and "b" sum to nothing: a payout of them is refused (none_within_amount), as the debt alone was
    expect(ids(withinLimit(rows, 1000n))).toEqual(['refund', 'b']);
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
    // "a" netted (12.50) does not fit 9.00 after the debt; "b" (10.00) does
    expect(ids(withinLimit(rows, 900n))).toEqual(['old-refund', 'b']);
    expect(ids(withinLimit(rows, 2000n))).toEqual(['old-refund', 'a', 'a-refund', 'b']);
    // the refund alone would have fitted 100 (−12.50 first): it is not taken apart from "a"
    expect(ids(withinLimit([row('a', 2500, 1), refundOf('a-refund', -1250, 5, 'a')], 100n))).toEqual([]);
  });
});
