import request from 'supertest';
import { issueSession } from '../../src/access/user-sessions';
import { asBrowser, setUpOwner, type Browser } from '../helpers/dashboard';
import { emailSettings } from '../../src/config/smtp';
import { queueEmail, type EmailToQueue } from '../../src/email/outbox';
import { EmailSender } from '../../src/email/sender';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { TestSmtpServer } from '../helpers/smtp';

describe('GET /api/v1/emails: the outbox, without SMTP_URL and with it', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let acme: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  const ids = { code: '', rejected: '', other: '', operator: '' };
  const as = (p: { apiKey: string }) => ({ Authorization: `Bearer ${p.apiKey}` });
  const queue = (email: EmailToQueue) => tdb.db.sql.transaction((tx) => queueEmail(tx, email, t.clock.now));
  const code = (projectId: string | null, to: string, c: string): EmailToQueue => ({
    projectId,
    to,
    template: 'one_time_code',
    data: { projectName: 'Acme', code: c, purpose: 'sign_in' },
  });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    t.clock.now = new Date('2026-12-01T09:00:00.000Z');
    acme = await createProjectViaApi(t.app, 'Acme');
    other = await createProjectViaApi(t.app, 'Other');
    ids.code = await queue(code(acme.id, 'Ada@Partners.test', '314159'));
    t.clock.now = new Date('2026-12-01T09:01:00.000Z');
    ids.rejected = await queue({
      projectId: acme.id,
      to: 'bob@partners.test',
      template: 'application_rejected',
      data: { projectName: 'Acme', affiliateName: 'Bob <b>', reason: 'No <content> yet' },
    });
    ids.other = await queue(code(other.id, 'ada@partners.test', '271828'));
    ids.operator = await queue(code(null, 'ops@refwire.test', '161803'));
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('lists what was queued before any sender ran: pending, newest first, without the bodies', async () => {
    const res = await request(t.app).get('/api/v1/emails').set(as(acme)).expect(200);
    expect(res.body).toEqual({
      success: true,
      data: [
        expect.objectContaining({ id: ids.rejected, to: 'bob@partners.test', template: 'application_rejected', subject: 'Your Acme affiliate application', status: 'pending' }),
        expect.objectContaining({ id: ids.code, to: 'ada@partners.test', template: 'one_time_code', subject: '314159 is your Acme verification code', status: 'pending' }),
      ],
      pagination: { limit: 20, offset: 0, total: 2, has_more: false },
    });
    expect(res.body.data[1]).toEqual({
      id: ids.code,
      to: 'ada@partners.test',
      template: 'one_time_code',
      subject: '314159 is your Acme verification code',
      status: 'pending',
      attempts: 0,
      next_attempt_at: '2026-12-01T09:00:00.000Z',
      last_error: null,
      sent_at: null,
      message_id: null,
      smtp_response: null,
      created_at: '2026-12-01T09:00:00.000Z',
    });
  });

  it('without SMTP_URL the sender keeps them: status kept, the code readable through the API, nothing sent', async () => {
    const sender = new EmailSender(tdb.db.sql, emailSettings(undefined, undefined), silentLogger, {}, () => t.clock.now);
    expect(await sender.runOnce()).toBe(4);
    await sender.stop();
    const list = (await request(t.app).get('/api/v1/emails').set(as(acme)).expect(200)).body;
    expect(list.data.map((e: any) => [e.id, e.status, e.next_attempt_at, e.attempts])).toEqual([
      [ids.rejected, 'kept', null, 0],
      [ids.code, 'kept', null, 0],
    ]);
    const one = (await request(t.app).get(`/api/v1/emails/${ids.code}`).set(as(acme)).expect(200)).body;
    expect(one.success).toBe(true);
    expect(one.data).toMatchObject({ id: ids.code, status: 'kept', to: 'ada@partners.test' });
    expect(one.data.text).toContain('\n    314159\n');
    expect(one.data.html).toContain('314159');
    const rejected = (await request(t.app).get(`/api/v1/emails/${ids.rejected.toUpperCase()}`).set(as(acme)).expect(200)).body.data;
    expect(rejected.text).toContain('> No <content> yet');
    expect(rejected.html).toContain('No &lt;content&gt; yet');
    expect(rejected.html).toContain('Hello Bob &lt;b&gt;,');
  });

  it("a viewer reads that a code was sent, not the code (it would let them act as the affiliate); an owner reads it", async () => {
    const owner = await setUpOwner(t.app, acme.id);
    const user = await tdb.db.prisma.user.create({ data: { email: 'viewer@acme.test', passwordHash: '$argon2id$v=19$m=19456,p=1,t=2$unused$unused', passwordChangedAt: new Date() } });
    await tdb.db.prisma.projectMember.create({ data: { projectId: acme.id, userId: user.id, role: 'viewer' } });
    const session = await issueSession(tdb.db.prisma, user.id, t.clock.now);
    const viewer: Browser = { cookie: `refwire_session=${session.token}`, csrf: session.csrfToken, userId: user.id, email: 'viewer@acme.test' };
    const listed = (await asBrowser(t.app, viewer, 'get', '/api/v1/emails', acme.id).expect(200)).body.data;
    expect(listed.map((e: any) => [e.template, e.subject.includes('314159')])).toEqual([['application_rejected', false], ['one_time_code', false]]);
    const hidden = (await asBrowser(t.app, viewer, 'get', `/api/v1/emails/${ids.code}`, acme.id).expect(200)).body.data;
    expect(hidden).toMatchObject({ template: 'one_time_code', to: 'ada@partners.test', text: null, html: null });
    expect(hidden.subject).toMatch(/^Verification code \(hidden/);
    // other emails are read whole; an owner reads the code, as the API key does
    expect((await asBrowser(t.app, viewer, 'get', `/api/v1/emails/${ids.rejected}`, acme.id).expect(200)).body.data.text).toContain('No <content> yet');
    expect((await asBrowser(t.app, owner, 'get', `/api/v1/emails/${ids.code}`, acme.id).expect(200)).body.data.text).toContain('314159');
  });

  it('filters by status, recipient (any case) and template, and pages', async () => {
    const list = async (query: string) => (await request(t.app).get(`/api/v1/emails?${query}`).set(as(acme)).expect(200)).body;
    expect((await list('status=kept')).pagination.total).toBe(2);
    expect((await list('status=sent')).data).toEqual([]);
    expect((await list('to=ada%40partners.test')).data.map((e: any) => e.id)).toEqual([ids.code]);
    expect((await list('to=ADA%40PARTNERS.TEST&status=kept')).data.map((e: any) => e.id)).toEqual([ids.code]);
    // exactly that address: `_` and `%` are not wildcards
    expect((await list('to=a_a%40partners.test')).data).toEqual([]);
    expect((await list('template=application_rejected')).data.map((e: any) => e.id)).toEqual([ids.rejected]);
    const paged = await list('limit=1&offset=1');
    expect(paged.data.map((e: any) => e.id)).toEqual([ids.code]);
    expect(paged.pagination).toEqual({ limit: 1, offset: 1, total: 2, has_more: false });
    expect((await list('limit=1')).pagination.has_more).toBe(true);
  });

  it("tenancy: a project's key sees its own emails only, and never the operator's", async () => {
    const mine = (await request(t.app).get('/api/v1/emails').set(as(other)).expect(200)).body;
    expect(mine.data.map((e: any) => e.id)).toEqual([ids.other]);
    expect((await request(t.app).get('/api/v1/emails?to=ada%40partners.test').set(as(other)).expect(200)).body.data.map((e: any) => e.id)).toEqual([ids.other]);
    for (const id of [ids.code, ids.operator]) {
      const res = await request(t.app).get(`/api/v1/emails/${id}`).set(as(other)).expect(404);
      expect(res.body).toEqual({ success: false, error: 'email not found' });
    }
    await request(t.app).get(`/api/v1/emails/${ids.operator}`).set(as(acme)).expect(404);
    await request(t.app).get(`/api/v1/emails/${ids.other}`).set(as(acme)).expect(404);
  });

  it('bad input: unknown ids are 404, malformed ids and bad filters 400 naming them, no key 401', async () => {
    const unknown = await request(t.app).get('/api/v1/emails/00000000-0000-4000-8000-000000000000').set(as(acme)).expect(404).expect('Content-Type', /json/);
    expect(unknown.body).toEqual({ success: false, error: 'email not found' });
    for (const id of ['not-an-id', "1' OR '1'='1"]) {
      const res = await request(t.app).get(`/api/v1/emails/${encodeURIComponent(id)}`).set(as(acme)).expect(400).expect('Content-Type', /json/);
      expect(res.body).toEqual({ success: false, error: `invalid email id: ${JSON.stringify(id)} is not a UUID` });
    }
    for (const [query, field] of [
      ['status=delivered', 'status'],
      ['to=not-an-address', 'to'],
      ['template=welcome', 'template'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['offset=-1', 'offset'],
    ]) {
      const res = await request(t.app).get(`/api/v1/emails?${query}`).set(as(acme)).expect(400);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(new RegExp(`^${field}: `)) });
    }
    expect((await request(t.app).get('/api/v1/emails?to=not-an-address').set(as(acme)).expect(400)).body.error).toBe('to: must be an email address');
    await request(t.app).get('/api/v1/emails').expect(401);
  });

  it('with SMTP_URL the same outbox records what was sent', async () => {
    const smtp = await new TestSmtpServer().start();
    try {
      t.clock.now = new Date('2026-12-01T09:05:00.000Z');
      const id = await queue(code(acme.id, 'carol@partners.test', '577215'));
      const sender = new EmailSender(tdb.db.sql, emailSettings(smtp.url(), 'partners@acme.test'), silentLogger, {}, () => t.clock.now);
      expect(await sender.runOnce()).toBe(1);
      await sender.stop();
      await smtp.waitFor(1);
      expect(smtp.received[0]!.parsed.text).toContain('577215');
      const sent = (await request(t.app).get('/api/v1/emails?status=sent').set(as(acme)).expect(200)).body.data;
      expect(sent).toEqual([
        expect.objectContaining({ id, to: 'carol@partners.test', status: 'sent', attempts: 1, sent_at: '2026-12-01T09:05:00.000Z', message_id: `<${id}@acme.test>` }),
      ]);
      expect(sent[0].smtp_response).toMatch(/^250 /);
    } finally {
      await smtp.stop();
    }
  });
});
