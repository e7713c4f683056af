import request from 'supertest';
import { OutboundDispatcher } from '../../src/outbound/dispatcher';
import { affiliateStatusEvent } from '../../src/outbound/affiliate-status-events';
import { emitPayoutEvent } from '../../src/outbound/emit';
import { REFFERQ_EVENTS } from '../../src/outbound/events';
import { announceExpiredReferrals } from '../../src/outbound/referral-expiry';
import { createPayout } from '../../src/ledger/payouts';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { SecretBox } from '../../src/security/secret-box';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { WebhookReceiver, type Received } from '../helpers/webhook-receiver';

const STRIPE_SECRET = 'whsec_refferq_events_stripe';
const DAY = 86_400_000;

/**
 * Refferq's twelve events, each at the moment it names, through HTTP to a receiver on this machine that verifies
 * every signature. The dispatcher runs after each step, so each step's events are the ones it produced.
 */
describe("outbound: Refferq's twelve events", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let receiver: WebhookReceiver;
  let dispatcher: OutboundDispatcher;
  let endpointId: string;
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  /** What the last step announced, each delivery checked: its id is its webhook-id, its header names it. */
  const announced = async (): Promise<Received[]> => {
    t.clock.now = new Date();
    while ((await dispatcher.runOnce()) > 0);
    const received = receiver.take();
    expect(receiver.refused).toEqual([]);
    for (const r of received) {
      expect(r.body).toMatchObject({ id: r.headers['webhook-id'], event: r.headers['x-refwire-event'], projectId: project.id, timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      // the endpoint has the default format, refgrow-v1: Refgrow's header names ride along on every event
      expect(r.headers['x-refgrow-event']).toBe(r.body.event);
    }
    return received;
  };
  const events = (received: Received[]) => received.map((r) => r.body.event).sort();
  const pay = async (patch: (o: Record<string, any>) => void, at?: Date) => {
    const payload = stripeEvent('checkout.session.completed.payment.json', patch);
    if (at) payload.created = Math.floor(at.getTime() / 1000);
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, STRIPE_SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    project = await createProjectViaApi(t.app, 'Refferq parity');
    await connectProvider(t.app, project.apiKey, 'stripe', STRIPE_SECRET);
    await request(t.app)
      .patch('/api/v1/settings')
      .set(api())
      .send({ commission_type: 'percentage', commission_value: 20, hold_days: 0, commission_review: 'manual', cookie_days: 1 })
      .expect(200);
    receiver = new WebhookReceiver();
    await receiver.start();
    // expiry is looked for only when a test asks (announceExpiredReferrals), so each step's events are its own
    dispatcher = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 2000, referralExpiryMs: 0 }, () => t.clock.now);
    const created = (await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: receiver.url, events: [...REFFERQ_EVENTS] }).expect(201)).body.data;
    receiver.secret = created.secret;
    endpointId = created.id;
  });
  afterAll(async () => {
    await t.runner.stop();
    await receiver.stop();
    await tdb.drop();
  });

  it('an affiliate is created, approved (by the action or a PATCH of its status), suspended, reactivated; an application rejected', async () => {
    const partner = (
      await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'partner@acme.test', name: 'Pat Partner', referral_code: 'PARTNER', paypal_email: 'pay@partner.test' }).expect(201)
    ).body.data;
    const [created] = await announced();
    expect(created!.body).toMatchObject({
      event: 'affiliate.created',
      data: { affiliate: { id: partner.id, email: 'partner@acme.test', name: 'Pat Partner', referralCode: 'PARTNER', status: 'ACTIVE', partnerGroupId: null, createdAt: partner.created_at } },
    });

    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'applicant@acme.test', status: 'pending' }).expect(201);
    await request(t.app).post('/api/v1/affiliates/applicant%40acme.test/approve').set(api()).send({}).expect(200);
    // each payload says the affiliate as it was at its moment: created pending, then approved
    const applied = (await announced()).map((r) => [r.body.event, r.body.data.affiliate.email, r.body.data.affiliate.status]);
    expect(applied.sort()).toEqual([
      ['affiliate.approved', 'applicant@acme.test', 'ACTIVE'],
      ['affiliate.created', 'applicant@acme.test', 'PENDING'],
    ]);
    // an approval repeated changes nothing and says nothing
    await request(t.app).post('/api/v1/affiliates/applicant%40acme.test/approve').set(api()).send({}).expect(200);
    await request(t.app).post('/api/v1/affiliates/applicant%40acme.test/suspend').set(api()).send({ reason: 'spam' }).expect(200);
    await request(t.app).post('/api/v1/affiliates/applicant%40acme.test/reactivate').set(api()).send({}).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'patched@acme.test', status: 'pending' }).expect(201);
    await request(t.app).patch('/api/v1/affiliates/patched%40acme.test').set(api()).send({ status: 'active' }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'turned.down@acme.test', status: 'pending' }).expect(201);
    await request(t.app).post('/api/v1/affiliates/turned.down%40acme.test/reject').set(api()).send({ reason: 'no website' }).expect(200);
    const lifecycle = (await announced()).map((r) => [r.body.event, r.body.data.affiliate.email, r.body.data.affiliate.status]);
    expect(lifecycle.sort()).toEqual(
      [
        ['affiliate.suspended', 'applicant@acme.test', 'SUSPENDED'],
        ['affiliate.reactivated', 'applicant@acme.test', 'ACTIVE'],
        ['affiliate.created', 'patched@acme.test', 'PENDING'],
        ['affiliate.approved', 'patched@acme.test', 'ACTIVE'],
        ['affiliate.created', 'turned.down@acme.test', 'PENDING'],
        ['affiliate.rejected', 'turned.down@acme.test', 'REJECTED'],
      ].sort(),
    );
  });

  it('the approval itself is announced with the affiliate as approved', async () => {
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'second@acme.test', status: 'pending' }).expect(201);
    await announced();
    await request(t.app).post('/api/v1/affiliates/second%40acme.test/approve').set(api()).send({ commission_type: 'percentage', commission_value: 30 }).expect(200);
    const [approved] = await announced();
    expect(approved!.body).toMatchObject({ event: 'affiliate.approved', data: { affiliate: { email: 'second@acme.test', status: 'ACTIVE' } } });
  });

  it('a referral is created, converts with a pending commission, which is approved, taken into a payout that completes, paying it', async () => {
    const referral = (await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'jamie.rivera@example.com', referral_code: 'PARTNER' }).expect(201)).body.data;
    const [created] = await announced();
    expect(created!.body).toMatchObject({
      event: 'referral.created',
      data: { referral: { id: referral.id, email: 'jamie.rivera@example.com', status: 'PENDING', source: 'api', expiresAt: null }, affiliate: { email: 'partner@acme.test' } },
    });

    // a signed payment by that customer (40.00; the referral's email attributes it)
    await pay((o) => {
      o.customer = 'cus_refferq_1';
      o.metadata = {};
    });
    const converted = await announced();
    expect(events(converted)).toEqual(['commission.created', 'referral.converted']);
    const commission = converted.find((r) => r.body.event === 'commission.created')!.body.data.commission;
    expect(commission).toMatchObject({ affiliateId: referral.affiliate_id, customerEmail: 'jamie.rivera@example.com', type: 'purchase', status: 'PENDING', amountCents: 800, saleAmountCents: 4000, currency: 'USD', paidAt: null });
    expect(converted.find((r) => r.body.event === 'referral.converted')!.body.data).toMatchObject({
      referral: { id: referral.id, email: 'jamie.rivera@example.com', status: 'CONVERTED' },
      commission: { id: commission.id },
      affiliate: { email: 'partner@acme.test' },
    });
    // the same payment reported again converts nothing more
    await pay((o) => {
      o.customer = 'cus_refferq_1';
      o.metadata = {};
    });
    expect(await announced()).toEqual([]);

    await request(t.app).post(`/api/v1/conversions/${commission.id}/approve`).set(api()).expect(200);
    const [approved] = await announced();
    expect(approved!.body).toMatchObject({ event: 'commission.approved', data: { commission: { id: commission.id, status: 'APPROVED', amountCents: 800 } } });

    const payout = (await request(t.app).post('/api/v1/payouts').set(api()).send({ affiliate_id: referral.affiliate_id, method: 'paypal' }).expect(201)).body.data;
    const [payoutApproved] = await announced();
    expect(payoutApproved!.body).toMatchObject({
      event: 'payout.approved',
      data: {
        payout: { id: payout.id, affiliateId: referral.affiliate_id, amountCents: 800, currency: 'USD', method: 'paypal', status: 'APPROVED', commissionCount: 1, approvedAt: payout.created_at },
        affiliate: { email: 'partner@acme.test' },
      },
    });
    // the merchant made it, so it was approved then: approving it again announces nothing
    expect((await request(t.app).post(`/api/v1/payouts/${payout.id}/approve`).set(api()).send({}).expect(200)).body.data.approved_at).toBe(payout.created_at);
    expect(await announced()).toEqual([]);

    await request(t.app).post(`/api/v1/payouts/${payout.id}/complete`).set(api()).send({ reference: 'PP-123' }).expect(200);
    const completed = await announced();
    expect(events(completed)).toEqual(['commission.paid', 'payout.completed']);
    expect(completed.find((r) => r.body.event === 'payout.completed')!.body.data.payout).toMatchObject({ id: payout.id, status: 'COMPLETED', reference: 'PP-123', completedAt: expect.any(String) });
    expect(completed.find((r) => r.body.event === 'commission.paid')!.body.data.commission).toMatchObject({ id: commission.id, status: 'PAID', payoutId: payout.id, paidAt: expect.any(String) });
    // completing it again is answered as before and announces nothing
    await request(t.app).post(`/api/v1/payouts/${payout.id}/complete`).set(api()).send({ reference: 'PP-123' }).expect(200);
    expect(await announced()).toEqual([]);
  });

  it('payout.requested: the function the affiliate portal calls, in the transaction that records the request', async () => {
    const [payout] = await tdb.db.sql.query<{ id: string }>(`SELECT id FROM payouts WHERE project_id = $1`, [project.id]);
    const queued = await tdb.db.sql.transaction((tx) => emitPayoutEvent(tx, project.id, 'payout.requested', payout!.id, t.clock.now));
    expect(queued).toBe(1);
    const [requested] = await announced();
    expect(requested!.body).toMatchObject({ event: 'payout.requested', data: { payout: { id: payout!.id, amountCents: 800 }, affiliate: { email: 'partner@acme.test' } } });
    // rolled back with its transaction, it was never sent
    await expect(
      tdb.db.sql.transaction(async (tx) => {
        await emitPayoutEvent(tx, project.id, 'payout.requested', payout!.id, t.clock.now);
        throw new Error('the request was not recorded');
      }),
    ).rejects.toThrow('not recorded');
    expect(await announced()).toEqual([]);

    // a payout the affiliate asks for (createPayout with requestedBy: 'affiliate') is requested, not approved
    const partner = (await request(t.app).get('/api/v1/affiliates/partner%40acme.test').set(api()).expect(200)).body.data;
    const recorded = (await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', referral_code: 'PARTNER', base_value: 50, value: 5 }).expect(201)).body.data;
    // under the project's manual review the merchant's own conversion waits for review too
    expect(recorded.status).toBe('pending');
    await request(t.app).post(`/api/v1/conversions/${recorded.id}/approve`).set(api()).expect(200);
    await announced();
    const asked = await createPayout(
      tdb.db.prisma,
      { projectId: project.id, affiliateId: partner.id, currency: 'USD', method: 'paypal', destination: { paypal_email: 'pay@partner.test' }, now: new Date(), requestedBy: 'affiliate' },
      null,
    );
    expect('id' in asked).toBe(true);
    const onlyRequested = await announced();
    expect(onlyRequested.map((r) => [r.body.event, r.body.data.payout.amountCents, r.body.data.payout.status])).toEqual([['payout.requested', 500, 'PENDING']]);
    const requestedId = (asked as { id: string }).id;
    expect((await request(t.app).get(`/api/v1/payouts/${requestedId}`).set(api()).expect(200)).body.data).toMatchObject({ status: 'pending', requested_by: 'affiliate', approved_at: null });

    // Refferq's review step: the merchant approves the request, which stays pending until it is paid
    const approvedAt = t.clock.now.toISOString();
    const approved = (await request(t.app).post(`/api/v1/payouts/${requestedId}/approve`).set(api()).send({}).expect(200)).body.data;
    expect(approved).toMatchObject({ status: 'pending', approved_at: approvedAt });
    expect((await announced()).map((r) => [r.body.event, r.body.data.payout.status, r.body.data.payout.approvedAt])).toEqual([['payout.approved', 'APPROVED', approvedAt]]);
    // again: answered as it is, announced once
    await request(t.app).post(`/api/v1/payouts/${requestedId}/approve`).set(api()).send({}).expect(200);
    expect(await announced()).toEqual([]);
    expect((await request(t.app).post(`/api/v1/payouts/${requestedId}/approve`).set(api()).send({ note: 'x' }).expect(400)).body.success).toBe(false);
    await request(t.app).post(`/api/v1/payouts/${requestedId}/complete`).set(api()).send({ reference: 'PP-REQ' }).expect(200);
    expect(events(await announced())).toEqual(['commission.paid', 'payout.completed']);
    expect((await request(t.app).post(`/api/v1/payouts/${requestedId}/approve`).set(api()).send({}).expect(409)).body).toEqual({
      success: false,
      error: 'the payout is completed; only a pending payout can be approved',
    });
    expect((await request(t.app).post('/api/v1/payouts/00000000-0000-4000-8000-000000000000/approve').set(api()).send({}).expect(404)).body.error).toBe('payout not found');
  });

  it('a payout request completed without its own approval announces payout.approved before payout.completed', async () => {
    const partner = (await request(t.app).get('/api/v1/affiliates/partner%40acme.test').set(api()).expect(200)).body.data;
    const recorded = (await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', referral_code: 'PARTNER', base_value: 30, value: 3 }).expect(201)).body.data;
    await request(t.app).post(`/api/v1/conversions/${recorded.id}/approve`).set(api()).expect(200);
    await announced();
    const asked = await createPayout(
      tdb.db.prisma,
      { projectId: project.id, affiliateId: partner.id, currency: 'USD', method: 'paypal', destination: { paypal_email: 'pay@partner.test' }, now: t.clock.now, requestedBy: 'affiliate' },
      null,
    );
    const id = (asked as { id: string }).id;
    await announced();
    const completed = (await request(t.app).post(`/api/v1/payouts/${id}/complete`).set(api()).send({}).expect(200)).body.data;
    expect(completed).toMatchObject({ status: 'completed', approved_at: completed.completed_at });
    const sent = await announced();
    expect(events(sent)).toEqual(['commission.paid', 'payout.approved', 'payout.completed']);
    // built before the payout completed: it says approved, not yet paid
    expect(sent.find((r) => r.body.event === 'payout.approved')!.body.data.payout).toMatchObject({ id, status: 'APPROVED', amountCents: 300, completedAt: null });
  });

  it('commission.paid is not announced for a commission its refund cancelled in the same payout: nothing of it was paid', async () => {
    const affiliate = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'refunded@acme.test', referral_code: 'REFUNDED', payout_method: 'paypal', paypal_email: 'refunded.pay@paypal.test' }).expect(201)).body.data;
    await announced();
    const sale = async (payment: string) => {
      await pay((o) => {
        o.id = `cs_${payment}`;
        o.payment_intent = payment;
        o.customer = `cus_${payment}`;
        o.metadata = { referral_code: 'REFUNDED' };
        o.client_reference_id = null;
        o.customer_details.email = `${payment}@buyers.test`;
      });
      const rows = (await request(t.app).get(`/api/v1/conversions?affiliate_id=${affiliate.id}&limit=100`).set(api()).expect(200)).body.data;
      const row = rows.find((c: { payment_key: string; kind: string }) => c.payment_key === payment && c.kind !== 'refund');
      await request(t.app).post(`/api/v1/conversions/${row.id}/approve`).set(api()).expect(200);
      return row.id as string;
    };
    const refunded = await sale('pi_refferq_refunded_whole');
    // the whole 40.00 refunded before any payout: its -8.00 row cancels the 8.00
    const refund = stripeEvent('charge.refunded.json', (o) => Object.assign(o, { id: 'ch_refferq_refunded_whole', payment_intent: 'pi_refferq_refunded_whole', customer: null, amount: 4000, amount_refunded: 4000 }));
    const body = JSON.stringify(refund);
    await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, STRIPE_SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    const kept = await sale('pi_refferq_refunded_kept');
    await announced();

    const payout = (await request(t.app).post('/api/v1/payouts').set(api()).send({ affiliate_id: affiliate.id, method: 'paypal' }).expect(201)).body.data;
    expect(payout.amount_minor).toBe(800);
    const inPayout = (await request(t.app).get(`/api/v1/conversions?affiliate_id=${affiliate.id}&limit=100`).set(api()).expect(200)).body.data;
    expect(inPayout.map((c: { kind: string; value_minor: number; payout_id: string }) => [c.kind, c.value_minor, c.payout_id]).sort()).toEqual(
      [
        ['purchase', 800, payout.id],
        ['purchase', 800, payout.id],
        ['refund', -800, payout.id],
      ].sort(),
    );
    await announced();
    await request(t.app).post(`/api/v1/payouts/${payout.id}/complete`).set(api()).send({ reference: 'PP-REFUNDED' }).expect(200);
    const completed = await announced();
    expect(events(completed)).toEqual(['commission.paid', 'payout.completed']);
    expect(completed.find((r) => r.body.event === 'commission.paid')!.body.data.commission.id).toBe(kept);
    expect(completed.some((r) => r.body.data.commission?.id === refunded)).toBe(false);
  });

  it('referral.expired: a public signup whose cookie_days window passed without a payment, announced once; one that paid in time does not expire', async () => {
    const then = new Date(Date.now() - 2 * DAY);
    t.clock.now = then;
    await request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'lapsed@example.com', referral_code: 'PARTNER' }).expect(201);
    await request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'buyer@example.com', referral_code: 'PARTNER' }).expect(201);
    // the buyer pays within the window (an hour after signing up)
    t.clock.now = new Date(then.getTime() + 3_600_000);
    await pay((o) => {
      o.customer = 'cus_refferq_buyer';
      o.metadata = {};
      o.customer_details = { ...o.customer_details, email: 'buyer@example.com' };
      o.payment_intent = 'pi_refferq_buyer';
    }, t.clock.now);
    t.clock.now = new Date();
    expect(events(await announced())).toEqual(['commission.created', 'referral.converted', 'referral.created', 'referral.created']);

    expect(await announceExpiredReferrals(tdb.db.sql, new Date())).toBe(1);
    const [expired] = await announced();
    expect(expired!.body).toMatchObject({
      event: 'referral.expired',
      data: { referral: { email: 'lapsed@example.com', status: 'EXPIRED', source: 'signup', expiresAt: new Date(then.getTime() + DAY).toISOString() }, affiliate: { email: 'partner@acme.test' } },
    });
    expect(await announceExpiredReferrals(tdb.db.sql, new Date())).toBe(0);
    expect(await announced()).toEqual([]);
    const closed = await tdb.db.sql.query<{ email: string }>(`SELECT email FROM referrals WHERE project_id = $1 AND window_closed_at IS NOT NULL ORDER BY email`, [project.id]);
    expect(closed.map((r) => r.email)).toEqual(['buyer@example.com', 'lapsed@example.com']);
  });

  it('referral.expired waits a day after the window: a payment made in the window that arrives late converts the referral instead', async () => {
    // the window (a day) ended 12 hours ago
    const signedUp = new Date(Date.now() - 1.5 * DAY);
    t.clock.now = signedUp;
    await request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'late@example.com', referral_code: 'PARTNER' }).expect(201);
    t.clock.now = new Date();
    await announced();
    expect(await announceExpiredReferrals(tdb.db.sql, new Date())).toBe(0);
    // the payment was made an hour before the window ended, and its webhook comes now
    await pay((o) => {
      o.customer = 'cus_refferq_late';
      o.metadata = {};
      o.customer_details = { ...o.customer_details, email: 'late@example.com' };
      o.payment_intent = 'pi_refferq_late';
    }, new Date(signedUp.getTime() + DAY - 3_600_000));
    expect(events(await announced())).toEqual(['commission.created', 'referral.converted']);
    // a day after the window: looked at, and not expired
    expect(await announceExpiredReferrals(tdb.db.sql, new Date(Date.now() + DAY))).toBe(0);
    expect(await announced()).toEqual([]);
    const [late] = await tdb.db.sql.query<{ closed: boolean }>(`SELECT window_closed_at IS NOT NULL AS closed FROM referrals WHERE project_id = $1 AND email = 'late@example.com'`, [project.id]);
    expect(late).toEqual({ closed: true });
  });

  it('the dispatcher looks for expired referrals itself', async () => {
    t.clock.now = new Date(Date.now() - 2 * DAY);
    await request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'gone@example.com', referral_code: 'PARTNER' }).expect(201);
    t.clock.now = new Date();
    await announced();
    const sweeping = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 2000 }, () => t.clock.now);
    expect(await sweeping.runOnce()).toBe(1);
    expect(receiver.take().map((r) => [r.body.event, r.body.data.referral.email])).toEqual([['referral.expired', 'gone@example.com']]);
  });

  it('an endpoint receives only the events it chose; unknown names are refused, naming them', async () => {
    const bad = await request(t.app).patch(`/api/v1/webhooks/${endpointId}`).set(api()).send({ events: ['affiliate.created', 'affiliate.deleted', 'referral_signed_up', 'payout.sent'] }).expect(400);
    expect(bad.body).toEqual({ success: false, error: expect.stringContaining('events: unknown events "affiliate.deleted", "payout.sent" (known: referral_signed_up, ') });
    const created = await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: receiver.url, events: 'affiliate.created' }).expect(400);
    expect(created.body.error).toMatch(/^events: /);
    await request(t.app).patch(`/api/v1/webhooks/${endpointId}`).set(api()).send({ events: ['affiliate.suspended'] }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'quiet@acme.test' }).expect(201);
    await request(t.app).post('/api/v1/affiliates/quiet%40acme.test/suspend').set(api()).send({}).expect(200);
    expect((await announced()).map((r) => [r.body.event, r.body.data.affiliate.email])).toEqual([['affiliate.suspended', 'quiet@acme.test']]);
  });
});

describe('which status change announces what', () => {
  it.each([
    ['pending', 'active', 'affiliate.approved'],
    ['active', 'suspended', 'affiliate.suspended'],
    ['inactive', 'suspended', 'affiliate.suspended'],
    ['pending', 'suspended', 'affiliate.suspended'],
    ['suspended', 'active', 'affiliate.reactivated'],
    ['inactive', 'active', 'affiliate.reactivated'],
    ['pending', 'rejected', 'affiliate.rejected'],
    ['active', 'rejected', 'affiliate.rejected'],
    ['rejected', 'active', 'affiliate.approved'],
    ['active', 'pending', null],
    ['active', 'inactive', null],
    ['active', 'active', null],
  ])('%s → %s: %s', (before, after, event) => {
    expect(affiliateStatusEvent(before, after)).toBe(event);
  });
});
