import { loadFixture } from '../helpers/fixtures';
import { ledgerStories } from '../helpers/ledger-story';

/**
 * A Lemon Squeezy subscription's first payment is counted from its order (order 5001); its initial invoice (6001)
 * names only the subscription (7001). A refund reported on that invoice alone (`subscription_payment_refunded`, as
 * the invoice's own refund endpoint reports it) reverses the order's commission, in whichever order the events come.
 */
const SECRET = 'lemon-first-payment-refund-secret';
const fixture = (name: string) => structuredClone(loadFixture('lemonsqueezy', name).payload) as Record<string, any>;

function initialInvoiceRefunded(refunded: number, webhookId: string) {
  const payload = fixture('subscription_payment_success.initial.json');
  payload.meta = { ...payload.meta, event_name: 'subscription_payment_refunded', webhook_id: webhookId, custom_data: null };
  Object.assign(payload.data.attributes, {
    refunded_amount: refunded,
    refunded: refunded === payload.data.attributes.total,
    status: refunded === payload.data.attributes.total ? 'refunded' : 'partial_refund',
    refunded_at: refunded === payload.data.attributes.total ? '2025-09-20T10:00:00.000000Z' : null,
    updated_at: refunded === payload.data.attributes.total ? '2025-09-20T10:00:00.000000Z' : '2025-09-10T10:00:00.000000Z',
  });
  return payload;
}

describe('a refund of a Lemon Squeezy subscription’s initial invoice', () => {
  const { story: newStory } = ledgerStories();

  async function run(deliveries: Record<string, any>[]) {
    const story = await newStory('lemonsqueezy', SECRET);
    await story.deliver(deliveries);
    const { conversions, affiliate } = await story.outcome();
    return { rows: conversions.map((c) => [c.kind, c.payment_key, c.value_minor]).sort(), total: affiliate.total_earnings_minor };
  }

  const sale = () => [fixture('order_created.subscription.json'), fixture('subscription_created.json'), fixture('subscription_payment_success.initial.json')];
  // 4,900 paid, no tax: 980; 1,225 refunded first (a quarter), then the whole
  const partial = () => initialInvoiceRefunded(1225, 'ls-initial-refund-partial');
  const full = () => initialInvoiceRefunded(4900, 'ls-initial-refund-full');

  it.each([
    ['in time order', () => [...sale(), partial(), full()]],
    ['the refunds first', () => [full(), partial(), ...sale()]],
    ['the subscription last', () => [fixture('order_created.subscription.json'), partial(), full(), fixture('subscription_payment_success.initial.json'), fixture('subscription_created.json')]],
  ])('reverses the order’s commission, a quarter and then the rest (%s)', async (_label, deliveries) => {
    const { rows, total } = await run(deliveries());
    expect(rows).toEqual([
      ['purchase', 'order:5001', 980],
      ['refund', 'order:5001', -245],
      ['refund', 'order:5001', -735],
    ]);
    expect(total).toBe(0);
  });
});
