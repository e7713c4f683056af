import request from 'supertest';
import type { z } from 'zod';
import { ALL_OPERATIONS, answerSchema } from '../../src/api/openapi';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * /openapi.json lists every status an operation answers: the 404 of a create naming a row that is not there, the
 * 200 of a create repeated, and what the body parser in front of a route answers. Each call here is checked against
 * the document it is served with, so a status the API answers and the document lacks fails.
 */
const NOBODY = '00000000-0000-4000-8000-000000000000';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

describe('/openapi.json lists the statuses the API answers', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let doc: Doc;
  let project: { id: string; apiKey: string };
  let pk: string;
  const key = () => ({ Authorization: `Bearer ${project.apiKey}` });

  /** The operation of a path, by its template (fewer parameters first: /conversions/recalculate before /conversions/{id}). */
  function operationOf(method: string, url: string) {
    const path = url.split('?')[0]!;
    const byParams = [...ALL_OPERATIONS].sort((a, b) => (a.path.match(/\{/g) ?? []).length - (b.path.match(/\{/g) ?? []).length);
    const op = byParams.find((o) => o.method === method && new RegExp(`^${o.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
    if (!op) throw new Error(`no operation for ${method} ${path}`);
    return op;
  }

  /** The answer's status is the one expected, and one its operation documents; a 2xx body matches its schema, an error is Refgrow's. */
  async function expectDocumented(req: request.Test, method: string, url: string, status: number) {
    const res = await req;
    const op = operationOf(method, url);
    const where = `${method.toUpperCase()} ${op.path} answered ${res.status} ${JSON.stringify(res.body)}`;
    expect({ where, status: res.status }).toEqual({ where, status });
    expect({ where, documented: Object.keys(doc.paths[op.path]![op.method]!.responses) }).toEqual({ where, documented: expect.arrayContaining([String(status)]) });
    if (status >= 400) expect(res.body).toEqual({ success: false, error: expect.any(String) });
    else if (status !== 204) expect((answerSchema(op) as z.ZodType).safeParse(res.body).error).toBeUndefined();
    return res;
  }
  const api = (method: 'get' | 'post' | 'put' | 'delete', url: string, body: unknown, status: number) =>
    expectDocumented(request(t.app)[method](url).set(key()).send(body as object), method, url, status);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    doc = (await request(t.app).get('/openapi.json').expect(200)).body;
    project = await createProjectViaApi(t.app);
    await request(t.app).post('/api/v1/affiliates').set(key()).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201);
    pk = (await request(t.app).post('/api/v1/publishable-keys').set(key()).send({ name: 'site' }).expect(201)).body.data.key;
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('a create naming an affiliate, a group or a referral code that is not there answers a documented 404', async () => {
    await api('post', '/api/v1/conversions', { type: 'purchase', referral_code: 'NOPE', base_value: '12.34' }, 404);
    await api('post', '/api/v1/conversions', { type: 'purchase', affiliate_id: NOBODY, base_value: '12.34' }, 404);
    await api('post', '/api/v1/referrals', { email: 'lee@customers.test', affiliate_id: NOBODY }, 404);
    await api('post', '/api/v1/coupons', { affiliate_id: NOBODY, coupon_code: 'NOPE10' }, 404);
    await api('post', '/api/v1/affiliates', { email: 'sam@partners.test', group_id: NOBODY }, 404);
    await api('post', '/api/store-attribution', { email: 'kim@customers.test', referral_code: 'NOPE' }, 404);
    await api('post', '/api/v1/conversions/recalculate', { from: '2020-01-01', to: '2030-01-01', affiliate_id: NOBODY }, 404);
    await api('get', `/api/v1/reports/daily?affiliate_id=${NOBODY}`, undefined, 404);
  });

  it('a create repeated answers a documented 200 with the body of its 201', async () => {
    await api('post', '/api/store-attribution', { email: 'kim@customers.test', referral_code: 'JANE' }, 201);
    await api('post', '/api/store-attribution', { email: 'kim@customers.test', referral_code: 'JANE' }, 200);
    const signup = { project_id: project.id, email: 'max@customers.test', referral_code: 'JANE' };
    await expectDocumented(request(t.app).post('/api/track/signup').send(signup), 'post', '/api/track/signup', 201);
    const again = await expectDocumented(request(t.app).post('/api/track/signup').send(signup), 'post', '/api/track/signup', 200);
    // the signup's repeat is the exception: it answers nothing of the referral (src/api/track.ts)
    expect(again.body.data).toEqual({ email: 'max@customers.test', created: false, status: null, created_at: null });
    const sale = { order_id: 'order-1', amount: 5, referral_code: 'JANE' };
    const first = await expectDocumented(request(t.app).post('/api/track/conversion').set('Authorization', `Bearer ${pk}`).send(sale), 'post', '/api/track/conversion', 201);
    const repeated = await expectDocumented(request(t.app).post('/api/track/conversion').set('Authorization', `Bearer ${pk}`).send(sale), 'post', '/api/track/conversion', 200);
    expect(repeated.body).toEqual(first.body);
  });

  it('what the body parser in front of a route answers is documented for that route, whatever its method', async () => {
    const text = (method: 'post' | 'delete', url: string) =>
      expectDocumented(request(t.app)[method](url).set(key()).set('content-type', 'text/plain').send('x'), method, url, 415);
    await text('delete', `/api/v1/coupons/${NOBODY}`);
    await text('post', `/api/v1/conversions/${NOBODY}/approve`);
    await text('post', '/api/v1/affiliates/jane%40partners.test/embed-tokens');
    await expectDocumented(request(t.app).get('/api/v1/settings').set(key()).set('content-type', 'application/json').send('{'), 'get', '/api/v1/settings', 400);
    await expectDocumented(request(t.app).post(`/api/portal/${project.id}/logout`).set('content-type', 'text/plain').send('x'), 'post', `/api/portal/${project.id}/logout`, 415);
  });
});
