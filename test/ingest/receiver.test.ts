import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import request from 'supertest';
import pino from 'pino';
import { openDatabase } from '../../src/db/database';
import { createApp } from '../../src/server/app';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_receiver_test_secret_1';

function stripeEvent(id: string, type = 'invoice.paid') {
  return JSON.stringify({ id, object: 'event', type, created: 1763700000, livemode: false, data: { object: { id: 'in_1' } } });
}

describe('POST /webhook/:provider/:projectId on PostgreSQL', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };

  const count = async () => Number((await tdb.db.sql.query<{ n: bigint }>('SELECT count(*) AS n FROM inbound_events'))[0]!.n);
  const post = (body: string | Buffer, headers: Record<string, string>, path = `/webhook/stripe/${project.id}`) =>
    request(t.app).post(path).set(headers).send(Buffer.isBuffer(body) ? body.toString('utf8') : body);
  const signed = (body: string, secret = SECRET, now = t.clock.now) => stripeAdapter.sign(body, secret, { now });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    project = await createProjectViaApi(t.app);
    await connectProvider(t.app, project.apiKey, 'stripe', SECRET);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });
  beforeEach(async () => {
    await t.runner.idle();
    await tdb.db.sql.exec('DELETE FROM inbound_events');
    t.clock.now = new Date();
  });

  it('stores a verified event once with its raw body and curated headers, and answers 200', async () => {
    const body = stripeEvent('evt_accept_1');
    const res = await post(body, { ...signed(body), 'user-agent': 'Stripe/1.0', 'x-secret-thing': 'nope' }).expect(200);
    expect(res.body).toEqual({ received: true, id: expect.any(String), duplicate: false });

    const [row] = await tdb.db.sql.query<{ id: string; provider_event_id: string; event_type: string; raw_body: Buffer; headers: Record<string, string> }>(
      'SELECT id, provider_event_id, event_type, raw_body, headers FROM inbound_events',
    );
    expect(row!.id).toBe(res.body.id);
    expect(row!.provider_event_id).toBe('evt_accept_1');
    expect(row!.event_type).toBe('invoice.paid');
    expect(Buffer.from(row!.raw_body).toString('utf8')).toBe(body);
    expect(Object.keys(row!.headers).sort()).toEqual(['content-type', 'stripe-signature', 'user-agent']);
  });

  it('answers a redelivery with the same id and duplicate: true, storing nothing new', async () => {
    const body = stripeEvent('evt_dup_1');
    const first = await post(body, signed(body)).expect(200);
    t.clock.now = new Date(t.clock.now.getTime() + 60_000);
    const again = await post(body, signed(body)).expect(200);
    expect(again.body).toEqual({ received: true, id: first.body.id, duplicate: true });
    expect(await count()).toBe(1);
  });

  it('turns concurrent deliveries of one event into exactly one row', async () => {
    const body = stripeEvent('evt_concurrent_1');
    const headers = signed(body);
    const responses = await Promise.all(Array.from({ length: 25 }, () => post(body, headers)));
    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(200));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(responses.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await count()).toBe(1);
  });

  describe('404 and nothing stored', () => {
    it.each([
      ['an unknown provider', () => `/webhook/braintree/${project.id}`, 'unknown provider'],
      ['an unknown project', () => '/webhook/stripe/00000000-0000-4000-8000-000000000000', 'unknown project'],
      ['a project id that is not a uuid', () => '/webhook/stripe/not-a-project', 'unknown project'],
      ['a provider the project has not connected', () => `/webhook/paddle/${project.id}`, 'paddle is not connected for this project'],
    ])('%s', async (_name, path, error) => {
      const body = stripeEvent('evt_404');
      const res = await post(body, signed(body), path()).expect(404);
      expect(res.body).toEqual({ success: false, error });
      expect(await count()).toBe(0);
    });
  });

  describe('400 with a generic body and nothing stored', () => {
    const body = stripeEvent('evt_bad');
    it.each([
      ['no signature header', () => ({})],
      ['a malformed signature header', () => ({ 'stripe-signature': 'garbage' })],
      ['a signature made with the wrong secret', () => signed(body, 'whsec_someone_else_entirely')],
      ['a stale timestamp', () => signed(body, SECRET, new Date(t.clock.now.getTime() - 301_000))],
      ['a future timestamp', () => signed(body, SECRET, new Date(t.clock.now.getTime() + 301_000))],
    ])('%s', async (_name, headers) => {
      const res = await post(body, headers()).expect(400);
      expect(res.body).toEqual({ success: false, error: 'webhook verification failed' });
      expect(await count()).toBe(0);
    });

    it('a body with one flipped byte', async () => {
      const headers = signed(body);
      const tampered = Buffer.from(body);
      tampered[20] = tampered[20]! ^ 0x01;
      await post(tampered, headers).expect(400);
      expect(await count()).toBe(0);
    });

    it('malformed JSON in a correctly signed body', async () => {
      const broken = '{"id":"evt_broken","type":';
      const res = await post(broken, signed(broken)).expect(400);
      // the signature held: the sender is told what is wrong with the body, not that verification failed
      expect(res.body).toEqual({ success: false, error: 'event not accepted: the signed body is not a stripe event (a JSON object with its id and type)' });
      expect(await count()).toBe(0);
    });

    it('an empty body', async () => {
      expect((await post('', signed('')).expect(400)).body.error).toMatch(/^event not accepted: the signed body is not a stripe event/);
      expect(await count()).toBe(0);
    });
  });

  describe('400 naming the reason, nothing stored, for a signed event the inbox cannot hold', () => {
    /** `depth` objects, one inside the other */
    const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
    it.each([
      ['an event id over 255 characters', JSON.stringify({ id: `evt_${'x'.repeat(252)}`, type: 'invoice.paid', created: 1763700000 }), 'its event id is longer than 255 characters'],
      ['an event id holding NUL', JSON.stringify({ id: 'evt_\u0000nul', type: 'invoice.paid', created: 1763700000 }), 'its event id holds a NUL character'],
      // stored as U+FFFD, its key read back is not the one inserted: it was answered 503 and retried forever
      ['an event id holding half a surrogate pair', JSON.stringify({ id: 'evt_\ud800half', type: 'invoice.paid', created: 1763700000 }), 'its event id holds half of a UTF-16 surrogate pair'],
      ['an event type over 255 characters', JSON.stringify({ id: 'evt_long_type', type: 't'.repeat(256), created: 1763700000 }), 'its event type is longer than 255 characters'],
      ['an event type holding NUL', JSON.stringify({ id: 'evt_nul_type', type: 'invoice.paid\u0000', created: 1763700000 }), 'its event type holds a NUL character'],
      ['a timestamp no date can hold', JSON.stringify({ id: 'evt_far_future', type: 'invoice.paid', created: 1e20 }), 'its timestamp is not a date between the years 1 and 9999'],
      ['a timestamp before the year 1', JSON.stringify({ id: 'evt_far_past', type: 'invoice.paid', created: -1e11 }), 'its timestamp is not a date between the years 1 and 9999'],
      // the receiver's limit is MAX_JSON_DEPTH (64); the deepest recorded provider payload nests 9 levels
      ['JSON nested 65 levels deep', `{"id":"evt_deep_65","type":"invoice.paid","created":1763700000,"data":${nested(64)}}`, 'its JSON nests deeper than 64 levels'],
      ['JSON nested 5,000 levels deep', `{"id":"evt_deep_5000","type":"invoice.paid","created":1763700000,"data":${nested(4999)}}`, 'its JSON nests deeper than 64 levels'],
    ])('%s', async (_name, body, reason) => {
      const res = await post(body, signed(body)).expect(400);
      expect(res.body).toEqual({ success: false, error: `event not accepted: ${reason}` });
      expect(await count()).toBe(0);
    });

    it('stores JSON nested exactly 64 levels deep', async () => {
      const body = `{"id":"evt_deep_64","type":"invoice.paid","created":1763700000,"data":${nested(63)}}`;
      await post(body, signed(body)).expect(200);
      expect(await count()).toBe(1);
    });

    it.each([
      ['an event id too long', `evt_${'y'.repeat(300)}`],
      ['an event id holding half a surrogate pair', 'evt_\udc00beside'],
    ])('stores the good deliveries sent beside a bad one: %s', async (_name, badId) => {
      const bad = JSON.stringify({ id: badId, type: 'invoice.paid', created: 1763700000 });
      const goods = ['evt_beside_1', 'evt_beside_2', 'evt_beside_3'].map((id) => stripeEvent(id));
      const answers = await Promise.all([post(bad, signed(bad)), ...goods.map((g) => post(g, signed(g)))]);
      expect(answers.map((a) => a.status)).toEqual([400, 200, 200, 200]);
      expect(await count()).toBe(3);
    });
  });

  it('answers 413 to a body over 1 MiB and stores nothing', async () => {
    const big = JSON.stringify({ id: 'evt_big', type: 'invoice.paid', padding: 'x'.repeat(1024 * 1024) });
    const res = await post(big, signed(big)).expect(413);
    expect(res.body).toEqual({ success: false, error: 'request body too large (limit 1 MiB)' });
    expect(await count()).toBe(0);
  });

  it('answers 413 to an oversized chunked body (no Content-Length), read up to the limit only', async () => {
    const server = http.createServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: `/webhook/stripe/${project.id}`, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
        req.end();
      });
      expect(status).toBe(413);
      expect(await count()).toBe(0);
    } finally {
      server.close();
    }
  });

  it('stores nothing when the connection breaks mid-body, and keeps serving', async () => {
    const server = http.createServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const body = stripeEvent('evt_cut_off');
      const head = Object.entries(signed(body)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`POST /webhook/stripe/${project.id} HTTP/1.1\r\nHost: x\r\n${head}Content-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`);
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('close', () => resolve());
      });
      await post(stripeEvent('evt_after_cut'), signed(stripeEvent('evt_after_cut'))).expect(200);
      expect((await tdb.db.sql.query<{ provider_event_id: string }>('SELECT provider_event_id FROM inbound_events')).map((r) => r.provider_event_id)).toEqual(['evt_after_cut']);
    } finally {
      server.close();
    }
  });

  it('leaves other methods and paths to the API, which answers 404 in JSON', async () => {
    expect((await request(t.app).get(`/webhook/stripe/${project.id}`).expect(404)).body).toEqual({ success: false, error: expect.any(String) });
    expect((await request(t.app).post(`/webhook/stripe/${project.id}/extra`).send('{}').expect(404)).body).toEqual({ success: false, error: expect.any(String) });
    const body = stripeEvent('evt_trailing_slash');
    await post(body, signed(body), `/webhook/stripe/${project.id}/`).expect(200);
  });

  it('accepts a body just under 1 MiB', async () => {
    const base = JSON.stringify({ id: 'evt_almost_big', type: 'invoice.paid', padding: '' });
    const body = JSON.stringify({ id: 'evt_almost_big', type: 'invoice.paid', padding: 'x'.repeat(1024 * 1024 - base.length) });
    expect(Buffer.byteLength(body)).toBe(1024 * 1024);
    await post(body, signed(body)).expect(200);
  });

  it('accepts both secrets during a rotation, and only the new one once the old expires', async () => {
    const NEW = 'whsec_receiver_rotated_secret_2';
    const res = await connectProvider(t.app, project.apiKey, 'stripe', NEW, { previous_secret_ttl_hours: 1 });
    expect(res.body.data.previous_secret).toEqual({ hint: expect.any(String), expires_at: expect.any(String) });
    try {
      const a = stripeEvent('evt_rot_old');
      const b = stripeEvent('evt_rot_new');
      await post(a, signed(a, SECRET)).expect(200);
      await post(b, signed(b, NEW)).expect(200);

      t.clock.now = new Date(t.clock.now.getTime() + 3_600_001);
      const c = stripeEvent('evt_rot_late');
      await post(c, signed(c, SECRET)).expect(400);
      await post(c, signed(c, NEW)).expect(200);
    } finally {
      await connectProvider(t.app, project.apiKey, 'stripe', SECRET, { previous_secret_ttl_hours: 0 });
    }
  });

  it('stores and lists an event type Refwire does not use, marked ignored with the reason', async () => {
    const body = stripeEvent('evt_ignored_1', 'product.created');
    const { body: accepted } = await post(body, signed(body)).expect(200);
    await t.runner.idle();
    const res = await request(t.app).get(`/api/v1/events/${accepted.id}`).set('Authorization', `Bearer ${project.apiKey}`).expect(200);
    expect(res.body.data).toMatchObject({ status: 'ignored', status_reason: 'event type "product.created" is not used by Refwire' });
  });
});

describe('the receiver when the database is unreachable', () => {
  it('answers 503 quickly and never 2xx', async () => {
    const db = await openDatabase({ kind: 'postgres', url: 'postgresql://root@127.0.0.1:1/none' });
    const app = createApp({
      db,
      logger: pino({ level: 'silent' }),
      secretsKey: Buffer.alloc(32, 1),
      adminToken: null,
      publicUrl: 'http://localhost',
      webhookToleranceSeconds: { stripe: 300, paddle: 300, lemonsqueezy: 300, polar: 300 },
      onEventStored: () => undefined,
    });
    try {
      const body = stripeEvent('evt_down');
      const started = Date.now();
      const res = await request(app)
        .post('/webhook/stripe/11111111-1111-4111-8111-111111111111')
        .set(stripeAdapter.sign(body, SECRET, { now: new Date() }))
        .send(body)
        .expect(503);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(res.body).toEqual({ success: false, error: 'temporarily unavailable, retry later' });
      expect(res.headers['retry-after']).toBe('5');
      await request(app).get('/readyz').expect(503);
    } finally {
      await db.close();
    }
  });
});
