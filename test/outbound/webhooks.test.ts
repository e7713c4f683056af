import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { OutboundDispatcher } from '../../src/outbound/dispatcher';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { SecretBox } from '../../src/security/secret-box';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';

const STRIPE_SECRET = 'whsec_outbound_test_secret_1';

type Received = { headers: http.IncomingHttpHeaders; body: string };

/** A merchant's endpoint on this machine, answering what the test says. */
class Receiver {
  readonly received: Received[] = [];
  answer = 200;
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      this.received.push({ headers: req.headers, body });
      res.writeHead(this.answer).end(this.answer === 200 ? 'ok' : 'not now');
    });
  });
  url = '';
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/refwire`;
  }
  stop() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('outbound webhooks', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let receiver: Receiver;
  let dispatcher: OutboundDispatcher;
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const deliver = async (payload: Record<string, any>) => {
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, STRIPE_SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    // the receiver listens on loopback: this installation allows private targets, as OUTBOUND_ALLOW_PRIVATE=true does
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    project = await createProjectViaApi(t.app, 'Outbound');
    await connectProvider(t.app, project.apiKey, 'stripe', STRIPE_SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'partner@acme.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    receiver = new Receiver();
    await receiver.start();
    t.clock.now = new Date();
    dispatcher = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 2000 }, () => t.clock.now);
  });
  afterAll(async () => {
    await t.runner.stop();
    await receiver.stop();
    await tdb.drop();
  });

  it('refuses forbidden targets with the reason, on an installation that does not allow private ones', async () => {
    const strict = buildTestApp(tdb.db, { runner: false });
    const other = await createProjectViaApi(strict.app, 'Strict');
    for (const [url, reason] of [
      ['http://127.0.0.1:9/hook', /127\.0\.0\.1 is a loopback address/],
      ['http://169.254.169.254/latest/meta-data', /linkLocal/],
      ['http://0x7f.1/hook', /loopback/],
      ['http://[::ffff:10.0.0.1]/hook', /private/],
      ['ftp://example.com/hook', /ftp scheme/],
      ['http://localhost:3000/hook', /localhost/],
      ['https://no-such-host.invalid/hook', /does not resolve/],
    ] as const) {
      const res = await request(strict.app).post('/api/v1/webhooks').set({ Authorization: `Bearer ${other.apiKey}` }).send({ url }).expect(400);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(reason) });
    }
    const created = await request(strict.app).post('/api/v1/webhooks').set({ Authorization: `Bearer ${other.apiKey}` }).send({ url: 'https://93.184.215.14/hook' }).expect(201);
    expect(created.body.data.secret).toMatch(/^whsec_/);
  });

  it('creates, lists, updates and deletes endpoints; the secret is shown once', async () => {
    const created = (await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: `${receiver.url}?tmp=1`, events: ['referral_updated'] }).expect(201)).body.data;
    expect(created).toMatchObject({ url: `${receiver.url}?tmp=1`, events: ['referral_updated'], status: 'active', secret: expect.stringMatching(/^whsec_/) });
    const listed = (await request(t.app).get('/api/v1/webhooks').set(api()).expect(200)).body;
    expect(listed.data.map((e: any) => e.id)).toContain(created.id);
    expect(listed.data.every((e: any) => e.secret === undefined)).toBe(true);
    const patched = (await request(t.app).patch(`/api/v1/webhooks/${created.id}`).set(api()).send({ events: ['referral_canceled', 'referral_canceled'] }).expect(200)).body.data;
    expect(patched.events).toEqual(['referral_canceled']);
    await request(t.app).patch(`/api/v1/webhooks/${created.id}`).set(api()).send({ events: ['no_such_event'] }).expect(400);
    // a secret of the merchant's choosing is refused by name, not ignored as an unknown field
    expect((await request(t.app).patch(`/api/v1/webhooks/${created.id}`).set(api()).send({ secret: 'whsec_mine' }).expect(400)).body.error).toMatch(/^secret: Refwire makes each endpoint's signing secret/);
    await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: 'http://127.0.0.1:9/other', secret: 'whsec_mine' }).expect(400);
    await request(t.app).delete(`/api/v1/webhooks/${created.id}`).set(api()).expect(204);
    await request(t.app).get(`/api/v1/webhooks/${created.id}`).set(api()).expect(404);
  });

  it('a tracked purchase delivers a signed referral_converted, retried after a failure with the same webhook-id; a refund delivers referral_canceled', async () => {
    // the format endpoints had before formats existed (test/outbound/refgrow-payloads.test.ts: the default one)
    const endpoint = (await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: receiver.url, payload_format: 'refwire-v1' }).expect(201)).body.data;
    await deliver(stripeEvent('checkout.session.completed.payment.json', (o) => (o.customer = 'cus_outbound')));

    receiver.answer = 500;
    t.clock.now = new Date();
    expect(await dispatcher.runOnce()).toBe(1);
    const [firstTry] = receiver.received.splice(0);
    let deliveries = (await request(t.app).get(`/api/v1/webhooks/${endpoint.id}/deliveries`).set(api()).expect(200)).body.data;
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ event: 'referral_converted', status: 'pending', attempts: 1, last_status_code: 500, last_error: 'answered 500' });
    // first retry within a minute, not before its time
    const retryAt = new Date(deliveries[0].next_attempt_at).getTime();
    expect(retryAt - t.clock.now.getTime()).toBeGreaterThan(0);
    expect(retryAt - t.clock.now.getTime()).toBeLessThanOrEqual(60_000);
    expect(await dispatcher.runOnce()).toBe(0);

    receiver.answer = 200;
    t.clock.now = new Date(retryAt + 1);
    expect(await dispatcher.runOnce()).toBe(1);
    const [secondTry] = receiver.received.splice(0);
    deliveries = (await request(t.app).get(`/api/v1/webhooks/${endpoint.id}/deliveries`).set(api()).expect(200)).body.data;
    expect(deliveries[0]).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200 });
    expect(deliveries[0].attempt_log.map((a: any) => a.status_code)).toEqual([500, 200]);

    // the same message, signed both ways, on both attempts
    expect(secondTry!.headers['webhook-id']).toBe(firstTry!.headers['webhook-id']);
    expect(secondTry!.body).toBe(firstTry!.body);
    const expected = `sha256=${createHmac('sha256', endpoint.secret).update(secondTry!.body).digest('hex')}`;
    expect(secondTry!.headers['x-refwire-signature']).toBe(expected);
    const verified = new Webhook(endpoint.secret).verify(secondTry!.body, {
      'webhook-id': String(secondTry!.headers['webhook-id']),
      'webhook-timestamp': String(Math.floor(t.clock.now.getTime() / 1000)),
      'webhook-signature': String(secondTry!.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({
      event: 'referral_converted',
      id: secondTry!.headers['webhook-id'],
      data: {
        affiliate: { email: 'partner@acme.test', referral_code: 'ACME-PARTNER-42' },
        referral: { email: 'jamie.rivera@example.com' },
        conversion: { kind: 'purchase', value: 8, value_minor: 800, currency: 'USD', attribution: { method: 'metadata' } },
      },
    });

    // a refund of that purchase
    await deliver(stripeEvent('charge.refunded.json', (o) => (o.customer = 'cus_outbound')));
    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    await dispatcher.runOnce();
    const canceled = receiver.received.splice(0).map((r) => JSON.parse(r.body));
    expect(canceled).toEqual([
      expect.objectContaining({ event: 'referral_canceled', data: expect.objectContaining({ conversion: expect.objectContaining({ kind: 'refund', value_minor: -800 }) }) }),
    ]);

    // a manual redelivery sends the same message again
    const first = deliveries[0];
    const again = await request(t.app).post(`/api/v1/webhooks/${endpoint.id}/deliveries/${first.id}/redeliver`).set(api()).expect(202);
    expect(again.body.data.status).toBe('pending');
    await dispatcher.runOnce();
    const redelivered = receiver.received.splice(0);
    expect(redelivered.map((r) => r.headers['webhook-id'])).toEqual([first.webhook_id]);
    await request(t.app).delete(`/api/v1/webhooks/${endpoint.id}`).set(api()).expect(204);
  });

  it('signups deliver referral_signed_up; an endpoint that keeps failing is disabled', async () => {
    const endpoint = (await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: receiver.url, events: ['referral_signed_up'], payload_format: 'refwire-v1' }).expect(201)).body.data;
    const strictDispatcher = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 2000, retryDelaysMs: [], disableAfterFailures: 2 }, () => t.clock.now);
    receiver.answer = 503;
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'new.user@example.com', referral_code: 'ACME-PARTNER-42' }).expect(201);
    await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'signup', referral_code: 'ACME-PARTNER-42', email: 'other.user@example.com' }).expect(201);
    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    expect(await strictDispatcher.runOnce()).toBe(2);
    const bodies = receiver.received.splice(0).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => [b.event, b.data.referral.email, b.data.affiliate.referral_code]).sort()).toEqual([
      ['referral_signed_up', 'new.user@example.com', 'ACME-PARTNER-42'],
      ['referral_signed_up', 'other.user@example.com', 'ACME-PARTNER-42'],
    ]);
    const after = (await request(t.app).get(`/api/v1/webhooks/${endpoint.id}`).set(api()).expect(200)).body.data;
    expect(after).toMatchObject({ status: 'disabled', consecutive_failures: 2, disabled_reason: expect.stringContaining('answered 503') });
    // disabled: it is sent nothing (events meanwhile are not kept for it), until it is enabled again
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'third.user@example.com', referral_code: 'ACME-PARTNER-42' }).expect(201);
    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    expect(await strictDispatcher.runOnce()).toBe(0);
    // nor is a redelivery taken for it: refused, not queued to go later unsaid
    const failedOne = (await request(t.app).get(`/api/v1/webhooks/${endpoint.id}/deliveries?limit=1`).set(api()).expect(200)).body.data[0];
    expect((await request(t.app).post(`/api/v1/webhooks/${endpoint.id}/deliveries/${failedOne.id}/redeliver`).set(api()).expect(409)).body.error).toMatch(/^the endpoint is disabled/);
    expect((await request(t.app).get(`/api/v1/webhooks/${endpoint.id}/deliveries?limit=1`).set(api()).expect(200)).body.data[0].status).toBe('failed');
    receiver.answer = 200;
    const enabled = (await request(t.app).patch(`/api/v1/webhooks/${endpoint.id}`).set(api()).send({ status: 'active' }).expect(200)).body.data;
    expect(enabled).toMatchObject({ status: 'active', consecutive_failures: 0, disabled_reason: null });
    await request(t.app).post('/api/v1/referrals').set(api()).send({ email: 'fourth.user@example.com', referral_code: 'ACME-PARTNER-42' }).expect(201);
    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    expect(await strictDispatcher.runOnce()).toBe(1);
    expect(JSON.parse(receiver.received.splice(0)[0]!.body).data.referral.email).toBe('fourth.user@example.com');
  });
  /** An endpoint that answers only when the test lets it, counting the deliveries it holds. */
  async function holdingEndpoint() {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const state = { held: 0 };
    const server = http.createServer((req, res) => {
      state.held += 1;
      req.resume();
      void released.then(() => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      get held() {
        return state.held;
      },
      close: async () => {
        release();
        await new Promise<void>((r) => server.close(() => r()));
      },
    };
  }

  it('one endpoint slow to answer holds back no delivery to the others, even one made while it waits', async () => {
    const other = await createProjectViaApi(t.app, 'Slow and fast');
    const as = { Authorization: `Bearer ${other.apiKey}` };
    const slow = await holdingEndpoint();
    const fast = new Receiver();
    await fast.start();
    const running = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 10_000 }, () => t.clock.now);
    try {
      await request(t.app).post('/api/v1/webhooks').set(as).send({ url: slow.url, events: ['affiliate.created'] }).expect(201);
      await request(t.app).post('/api/v1/webhooks').set(as).send({ url: fast.url, events: ['affiliate.created'] }).expect(201);
      t.clock.now = new Date();
      running.start(20);
      await request(t.app).post('/api/v1/affiliates').set(as).send({ email: 'first@partners.test', referral_code: 'FIRST' }).expect(201);
      const until = async (done: () => boolean) => {
        for (let i = 0; i < 250 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
        expect(done()).toBe(true);
      };
      await until(() => slow.held === 1 && fast.received.length === 1);
      // made while the slow endpoint still holds the first: the fast one has it without waiting for that answer
      await request(t.app).post('/api/v1/affiliates').set(as).send({ email: 'second@partners.test', referral_code: 'SECOND' }).expect(201);
      await until(() => fast.received.length === 2);
      expect(fast.received[1]!.body).toContain('second@partners.test');
      expect(slow.held).toBe(2);
    } finally {
      await slow.close();
      await running.stop();
      await fast.stop();
    }
  });

  it('an endpoint that hangs takes only its share of the places: a backlog larger than the batch reaches the others meanwhile', async () => {
    const other = await createProjectViaApi(t.app, 'Hanging and fast');
    const as = { Authorization: `Bearer ${other.apiKey}` };
    const hanging = await holdingEndpoint();
    const fast = new Receiver();
    await fast.start();
    const running = new OutboundDispatcher(tdb.db.sql, new SecretBox(t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 20_000, batch: 8, perEndpoint: 3 }, () => t.clock.now);
    try {
      await request(t.app).post('/api/v1/webhooks').set(as).send({ url: hanging.url, events: ['affiliate.created'] }).expect(201);
      await request(t.app).post('/api/v1/webhooks').set(as).send({ url: fast.url, events: ['affiliate.created'] }).expect(201);
      t.clock.now = new Date();
      // 20 deliveries to each, made before the dispatcher starts: due together, interleaved
      for (let i = 0; i < 20; i++) await request(t.app).post('/api/v1/affiliates').set(as).send({ email: `p${i}@partners.test`, referral_code: `HANG${i}` }).expect(201);
      running.start(20);
      for (let i = 0; i < 400 && fast.received.length < 20; i++) await new Promise((r) => setTimeout(r, 25));
      // every delivery to the fast endpoint while the hanging one still holds its first three, and only those
      expect(fast.received.length).toBe(20);
      expect(hanging.held).toBe(3);
    } finally {
      await hanging.close();
      await running.stop();
      await fast.stop();
    }
  });

  it('passes racing in two processes send each delivery once: a row another pass claimed while this one read is not claimed again', async () => {
    const other = await createProjectViaApi(t.app, 'Racing passes');
    const as = { Authorization: `Bearer ${other.apiKey}` };
    const seen = new Map<string, number>();
    // answers a little later than at once, so that passes overlap the way a busy installation's do
    const server = http.createServer((req, res) => {
      const id = String(req.headers['webhook-id']);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      req.resume();
      setTimeout(() => res.writeHead(200).end('ok'), 3);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const box = new SecretBox(t.secretsKey);
    const processes = [0, 1].map(() => new OutboundDispatcher(tdb.db.sql, box, silentLogger, { allowPrivate: true, timeoutMs: 5000, batch: 4, perEndpoint: 50 }, () => t.clock.now));
    try {
      await request(t.app).post('/api/v1/webhooks').set(as).send({ url, events: ['affiliate.created'] }).expect(201);
      const made = 120;
      for (let i = 0; i < made; i++) await request(t.app).post('/api/v1/affiliates').set(as).send({ email: `r${i}@partners.test`, referral_code: `RACE${i}` }).expect(201);
      t.clock.now = new Date();
      // each process starts a pass as soon as its last ends, three at a time, until nothing is left
      const drain = async (d: OutboundDispatcher) => {
        for (let idle = 0; idle < 3; ) idle = (await Promise.all([d.runOnce(), d.runOnce(), d.runOnce()])).some((n) => n > 0) ? 0 : idle + 1;
      };
      await Promise.all(processes.map(drain));
      expect(seen.size).toBe(made);
      expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
      const attempts = await tdb.db.sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.project_id = $1`,
        [other.id],
      );
      expect(Number(attempts[0]!.n)).toBe(made);
    } finally {
      await Promise.all(processes.map((d) => d.stop()));
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
