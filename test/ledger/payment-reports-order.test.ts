import request from 'supertest';
import { fixturePayload } from '../helpers/ledger';
import { ledgerStories } from '../helpers/ledger-story';
import { combineStatements } from '../../src/ledger/hints';
import { emptyHints, type Hints } from '../../src/domain/normalized-event';

/**
 * Two reports of one payment that disagree (Paddle's transaction.paid and transaction.completed, the merchant having
 * changed the transaction's custom_data between them) give the payment the same affiliate whichever arrives first.
 */
const SECRET = 'pdl_ntfset_01payment_reports_order_secret01';

describe('reports of one payment that name different codes, in either order', () => {
  const { story } = ledgerStories();
  const report = (file: string, code: string) => fixturePayload('paddle', file, (p) => (p.data.custom_data = { referral_code: code }));

  it.each([
    ['paid first', ['paid', 'completed']],
    ['completed first', ['completed', 'paid']],
  ])('the lesser code is credited (%s)', async (_label, order) => {
    const { t, api, deliver, outcome } = await story('paddle', SECRET);
    await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'zed@partners.test', referral_code: 'ZED-PARTNER-7' }).expect(201);
    const events = { paid: report('transaction.paid.web.json', 'ZED-PARTNER-7'), completed: report('transaction.completed.web.json', 'ACME-PARTNER-42') };
    for (const name of order) await deliver([events[name as keyof typeof events]]);
    const { conversions } = await outcome();
    // 4,704 paid with 784 tax: 20 % of 3,920
    expect(conversions.map((c) => [c.kind, c.affiliate_email, c.value_minor])).toEqual([['purchase', 'acme@partners.test', 784]]);
  });
});

describe('combineStatements', () => {
  const hints = (h: Partial<Hints>): Hints => ({ ...emptyHints(), ...h });
  const a = hints({ couponIds: ['SPRING', 'AUTUMN'], referralCode: 'B-CODE', clientReferenceId: 'user_1' });
  const b = hints({ couponIds: ['WINTER'], referralCode: 'A-CODE', subscriptionReferralCode: 'S-CODE' });
  const c = hints({ couponIds: ['AUTUMN', 'SPRING'], discountIds: ['di_1'] });

  it('gives one result for every order of the same statements', () => {
    const orders = [
      [a, b, c],
      [a, c, b],
      [b, a, c],
      [b, c, a],
      [c, a, b],
      [c, b, a],
    ];
    const results = orders.map((o) => o.reduce<Hints | null>((acc, h) => combineStatements(acc, h), null));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]).toEqual({
      couponIds: ['AUTUMN', 'SPRING', 'WINTER'],
      discountIds: ['di_1'],
      referralCode: 'A-CODE',
      clientReferenceId: 'user_1',
      subscriptionReferralCode: 'S-CODE',
    });
  });

  it('keeps the order of one list, stated once or again, and takes what only one statement says', () => {
    expect(combineStatements(a, a)).toEqual(a);
    expect(combineStatements(a, hints({ referralCode: 'B-CODE' })).couponIds).toEqual(['SPRING', 'AUTUMN']);
    expect(combineStatements(hints({}), a)).toEqual(a);
    expect(combineStatements(null, b)).toEqual(b);
    // the same coupons stated in another order: sorted, whichever came first
    expect(combineStatements(a, c).couponIds).toEqual(['AUTUMN', 'SPRING']);
    expect(combineStatements(c, a).couponIds).toEqual(['AUTUMN', 'SPRING']);
  });
});
