import request from 'supertest';
import { hashToken } from '../../src/security/tokens';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, buildTestApp, type TestApp } from '../helpers/refwire';

describe('/api/admin/projects', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  const admin = () => ({ Authorization: `Bearer ${ADMIN_TOKEN}` });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('creates a project and shows its API key once, storing only its hash', async () => {
    const res = await request(t.app).post('/api/admin/projects').set(admin()).send({ name: 'Acme', currency: 'eur' }).expect(201);
    expect(res.body).toEqual({
      success: true,
      data: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Acme', currency: 'EUR', api_key: expect.stringMatching(/^rw_/), created_at: expect.any(String) },
    });
    const keys = await tdb.db.prisma.apiKey.findMany({ where: { projectId: res.body.data.id } });
    expect(keys).toHaveLength(1);
    expect(keys[0]!.keyHash).toBe(hashToken(res.body.data.api_key));
    const dump = JSON.stringify(await tdb.db.sql.query('SELECT * FROM api_keys'));
    expect(dump).not.toContain(res.body.data.api_key);

    // the key works on the project API
    await request(t.app).get('/api/v1/events').set('Authorization', `Bearer ${res.body.data.api_key}`).expect(200);
  });

  it('defaults the currency to USD', async () => {
    const res = await request(t.app).post('/api/admin/projects').set(admin()).send({ name: 'Beta' }).expect(201);
    expect(res.body.data.currency).toBe('USD');
  });

  it.each([
    [{}, /name/],
    [{ name: '   ' }, /name/],
    [{ name: 'X', currency: 'XYZW' }, /currency/],
    [{ name: 'X', currency: 'ABC' }, /ISO 4217/],
    [{ name: 42 }, /name/],
  ])('answers 400 to %j', async (body, message) => {
    const res = await request(t.app).post('/api/admin/projects').set(admin()).send(body).expect(400);
    expect(res.body).toEqual({ success: false, error: expect.stringMatching(message) });
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await request(t.app)
      .post('/api/admin/projects')
      .set({ ...admin(), 'content-type': 'application/json' })
      .send('{"name":')
      .expect(400);
    expect(res.body).toEqual({ success: false, error: 'request body is not valid JSON' });
    // valid JSON that is not an object is told so
    for (const text of ['null', '1', '"name"']) {
      const other = await request(t.app).post('/api/admin/projects').set({ ...admin(), 'content-type': 'application/json' }).send(text).expect(400);
      expect(other.body).toEqual({ success: false, error: 'request body must be a JSON object' });
    }
  });

  it.each([
    ['no token', {}, 'missing admin token: send Authorization: Bearer <ADMIN_TOKEN>'],
    ['a wrong token', { Authorization: 'Bearer wrong-token-wrong-token' }, 'invalid admin token'],
    ['a project API key', { Authorization: 'Bearer rw_notanadmin' }, 'invalid admin token'],
  ])('answers 401 to %s and creates nothing', async (_name, headers, error) => {
    const before = await tdb.db.prisma.project.count();
    const res = await request(t.app).post('/api/admin/projects').set(headers).send({ name: 'Nope' }).expect(401);
    expect(res.body).toEqual({ success: false, error });
    expect(await tdb.db.prisma.project.count()).toBe(before);
  });

  it('issues another key and revokes one', async () => {
    const project = (await request(t.app).post('/api/admin/projects').set(admin()).send({ name: 'Keys' }).expect(201)).body.data;
    const second = (await request(t.app).post(`/api/admin/projects/${project.id}/api-keys`).set(admin()).send({ name: 'ci' }).expect(201)).body.data;
    expect(second).toMatchObject({ name: 'ci', api_key: expect.stringMatching(/^rw_/), prefix: second.api_key.slice(0, 10) });
    await request(t.app).get('/api/v1/events').set('Authorization', `Bearer ${second.api_key}`).expect(200);

    await request(t.app).delete(`/api/admin/projects/${project.id}/api-keys/${second.id}`).set(admin()).expect(204);
    const res = await request(t.app).get('/api/v1/events').set('Authorization', `Bearer ${second.api_key}`).expect(401);
    expect(res.body).toEqual({ success: false, error: 'invalid API key' });
    await request(t.app).get('/api/v1/events').set('Authorization', `Bearer ${project.api_key}`).expect(200);
    await request(t.app).delete(`/api/admin/projects/${project.id}/api-keys/${second.id}`).set(admin()).expect(404);
  });

  it('answers 404 for keys of an unknown project', async () => {
    await request(t.app).post('/api/admin/projects/00000000-0000-4000-8000-000000000000/api-keys').set(admin()).send({}).expect(404);
    await request(t.app).post('/api/admin/projects/nope/api-keys').set(admin()).send({}).expect(400);
  });

  it('lists projects without their keys', async () => {
    const res = await request(t.app).get('/api/admin/projects').set(admin()).expect(200);
    expect(res.body.pagination).toMatchObject({ limit: 20, offset: 0, total: res.body.data.length });
    expect(JSON.stringify(res.body)).not.toContain('rw_');
  });
});
