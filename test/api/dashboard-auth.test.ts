import request from 'supertest';
import { emailSettings } from '../../src/config/smtp';
import { EmailSender } from '../../src/email/sender';
import { hashToken } from '../../src/security/tokens';
import { asBrowser, browserOf, PASSWORD, sessionCookieOf, setCookies, setUpOwner, signIn, type Browser } from '../helpers/dashboard';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, buildTestApp, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { TestSmtpServer } from '../helpers/smtp';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { redisRateLimitStore } from '../../src/http/rate-limit';
import { DASHBOARD_LIMITERS, DEFAULT_DASHBOARD_LIMITS } from '../../src/api/dashboard-auth';

describe('dashboard users: set-up, sign-in, sessions, password reset (PRODUCT.md §14)', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let smtp: TestSmtpServer;
  let sender: EmailSender;
  let projectId: string;
  const start = new Date('2026-12-01T12:00:00.000Z');
  const minutes = (n: number) => new Date(start.getTime() + n * 60_000);
  /** delivers the outbox through the real SMTP server and answers the newest mail to `to` */
  const mailTo = async (to: string) => {
    await sender.runOnce();
    return smtp.received.filter((m) => m.envelope.to.includes(to)).at(-1);
  };
  const tokenIn = (text: string, prefix: string) => new RegExp(`#token=(${prefix}[A-Za-z0-9_-]+)`).exec(text)?.[1];

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trustProxy: true });
    t.clock.now = start;
    projectId = (await createProjectViaApi(t.app, 'Acme')).id;
    smtp = await new TestSmtpServer().start();
    sender = new EmailSender(tdb.db.sql, emailSettings(smtp.url(), 'Refwire <refwire@acme.test>'), silentLogger, {}, () => t.clock.now);
  });
  afterAll(async () => {
    await sender.stop();
    await smtp.stop();
    await t.runner.stop();
    await tdb.drop();
  });

  let owner: Browser;

  it('the set-up asks for ADMIN_TOKEN, makes the first owner with an argon2id hash, signs in, and works once', async () => {
    expect((await request(t.app).get('/api/dashboard/setup').expect(200)).body).toEqual({ success: true, data: { needed: true } });
    const body = { email: 'Owner@Acme.test', password: PASSWORD, project_id: projectId };
    expect((await request(t.app).post('/api/dashboard/setup').send(body).expect(401)).body.error).toMatch(/admin token/);
    expect((await request(t.app).post('/api/dashboard/setup').set('Authorization', 'Bearer wrong').send(body).expect(401)).body).toEqual({ success: false, error: 'invalid admin token' });
    const bad = await request(t.app).post('/api/dashboard/setup').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ ...body, password: 'short' }).expect(400);
    expect(bad.body.error).toBe('password: must be at least 10 characters');

    const res = await request(t.app).post('/api/dashboard/setup').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body).expect(201);
    expect(res.body.data).toMatchObject({
      user: { email: 'owner@acme.test' },
      memberships: [{ project_id: projectId, project_name: 'Acme', currency: 'USD', role: 'owner' }],
      csrf_token: expect.any(String),
      session_expires_at: new Date(start.getTime() + 7 * 86_400_000).toISOString(),
    });
    const setCookie = setCookies(res).find((c) => c.startsWith('refwire_session='))!;
    // PUBLIC_URL is https here: the cookie is Secure
    expect(setCookie).toMatch(/^refwire_session=rwds_[A-Za-z0-9_-]{43}; Path=\/; Expires=.+; HttpOnly; Secure; SameSite=Lax$/);
    owner = browserOf(res);

    const [user] = await tdb.db.sql.query<{ email: string; password_hash: string }>('SELECT email, password_hash FROM users');
    expect(user!.email).toBe('owner@acme.test');
    expect(user!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(user!.password_hash).not.toContain(PASSWORD);
    // only the token's hash is stored
    const token = owner.cookie.split('=')[1]!;
    const sessions = await tdb.db.sql.query<{ token_hash: string }>('SELECT token_hash FROM user_sessions');
    expect(sessions).toEqual([{ token_hash: hashToken(token) }]);

    expect((await request(t.app).get('/api/dashboard/setup').expect(200)).body.data).toEqual({ needed: false });
    const again = await request(t.app).post('/api/dashboard/setup').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ ...body, email: 'second@acme.test' }).expect(409);
    expect(again.body.error).toMatch(/already exists/);
    expect(await tdb.db.prisma.user.count()).toBe(1);
  });

  it('a set-up may create the project too, with its API key shown once', async () => {
    // a second installation: its own database
    const other = await createTestDatabase();
    try {
      const app = buildTestApp(other.db);
      const res = await request(app.app).post('/api/dashboard/setup').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ email: 'a@b.test', password: PASSWORD, project_name: 'Beta', currency: 'EUR' }).expect(201);
      expect(res.body.data.project).toMatchObject({ name: 'Beta', currency: 'EUR', api_key: expect.stringMatching(/^rw_/) });
      expect(res.body.data.memberships).toEqual([{ project_id: res.body.data.project.id, project_name: 'Beta', currency: 'EUR', role: 'owner' }]);
      await request(app.app).get('/api/v1/affiliates').set('Authorization', `Bearer ${res.body.data.project.api_key}`).expect(200);
      const both = await request(app.app).post('/api/dashboard/setup').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ email: 'c@b.test', password: PASSWORD }).expect(400);
      expect(both.body.error).toMatch(/project_id: give project_id/);
      await app.runner.stop();
    } finally {
      await other.drop();
    }
  });

  it('signs in with one answer for an unknown email and a wrong password; me gives the user, projects and CSRF token', async () => {
    const wrong = await request(t.app).post('/api/dashboard/login').send({ email: 'owner@acme.test', password: 'not the password' }).expect(401);
    const unknown = await request(t.app).post('/api/dashboard/login').send({ email: 'nobody@acme.test', password: 'not the password' }).expect(401);
    expect(wrong.body).toEqual({ success: false, error: 'wrong email or password' });
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect((await request(t.app).post('/api/dashboard/login').send({ email: 'owner@acme.test' }).expect(400)).body.error).toBe('password: is required');

    const b = await signIn(t.app, 'OWNER@acme.test');
    expect(b.cookie).not.toBe(owner.cookie);
    const me = await request(t.app).get('/api/dashboard/me').set('Cookie', b.cookie).expect(200);
    expect(me.body.data).toEqual({
      user: { id: owner.userId, email: 'owner@acme.test' },
      memberships: [{ project_id: projectId, project_name: 'Acme', currency: 'USD', role: 'owner' }],
      csrf_token: b.csrf,
      session_expires_at: new Date(start.getTime() + 7 * 86_400_000).toISOString(),
    });
    expect((await request(t.app).get('/api/dashboard/me').expect(401)).body).toEqual({ success: false, error: 'not signed in, or the session expired: sign in again' });
    expect((await request(t.app).get('/api/dashboard/me').set('Cookie', 'refwire_session=rwds_forged').expect(401)).body.success).toBe(false);
  });

  it('signs out only with the CSRF token; the session then opens nothing', async () => {
    const b = await signIn(t.app, 'owner@acme.test');
    expect((await request(t.app).post('/api/dashboard/logout').set('Cookie', b.cookie).expect(403)).body.error).toMatch(/CSRF token/);
    await request(t.app).get('/api/dashboard/me').set('Cookie', b.cookie).expect(200);
    const out = await asBrowser(t.app, b, 'post', '/api/dashboard/logout').expect(204);
    expect(setCookies(out).join()).toMatch(/refwire_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    await request(t.app).get('/api/dashboard/me').set('Cookie', b.cookie).expect(401);
    await asBrowser(t.app, b, 'get', '/api/v1/affiliates', projectId).expect(401);
    const [row] = await tdb.db.sql.query<{ revoked_at: Date }>('SELECT revoked_at FROM user_sessions WHERE token_hash = $1', [hashToken(b.cookie.split('=')[1]!)]);
    expect(new Date(row!.revoked_at).toISOString()).toBe(start.toISOString());
  });

  it('a session expires after 7 days', async () => {
    const b = await signIn(t.app, 'owner@acme.test');
    t.clock.now = new Date(start.getTime() + 7 * 86_400_000 - 1000);
    await request(t.app).get('/api/dashboard/me').set('Cookie', b.cookie).expect(200);
    t.clock.now = new Date(start.getTime() + 7 * 86_400_000);
    await request(t.app).get('/api/dashboard/me').set('Cookie', b.cookie).expect(401);
    t.clock.now = start;
  });

  it('resets a password by email: one hour, once, every session ended; unknown addresses get the same answer and no email', async () => {
    const before = smtp.received.length;
    const unknown = await request(t.app).post('/api/dashboard/password-reset').send({ email: 'nobody@acme.test' }).expect(202);
    expect(unknown.body).toEqual({ success: true, data: { email: 'nobody@acme.test', status: 'sent_if_registered' } });
    await sender.runOnce();
    expect(smtp.received.length).toBe(before);

    const signedIn = [await signIn(t.app, 'owner@acme.test'), await signIn(t.app, 'owner@acme.test')];
    const known = await request(t.app).post('/api/dashboard/password-reset').send({ email: 'Owner@acme.test' }).expect(202);
    expect(known.body).toEqual({ success: true, data: { email: 'owner@acme.test', status: 'sent_if_registered' } });
    const mail = (await mailTo('owner@acme.test'))!;
    expect(mail.parsed.subject).toBe('Reset your Refwire dashboard password');
    const token = tokenIn(mail.parsed.text!, 'rwpr_')!;
    expect(mail.parsed.text).toContain(`https://refwire.example.com/dashboard/reset-password#token=${token}`);
    // the reset email belongs to no project: no API key or viewer reads the link through /api/v1/emails
    expect(await tdb.db.prisma.email.count({ where: { template: 'password_reset', projectId: null } })).toBe(1);

    expect((await request(t.app).post('/api/dashboard/password-reset/confirm').send({ token, password: 'short' }).expect(400)).body.error).toBe('password: must be at least 10 characters');
    t.clock.now = minutes(30);
    const done = await request(t.app).post('/api/dashboard/password-reset/confirm').send({ token, password: 'a brand new passphrase' }).expect(200);
    expect(done.body.data).toEqual({ password_changed: true, sessions_ended: expect.any(Number) });
    expect(done.body.data.sessions_ended).toBeGreaterThanOrEqual(2);
    for (const b of [...signedIn, owner]) await request(t.app).get('/api/dashboard/me').set('Cookie', b.cookie).expect(401);
    expect((await request(t.app).post('/api/dashboard/login').send({ email: 'owner@acme.test', password: PASSWORD }).expect(401)).body.error).toBe('wrong email or password');
    owner = await signIn(t.app, 'owner@acme.test', 'a brand new passphrase');
    // once
    expect((await request(t.app).post('/api/dashboard/password-reset/confirm').send({ token, password: 'yet another passphrase' }).expect(404)).body.error).toMatch(/not valid/);

    // one hour
    await request(t.app).post('/api/dashboard/password-reset').send({ email: 'owner@acme.test' }).expect(202);
    const late = tokenIn((await mailTo('owner@acme.test'))!.parsed.text!, 'rwpr_')!;
    expect(late).not.toBe(token);
    t.clock.now = minutes(30 + 60);
    expect((await request(t.app).post('/api/dashboard/password-reset/confirm').send({ token: late, password: 'yet another passphrase' }).expect(410)).body.error).toMatch(/expired/);
    expect((await request(t.app).post('/api/dashboard/password-reset/confirm').send({ token: 'rwpr_guess', password: 'yet another passphrase' }).expect(404)).body.success).toBe(false);
    await signIn(t.app, 'owner@acme.test', 'a brand new passphrase');
    t.clock.now = start;
  });
});

