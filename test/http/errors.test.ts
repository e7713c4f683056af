import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** Answers a person can act on: the limit that was hit, why a documented page is absent. */
describe('error answers', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false, trackRateLimit: { perMinute: 1_000_000 } });
    key = (await createProjectViaApi(t.app)).apiKey;
  });
  afterAll(async () => tdb.drop());

  it('a body over a limit names that limit: 16 KB on the public tracking endpoints, 1 MiB on the API', async () => {
    const track = await request(t.app)
      .post('/api/track/click')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ project_id: '00000000-0000-4000-8000-000000000000', referral_code: 'X', landing_url: 'x'.repeat(17 * 1024) }));
    expect(track.status).toBe(413);
    expect(track.body).toEqual({ success: false, error: 'request body too large (limit 16 KB)' });
    const api = await request(t.app)
      .post('/api/v1/affiliates')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@p.test', name: 'x'.repeat(1024 * 1024 + 10) }));
    expect(api.status).toBe(413);
    expect(api.body).toEqual({ success: false, error: 'request body too large (limit 1 MiB)' });
  });

  it('every connection busy past the pool\'s wait is a 503 with Retry-After, not a 500, and the next request goes through', async () => {
    // the pool's ten connections held, as a burst of slow statements would
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = 0;
    const holders = Array.from({ length: 10 }, () =>
      tdb.db.sql.session(async () => {
        held++;
        await released;
      }),
    );
    while (held < 10) await new Promise((r) => setTimeout(r, 10));
    try {
      const busy = await request(t.app).post('/api/v1/affiliates').set('Authorization', `Bearer ${key}`).send({ email: 'busy@p.test' });
      expect(busy.status).toBe(503);
      expect(busy.headers['retry-after']).toBe('5');
      expect(busy.body).toEqual({ success: false, error: 'the database is busy or unavailable; retry in a few seconds' });
    } finally {
      release();
      await Promise.all(holders);
    }
    await request(t.app).post('/api/v1/affiliates').set('Authorization', `Bearer ${key}`).send({ email: 'busy@p.test' }).expect(201);
    const listed = await request(t.app).get('/api/v1/affiliates').set('Authorization', `Bearer ${key}`).expect(200);
    expect(listed.body.data.filter((a: { email: string }) => a.email === 'busy@p.test')).toHaveLength(1);
  }, 30_000);

  it('/admin/queues without Redis answers 404 saying it needs production mode', async () => {
    const res = await request(t.app).get('/admin/queues').expect(404);
    expect(res.body).toEqual({ success: false, error: expect.stringContaining('REDIS_URL') });
  });
});
