import { attribute, type AffiliateRef, type AttributionLookups } from '../../src/attribution/chain';
import { emptyHints, type Hints } from '../../src/domain/normalized-event';

const A = (id: string): AffiliateRef => ({ id, email: `${id}@partners.test`, status: 'active' });

const lookups = (bound: AffiliateRef | null = null): AttributionLookups => ({
  affiliateByCoupon: async (codes) => (codes.includes('COUPON_A') ? { affiliate: A('coupon'), coupon: 'COUPON_A' } : null),
  affiliateByReferralCode: async (code) =>
    ({ META: A('metadata'), CREF: A('client_ref'), SUBMETA: A('sub_meta') } as Record<string, AffiliateRef>)[code] ?? null,
  boundAffiliate: async () => bound,
  affiliateByReferralEmail: async (email) => (email === 'ref@customer.test' ? { affiliate: A('email'), detail: `referral for ${email}` } : { miss: `no referral for ${email}` }),
});

const hints = (h: Partial<Hints>): Hints => ({ ...emptyHints(), ...h });
const all = hints({ couponIds: ['COUPON_A'], referralCode: 'META', clientReferenceId: 'CREF', subscriptionReferralCode: 'SUBMETA' });

describe('the attribution chain, first hit wins', () => {
  it.each([
    ['coupon beats everything', all, 'ref@customer.test', null, 'coupon', 'coupon'],
    ['metadata beats client_reference_id', hints({ referralCode: 'META', clientReferenceId: 'CREF' }), 'ref@customer.test', null, 'metadata', 'metadata'],
    ['client_reference_id beats subscription', hints({ clientReferenceId: 'CREF', subscriptionReferralCode: 'SUBMETA' }), null, A('bound'), 'client_reference_id', 'client_ref'],
    ['subscription metadata beats the binding', hints({ subscriptionReferralCode: 'SUBMETA' }), null, A('bound'), 'subscription', 'sub_meta'],
    ['the binding beats email', hints({}), 'ref@customer.test', A('bound'), 'subscription', 'bound'],
    ['email last', hints({}), 'ref@customer.test', null, 'email', 'email'],
    ['an unknown coupon falls through to metadata', hints({ couponIds: ['OTHER'], referralCode: 'META' }), null, null, 'metadata', 'metadata'],
    ['an unknown code falls through', hints({ referralCode: 'NOPE', clientReferenceId: 'CREF' }), null, null, 'client_reference_id', 'client_ref'],
  ])('%s', async (_label, h, email, bound, method, affiliateId) => {
    const result = await attribute({ hints: h, email }, lookups(bound));
    expect(result.method).toBe(method);
    expect(result.affiliate?.id).toBe(affiliateId);
    expect(result.trace.at(-1)).toMatchObject({ step: method, result: 'hit' });
    expect(result.trace.slice(0, -1).every((s) => s.result === 'miss')).toBe(true);
  });

  it('records every miss when nothing matches', async () => {
    const result = await attribute({ hints: hints({ referralCode: 'NOPE' }), email: 'stranger@x.test' }, lookups());
    expect(result).toEqual({
      affiliate: null,
      method: null,
      trace: [
        { step: 'coupon', result: 'miss', detail: 'no coupon on the payment' },
        { step: 'metadata', result: 'miss', detail: 'unknown referral_code NOPE' },
        { step: 'client_reference_id', result: 'miss', detail: 'no client_reference_id' },
        { step: 'subscription', result: 'miss', detail: 'no earlier attributed payment' },
        { step: 'email', result: 'miss', detail: 'no referral for stranger@x.test' },
      ],
    });
  });
});
