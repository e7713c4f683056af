import request from 'supertest';
import { emailSettings } from '../../../src/config/smtp';
import { EmailSender } from '../../../src/email/sender';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres';
import { buildTestApp, createProjectViaApi, silentLogger, type TestApp } from '../../helpers/refwire';
import { TestSmtpServer } from '../../helpers/smtp';

/**
 * PRODUCT.md §13 sign-in, through HTTP with a real SMTP server: the code is read from the email that arrived.
 * Sessions (cookie) and embed tokens (bearer), what each refuses, and that no answer tells whether an email is an
 * affiliate's.
 */
const T0 = new Date('2026-12-01T09:00:00.000Z');
const MINUTE = 60_000;
const REFUSED = { success: false, error: 'the code is not correct or has expired: ask for a new one' };
const NOT_SIGNED_IN = { success: false, error: 'not signed in, or the sign-in has expired: sign in again' };

describe('portal sign-in: emailed codes, session cookies, embed tokens', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let smtp: TestSmtpServer;
  let sender: EmailSender;
  let acme: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  const as = (p: { apiKey: string }) => ({ Authorization: `Bearer ${p.apiKey}` });
  const portal = (projectId: string, path: string) => `/api/portal/${projectId}${path}`;

  /** Sends what the outbox holds and answers the 6-digit code of the one email that arrived, checking its recipient. */
  async function codeMailedTo(email: string): Promise<string> {
    const before = smtp.received.length;
    expect(await sender.runOnce()).toBe(1);
    await smtp.waitFor(before + 1);
    const mail = smtp.received[before]!;
    expect(mail.envelope.to).toEqual([email]);
    expect(mail.parsed.subject).toMatch(/Acme/);
    return /\b(\d{6})\b/.exec(mail.parsed.text ?? '')![1]!;
  }

  const login = (projectId: string, email: string) => request(t.app).post(portal(projectId, '/login')).send({ email });
  const verify = (projectId: string, email: string, code: string) => request(t.app).post(portal(projectId, '/login/verify')).send({ email, code });
  const sessionCookie = (res: request.Response) => {
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('refwire_portal='))!;
    return { header: cookie, value: cookie.split(';')[0]! };
  };

  async function signIn(projectId: string, email: string): Promise<string> {
    await login(projectId, email).expect(202);
    const res = await verify(projectId, email, await codeMailedTo(email)).expect(200);
    return sessionCookie(res).value;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    t.clock.now = T0;
    smtp = await new TestSmtpServer().start();
    sender = new EmailSender(tdb.db.sql, emailSettings(smtp.url(), 'partners@acme.test'), silentLogger, {}, () => t.clock.now);
    acme = await createProjectViaApi(t.app, 'Acme');
    other = await createProjectViaApi(t.app, 'Other');
    for (const [email, status] of [
      ['jane@partners.test', 'active'],
      ['sam@partners.test', 'suspended'],
      ['rex@partners.test', 'rejected'],
      ['pat@partners.test', 'pending'],
    ] as const) {
      await request(t.app).post('/api/v1/affiliates').set(as(acme)).send({ email, status, name: email.split('@')[0] }).expect(201);
    }
    await request(t.app).post('/api/v1/affiliates').set(as(other)).send({ email: 'jane@partners.test' }).expect(201);
  });
  afterAll(async () => {
    await sender.stop();
    await smtp.stop();
    await t.runner.stop();
    await tdb.drop();
  });

  it('emails a code, and the code signs in with an httpOnly, SameSite=Lax, Secure session cookie the API accepts', async () => {
    const asked = await login(acme.id, 'Jane@Partners.test').expect(202);
    expect(asked.body).toEqual({
      success: true,
      data: { email: 'jane@partners.test', message: 'if this email belongs to an affiliate of the program, a sign-in code is on its way', code_valid_minutes: 10 },
    });
    const code = await codeMailedTo('jane@partners.test');
    const res = await verify(acme.id, 'jane@partners.test', code).expect(200);
    expect(res.body.data.affiliate).toMatchObject({ email: 'jane@partners.test', name: 'jane', status: 'active' });
    expect(res.body.data.expires_at).toBe(new Date(T0.getTime() + 30 * 86_400_000).toISOString());
    const cookie = sessionCookie(res);
    expect(cookie.header).toMatch(/; HttpOnly/);
    expect(cookie.header).toMatch(/; SameSite=Lax/);
    expect(cookie.header).toMatch(/; Secure/); // PUBLIC_URL is https
    expect(cookie.header).toMatch(/; Path=\//);
    expect(cookie.header).toMatch(/; Max-Age=2592000/);
    // the token never appears in a body a script could read
    expect(JSON.stringify(res.body)).not.toContain(cookie.value.split('=')[1]);

    const me = await request(t.app).get(portal(acme.id, '/me')).set('Cookie', cookie.value).expect(200);
    expect(me.body.data.affiliate).toMatchObject({ email: 'jane@partners.test', status: 'active' });
    // used once: the same code again is refused
    expect((await verify(acme.id, 'jane@partners.test', code).expect(401)).body).toEqual(REFUSED);
    // stored hashed: the database holds no token
    const rows = await tdb.db.sql.query<{ token_hash: string; kind: string }>('SELECT token_hash, kind FROM portal_sessions');
    expect(rows.map((r) => r.kind)).toEqual(['sign_in']);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers an unknown or rejected email exactly as a known one, and emails nothing', async () => {
    const known = (await login(acme.id, 'pat@partners.test').expect(202)).body;
    await codeMailedTo('pat@partners.test');
    for (const email of ['nobody@partners.test', 'rex@partners.test']) {
      const res = await login(acme.id, email).expect(202);
      expect(res.body).toEqual({ ...known, data: { ...known.data, email } });
      expect(await sender.runOnce()).toBe(0);
      // and a guess at a code for it is refused as any wrong code is
      expect((await verify(acme.id, email, '123456').expect(401)).body).toEqual(REFUSED);
    }
    // an affiliate of another project is not one of this project
    await login(acme.id, 'jane@partners.test').expect(202);
    const code = await codeMailedTo('jane@partners.test');
    expect((await verify(other.id, 'jane@partners.test', code).expect(401)).body).toEqual(REFUSED);
  });

  it('refuses wrong, expired and used-up codes with one message, and unknown projects with 404', async () => {
    await login(acme.id, 'pat@partners.test').expect(202);
    const code = await codeMailedTo('pat@partners.test');
    const wrong = code === '000000' ? '000001' : '000000';
    expect((await verify(acme.id, 'pat@partners.test', wrong).expect(401)).body).toEqual(REFUSED);
    expect((await verify(acme.id, 'pat@partners.test', 'abc').expect(401)).body).toEqual(REFUSED);
    // the wrong tries were kept: three more use up the five, and then even the right code is refused
    for (let i = 0; i < 3; i++) await verify(acme.id, 'pat@partners.test', wrong).expect(401);
    expect((await verify(acme.id, 'pat@partners.test', code).expect(401)).body).toEqual(REFUSED);

    await login(acme.id, 'pat@partners.test').expect(202);
    const late = await codeMailedTo('pat@partners.test');
    t.clock.now = new Date(t.clock.now.getTime() + 10 * MINUTE);
    expect((await verify(acme.id, 'pat@partners.test', late).expect(401)).body).toEqual(REFUSED);

    expect((await login('00000000-0000-4000-8000-000000000000', 'pat@partners.test').expect(404)).body).toEqual({ success: false, error: 'project not found' });
    expect((await login('not-a-project', 'pat@partners.test').expect(400)).body).toEqual({ success: false, error: 'invalid project id: "not-a-project" is not a UUID' });
    expect((await login(acme.id, 'not an email').expect(400)).body.error).toBe('email: must be an email address');
    expect(await sender.runOnce()).toBe(0);
  });

  it('a pending or suspended affiliate signs in; a rejected one cannot, and its sessions end with the rejection', async () => {
    await signIn(acme.id, 'pat@partners.test');
    const sam = await signIn(acme.id, 'sam@partners.test');
    expect((await request(t.app).get(portal(acme.id, '/me')).set('Cookie', sam).expect(200)).body.data.affiliate.status).toBe('suspended');

    const pat = await signIn(acme.id, 'pat@partners.test');
    await request(t.app).post('/api/v1/affiliates/pat%40partners.test/reject').set(as(acme)).send({ reason: 'no site' }).expect(200);
    expect((await request(t.app).get(portal(acme.id, '/me')).set('Cookie', pat).expect(401)).body).toEqual(NOT_SIGNED_IN);
    // ended for good: set back to active, the affiliate signs in again; the old session stays ended
    await request(t.app).patch('/api/v1/affiliates/pat%40partners.test').set(as(acme)).send({ status: 'active' }).expect(200);
    await request(t.app).get(portal(acme.id, '/me')).set('Cookie', pat).expect(401);
    await request(t.app).patch('/api/v1/affiliates/pat%40partners.test').set(as(acme)).send({ status: 'rejected' }).expect(200);
    // the rejection email is in the outbox; no code goes out after it
    await sender.runOnce();
    const before = smtp.received.length;
    await login(acme.id, 'pat@partners.test').expect(202);
    expect(await sender.runOnce()).toBe(0);
    expect(smtp.received.length).toBe(before);
  });

  it('logout ends the session at once; a session is worth nothing in another project', async () => {
    const jane = await signIn(acme.id, 'jane@partners.test');
    await request(t.app).get(portal(acme.id, '/me')).set('Cookie', jane).expect(200);
    expect((await request(t.app).get(portal(other.id, '/me')).set('Cookie', jane).expect(401)).body).toEqual(NOT_SIGNED_IN);
    // another origin cannot sign the affiliate out with the cookie, as it can change nothing else with it
    expect((await request(t.app).post(portal(acme.id, '/logout')).set('Cookie', jane).set('Origin', 'https://evil.example').expect(403)).body.error).toMatch(/^a request from another origin/);
    await request(t.app).get(portal(acme.id, '/me')).set('Cookie', jane).expect(200);
    const out = await request(t.app).post(portal(acme.id, '/logout')).set('Cookie', jane).expect(204);
    expect(sessionCookie(out).header).toMatch(/refwire_portal=;/);
    expect((await request(t.app).get(portal(acme.id, '/me')).set('Cookie', jane).expect(401)).body).toEqual(NOT_SIGNED_IN);
    await request(t.app).post(portal(acme.id, '/logout')).set('Cookie', jane).expect(204);
    await request(t.app).get(portal(acme.id, '/me')).expect(401);
    await request(t.app).get(portal(acme.id, '/me')).set('Cookie', 'refwire_portal=rwps_forged').expect(401);
  });

  it('a session expires after 30 days', async () => {
    const jane = await signIn(acme.id, 'jane@partners.test');
    t.clock.now = new Date(t.clock.now.getTime() + 30 * 86_400_000 - 1000);
    await request(t.app).get(portal(acme.id, '/me')).set('Cookie', jane).expect(200);
    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    expect((await request(t.app).get(portal(acme.id, '/me')).set('Cookie', jane).expect(401)).body).toEqual(NOT_SIGNED_IN);
  });

  it('embed tokens: minted with the API key for one affiliate of one project, 10 minutes, as a bearer token from any origin', async () => {
    const minted = await request(t.app).post('/api/v1/affiliates/jane%40partners.test/embed-tokens').set(as(acme)).expect(201);
    const { token, expires_at } = minted.body.data;
    expect(token).toMatch(/^rwpe_[A-Za-z0-9_-]{43}$/);
    expect(expires_at).toBe(new Date(t.clock.now.getTime() + 10 * MINUTE).toISOString());
    const bearer = { Authorization: `Bearer ${token}`, Origin: 'https://app.merchant.test' };

    const me = await request(t.app).get(portal(acme.id, '/me')).set(bearer).expect(200);
    expect(me.headers['access-control-allow-origin']).toBe('*');
    expect(me.headers['access-control-allow-credentials']).toBeUndefined();
    // the embed reads a 429's Retry-After to say when to try again
    expect(me.headers['access-control-expose-headers']).toBe('Retry-After');
    expect(me.body.data.affiliate.email).toBe('jane@partners.test');
    // a POST with it from the merchant's page is accepted (here: payout details)
    await request(t.app).put(portal(acme.id, '/payout-details')).set(bearer).send({ method: 'paypal', paypal_email: 'jane@pay.test' }).expect(200);
    const preflight = await request(t.app).options(portal(acme.id, '/payouts')).set({ Origin: 'https://app.merchant.test', 'Access-Control-Request-Method': 'POST' }).expect(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key' });

    // another project's portal, or another project's key: refused
    expect((await request(t.app).get(portal(other.id, '/me')).set(bearer).expect(401)).body).toEqual(NOT_SIGNED_IN);
    await request(t.app).post('/api/v1/affiliates/jane%40partners.test/embed-tokens').set(as(other)).expect(201);
    expect((await request(t.app).post('/api/v1/affiliates/rex%40partners.test/embed-tokens').set(as(acme)).expect(409)).body.error).toBe(
      'the affiliate is rejected: it cannot sign in to the portal',
    );
    await request(t.app).post('/api/v1/affiliates/nobody%40partners.test/embed-tokens').set(as(acme)).expect(404);
    await request(t.app).post('/api/v1/affiliates/jane%40partners.test/embed-tokens').expect(401);

    t.clock.now = new Date(t.clock.now.getTime() + 10 * MINUTE);
    expect((await request(t.app).get(portal(acme.id, '/me')).set(bearer).expect(401)).body).toEqual(NOT_SIGNED_IN);
  });

  it('the session cookie does not authorize a change sent from another origin', async () => {
    const jane = await signIn(acme.id, 'jane@partners.test');
    const res = await request(t.app).put(portal(acme.id, '/payout-details')).set({ Cookie: jane, Origin: 'https://evil.test' }).send({ method: 'paypal', paypal_email: 'evil@pay.test' }).expect(403);
    expect(res.body.error).toMatch(/Authorization: Bearer/);
    await request(t.app).put(portal(acme.id, '/payout-details')).set({ Cookie: jane, Origin: 'https://refwire.example.com' }).send({ method: 'paypal', paypal_email: 'jane@pay.test' }).expect(200);
    expect((await request(t.app).get(portal(acme.id, '/payout-details')).set('Cookie', jane).expect(200)).body.data.paypal_email).toBe('jane@pay.test');
  });
});

