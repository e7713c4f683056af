import { PGlite } from '@electric-sql/pglite';
import request from 'supertest';
import { wrapPglite, type Database } from '../../src/db/database';
import { migrate } from '../../src/db/migrator';
import { OUTBOUND_EVENTS } from '../../src/outbound/events';
import { announceExpiredReferrals } from '../../src/outbound/referral-expiry';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** The outbox writers, their payload reads and the expiry sweep on the embedded database (PGlite) too. */
describe('outbound events on embedded PGlite', () => {
  let db: Database;
  let t: TestApp;

  beforeAll(async () => {
    db = wrapPglite(await PGlite.create());
    await migrate(db.sql);
    t = buildTestApp(db, { runner: false, outboundAllowPrivate: true });
  });
  afterAll(async () => {
    await t.runner.stop();
    await db.close();
  });

  it('queues each event with its payload in the endpoint\'s format', async () => {
    t.clock.now = new Date('2026-09-01T12:00:00Z');
    const project = await createProjectViaApi(t.app, 'Embedded');
    const api = { Authorization: `Bearer ${project.apiKey}` };
    await request(t.app).patch('/api/v1/settings').set(api).send({ commission_type: 'percentage', commission_value: 10, hold_days: 0, cookie_days: 1 }).expect(200);
    const hook = (await request(t.app).post('/api/v1/webhooks').set(api).send({ url: 'http://127.0.0.1:9/hook', events: [...OUTBOUND_EVENTS] }).expect(201)).body.data;
    const jane = (await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'jane@partners.test', referral_code: 'JANE', paypal_email: 'jane@pay.test' }).expect(201)).body.data;
    await request(t.app).post('/api/v1/referrals').set(api).send({ email: 'kim@example.com', referral_code: 'JANE' }).expect(201);
    await request(t.app).post('/api/v1/conversions').set(api).send({ type: 'purchase', referral_code: 'JANE', email: 'kim@example.com', base_value: 120, reference: 'ORD-1' }).expect(201);
    await request(t.app).post('/api/track/signup').send({ project_id: project.id, email: 'lapsed@example.com', referral_code: 'JANE' }).expect(201);
    t.clock.now = new Date('2026-09-03T12:00:00Z');
    expect(await announceExpiredReferrals(db.sql, t.clock.now)).toBe(1);
    const payout = (await request(t.app).post('/api/v1/payouts').set(api).send({ affiliate_id: jane.id, method: 'paypal' }).expect(201)).body.data;
    await request(t.app).post(`/api/v1/payouts/${payout.id}/complete`).set(api).send({}).expect(200);

    const deliveries = (await request(t.app).get(`/api/v1/webhooks/${hook.id}/deliveries?limit=50`).set(api).expect(200)).body.data;
    expect(deliveries.map((d: any) => d.event).sort()).toEqual(
      [
        'affiliate.created',
        'referral_signed_up',
        'referral.created',
        'referral_converted',
        // kim's first payment: the referral converts
        'referral.converted',
        'referral_updated',
        'commission.created',
        'referral_signed_up',
        'referral.created',
        'referral.expired',
        'payout.approved',
        'payout.completed',
        'commission.paid',
      ].sort(),
    );
    const converted = deliveries.find((d: any) => d.event === 'referral_converted');
    expect(converted.payload).toMatchObject({
      event: 'referral_converted',
      project_id: project.id,
      referrer: { id: jane.id, payout_preferences: { paypal_email: 'jane@pay.test', wise_details: null } },
      conversion: { amount: 120, commission_amount: 12, commission_rate: 10, order_id: 'ORD-1', payment_processor: 'manual' },
    });
    expect(deliveries.find((d: any) => d.event === 'payout.completed').payload.data.payout).toMatchObject({ id: payout.id, amountCents: 1200, status: 'COMPLETED' });
  });
});
