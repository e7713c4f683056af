import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

// The filters the dashboard's lists page by on the server: affiliates by search and group, conversions by review.
describe('list filters', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) => {
    const r = request(t.app)[method](path).set('Authorization', `Bearer ${project.apiKey}`);
    return body ? r.send(body) : r;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    project = await createProjectViaApi(t.app, 'Acme');
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('affiliates by a part of their email, name or referral code (any case) and by group', async () => {
    const gold = (await api('post', '/api/v1/groups', { name: 'Gold', commission_type: 'percentage', commission_value: 25 }).expect(201)).body.data;
    await api('post', '/api/v1/affiliates', { email: 'jane@partners.test', name: 'Jane Doe', referral_code: 'JANE', group_id: gold.id }).expect(201);
    await api('post', '/api/v1/affiliates', { email: 'bob@blog.test', name: 'Bob Writer', referral_code: 'BOBBY' }).expect(201);
    await api('post', '/api/v1/affiliates', { email: 'ann@blog.test', name: 'Ann', referral_code: 'ANN-JANEFAN', group_id: gold.id }).expect(201);
    const emails = async (query: string) => {
      const body = (await api('get', `/api/v1/affiliates?${query}`).expect(200)).body;
      expect(body.pagination.total).toBe(body.data.length);
      return body.data.map((a: { email: string }) => a.email).sort();
    };
    expect(await emails('q=jane')).toEqual(['ann@blog.test', 'jane@partners.test']);
    expect(await emails('q=BLOG.TEST')).toEqual(['ann@blog.test', 'bob@blog.test']);
    expect(await emails('q=writer')).toEqual(['bob@blog.test']);
    expect(await emails(`group_id=${gold.id}`)).toEqual(['ann@blog.test', 'jane@partners.test']);
    expect(await emails(`group_id=${gold.id}&q=doe`)).toEqual(['jane@partners.test']);
    expect(await emails('q=nobody')).toEqual([]);
    expect((await api('get', '/api/v1/affiliates?group_id=nope').expect(400)).body.error).toMatch(/^group_id: /);
  });

  it("conversions by review (the queue of commissions waiting for the merchant), each answer naming its affiliate's email", async () => {
    const pk = (await api('post', '/api/v1/publishable-keys', { name: 'storefront' }).expect(201)).body.data.key;
    const sale = (order: string) =>
      request(t.app).post('/api/track/conversion').set('Authorization', `Bearer ${pk}`).send({ order_id: order, amount: 40, referral_code: 'JANE' }).expect(201).then((r) => r.body.data.conversion_id as string);
    const [a, b, c] = [await sale('o-1'), await sale('o-2'), await sale('o-3')];
    await api('post', '/api/v1/conversions', { referral_code: 'BOBBY', amount: 10 }).expect(201);
    await api('post', `/api/v1/conversions/${a}/approve`).expect(200);
    await api('post', `/api/v1/conversions/${b}/reject`, { reason: 'test order' }).expect(200);
    const ids = async (query: string) => (await api('get', `/api/v1/conversions?${query}`).expect(200)).body.data.map((x: { id: string }) => x.id);
    expect(await ids('review=pending')).toEqual([c]);
    expect(await ids('review=approved')).toEqual([a]);
    expect(await ids('review=rejected')).toEqual([b]);
    const all = (await api('get', '/api/v1/conversions').expect(200)).body.data;
    expect(all.map((x: { affiliate_email: string | null }) => x.affiliate_email).sort()).toEqual(['bob@blog.test', 'jane@partners.test', 'jane@partners.test', 'jane@partners.test']);
    expect((await api('get', `/api/v1/conversions/${c}`).expect(200)).body.data).toMatchObject({ affiliate_email: 'jane@partners.test', attribution_explanation: expect.stringContaining('→ jane@partners.test') });
    expect((await api('get', '/api/v1/conversions?review=maybe').expect(400)).body.error).toMatch(/^review: /);
  });
});
