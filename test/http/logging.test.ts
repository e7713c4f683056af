import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/server/app';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN } from '../helpers/refwire';

describe('request logs', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

  it('carry a request id but never a token, an API key, a provider secret or a signature', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = createApp({
      db: tdb.db,
      logger: pino({ level: 'trace' }, sink),
      secretsKey: Buffer.alloc(32, 3),
      adminToken: ADMIN_TOKEN,
      publicUrl: 'http://localhost',
      webhookToleranceSeconds: { stripe: 300, paddle: 300, lemonsqueezy: 300, polar: 300 },
      onEventStored: () => undefined,
    });
    const project = (await request(app).post('/api/admin/projects').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ name: 'Logs' }).expect(201))
      .body.data;
    const secret = 'whsec_logging_secret_never_logged';
    await request(app).put('/api/v1/integrations/stripe').set('Authorization', `Bearer ${project.api_key}`).send({ webhook_secret: secret }).expect(200);
    const body = JSON.stringify({ id: 'evt_log', type: 'invoice.paid', created: 1, data: { object: {} } });
    const headers = stripeAdapter.sign(body, secret, { now: new Date() });
    const res = await request(app).post(`/webhook/stripe/${project.id}`).set(headers).set('X-Request-Id', 'req-abc-123').send(body).expect(200);
    expect(res.headers['x-request-id']).toBe('req-abc-123');
    await request(app).post(`/webhook/stripe/${project.id}`).set({ ...headers, 'stripe-signature': 't=1,v1=00' }).send(body).expect(400);

    const log = lines.join('');
    expect(log).toContain('req-abc-123');
    for (const secretThing of [ADMIN_TOKEN, project.api_key, secret, headers['stripe-signature']!.split('v1=')[1]!]) {
      expect(log).not.toContain(secretThing);
    }
    expect(log).toContain('"reason":"malformed_signature"');
  });
});