describe('portal sign-in limits', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let acme: { id: string; apiKey: string };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false, portalSignInLimit: { perAddressPerMinute: 6, perEmailPerHour: 3 } });
    acme = await createProjectViaApi(t.app, 'Acme');
    await request(t.app).post('/api/v1/affiliates').set({ Authorization: `Bearer ${acme.apiKey}` }).send({ email: 'jane@partners.test' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('answers 429 past the codes an email may ask for, and past the requests an address may send, and queues no more codes', async () => {
    const login = (email: string) => request(t.app).post(`/api/portal/${acme.id}/login`).send({ email });
    for (let i = 0; i < 3; i++) await login('jane@partners.test').expect(202);
    expect((await login('Jane@partners.test').expect(429)).body).toEqual({ success: false, error: 'too many sign-in codes asked for this email: at most 3 an hour' });
    await login('other@partners.test').expect(202);
    await login('third@partners.test').expect(202);
    // six requests from this address so far: the address's budget is used up, whatever the email
    expect((await login('fourth@partners.test').expect(429)).body.error).toMatch(/^rate limit exceeded: 6 requests a minute per client address/);
    expect((await request(t.app).post(`/api/portal/${acme.id}/login/verify`).send({ email: 'jane@partners.test', code: '123456' }).expect(429)).body.success).toBe(false);
    const codes = await tdb.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM emails WHERE template = 'one_time_code'`);
    expect(Number(codes[0]!.n)).toBe(3);
  });
});
