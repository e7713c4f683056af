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
    // a referral is dated by the app's clock: the second a second later, so the list's order is theirs
    t.clock.now = new Date('2026-10-01T12:00:01Z');
    await request(t.app).post('/api/v1/referrals').set(api).send({ email: 'b@c.test' }).expect(201);
    t.clock.now = new Date('2026-10-01T12:00:00Z');
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

  it("keeps the lists' totals and the all-time summary by triggers here too, equal to the rows", async () => {
    t.clock.now = new Date('2026-10-02T12:00:00Z');
    const project = await createProjectViaApi(t.app, 'Embedded totals');
    const api = { Authorization: `Bearer ${project.apiKey}` };
    await request(t.app).patch('/api/v1/settings').set(api).send({ commission_type: 'percentage', commission_value: 10 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'sam@partners.test', referral_code: 'SAM' }).expect(201);
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await request(t.app).post('/api/v1/conversions').set(api).send({ referral_code: 'SAM', base_value: 10 * i, reference: `emb-${i}` }).expect(201)).body.data.id);
    await request(t.app).post('/api/v1/conversions').set(api).send({ type: 'signup', referral_code: 'SAM', email: 'lead@c.test' }).expect(201);
    await request(t.app).delete(`/api/v1/conversions/${ids[0]}`).set(api).expect(204);
    const get = async (path: string) => (await request(t.app).get(path).set(api).expect(200)).body;
    expect((await get('/api/v1/conversions?limit=1')).pagination.total).toBe(5);
    expect((await get('/api/v1/conversions?type=signup')).pagination.total).toBe(1);
    // an offset page of the whole list (its ids from the index, src/db/list-pages.ts) is the list's slice here too
    const all = (await get('/api/v1/conversions?limit=100')).data.map((r: { id: string }) => r.id);
    expect(all).toHaveLength(5);
    expect((await get('/api/v1/conversions?limit=2&offset=2')).data.map((r: { id: string }) => r.id)).toEqual(all.slice(2, 4));
    const { from: _a, to: _b, ...allTime } = (await get('/api/v1/reports/summary')).data;
    const { from: _c, to: _d, ...period } = (await get('/api/v1/reports/summary?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z')).data;
    expect(allTime).toEqual(period);
    expect(allTime).toMatchObject({ purchases: 4, signups: 1, by_currency: [expect.objectContaining({ revenue: { value: '140.00', value_minor: 14_000 }, commission: { value: '14.00', value_minor: 1400 } })] });
    expect((await get('/api/v1/ledger/verify')).data.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
  });
  // The embedded database is one connection: a check made through the global client from inside an edit's
  // transaction waited for that transaction, which timed out after 5 s (a 500 for every rename here).
  it('edits groups and affiliates: renames, a new email, code or group, and the refusals, answered at once', async () => {
    const project = await createProjectViaApi(t.app, 'Embedded edits');
    const api = { Authorization: `Bearer ${project.apiKey}` };
    const gold = (await request(t.app).post('/api/v1/groups').set(api).send({ name: 'Gold' }).expect(201)).body.data.id;
    const silver = (await request(t.app).post('/api/v1/groups').set(api).send({ name: 'Silver' }).expect(201)).body.data.id;
    expect((await request(t.app).patch(`/api/v1/groups/${gold}`).set(api).send({ name: 'Platinum' }).expect(200)).body.data.name).toBe('Platinum');
    expect((await request(t.app).put(`/api/v1/groups/${silver}`).set(api).send({ name: 'Platinum' }).expect(409)).body).toEqual({ success: false, error: 'a group with this name already exists' });

    await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'ann@partners.test', referral_code: 'ANN' }).expect(201);
    await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'bob@partners.test', referral_code: 'BOB' }).expect(201);
    const edited = (await request(t.app).patch('/api/v1/affiliates/ann%40partners.test').set(api).send({ email: 'anne@partners.test', referral_code: 'ANNE', group_id: gold }).expect(200)).body.data;
    expect([edited.email, edited.referral_code, edited.group_id]).toEqual(['anne@partners.test', 'ANNE', gold]);
    expect((await request(t.app).patch('/api/v1/affiliates/bob%40partners.test').set(api).send({ referral_code: 'anne' }).expect(409)).body.error).toBe('referral_code is already in use');
    expect((await request(t.app).patch('/api/v1/affiliates/bob%40partners.test').set(api).send({ email: 'anne@partners.test' }).expect(409)).body.error).toBe('an affiliate with this email already exists');
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await request(t.app).put('/api/v1/affiliates/bob%40partners.test').set(api).send({ group_id: missing }).expect(404)).body.error).toBe('group_id: no such group in this project');
    expect((await request(t.app).get('/api/v1/affiliates/bob%40partners.test').set(api).expect(200)).body.data).toMatchObject({ referral_code: 'BOB', group_id: null });
  });
});
