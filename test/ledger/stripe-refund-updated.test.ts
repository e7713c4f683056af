import { stripeEvent } from '../helpers/ledger';
import { ledgerStories } from '../helpers/ledger-story';

/**
 * A Stripe refund created pending (a bank transfer's) is not counted until it succeeds, and Stripe says so in
 * `refund.updated`. Reported by both events once it succeeded, it is counted once (its refund id).
 */
const SECRET = 'whsec_refund_updated_secret_0001';

describe('a Stripe refund that succeeds after being created pending', () => {
  const { story: newStory } = ledgerStories();

  async function run(deliveries: Record<string, any>[]) {
    const story = await newStory('stripe', SECRET);
    await story.deliver(deliveries);
    return (await story.outcome()).conversions.map((c) => [c.kind, c.value_minor]).sort();
  }

  // 40.00 paid: 8.00; 10.00 of it refunded: −2.00
  const sale = () => stripeEvent('checkout.session.completed.payment.json');
  const refund = (type: 'refund.created' | 'refund.updated', status: string) => ({ ...stripeEvent('refund.created.json', (o) => Object.assign(o, { amount: 1000, status })), type });

  it('pending, then succeeded in refund.updated: reversed once', async () => {
    expect(await run([sale(), refund('refund.created', 'pending'), refund('refund.updated', 'succeeded')])).toEqual([
      ['purchase', 800],
      ['refund', -200],
    ]);
  });

  it('succeeded in both events: reversed once', async () => {
    expect(await run([sale(), refund('refund.created', 'succeeded'), refund('refund.updated', 'succeeded')])).toEqual([
      ['purchase', 800],
      ['refund', -200],
    ]);
  });

  it('still pending: nothing reversed', async () => {
    expect(await run([sale(), refund('refund.created', 'pending'), refund('refund.updated', 'pending')])).toEqual([['purchase', 800]]);
  });
});
