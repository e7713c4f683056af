import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_engine_flow_secret_1';

/**
 * The "done when", through HTTP only: a project, a Stripe secret, affiliates, a coupon and a product
 * rule created through the API; signed Stripe events for purchases, a subscription, a renewal and partial and
 * full refunds; the conversions and affiliates endpoints show exactly what the rules say, with the attribution
 * step on each conversion; redeliveries and reorderings change nothing.
 */
describe('attribution and commissions through the API', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const api = () => ({ Authorization: `Bearer ${key}` });
  const deliver = async (payload: Record<string, any>) => {
    const body = JSON.stringify(payload);
    const res = await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    return res.body as { id: string; duplicate: boolean };
  };
  const conversions = async (query = '') => (await request(t.app).get(`/api/v1/conversions${query}`).set(api()).expect(200)).body;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('settings, affiliates, a coupon and a product rule are created with Refgrow-shaped answers', async () => {
    const settings = await request(t.app)
      .patch('/api/v1/settings')
      .set(api())
      .send({ commission_type: 'percentage', commission_value: 20, hold_days: 30, commission_duration: 'lifetime' })
      .expect(200);
    expect(settings.body.data).toMatchObject({ currency: 'USD', commission_type: 'percentage', commission_value: 20, hold_days: 30 });

    const acme = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'Partner@Acme.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    expect(acme.body.data).toMatchObject({
      email: 'partner@acme.test',
      user_email: 'partner@acme.test',
      referral_code: 'ACME-PARTNER-42',
      status: 'active',
      commission_type: null,
      commission_value: null,
      clicks: 0,
      signups: 0,
      purchases: 0,
      unpaid_earnings: '0.00',
      total_earnings: '0.00',
      eligible_earnings: '0.00',
      held_earnings: '0.00',
      next_release_date: null,
    });
    const vip = await request(t.app)
      .post('/api/v1/affiliates')
      .set(api())
      .send({ email: 'vip@partners.test', referral_code: 'VIP', commission_type: 'percentage', commission_value: 50 })
      .expect(201);
    expect(vip.body.data).toMatchObject({ commission_type: 'percentage', commission_value: 50 });

    const coupon = await request(t.app)
      .post('/api/v1/coupons')
      .set(api())
      .send({ affiliate_id: vip.body.data.id, coupon_code: 'VIP20', stripe_coupon_id: 'RWFX20' })
      .expect(201);
    expect(coupon.body.data).toMatchObject({ coupon_code: 'VIP20', stripe_coupon_id: 'RWFX20', affiliate_email: 'vip@partners.test', status: 'active' });

    const product = await request(t.app)
      .post('/api/v1/products')
      .set(api())
      .send({ product_id: 'prod_RwFxDemoProPl1', name: 'Pro', commission_type: 'fixed', commission_value: 5 })
      .expect(201);
    expect(product.body.data).toMatchObject({ product_id: 'prod_RwFxDemoProPl1', commission_type: 'fixed', commission_value: 5, commission_value_minor: 500 });
  });

  it('purchases, a subscription, a renewal and refunds produce exactly the commissions the rules say', async () => {
    // one-off purchase: metadata referral_code → ACME, project default 20% of 40.00
    await deliver(stripeEvent('checkout.session.completed.payment.json', (o) => (o.customer = 'cus_oneoff')));
    // subscription: checkout facts, then the first invoice names coupon RWFX20 → VIP (override 50%, beats the product rule)
    await deliver(stripeEvent('checkout.session.completed.subscription.json'));
    await deliver(stripeEvent('invoice.paid.subscription_create.json'));
    // renewal with no coupon; what the checkout taught belongs to the first sale, not to this renewal
    await deliver(stripeEvent('invoice.paid.subscription_cycle.basil.json', (o) => ((o.discounts = []), (o.total_discount_amounts = []))));
    // partial then full refund of the one-off purchase
    await deliver(stripeEvent('charge.refunded.json', (o) => ((o.customer = 'cus_oneoff'), (o.amount_refunded = 1000))));
    await deliver(stripeEvent('charge.refunded.json', (o) => (o.customer = 'cus_oneoff')));

    const list = await conversions('?limit=100');
    const rows = list.data.map((c: any) => [c.kind, c.payment_key, c.value, c.value_minor, c.attribution.method, c.rule_source]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['purchase', 'pi_3RwFxDemoPayIntent01', 8, 800, 'metadata', 'project'],
        ['refund', 'pi_3RwFxDemoPayIntent01', -2, -200, 'metadata', null],
        ['refund', 'pi_3RwFxDemoPayIntent01', -6, -600, 'metadata', null],
        ['purchase', 'in_1RwFxDemoInvCreate01', 19.6, 1960, 'coupon', 'affiliate'],
        // the renewal's own subscription metadata names ACME, whose rule is the product rule (fixed 5.00)
        ['renewal', 'in_1RwFxDemoInvCycle001', 5, 500, 'subscription', 'product'],
      ]),
    );
    expect(list.data).toHaveLength(5);
    const purchase = list.data.find((c: any) => c.payment_key === 'pi_3RwFxDemoPayIntent01' && c.kind === 'purchase');
    expect(purchase).toMatchObject({ status: 'reversed', refunded_minor: 4000, type: 'purchase', referred_user_id: 'jamie.rivera@example.com' });
    const refund = list.data.find((c: any) => c.kind === 'refund');
    expect(refund.reverses_id).toBe(purchase.id);

    const acme = (await request(t.app).get('/api/v1/affiliates/partner%40acme.test').set(api()).expect(200)).body.data;
    // 8.00 − 2.00 − 6.00 + 5.00: all still in the 30-day hold window of "now"? The fixtures' payments are from
    // 2024–2025, so their hold ended long ago: eligible.
    expect(acme).toMatchObject({ purchases: 2, total_earnings: '5.00', unpaid_earnings: '5.00', eligible_earnings: '5.00', held_earnings: '0.00', total_earnings_minor: 500 });
    const vip = (await request(t.app).get('/api/v1/affiliates/vip%40partners.test').set(api()).expect(200)).body.data;
    expect(vip).toMatchObject({ purchases: 1, total_earnings: '19.60' });
  });

  it('redeliveries and reorderings change nothing', async () => {
    const before = await conversions('?limit=100');
    const renewal = stripeEvent('invoice.paid.subscription_cycle.basil.json', (o) => ((o.discounts = []), (o.total_discount_amounts = [])));
    await deliver(renewal);
    await deliver(stripeEvent('charge.refunded.json', (o) => ((o.customer = 'cus_oneoff'), (o.amount_refunded = 1000))));
    // the full refund's own report, stamped with the charge.refunded that counted it (the fixture's refund is dated a
    // second before that event's 10.00 report, which would make it the first refund and the 10.00 level never reached)
    await deliver(stripeEvent('refund.created.json', (o) => (o.created = 1750670401)));
    await deliver(stripeEvent('checkout.session.completed.payment.json', (o) => (o.customer = 'cus_oneoff')));
    const after = await conversions('?limit=100');
    const strip = (list: any) => list.data.map((c: any) => [c.id, c.value_minor, c.affiliate_id, c.status]).sort();
    expect(strip(after)).toEqual(strip(before));
  });

  it('held commissions: a new payment inside the hold window shows as held with a release date', async () => {
    const now = t.clock.now;
    await deliver(
      stripeEvent('checkout.session.completed.payment.json', (o) => {
        o.payment_intent = 'pi_fresh';
        o.id = 'cs_fresh';
        o.customer = 'cus_fresh';
      }),
    );
    const fresh = (await conversions('?limit=100')).data.find((c: any) => c.payment_key === 'pi_fresh');
    expect(fresh.status).toBe('eligible'); // the fixture's created time is in 2025
    // a payment "now": the event's created drives occurred_at
    const payload = stripeEvent('checkout.session.completed.payment.json', (o) => {
      o.payment_intent = 'pi_now';
      o.id = 'cs_now';
      o.customer = 'cus_now';
    });
    payload.created = Math.floor(now.getTime() / 1000);
    await deliver(payload);
    const held = (await conversions('?limit=100')).data.find((c: any) => c.payment_key === 'pi_now');
    expect(held).toMatchObject({ status: 'held', hold_until: new Date(payload.created * 1000 + 30 * 86_400_000).toISOString() });
    const acme = (await request(t.app).get('/api/v1/affiliates/partner%40acme.test').set(api()).expect(200)).body.data;
    expect(acme.held_earnings).toBe('8.00');
    expect(acme.next_release_date).toBe(held.hold_until);
  });

  it('the event log shows the conversions an event created and replays without doubling', async () => {
    const payload = stripeEvent('checkout.session.completed.payment.json', (o) => {
      o.payment_intent = 'pi_replay';
      o.id = 'cs_replay';
      o.customer = 'cus_replay';
    });
    const { id } = await deliver(payload);
    const detail = (await request(t.app).get(`/api/v1/events/${id}`).set(api()).expect(200)).body.data;
    expect(detail.conversions).toEqual([expect.objectContaining({ kind: 'purchase', payment_key: 'pi_replay', value_minor: 800 })]);
    const replayed = (await request(t.app).post(`/api/v1/events/${id}/replay`).set(api()).expect(200)).body.data;
    expect(replayed).toMatchObject({ status: 'processed', attempts: 1 });
    expect((await conversions('?limit=100')).data.filter((c: any) => c.payment_key === 'pi_replay')).toHaveLength(1);
  });

  it("a refund event's detail shows the refund row it made, whichever arrived first", async () => {
    const eventOf = async (id: string) => (await request(t.app).get(`/api/v1/events/${id}`).set(api()).expect(200)).body.data;
    const sale = (pi: string) =>
      stripeEvent('checkout.session.completed.payment.json', (o) => ((o.payment_intent = pi), (o.id = `cs_${pi}`), (o.customer = `cus_${pi}`)));
    const refund = (pi: string, re: string) => stripeEvent('refund.created.json', (o) => ((o.id = re), (o.payment_intent = pi), (o.charge = null), (o.amount = 1000)));

    const paid = await deliver(sale('pi_refund_detail'));
    const refunded = await deliver(refund('pi_refund_detail', 're_detail_1'));
    expect((await eventOf(refunded.id)).conversions).toEqual([expect.objectContaining({ kind: 'refund', payment_key: 'pi_refund_detail', value_minor: -200 })]);
    // the same refund reported again makes no row
    const again = await deliver({ ...refund('pi_refund_detail', 're_detail_1') });
    expect((await eventOf(again.id)).conversions).toEqual([]);
    expect((await eventOf(paid.id)).conversions).toEqual([expect.objectContaining({ kind: 'purchase', payment_key: 'pi_refund_detail' })]);

    // a refund before its payment: the row is made when the payment arrives, and names the refund's event
    const early = await deliver(refund('pi_refund_first', 're_detail_2'));
    expect((await eventOf(early.id)).conversions).toEqual([]);
    const late = await deliver(sale('pi_refund_first'));
    expect((await eventOf(early.id)).conversions).toEqual([expect.objectContaining({ kind: 'refund', payment_key: 'pi_refund_first', value_minor: -200 })]);
    expect((await eventOf(late.id)).conversions).toEqual([expect.objectContaining({ kind: 'purchase', payment_key: 'pi_refund_first' })]);
  });

  it('ledger/verify says ok, and names the rows when an invariant is broken', async () => {
    const verified = (await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data;
    expect(verified.ok).toBe(true);
    expect(verified.checks.length).toBeGreaterThanOrEqual(5);

    // break two invariants by hand: a refund that reverses more than its payment earned, and an orphan reversal
    const refund = await tdb.db.prisma.conversion.findFirstOrThrow({ where: { projectId, kind: 'refund' } });
    await tdb.db.prisma.conversion.update({ where: { id: refund.id }, data: { valueMinor: -99_999n } });
    const orphan = await tdb.db.prisma.conversion.create({
      data: { projectId, kind: 'refund', currency: 'USD', amountMinor: -1n, baseValueMinor: -1n, valueMinor: -1n, attribution: {}, occurredAt: new Date() },
    });
    try {
      const broken = (await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data;
      expect(broken.ok).toBe(false);
      const failing = Object.fromEntries(broken.checks.filter((c: any) => !c.ok).map((c: any) => [c.name, c.failures]));
      expect(failing['every reversal is linked to a purchase or renewal of this project']).toEqual([`refund ${orphan.id} reverses nothing`]);
      expect(failing['no payment is reversed by more than it earned or was paid']).toEqual([expect.stringContaining(refund.reversesId!)]);
    } finally {
      await tdb.db.prisma.conversion.delete({ where: { id: orphan.id } });
      await tdb.db.prisma.conversion.update({ where: { id: refund.id }, data: { valueMinor: refund.valueMinor } });
    }
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });
});
