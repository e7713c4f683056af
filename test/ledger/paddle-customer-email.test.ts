import request from 'supertest';
import { fixturePayload } from '../helpers/ledger';
import { ledgerStories } from '../helpers/ledger-story';

/**
 * A Paddle payment names no email: the ledger takes its customer's, from the customer's events. The address the
 * customer had first is the one its payments are judged under (the email step of attribution, the self-referral
 * check), in whatever order the events arrive: a later customer.updated delivered first took over the customer.
 */
const SECRET = 'pdl_ntfset_01customer_email_order_secret_01';

const paddle = (file: string, patch?: (payload: Record<string, any>) => void) => fixturePayload('paddle', file, patch);

describe("a Paddle customer's email, whatever the order of its events", () => {
  const { story } = ledgerStories();

  const created = () => paddle('customer.created.json');
  // on 2024-06-01, after the 2024-04-25 sale, the customer changes address
  const updated = (email: string) =>
    paddle('customer.created.json', (p) => {
      Object.assign(p, { event_type: 'customer.updated', event_id: 'evt_01rwfxdemoctmupdated000000', notification_id: 'ntf_01rwfxdemoctmupdated000000', occurred_at: '2024-06-01T10:00:00.000000Z' });
      Object.assign(p.data, { email, updated_at: '2024-06-01T10:00:00.000000Z' });
    });
  const sale = (withCode: boolean) => paddle('transaction.completed.oneoff.json', (p) => (p.data.custom_data = withCode ? p.data.custom_data : null));
  const orders = <T>(a: T, b: T, c: T): [string, T[]][] => [
    ['in time order', [a, b, c]],
    ['the update first', [c, a, b]],
    ['the update, the sale, then the customer', [c, b, a]],
    ['the sale first, the customer last', [b, c, a]],
  ];

  it.each(orders('created', 'sale', 'updated'))('the sale is not a self-referral when the customer later takes the affiliate’s address (%s)', async (_label, order) => {
    const { deliver, outcome } = await story('paddle', SECRET);
    const events = { created: created(), sale: sale(true), updated: updated('acme@partners.test') };
    for (const name of order) await deliver([events[name as keyof typeof events]]);
    const { conversions, affiliate } = await outcome();
    expect(conversions.map((c) => [c.kind, c.email, c.value_minor, c.reason])).toEqual([['purchase', 'jamie.rivera@example.com', 800, null]]);
    expect(affiliate.total_earnings_minor).toBe(800);
  });

  it.each(orders('created', 'sale', 'updated'))('a referral of the first address credits the sale (%s)', async (_label, order) => {
    const { t, api, deliver, outcome } = await story('paddle', SECRET);
    await request(t.app).post('/api/v1/referrals').set(api).send({ email: 'jamie.rivera@example.com', referral_code: 'ACME-PARTNER-42' }).expect(201);
    const events = { created: created(), sale: sale(false), updated: updated('jamie.new@example.com') };
    for (const name of order) await deliver([events[name as keyof typeof events]]);
    const { conversions } = await outcome();
    expect(conversions.map((c) => [c.kind, c.affiliate_email, c.value_minor])).toEqual([['purchase', 'acme@partners.test', 800]]);
  });
});
