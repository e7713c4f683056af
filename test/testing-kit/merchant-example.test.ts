// checkout-commissions.test.ts — run with: NODE_OPTIONS=--experimental-vm-modules npx jest
import { fixture, startRefwire, type RefwireForTests, type TestProject } from 'refwire/testing';

describe('our checkout pays our affiliates', () => {
  let refwire: RefwireForTests;
  let project: TestProject;

  beforeAll(async () => {
    refwire = await startRefwire(); // a fresh embedded database in a temporary directory, on a free port
    project = await refwire.createProject({ name: 'Acme', currency: 'USD' });
    await refwire.connect(project, 'stripe'); // a made-up webhook secret, remembered for send()
    await refwire.connect(project, 'paddle');
    // the program: 20% of every payment (the default), and one affiliate
    await refwire.request(project, 'PATCH', '/api/v1/settings', { commission_type: 'percentage', commission_value: 20 });
    const affiliate = await refwire.request(project, 'POST', '/api/v1/affiliates', { email: 'partner@acme.test', referral_code: 'PARTNER42' });
    expect(affiliate.status).toBe(201);
  }, 120_000);

  afterAll(() => refwire.close()); // stops Refwire and deletes the temporary directory

  it('a Stripe Checkout with our referral code in its metadata earns 20% of the payment', async () => {
    // the event Stripe sends when a checkout completes, with what our checkout code puts in: the referral code
    const { payload: event } = fixture('stripe', 'checkout.session.completed.payment.json');
    event.id = 'evt_acme_checkout_1';
    event.data.object.metadata = { referral_code: 'PARTNER42' };
    event.data.object.client_reference_id = null;
    event.data.object.amount_total = 4900;

    const sent = await refwire.send('stripe', project, event); // signed as Stripe signs, processed when it returns
    expect(sent).toMatchObject({ duplicate: false, status: 'processed' });
    expect((await refwire.send('stripe', project, event)).duplicate).toBe(true); // Stripe retries change nothing

    const partner = await refwire.earnings(project, 'partner@acme.test');
    expect(partner.total_earnings_minor).toBe(980); // 20% of 49.00
  });

  it('a Paddle subscription, renewed, partly refunded and canceled, pays for what stayed paid', async () => {
    await refwire.simulate('lifecycle', {
      provider: 'paddle',
      project,
      referralCode: 'PARTNER42',
      amountMinor: 2000, // 20.00 a month
      refundMinor: 500, // 5.00 of the renewal given back
    });

    const partner = await refwire.earnings(project, 'partner@acme.test');
    // 9.80 from the Stripe checkout, 4.00 + 4.00 from the subscription, less 1.00 (5.00 of 20.00 refunded)
    expect(partner.total_earnings_minor).toBe(980 + 400 + 400 - 100);
    expect(partner.purchases).toBe(3);
  });
});
