import { PGlite } from '@electric-sql/pglite';
import request from 'supertest';
import { wrapPglite, type Database } from '../../../src/db/database';
import { migrate } from '../../../src/db/migrator';
import { buildTestApp, createProjectViaApi, type TestApp } from '../../helpers/refwire';

/** The portal on the embedded database (PGlite) too: sign-in by the code in the outbox, an embed token, a partial payout request. */
describe('the affiliate portal on embedded PGlite', () => {
  let db: Database;
  let t: TestApp;

  beforeAll(async () => {
    db = wrapPglite(await PGlite.create());
    await migrate(db.sql);
    t = buildTestApp(db, { runner: false });
  });
  afterAll(async () => {
    await t.runner.stop();
    await db.close();
  });

  it('signs in, shows balances, and takes whole commissions within a requested amount', async () => {
    t.clock.now = new Date('2026-09-01T12:00:00Z');
    const project = await createProjectViaApi(t.app, 'Embedded');
    const api = { Authorization: `Bearer ${project.apiKey}` };
    await request(t.app).patch('/api/v1/settings').set(api).send({ commission_type: 'percentage', commission_value: 10, hold_days: 0 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'jane@partners.test', referral_code: 'JANE', paypal_email: 'jane@pay.test', payout_method: 'paypal' }).expect(201);
    for (const [i, base] of [40, 25, 10].entries()) {
      t.clock.now = new Date(Date.UTC(2026, 8, 1 + i, 12));
      await request(t.app).post('/api/v1/conversions').set(api).send({ type: 'purchase', referral_code: 'JANE', base_value: base, email: `c${i}@customers.test` }).expect(201);
    }

    await request(t.app).post(`/api/portal/${project.id}/login`).send({ email: 'jane@partners.test' }).expect(202);
    const [mail] = (await request(t.app).get('/api/v1/emails?template=one_time_code').set(api).expect(200)).body.data;
    const text = (await request(t.app).get(`/api/v1/emails/${mail.id}`).set(api).expect(200)).body.data.text as string;
    const code = /\b(\d{6})\b/.exec(text)![1]!;
    const signedIn = await request(t.app).post(`/api/portal/${project.id}/login/verify`).send({ email: 'jane@partners.test', code }).expect(200);
    const cookie = ([] as string[]).concat(signedIn.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
    expect((await request(t.app).get(`/api/portal/${project.id}/me`).set('Cookie', cookie).expect(200)).body.data.balances.USD).toMatchObject({
      earned_minor: 750,
      eligible_minor: 750,
    });

    const token = (await request(t.app).post('/api/v1/affiliates/jane%40partners.test/embed-tokens').set(api).expect(201)).body.data.token;
    const bearer = { Authorization: `Bearer ${token}` };
    const payout = (await request(t.app).post(`/api/portal/${project.id}/payouts`).set(bearer).send({ amount_minor: 700 }).expect(201)).body.data;
    expect(payout).toMatchObject({ amount_minor: 650, status: 'pending', requested_by: 'affiliate', method: 'paypal', destination: { paypal_email: 'jane@pay.test' } });
    expect((await request(t.app).get(`/api/portal/${project.id}/me`).set(bearer).expect(200)).body.data.balances.USD).toMatchObject({ eligible_minor: 100, processing_minor: 650 });
    await request(t.app).post(`/api/v1/payouts/${payout.id}/complete`).set(api).send({}).expect(200);
    expect((await request(t.app).get(`/api/portal/${project.id}/commissions`).set(bearer).expect(200)).body.data.map((c: { status: string }) => c.status)).toEqual(['eligible', 'paid', 'paid']);
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api).expect(200)).body.data.ok).toBe(true);
  });
});
