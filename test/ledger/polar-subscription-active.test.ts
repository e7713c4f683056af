import request from 'supertest';
import { fixturePayload } from '../helpers/ledger';
import { ledgerStories } from '../helpers/ledger-story';

/**
 * Polar announces a subscription twice as it begins: `subscription.created`, and `subscription.active` once it is
 * (at once, or after a trial). What `active` says is a change dated at its time, as an update's is: when it names
 * another affiliate's code than the creation (metadata changed during a trial), the subscription's sale belongs to
 * the creation's in whatever order the four events arrive. Both were taken as the start, and the first to arrive won.
 */
const SECRET = 'polar_whs_subscription_active_secret_01';

const polar = (file: string, patch: (data: Record<string, any>, payload: Record<string, any>) => void = () => undefined) =>
  fixturePayload('polar', file, (payload) => patch(payload.data, payload));

describe('Polar subscription.active after subscription.created', () => {
  const { story } = ledgerStories();

  const created = () => polar('subscription.created.json');
  // fourteen days later, after a trial, with another affiliate's code in its metadata
  const active = () =>
    polar('subscription.active.json', (d, p) => {
      d.metadata = { referral_code: 'OTHER-CODE' };
      d.modified_at = '2026-09-15T09:58:44.297761Z';
      p.timestamp = '2026-09-15T09:58:44.297761Z';
    });
  const first = () => polar('order.paid.subscription_create.json', (d) => (d.metadata = {}));
  const cycle = () => polar('order.paid.subscription_cycle.json');

  it.each([
    ['in time order', () => [created(), first(), active(), cycle()]],
    ['active first', () => [active(), created(), first(), cycle()]],
    ['the orders first, active before created', () => [first(), cycle(), active(), created()]],
    ['in reverse', () => [cycle(), active(), first(), created()]],
  ])('the sale and its renewal are the creation’s affiliate’s (%s)', async (_label, deliveries) => {
    const { t, api, deliver, outcome } = await story('polar', SECRET);
    await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'other@partners.test', referral_code: 'OTHER-CODE' }).expect(201);
    for (const payload of deliveries()) await deliver([payload]);
    const { conversions, affiliate } = await outcome();
    expect(conversions.map((c) => [c.kind, c.affiliate_email, c.value_minor]).sort()).toEqual([
      ['purchase', 'acme@partners.test', 784],
      ['renewal', 'acme@partners.test', 980],
    ]);
    expect(affiliate.total_earnings_minor).toBe(1764);
  });
});
