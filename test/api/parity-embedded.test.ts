import { PGlite } from '@electric-sql/pglite';
import request from 'supertest';
import { wrapPglite, type Database } from '../../src/db/database';
import { migrate } from '../../src/db/migrator';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** Refgrow's referral statuses, publishable keys and public conversions on the embedded database (PGlite) too. */
describe("Refgrow's referrals and public conversions on embedded PGlite", () => {
  let db: Database;
  let t: TestApp;

  beforeAll(async () => {
    db = wrapPglite(await PGlite.create());
    await migrate(db.sql);
    t = buildTestApp(db, { runner: false, trackRateLimit: { perMinute: 1_000 } });
  });
  afterAll(async () => {
    await t.runner.stop();
    await db.close();
  });

  it('lists referrals by shown status, and a reported sale waits for review, once per order', async () => {
    t.clock.now = new Date('2026-10-01T12:00:00Z');
    const project = await createProjectViaApi(t.app, 'Embedded');
    const api = { Authorization: `Bearer ${project.apiKey}` };
    await request(t.app).patch('/api/v1/settings').set(api).send({ commission_type: 'percentage', commission_value: 10 }).expect(200);
    const jane = (await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201)).body.data.id;
    await request(t.app).post('/api/v1/referrals').set(api).send({ email: 'a@c.test', affiliate_id: jane }).expect(201);
    await request(t.app).post('/api/v1/referrals').set(api).send({ email: 'b@c.test' }).expect(201);
    await request(t.app).post('/api/v1/conversions').set(api).send({ customer_email: 'a@c.test', amount: 80, referral_code: 'JANE' }).expect(201);

    const list = async (q: string) => (await request(t.app).get(`/api/v1/referrals${q}`).set(api).expect(200)).body;
    expect((await list('?status=converted')).data.map((r: any) => [r.user_email, r.affiliate_code, r.conversion_date])).toEqual([['a@c.test', 'JANE', '2026-10-01T12:00:00.000Z']]);
    expect((await list('?status=direct_signup')).data.map((r: any) => r.user_email)).toEqual(['b@c.test']);
    expect((await list('?status=active')).pagination.total).toBe(1);
    expect((await list('')).data.map((r: any) => r.conversion_status)).toEqual(['converted', 'direct_signup']);

    const pk = (await request(t.app).post('/api/v1/publishable-keys').set(api).send({}).expect(201)).body.data.key;
    const sale = { order_id: 'E-1', amount: 25.5, referral_code: 'JANE' };
    const first = await request(t.app).post('/api/track/conversion').set('Authorization', `Bearer ${pk}`).send(sale).expect(201);
    expect((await request(t.app).post('/api/track/conversion').set('Authorization', `Bearer ${pk}`).send(sale).expect(200)).body).toEqual(first.body);
    expect((await request(t.app).get(`/api/v1/conversions/${first.body.data.conversion_id}`).set(api).expect(200)).body.data).toMatchObject({ status: 'pending', value_minor: 255 });
  });
});
