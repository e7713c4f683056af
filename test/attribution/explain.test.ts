import { explainAttribution, maskId } from '../../src/attribution/explain';

const miss = (step: string, detail: string) => ({ step, result: 'miss', detail });
const hit = (step: string, detail: string) => ({ step, result: 'hit', detail });
const base = { affiliate: 'jane@partners.test', provider: 'stripe', subscriptionId: null };

describe('attribution_explanation: the trace in one sentence, per step kind', () => {
  it('coupon', () => {
    expect(explainAttribution({ ...base, attribution: { method: 'coupon', trace: [hit('coupon', 'coupon JANE20')] } })).toBe('coupon JANE20 → jane@partners.test');
  });
  it('metadata', () => {
    const trace = [miss('coupon', 'no coupon on the payment'), hit('metadata', 'referral_code jane')];
    expect(explainAttribution({ ...base, attribution: { method: 'metadata', trace } })).toBe('referral code jane (metadata) → jane@partners.test');
  });
  it("client_reference_id, named with the provider's name", () => {
    const trace = [miss('coupon', 'x'), miss('metadata', 'y'), hit('client_reference_id', 'client_reference_id JANE')];
    expect(explainAttribution({ ...base, attribution: { method: 'client_reference_id', trace } })).toBe('Stripe client_reference_id JANE → jane@partners.test');
  });
  it('subscription: bound to the first payment, told how that one was attributed', () => {
    const trace = [miss('coupon', 'no coupon on the payment'), hit('subscription', 'the affiliate of an earlier payment of this subscription or customer')];
    const input = { ...base, subscriptionId: 'sub_1NAbcdEFgh1234', attribution: { method: 'subscription', trace } };
    expect(explainAttribution({ ...input, firstAttribution: { method: 'coupon', trace: [hit('coupon', 'coupon JANE20')] } })).toBe(
      'subscription sub_…1234 first attributed by coupon JANE20 → jane@partners.test',
    );
    expect(explainAttribution(input)).toBe('subscription sub_…1234, attributed before → jane@partners.test');
    const meta = [hit('subscription', 'subscription metadata referral_code jane')];
    expect(explainAttribution({ ...input, attribution: { method: 'subscription', trace: meta } })).toBe('subscription sub_…1234: referral code jane (subscription metadata) → jane@partners.test');
  });
  it('email (a referral)', () => {
    const trace = [hit('email', 'referral for bea@buyers.test, recorded by the merchant through the API')];
    expect(explainAttribution({ ...base, attribution: { method: 'email', trace } })).toBe(
      'customer email bea@buyers.test referred (recorded by the merchant through the API) → jane@partners.test',
    );
  });
  it('not attributed: every step that missed', () => {
    const trace = [miss('coupon', 'no coupon on the payment'), miss('metadata', 'no referral_code in metadata'), miss('email', 'no referral for bea@buyers.test')];
    expect(explainAttribution({ ...base, affiliate: null, attribution: { method: null, trace } })).toBe(
      'not attributed: no coupon on the payment; no referral_code in metadata; no referral for bea@buyers.test',
    );
    expect(explainAttribution({ ...base, affiliate: null, attribution: null })).toBe('not attributed: no attribution recorded');
  });
  it('manual', () => {
    expect(explainAttribution({ ...base, attribution: { method: 'manual', detail: 'referral_code JANE' } })).toBe('recorded by hand (referral_code JANE) → jane@partners.test');
  });
  it('masks long ids only', () => {
    expect(maskId('sub_short')).toBe('sub_short');
    expect(maskId('txn_01h9xyzabcdef9876')).toBe('txn_…9876');
  });
});
