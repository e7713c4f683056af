import request from 'supertest';
import { redisRateLimitStore } from '../../src/http/rate-limit';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { ADMIN_TOKEN, buildTestApp, createProjectViaApi } from '../helpers/refwire';

describe('rate limits per API key', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

  const list = (app: Parameters<typeof request>[0], key: string) => request(app).get('/api/v1/affiliates').set('Authorization', `Bearer ${key}`);

  it('allows 100 requests a minute by default, announces the budget, and answers the 101st with 429', async () => {
    const { app } = buildTestApp(tdb.db, { runner: false, rateLimit: { perMinute: 100 } });
    const project = await createProjectViaApi(app, 'Limits');
    const first = await list(app, project.apiKey).expect(200);
    expect(first.headers['x-ratelimit-limit']).toBe('100');
    expect(first.headers['x-ratelimit-remaining']).toBe('99');
    const reset = Number(first.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
    for (let i = 2; i <= 100; i++) await list(app, project.apiKey).expect(200);
    const over = await list(app, project.apiKey).expect(429);
    expect(over.body).toEqual({ success: false, error: expect.stringContaining('rate limit exceeded: 100 requests a minute per API key') });
    expect(over.headers['x-ratelimit-remaining']).toBe('0');

    // another key has a budget of its own; webhooks and the admin API are not counted
    const second = await request(app).post(`/api/admin/projects/${project.id}/api-keys`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(201);
    await list(app, second.body.data.api_key).expect(200);
    await request(app).get('/healthz').expect(200);
  });

  it('shares one budget between API processes through Redis', async () => {
    const prefix = uniquePrefix();
    const a = redisRateLimitStore(TEST_REDIS_URL, prefix);
    const b = redisRateLimitStore(TEST_REDIS_URL, prefix);
    try {
      const one = buildTestApp(tdb.db, { runner: false, rateLimit: { perMinute: 5, store: a.store } });
      const two = buildTestApp(tdb.db, { runner: false, rateLimit: { perMinute: 5, store: b.store } });
      const project = await createProjectViaApi(one.app, 'Shared');
      for (let i = 0; i < 3; i++) await list(one.app, project.apiKey).expect(200);
      const fourth = await list(two.app, project.apiKey).expect(200);
      expect(fourth.headers['x-ratelimit-remaining']).toBe('1');
      await list(two.app, project.apiKey).expect(200);
      await list(one.app, project.apiKey).expect(429);
      await list(two.app, project.apiKey).expect(429);
    } finally {
      a.close();
      b.close();
      await dropPrefix(TEST_REDIS_URL, prefix);
    }
  });

  it('lets requests through when Redis cannot count them', async () => {
    const store = redisRateLimitStore('redis://127.0.0.1:1', uniquePrefix());
    try {
      const { app } = buildTestApp(tdb.db, { runner: false, rateLimit: { perMinute: 1, store: store.store } });
      const project = await createProjectViaApi(app, 'No Redis');
      await list(app, project.apiKey).expect(200);
      await list(app, project.apiKey).expect(200);
    } finally {
      store.close();
    }
  });
});
