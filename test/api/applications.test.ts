import request from 'supertest';
import { emailSettings } from '../../src/config/smtp';
import { EmailSender } from '../../src/email/sender';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { TestSmtpServer } from '../helpers/smtp';

describe('public applications: apply, emailed code, verify (PRODUCT.md §12)', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let smtp: TestSmtpServer;
  let sender: EmailSender;
  let project: { id: string; apiKey: string };
  const start = new Date('2026-12-01T12:00:00.000Z');
  const minutes = (n: number) => new Date(start.getTime() + n * 60_000);
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) => {
    const r = request(t.app)[method](path).set('Authorization', `Bearer ${project.apiKey}`);
    return body ? r.send(body) : r;
  };
  const apply = (body: object, ip = '198.51.100.7', id = project.id) =>
    request(t.app).post(`/api/public/projects/${id}/applications`).set('X-Forwarded-For', ip).send(body);
  const verify = (body: object, ip = '198.51.100.7') => request(t.app).post(`/api/public/projects/${project.id}/applications/verify`).set('X-Forwarded-For', ip).send(body);
  /** delivers the outbox through the real SMTP server and answers the newest mail to `to` */
  const mailTo = async (to: string) => {
    await sender.runOnce();
    const mails = smtp.received.filter((m) => m.envelope.to.includes(to));
    return mails[mails.length - 1]!;
  };
  const codeIn = async (to: string) => /\b(\d{6})\b/.exec((await mailTo(to)).parsed.text ?? '')![1]!;
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trustProxy: true });
    t.clock.now = start;
    project = await createProjectViaApi(t.app, 'Acme');
    smtp = await new TestSmtpServer().start();
    sender = new EmailSender(tdb.db.sql, emailSettings(smtp.url(), 'Acme Partners <partners@acme.test>'), silentLogger, {}, () => t.clock.now);
    await api('patch', '/api/v1/settings', { notification_email: 'Owner@Acme.test' }).expect(200);
  });
  afterAll(async () => {
    await sender.stop();
    await smtp.stop();
    await t.runner.stop();
    await tdb.drop();
  });

  it('a visitor applies, reads the code from the email, verifies, and waits as pending; the merchant hears of it', async () => {
    const applied = await apply({ name: 'Jane Writer', email: 'Jane@Blog.test', website: 'https://www.jane.blog/', message: 'I write about tools.' }).expect(202);
    expect(applied.body).toEqual({ success: true, data: { email: 'jane@blog.test', status: 'code_sent', code_expires_at: minutes(10).toISOString() } });
    // nothing is an affiliate, nor reaches the merchant, before the code comes back
    expect((await api('get', '/api/v1/affiliates').expect(200)).body.data).toEqual([]);
    expect((await api('get', '/api/v1/applications').expect(200)).body.data).toEqual([]);
    const code = await codeIn('jane@blog.test');
    expect((await mailTo('jane@blog.test')).parsed.subject).toBe(`${code} is your Acme verification code`);

    expect((await verify({ email: 'jane@blog.test', code: wrong(code) }).expect(400)).body).toEqual({ success: false, error: 'the code is not correct' });
    t.clock.now = minutes(3);
    const verified = (await verify({ email: 'JANE@blog.test', code }).expect(201)).body.data;
    expect(verified).toMatchObject({ email: 'jane@blog.test', name: 'Jane Writer', status: 'pending', referral_code: expect.stringMatching(/^JANE-[0-9A-F]{6}$/) });
    // the code worked once
    expect((await verify({ email: 'jane@blog.test', code }).expect(404)).body.error).toMatch(/^no code is waiting/);

    const affiliate = (await api('get', '/api/v1/affiliates/jane%40blog.test').expect(200)).body.data;
    expect(affiliate).toMatchObject({ id: verified.id, status: 'pending', name: 'Jane Writer' });
    const [listed] = (await api('get', '/api/v1/applications').expect(200)).body.data;
    expect(listed).toMatchObject({
      email: 'jane@blog.test',
      website: 'https://www.jane.blog/',
      message: 'I write about tools.',
      flags: [],
      status: 'verified',
      affiliate_id: verified.id,
      affiliate_status: 'pending',
      verified_at: minutes(3).toISOString(),
    });
    const notice = await mailTo('owner@acme.test');
    expect(notice.parsed.subject).toBe('New affiliate application for Acme: Jane Writer');
    expect(notice.parsed.text).toContain('I write about tools.');
    expect(notice.parsed.text).toContain(`Review the application: https://refwire.example.com/dashboard/projects/${project.id}/affiliates/jane%40blog.test`);

    // applying again with an email that is an affiliate is refused, whatever its status
    expect((await apply({ name: 'Jane', email: 'jane@blog.test' }).expect(409)).body).toEqual({ success: false, error: 'this email is already an affiliate of the program' });
    // the merchant's decision follows the usual lifecycle
    await api('post', '/api/v1/affiliates/jane%40blog.test/approve', {}).expect(200);
    expect((await mailTo('jane@blog.test')).parsed.subject).toMatch(/approved/);
  });

  it('flags a disposable address, a second application from one address and a repeated website, without refusing them', async () => {
    t.clock.now = minutes(20);
    await apply({ name: 'Tom', email: 'tom@mailinator.com' }, '203.0.113.9').expect(202);
    await verify({ email: 'tom@mailinator.com', code: await codeIn('tom@mailinator.com') }, '203.0.113.9').expect(201);
    await apply({ name: 'Tim', email: 'tim@partners.test', website: 'jane.blog/about' }, '203.0.113.9').expect(202);
    await verify({ email: 'tim@partners.test', code: await codeIn('tim@partners.test') }, '203.0.113.9').expect(201);

    const flagged = (await api('get', '/api/v1/applications?flagged=true').expect(200)).body;
    expect(flagged.pagination.total).toBe(2);
    const byEmail = Object.fromEntries(flagged.data.map((a: any) => [a.email, a.flags]));
    expect(byEmail).toEqual({ 'tom@mailinator.com': ['disposable_email'], 'tim@partners.test': ['duplicate_address', 'duplicate_website'] });
    expect((await api('get', '/api/v1/applications?flagged=false').expect(200)).body.data.map((a: any) => a.email)).toEqual(['jane@blog.test']);
    // the merchant's email says what the checks noticed
    expect((await mailTo('owner@acme.test')).parsed.text).toContain('another application came from the same network address');
  });

  it('lists applications by the decision on them: waiting, approved (whatever became of the affiliate since) or rejected', async () => {
    // from the tests above: jane approved, tom and tim waiting; reject tom, approve and then suspend tim
    await api('post', '/api/v1/affiliates/tom%40mailinator.com/reject', { reason: 'disposable address' }).expect(200);
    await api('post', '/api/v1/affiliates/tim%40partners.test/approve', {}).expect(200);
    await api('post', '/api/v1/affiliates/tim%40partners.test/suspend', {}).expect(200);
    const emails = async (query: string) => (await api('get', `/api/v1/applications?${query}`).expect(200)).body.data.map((a: any) => a.email).sort();
    expect(await emails('decision=approved')).toEqual(['jane@blog.test', 'tim@partners.test']);
    expect(await emails('decision=rejected')).toEqual(['tom@mailinator.com']);
    expect(await emails('decision=pending')).toEqual([]);
    expect(await emails('decision=approved&flagged=true')).toEqual(['tim@partners.test']);
    expect((await api('get', '/api/v1/applications?decision=maybe').expect(400)).body.error).toMatch(/^decision: /);
    // applying again: the rejected address is told it was not accepted (signing in sends it no code), the
    // suspended one that it is an affiliate; neither is sent a code
    expect((await apply({ name: 'Tom', email: 'tom@mailinator.com' }, '192.0.2.71').expect(409)).body).toEqual({
      success: false,
      error: 'this email was not accepted into the program: it cannot apply again',
    });
    expect((await apply({ name: 'Tim', email: 'tim@partners.test' }, '192.0.2.71').expect(409)).body.error).toBe('this email is already an affiliate of the program');
    await sender.runOnce();
    expect(smtp.received.filter((m) => /verification code/.test(m.parsed.subject ?? '') && /^t[io]m@/.test(m.envelope.to[0] ?? '')).length).toBe(2);
  });

  it('auto_approve makes a verified applicant active at once and welcomes them', async () => {
    await api('patch', '/api/v1/settings', { auto_approve: true }).expect(200);
    t.clock.now = minutes(30);
    await apply({ name: 'Ava', email: 'ava@partners.test' }, '192.0.2.44').expect(202);
    const ava = (await verify({ email: 'ava@partners.test', code: await codeIn('ava@partners.test') }, '192.0.2.44').expect(201)).body.data;
    expect(ava.status).toBe('active');
    const welcome = await mailTo('ava@partners.test');
    expect(welcome.parsed.subject).toBe("You're in: your Acme affiliate application was approved");
    expect(welcome.parsed.text).toContain(ava.referral_code);
    // the merchant hears of a new affiliate, not of an application waiting for a decision
    const notice = await mailTo('owner@acme.test');
    expect(notice.parsed.subject).toBe('New affiliate for Acme: Ava');
    expect(notice.parsed.text).toContain('was approved at once');
    expect(notice.parsed.text).not.toContain('Approve or reject');
    await api('patch', '/api/v1/settings', { auto_approve: false }).expect(200);
  });

  it('refuses expired codes, a sixth try and codes for nobody, each by name, and changes nothing', async () => {
    t.clock.now = minutes(40);
    await apply({ name: 'Lee', email: 'lee@partners.test' }, '192.0.2.50').expect(202);
    const code = await codeIn('lee@partners.test');
    t.clock.now = minutes(50);
    expect((await verify({ email: 'lee@partners.test', code }, '192.0.2.50').expect(410)).body.error).toMatch(/^the code has expired/);

    // a new code (applying again replaces the waiting application's code) allows five tries
    await apply({ name: 'Lee L.', email: 'lee@partners.test' }, '192.0.2.50').expect(202);
    const fresh = await codeIn('lee@partners.test');
    for (let i = 0; i < 5; i++) await verify({ email: 'lee@partners.test', code: wrong(fresh) }, '192.0.2.50').expect(400);
    expect((await verify({ email: 'lee@partners.test', code: fresh }, '192.0.2.50').expect(429)).body.error).toMatch(/tried 5 times/);
    expect((await verify({ email: 'nobody@partners.test', code: '123456' }, '192.0.2.50').expect(404)).body.error).toMatch(/^no code is waiting/);
    expect((await api('get', '/api/v1/affiliates/lee%40partners.test').expect(404)).body.error).toBe('affiliate not found');
    const waiting = (await api('get', '/api/v1/applications?status=unverified').expect(200)).body.data;
    expect(waiting.filter((a: any) => a.email === 'lee@partners.test')).toEqual([expect.objectContaining({ name: 'Lee L.', status: 'unverified' })]);

    // bad bodies and unknown programs
    expect((await apply({ email: 'x@partners.test' }).expect(400)).body.error).toMatch(/^name: /);
    expect((await apply({ name: 'X', email: 'not-an-email' }).expect(400)).body.error).toMatch(/^email: /);
    // addresses no mail server takes (65 characters before the @; 255 in all): the code could never arrive
    const unreachable = 'email: must be an email address mail can reach (at most 64 characters before the @, 254 in all)';
    expect((await apply({ name: 'X', email: `${'a'.repeat(65)}@partners.test` }).expect(400)).body.error).toBe(unreachable);
    expect((await apply({ name: 'X', email: `x@${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(60)}.abcd.test` }).expect(400)).body.error).toBe(unreachable);
    await apply({ name: 'X', email: `${'a'.repeat(64)}@partners.test` }, '192.0.2.61').expect(202);
    expect((await apply({ name: 'X', email: 'x@partners.test', extra: 1 }).expect(400)).body.success).toBe(false);
    expect((await apply({ name: 'X', email: 'x@partners.test' }, '192.0.2.60', '00000000-0000-4000-8000-000000000000').expect(404)).body.error).toBe('project not found');
    expect((await apply({ name: 'X', email: 'x@partners.test' }, '192.0.2.60', 'not-a-uuid').expect(400)).body.error).toBe('invalid project id: "not-a-uuid" is not a UUID');
  });

  it('limits applications per address and per email, an hour', async () => {
    const limited = buildTestApp(tdb.db, { trustProxy: true, applicationLimits: { perAddressPerHour: 4, perEmailPerHour: 2 } });
    limited.clock.now = minutes(70);
    const post = (email: string, ip: string) =>
      request(limited.app).post(`/api/public/projects/${project.id}/applications`).set('X-Forwarded-For', ip).send({ name: 'Spam', email });
    await post('one@spam.test', '192.0.2.70').expect(202);
    await post('one@spam.test', '192.0.2.71').expect(202);
    // a third code for one email within the hour, whatever the address, and however the project's id is written
    expect((await post('one@spam.test', '192.0.2.72').expect(429)).body.error).toMatch(/for this email: at most 2 an hour/);
    const shouted = await request(limited.app).post(`/api/public/projects/${project.id.toUpperCase()}/applications`).set('X-Forwarded-For', '192.0.2.73').send({ name: 'Spam', email: 'one@spam.test' });
    expect(shouted.status).toBe(429);
    await post('two@spam.test', '192.0.2.70').expect(202);
    await post('three@spam.test', '192.0.2.70').expect(202);
    await post('four@spam.test', '192.0.2.70').expect(202);
    expect((await post('five@spam.test', '192.0.2.70').expect(429)).body.error).toMatch(/4 requests an hour per client address/);
    await limited.runner.stop();
  });
});