describe('dashboard sign-in budgets (429)', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, {
      trustProxy: true,
      dashboardLimits: { signInFailuresPerAddress: 5, signInFailuresPerEmail: 3, signInWindowMinutes: 15, resetRequestsPerAddress: 4, resetRequestsPerEmail: 2 },
    });
    const projectId = (await createProjectViaApi(t.app, 'Acme')).id;
    await setUpOwner(t.app, projectId, 'owner@acme.test');
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });
  const login = (email: string, password: string, ip: string) => request(t.app).post('/api/dashboard/login').set('X-Forwarded-For', ip).send({ email, password });

  it('refused sign-ins per email: past the budget even the right password is answered 429, from any address', async () => {
    // successful sign-ins use none of it
    for (let i = 0; i < 4; i++) await login('owner@acme.test', PASSWORD, '198.51.100.1').expect(200);
    for (let i = 0; i < 3; i++) await login('owner@acme.test', 'wrong password!', `198.51.100.${10 + i}`).expect(401);
    const blocked = await login('owner@acme.test', PASSWORD, '198.51.100.20').expect(429);
    expect(blocked.body).toEqual({ success: false, error: 'too many attempts for this email: at most 3 per 15 minutes; try again later' });
    expect(blocked.headers['set-cookie']).toBeUndefined();
  });

  it('refused sign-ins per address, whatever emails it tries', async () => {
    for (let i = 0; i < 5; i++) await login(`guess${i}@acme.test`, 'wrong password!', '203.0.113.9').expect(401);
    const blocked = await login('someone@acme.test', 'wrong password!', '203.0.113.9').expect(429);
    expect(blocked.body).toEqual({ success: false, error: 'too many refused attempts from this address: at most 5 per 15 minutes; try again later' });
    await login('someone@acme.test', 'wrong password!', '203.0.113.10').expect(401);
  });

  it('password-reset requests per email and per address', async () => {
    const reset = (email: string, ip: string) => request(t.app).post('/api/dashboard/password-reset').set('X-Forwarded-For', ip).send({ email });
    await reset('owner@acme.test', '192.0.2.1').expect(202);
    await reset('owner@acme.test', '192.0.2.2').expect(202);
    expect((await reset('owner@acme.test', '192.0.2.3').expect(429)).body.error).toBe('too many attempts for this email: at most 2 an hour; try again later');
    await reset('a@acme.test', '192.0.2.50').expect(202);
    await reset('b@acme.test', '192.0.2.50').expect(202);
    await reset('c@acme.test', '192.0.2.50').expect(202);
    await reset('d@acme.test', '192.0.2.50').expect(202);
    expect((await reset('e@acme.test', '192.0.2.50').expect(429)).body.error).toMatch(/^rate limit exceeded: 4 requests an hour per client address/);
    // only the known address got an email queued, twice
    expect(await tdb.db.prisma.email.count({ where: { template: 'password_reset' } })).toBe(2);
  });
});

