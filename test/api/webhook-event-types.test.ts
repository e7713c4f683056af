import request from 'supertest';
import { DEFAULT_EVENTS, DEFAULT_PAYLOAD_FORMAT, OUTBOUND_EVENTS, PAYLOAD_FORMATS, REFFERQ_EVENTS, REFGROW_EVENTS } from '../../src/outbound/events';
import { asBrowser, setUpOwner } from '../helpers/dashboard';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

describe('GET /api/v1/webhooks/event-types', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  const get = () => request(t.app).get('/api/v1/webhooks/event-types').set({ Authorization: `Bearer ${project.apiKey}` });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    project = await createProjectViaApi(t.app);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it("lists src/outbound/events.ts's events, each with its family and whether it is a default, and the payload formats", async () => {
    const { body } = await get().expect(200);
    expect(body.success).toBe(true);
    expect(body.data.events).toEqual([
      ...REFGROW_EVENTS.map((name) => ({ name, family: 'refgrow', default: true })),
      ...REFFERQ_EVENTS.map((name) => ({ name, family: 'refferq', default: false })),
    ]);
    expect(body.data.events.map((e: { name: string }) => e.name)).toEqual([...OUTBOUND_EVENTS]);
    expect(body.data.events.filter((e: { default: boolean }) => e.default).map((e: { name: string }) => e.name)).toEqual([...DEFAULT_EVENTS]);
    expect(body.data.payload_formats.map((f: { name: string; default_for_new_endpoints: boolean }) => [f.name, f.default_for_new_endpoints])).toEqual(
      PAYLOAD_FORMATS.map((name) => [name, name === DEFAULT_PAYLOAD_FORMAT]),
    );
    for (const f of body.data.payload_formats) expect(f.description).toEqual(expect.any(String));
  });

  it('is what an endpoint created without events or format gets', async () => {
    const { body } = await get().expect(200);
    const created = await request(t.app).post('/api/v1/webhooks').set({ Authorization: `Bearer ${project.apiKey}` }).send({ url: 'http://127.0.0.1:9/in' }).expect(201);
    expect(created.body.data.events).toEqual(body.data.events.filter((e: { default: boolean }) => e.default).map((e: { name: string }) => e.name));
    expect(created.body.data.payload_format).toBe(body.data.payload_formats.find((f: { default_for_new_endpoints: boolean }) => f.default_for_new_endpoints).name);
  });

  it('answers a dashboard session the same, and 401 without credentials', async () => {
    const owner = await setUpOwner(t.app, project.id);
    const viaSession = await asBrowser(t.app, owner, 'get', '/api/v1/webhooks/event-types', project.id).expect(200);
    expect(viaSession.body).toEqual((await get().expect(200)).body);
    await request(t.app).get('/api/v1/webhooks/event-types').expect(401);
  });
});
