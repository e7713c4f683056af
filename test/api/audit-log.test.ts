import request from 'supertest';
import { asBrowser, setUpOwner, type Browser } from '../helpers/dashboard';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** Every write through an API key or a session is recorded: who, what, when (PRODUCT.md §14). */
describe('GET /api/v1/audit-log', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  let owner: Browser;
  const start = new Date('2026-12-01T12:00:00.000Z');
  const at = (minutes: number) => new Date(start.getTime() + minutes * 60_000);
  const key = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, apiKey = project.apiKey) => request(t.app)[method](path).set('Authorization', `Bearer ${apiKey}`);
  const log = async (query = '') => (await key('get', `/api/v1/audit-log${query}`).expect(200)).body;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    t.clock.now = start;
    project = await createProjectViaApi(t.app, 'Acme');
    other = await createProjectViaApi(t.app, 'Other');
    owner = await setUpOwner(t.app, project.id);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('records writes by API key and by session with actor, method, path, status and target; reads are not recorded', async () => {
    t.clock.now = at(1);
    const affiliate = (await key('post', '/api/v1/affiliates').send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201)).body.data;
    await key('get', '/api/v1/affiliates').expect(200);
    t.clock.now = at(2);
    await asBrowser(t.app, owner, 'put', '/api/v1/affiliates/jane%40partners.test?x=secret', project.id).send({ name: 'Jane' }).expect(200);
    t.clock.now = at(3);
    // a refused write is recorded with its status
    await asBrowser(t.app, owner, 'post', '/api/v1/affiliates', project.id).send({ email: 'not an email' }).expect(400);
    t.clock.now = at(4);
    await asBrowser(t.app, owner, 'post', `/api/dashboard/projects/${project.id}/api-keys`).send({ name: 'ci' }).expect(201);
    // another project's writes are its own
    await key('post', '/api/v1/affiliates', other.apiKey).send({ email: 'x@partners.test', referral_code: 'XAVIER' }).expect(201);

    const prefix = project.apiKey.slice(0, 10);
    const keyRow = await tdb.db.prisma.apiKey.findFirstOrThrow({ where: { projectId: project.id, name: 'default' } });
    const body = await log();
    expect(body.pagination).toEqual({ limit: 20, offset: 0, total: 4, has_more: false });
    expect(body.data.map((e: any) => ({ ...e, id: undefined }))).toEqual([
      {
        id: undefined,
        actor: { type: 'user', user_id: owner.userId, email: 'owner@acme.test' },
        method: 'POST',
        path: `/api/dashboard/projects/${project.id}/api-keys`,
        status: 201,
        target: expect.any(String),
        created_at: at(4).toISOString(),
      },
      { id: undefined, actor: { type: 'user', user_id: owner.userId, email: 'owner@acme.test' }, method: 'POST', path: '/api/v1/affiliates', status: 400, target: null, created_at: at(3).toISOString() },
      // the query string is never kept
      { id: undefined, actor: { type: 'user', user_id: owner.userId, email: 'owner@acme.test' }, method: 'PUT', path: '/api/v1/affiliates/jane%40partners.test', status: 200, target: affiliate.id, created_at: at(2).toISOString() },
      { id: undefined, actor: { type: 'api_key', api_key_id: keyRow.id, api_key_prefix: prefix }, method: 'POST', path: '/api/v1/affiliates', status: 201, target: affiliate.id, created_at: at(1).toISOString() },
    ]);
    const ciKey = await tdb.db.prisma.apiKey.findFirstOrThrow({ where: { projectId: project.id, name: 'ci' } });
    expect(body.data[0].target).toBe(ciKey.id);
    // the same list through the session
    expect((await asBrowser(t.app, owner, 'get', '/api/v1/audit-log', project.id).expect(200)).body).toEqual(body);
    expect((await key('get', '/api/v1/audit-log', other.apiKey).expect(200)).body.data.map((e: any) => e.path)).toEqual(['/api/v1/affiliates']);
  });

  it('filters by actor (email, user id, key prefix or key id), actor type and dates, and pages', async () => {
    const paths = async (query: string) => (await log(query)).data.map((e: any) => `${e.method} ${e.status}`);
    expect(await paths('?actor=OWNER@acme.test')).toEqual(['POST 201', 'POST 400', 'PUT 200']);
    expect(await paths(`?actor=${owner.userId}`)).toEqual(['POST 201', 'POST 400', 'PUT 200']);
    expect(await paths(`?actor=${project.apiKey.slice(0, 10)}`)).toEqual(['POST 201']);
    expect(await paths('?actor_type=api_key')).toEqual(['POST 201']);
    expect(await paths(`?from=${at(2).toISOString()}&to=${at(4).toISOString()}`)).toEqual(['POST 400', 'PUT 200']);
    expect(await paths('?actor=nobody@acme.test')).toEqual([]);
    const paged = await log('?limit=1&offset=1');
    expect(paged.pagination).toEqual({ limit: 1, offset: 1, total: 4, has_more: true });
    expect(paged.data.map((e: any) => e.status)).toEqual([400]);
    expect((await key('get', '/api/v1/audit-log?from=yesterday').expect(400)).body).toEqual({ success: false, error: 'from: must be an ISO 8601 date or date-time' });
    expect((await key('get', '/api/v1/audit-log?actor_type=robot').expect(400)).body.error).toMatch(/^actor_type:/);
  });

  it('records a refused write with the target its route names, as an accepted one', async () => {
    t.clock.now = at(10);
    await key('post', '/api/v1/affiliates/nobody%40partners.test/approve').send({}).expect(404);
    // a minute apart: the log lists the newest first, and entries of one instant in no fixed order
    t.clock.now = at(11);
    await asBrowser(t.app, owner, 'patch', `/api/dashboard/projects/${project.id}/members/${owner.userId}`).send({ role: 'admin' }).expect(409);
    const entries = (await log(`?from=${at(10).toISOString()}`)).data.map((e: any) => [e.method, e.status, e.target]);
    expect(entries).toEqual([
      ['PATCH', 409, owner.userId],
      ['POST', 404, 'nobody@partners.test'],
    ]);
  });
});
