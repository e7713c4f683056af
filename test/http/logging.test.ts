import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { PGlite } from '@electric-sql/pglite';
import { wrapPglite } from '../../src/db/database';
import { migrate } from '../../src/db/migrator';
import { createApp } from '../../src/server/app';
import { createLogger } from '../../src/observability/logger';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN } from '../helpers/refwire';

describe('request logs', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());
  /** The app on the test database, its info-level log lines kept in `lines`. */
  const appLoggingInto = (lines: string[], extra: Partial<Parameters<typeof createApp>[0]> = {}) =>
    createApp({
      db: tdb.db,
      logger: createLogger('info', sinkInto(lines)),
      secretsKey: Buffer.alloc(32, 3),
      adminToken: ADMIN_TOKEN,
      publicUrl: 'http://localhost',
      webhookToleranceSeconds: { stripe: 300, paddle: 300, lemonsqueezy: 300, polar: 300 },
      onEventStored: () => undefined,
      ...extra,
    });

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

    // the receiver logs for itself, as the request log does: an id made when none is given, answered and logged
    // on the request's last line at the level its status calls for
    const second = JSON.stringify({ id: 'evt_log_2', type: 'invoice.paid', created: 1, data: { object: {} } });
    const answered = await request(app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(second, secret, { now: new Date() })).send(second).expect(200);
    const id = String(answered.headers['x-request-id']);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const entries = lines.join('').trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string; req?: { id: string; url: string }; res?: { statusCode: number } });
    const completed = entries.filter((e) => e.msg === 'request completed' && e.req?.url === `/webhook/stripe/${project.id}`);
    expect(completed.map((e) => [e.req!.id, e.res!.statusCode, e.level])).toEqual([
      ['req-abc-123', 200, 30],
      [expect.any(String), 400, 40],
      [id, 200, 30],
    ]);
    expect(entries.find((e) => e.msg === 'webhook rejected')?.req?.id).toBe(completed[1]!.req!.id);

    // an orchestrator's probes, every few seconds, at debug: an info-level log is not filled with them
    lines.length = 0;
    await request(app).get('/healthz').expect(200);
    await request(app).get('/api/v1/affiliates').set('Authorization', 'Bearer rw_not_a_key').expect(401);
    const probes = lines.join('').trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string; req?: { url: string } });
    expect(probes.filter((e) => e.msg === 'request completed').map((e) => [e.req!.url, e.level])).toEqual([
      ['/healthz', 20],
      ['/api/v1/affiliates', 40],
    ]);
  });

  it('blank query-string values but the API\'s own paging and filters, so a key sent there is not logged', async () => {
    const lines: string[] = [];
    const app = appLoggingInto(lines);
    const project = (await request(app).post('/api/admin/projects').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ name: 'Query' }).expect(201)).body
      .data;
    const key: string = project.api_key;
    await request(app).get(`/api/v1/affiliates?api_key=${encodeURIComponent(key)}&limit=5`).expect(401);
    await request(app).get(`/api/v1/events?${encodeURIComponent(key)}&status=failed`).set('Authorization', `Bearer ${key}`).expect(200);
    await request(app).get(`/api/admin/projects?token=${ADMIN_TOKEN}`).expect(401);
    const log = lines.join('');
    expect(log).not.toContain(key);
    expect(log).not.toContain(encodeURIComponent(key));
    expect(log).not.toContain(ADMIN_TOKEN);
    expect(log).toContain('"url":"/api/v1/affiliates?api_key=[redacted]&limit=5"');
    expect(log).toContain('"url":"/api/v1/events?[redacted]&status=failed"');
    expect(log).toContain('"url":"/api/admin/projects?token=[redacted]"');
  });

  it("behind a trusted proxy, names the client the proxy forwarded, on the API's and the receiver's lines alike", async () => {
    const build = (trustProxy: boolean | number, lines: string[]) => appLoggingInto(lines, { trustProxy });
    const addressesOf = (lines: string[]) =>
      lines
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string; req?: { url: string; remoteAddress?: string } })
        .filter((e) => e.msg === 'request completed')
        .map((e) => [e.req!.url.split('/').slice(0, 3).join('/'), e.req!.remoteAddress]);
    const forwarded = { 'X-Forwarded-For': '203.0.113.7, 198.51.100.20' };
    const body = JSON.stringify({ id: 'evt_proxy_log', type: 'invoice.paid', created: 1, data: { object: {} } });

    // one proxy in front (TRUST_PROXY=1): the address it saw connect, the last one it appended
    const trusted: string[] = [];
    const app = build(1, trusted);
    await request(app).get('/api/v1/affiliates').set(forwarded).set('Authorization', 'Bearer rw_not_a_key').expect(401);
    await request(app).post('/webhook/stripe/00000000-0000-4000-8000-000000000000').set(forwarded).set('stripe-signature', 't=1,v1=00').send(body).expect(404);
    expect(addressesOf(trusted)).toEqual([
      ['/api/v1', '198.51.100.20'],
      ['/webhook/stripe', '198.51.100.20'],
    ]);
    // no proxy trusted: the header is anyone's to write, and the log names the peer
    const untrusted: string[] = [];
    await request(build(false, untrusted)).get('/api/v1/affiliates').set(forwarded).set('Authorization', 'Bearer rw_not_a_key').expect(401);
    expect(addressesOf(untrusted)).toEqual([['/api/v1', expect.stringMatching(/127\.0\.0\.1$/)]]);
  });

  it('on PGlite, a failed insert logs neither the raw webhook body nor its signature', async () => {
    const lines: string[] = [];
    const db = wrapPglite(await PGlite.create());
    try {
      await migrate(db.sql);
      const app = createApp({
        db,
        logger: createLogger('info', sinkInto(lines)),
        secretsKey: Buffer.alloc(32, 4),
        adminToken: ADMIN_TOKEN,
        publicUrl: 'http://localhost',
        webhookToleranceSeconds: { stripe: 300, paddle: 300, lemonsqueezy: 300, polar: 300 },
        onEventStored: () => undefined,
      });
      const project = (await request(app).post('/api/admin/projects').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ name: 'Lite' }).expect(201)).body
        .data;
      const secret = 'whsec_pglite_logging_secret';
      await request(app).put('/api/v1/integrations/stripe').set('Authorization', `Bearer ${project.api_key}`).send({ webhook_secret: secret }).expect(200);
      // the insert fails inside PGlite, whose errors carry the statement's parameters
      await db.sql.exec('ALTER TABLE inbound_events RENAME TO inbound_events_gone');
      const body = JSON.stringify({ id: 'evt_body_marker_7731', type: 'invoice.paid', created: 1, data: { object: { customer_email: 'private.person@example.com' } } });
      const headers = stripeAdapter.sign(body, secret, { now: new Date() });
      await request(app).post(`/webhook/stripe/${project.id}`).set(headers).send(body).expect(503);
      const log = lines.join('');
      expect(log).toContain('webhook not stored: database unavailable');
      expect(log).toContain('inbound_events');
      for (const leak of ['evt_body_marker_7731', 'private.person@example.com', headers['stripe-signature']!.split('v1=')[1]!, '"params"']) {
        expect(log).not.toContain(leak);
      }
    } finally {
      await db.close();
    }
  });
});

function sinkInto(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
}

describe('the logger', () => {
  it('blanks credentials and any signature header, whatever provider names it', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) } as never);
    logger.info({ req: { method: 'POST', headers: { 'x-acme-signature': 'sig-value-1', authorization: 'Bearer k', 'content-type': 'application/json' } } }, 'one');
    logger.info({ headers: { 'stripe-signature': 'sig-value-2', 'x-api-key': 'k2', accept: '*/*' } }, 'two');
    const log = lines.join('');
    for (const leak of ['sig-value-1', 'Bearer k', 'sig-value-2', 'k2"']) expect(log).not.toContain(leak);
    expect(log).toContain('application/json');
    expect(log).toContain('*/*');
  });
});