/** Waits until a store's call succeeds (its scripts loaded), trying again for up to 10 s. */
async function answered(call: () => unknown): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await call();
      return;
    } catch (err) {
      if (attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('dashboard sign-in budgets shared through Redis (REDIS_URL)', () => {
  it('counts refused sign-ins of two API processes together, per email and per address', async () => {
    const tdb = await createTestDatabase();
    const prefix = uniquePrefix();
    // two processes: each has its own stores, on the same Redis keys (src/main.ts names them by limiter)
    const opened = [0, 1].map(() => DASHBOARD_LIMITERS.map((name) => [name, redisRateLimitStore(TEST_REDIS_URL, `${prefix}:dashboard-${name}`)] as const));
    try {
      const apps = opened.map((stores) =>
        buildTestApp(tdb.db, {
          trustProxy: true,
          dashboardLimits: { ...DEFAULT_DASHBOARD_LIMITS, signInFailuresPerEmail: 3, signInFailuresPerAddress: 4, stores: Object.fromEntries(stores.map(([n, s]) => [n, s.store])) },
        }),
      );
      // a loaded machine can time out a store's first script load (500 ms), and a store that cannot answer lets
      // requests through: each store answers once before the counting starts
      for (const stores of opened) for (const [, s] of stores) await answered(() => s.store.get!('warm-up'));
      const projectId = (await createProjectViaApi(apps[0]!.app, 'Acme')).id;
      await setUpOwner(apps[0]!.app, projectId, 'owner@acme.test');
      const login = (i: number, email: string, password: string, ip: string) => request(apps[i]!.app).post('/api/dashboard/login').set('X-Forwarded-For', ip).send({ email, password });
      await login(0, 'owner@acme.test', 'wrong password!', '198.51.100.1').expect(401);
      await login(1, 'owner@acme.test', 'wrong password!', '198.51.100.2').expect(401);
      await login(0, 'owner@acme.test', 'wrong password!', '198.51.100.3').expect(401);
      // the third refusal was counted by the other process: the right password is refused by either
      expect((await login(1, 'owner@acme.test', PASSWORD, '198.51.100.4').expect(429)).body.error).toBe('too many attempts for this email: at most 3 per 15 minutes; try again later');
      for (let i = 0; i < 2; i++) await login(i, `guess${i}@acme.test`, 'wrong password!', '203.0.113.9').expect(401);
      for (let i = 0; i < 2; i++) await login(i, `guess${i + 2}@acme.test`, 'wrong password!', '203.0.113.9').expect(401);
      await login(0, 'someone@acme.test', 'wrong password!', '203.0.113.9').expect(429);
      for (const a of apps) await a.runner.stop();
    } finally {
      for (const stores of opened) for (const [, s] of stores) s.close();
      await dropPrefix(TEST_REDIS_URL, prefix);
      await tdb.drop();
    }
  });
});

// the cookie without Secure when PUBLIC_URL is plain http (a browser would never send a Secure cookie back there)
describe('session cookie on plain http', () => {
  it('has no Secure attribute', async () => {
    const tdb = await createTestDatabase();
    try {
      const t = buildTestApp(tdb.db, { publicUrl: 'http://localhost:3000' });
      const projectId = (await createProjectViaApi(t.app)).id;
      const res = await request(t.app).post('/api/dashboard/setup').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ email: 'o@a.test', password: PASSWORD, project_id: projectId }).expect(201);
      const cookie = setCookies(res).find((c) => c.startsWith('refwire_session='))!;
      expect(cookie).toMatch(/; HttpOnly; SameSite=Lax$/);
      expect(cookie).not.toMatch(/Secure/);
      expect(sessionCookieOf(res)).toMatch(/^refwire_session=rwds_/);
      await t.runner.stop();
    } finally {
      await tdb.drop();
    }
  });
});
