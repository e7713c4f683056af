import request from 'supertest';
import { Redis } from 'ioredis';
import type { RedisReply } from 'rate-limit-redis';
import { redisRateLimitStore, reloadingRedisStore } from '../../src/http/rate-limit';
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

  it('counts requests refused for their body (bad JSON, another Content-Type) and announces the budget on them', async () => {
    const { app } = buildTestApp(tdb.db, { runner: false, rateLimit: { perMinute: 4 } });
    const project = await createProjectViaApi(app, 'Bad bodies');
    const badJson = (path: string) => request(app).post(path).set('Authorization', `Bearer ${project.apiKey}`).set('content-type', 'application/json').send('{');
    const first = await badJson('/api/v1/affiliates').expect(400);
    expect(first.headers['x-ratelimit-limit']).toBe('4');
    expect(first.headers['x-ratelimit-remaining']).toBe('3');
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    const plain = await request(app).post('/api/v1/groups').set('Authorization', `Bearer ${project.apiKey}`).set('content-type', 'text/plain').send('{"name":"x"}').expect(415);
    expect(plain.headers['x-ratelimit-remaining']).toBe('2');
    // the store-attribution route draws on the same budget, in the same order
    const attribution = await badJson('/api/store-attribution').expect(400);
    expect(attribution.headers['x-ratelimit-remaining']).toBe('1');
    await badJson('/api/v1/affiliates').expect(400);
    // past the budget: 429 whatever the body, and well-formed requests too
    const over = await badJson('/api/v1/affiliates').expect(429);
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    await badJson('/api/store-attribution').expect(429);
    await list(app, project.apiKey).expect(429);
  });

  it('counts again once Redis answers, when its scripts could not be loaded as the process started', async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(TEST_REDIS_URL);
    // the two SCRIPT LOADs of the store's start time out, as on a Redis too slow for the half-second budget
    let refusals = 2;
    const store = reloadingRedisStore(prefix, async (command, ...args) => {
      if (command === 'SCRIPT' && refusals > 0) {
        refusals--;
        throw new Error('Command timed out');
      }
      return redis.call(command, ...args) as Promise<RedisReply>;
    });
    try {
      // the start's failure is not thrown at express-rate-limit (which printed its stack on stderr, outside the log)
      await expect(store.init({ windowMs: 60_000 } as Parameters<typeof store.init>[0])).resolves.toBeUndefined();
      // the count that meets the failed load loads again and is counted, not let through
      expect((await store.increment('key')).totalHits).toBe(1);
      expect((await store.increment('key')).totalHits).toBe(2);
      expect((await store.get('key'))?.totalHits).toBe(2);
    } finally {
      redis.disconnect();
      await dropPrefix(TEST_REDIS_URL, prefix);
    }
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

  describe('refused credentials per client address', () => {
    const from = (address: string, req: request.Test) => req.set('X-Forwarded-For', address);
    const wrongKey = 'rw_wrong_key_0000000000000000000000000000000';

    it('answers 429 with Retry-After past the budget, whatever the address then presents; other addresses go on', async () => {
      const { app } = buildTestApp(tdb.db, { runner: false, failedAuthLimit: { perMinute: 3 }, trustProxy: true });
      const project = await createProjectViaApi(app, 'Guessed');
      for (let i = 0; i < 3; i++) {
        expect((await from('203.0.113.7', list(app, wrongKey)).expect(401)).body).toEqual({ success: false, error: 'invalid API key' });
      }
      // the right key too: a correct guess must look like any other once the address is over its budget
      const blocked = await from('203.0.113.7', list(app, project.apiKey)).expect(429);
      expect(blocked.body).toEqual({ success: false, error: expect.stringMatching(/^too many refused credentials from this address; retry in \d+ s$/) });
      const retryAfter = Number(blocked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      await from('203.0.113.7', request(app).get('/api/admin/projects').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).expect(429);
      await from('203.0.113.7', request(app).post('/api/store-attribution').set('Authorization', `Bearer ${project.apiKey}`).send({})).expect(429);

      // another address is not held back by those failures
      await from('198.51.100.9', list(app, project.apiKey)).expect(200);
      await from('198.51.100.9', list(app, wrongKey)).expect(401);
    });

    it('counts only refused credentials: accepted requests, missing keys and other errors use none of the budget', async () => {
      const { app } = buildTestApp(tdb.db, { runner: false, failedAuthLimit: { perMinute: 3 }, trustProxy: true });
      const project = await createProjectViaApi(app, 'Busy');
      const address = '192.0.2.44';
      for (let i = 0; i < 20; i++) await from(address, list(app, project.apiKey)).expect(200);
      for (let i = 0; i < 5; i++) await from(address, request(app).get('/api/v1/affiliates')).expect(401);
      await from(address, request(app).get('/api/v1/affiliates/nobody%40x.test').set('Authorization', `Bearer ${project.apiKey}`)).expect(404);
      await from(address, request(app).post('/api/v1/affiliates').set('Authorization', `Bearer ${project.apiKey}`).send({ email: 'nope' })).expect(400);
      await from(address, list(app, wrongKey)).expect(401);
      await from(address, list(app, wrongKey)).expect(401);
      await from(address, list(app, project.apiKey)).expect(200);
      await from(address, list(app, wrongKey)).expect(401);
      await from(address, list(app, project.apiKey)).expect(429);
    });

    it('counts wrong admin tokens too', async () => {
      const { app } = buildTestApp(tdb.db, { runner: false, failedAuthLimit: { perMinute: 2 }, trustProxy: true });
      const admin = (token: string) => from('192.0.2.80', request(app).get('/api/admin/projects').set('Authorization', `Bearer ${token}`));
      await admin('wrong-admin-token-000000000').expect(401);
      await admin('wrong-admin-token-000000001').expect(401);
      const blocked = await admin(ADMIN_TOKEN).expect(429);
      expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
    });

    it('believes X-Forwarded-For only as TRUST_PROXY says', async () => {
      const { app } = buildTestApp(tdb.db, { runner: false, failedAuthLimit: { perMinute: 2 } });
      const project = await createProjectViaApi(app, 'Spoofed');
      await from('203.0.113.1', list(app, wrongKey)).expect(401);
      await from('203.0.113.2', list(app, wrongKey)).expect(401);
      // every request came from this machine: a made-up header does not buy a fresh budget
      await from('203.0.113.3', list(app, project.apiKey)).expect(429);
    });

    it('shares the count between API processes through Redis, and lets requests through when Redis cannot count', async () => {
      const prefix = uniquePrefix();
      const a = redisRateLimitStore(TEST_REDIS_URL, prefix);
      const b = redisRateLimitStore(TEST_REDIS_URL, prefix);
      const down = redisRateLimitStore('redis://127.0.0.1:1', uniquePrefix());
      try {
        const one = buildTestApp(tdb.db, { runner: false, failedAuthLimit: { perMinute: 2, store: a.store }, trustProxy: true });
        const two = buildTestApp(tdb.db, { runner: false, failedAuthLimit: { perMinute: 2, store: b.store }, trustProxy: true });
        const project = await createProjectViaApi(one.app, 'Shared failures');
        await from('198.51.100.50', list(one.app, wrongKey)).expect(401);
        await from('198.51.100.50', list(two.app, wrongKey)).expect(401);
        await from('198.51.100.50', list(one.app, project.apiKey)).expect(429);
        await from('198.51.100.50', list(two.app, project.apiKey)).expect(429);
        await from('198.51.100.51', list(two.app, project.apiKey)).expect(200);

        const open = buildTestApp(tdb.db, { runner: false, failedAuthLimit: { perMinute: 1, store: down.store }, trustProxy: true });
        for (let i = 0; i < 3; i++) await from('198.51.100.52', list(open.app, wrongKey)).expect(401);
        await from('198.51.100.52', list(open.app, project.apiKey)).expect(200);
      } finally {
        a.close();
        b.close();
        down.close();
        await dropPrefix(TEST_REDIS_URL, prefix);
      }
    });
  });
});
