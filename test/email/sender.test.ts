import { emailSettings } from '../../src/config/smtp';
import { sqlSessionOf } from '../../src/db/prisma-session';
import { queueEmail, type EmailToQueue } from '../../src/email/outbox';
import { DEFAULT_EMAIL_SEND, EmailSender } from '../../src/email/sender';
import { createProject } from '../../src/projects/projects';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import pino from 'pino';
import { TestSmtpServer } from '../helpers/smtp';

const FROM = 'Acme Partners <partners@acme.test>';
const CREDENTIALS = { user: 'refwire@acme.test', password: 'p@ss:w/rd %secret' };

type Row = {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  sent_at: Date | null;
  message_id: string | null;
  smtp_response: string | null;
};

describe('the email outbox and its sender, through a real SMTP server', () => {
  let tdb: TestDatabase;
  let projectId: string;
  /** the one clock of these tests: queueEmail's `at` and the sender's clock both read it */
  const clock = { now: new Date('2026-12-01T10:00:00.000Z') };
  const servers: TestSmtpServer[] = [];
  const senders: EmailSender[] = [];

  const server = async (auth: { user: string; password: string } | null = null) => {
    const s = await new TestSmtpServer(auth).start();
    servers.push(s);
    return s;
  };
  /** what the senders logged, as pino's JSON lines */
  let logged: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  const sender = (smtpUrl: string | undefined, options: ConstructorParameters<typeof EmailSender>[3] = {}) => {
    const s = new EmailSender(tdb.db.sql, emailSettings(smtpUrl, smtpUrl ? FROM : undefined), logger, { timeoutMs: 3000, ...options }, () => clock.now);
    senders.push(s);
    return s;
  };
  const queue = (email: EmailToQueue) => tdb.db.sql.transaction((tx) => queueEmail(tx, email, clock.now));
  const row = async (id: string) => (await tdb.db.sql.query<Row>('SELECT * FROM emails WHERE id = $1', [id]))[0]!;
  const code = (to = 'applicant@partners.test'): EmailToQueue => ({
    projectId,
    to,
    template: 'one_time_code',
    data: { projectName: 'Acme', code: '042917', purpose: 'application' },
  });
  /** Settles the outbox between tests: whatever a test left pending is no one else's business. */
  const clear = () => tdb.db.sql.query(`DELETE FROM emails`);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    projectId = (await createProject(tdb.db.prisma, { name: 'Acme', currency: 'USD' })).id;
  });
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((s) => s.stop()));
    await clear();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await tdb.drop();
  });

  it('sends every template with the credentials of SMTP_URL; what arrives has the code in the subject, the text and the HTML', async () => {
    const smtp = await server(CREDENTIALS);
    const ids = [
      await queue(code()),
      await queue({
        projectId,
        to: 'owner@acme.test',
        template: 'application_received',
        data: { projectName: 'Acme', applicantName: 'Ada Applicant', applicantEmail: 'applicant@partners.test', website: 'https://ada.test', message: 'I write about tools.' },
      }),
      await queue({ projectId, to: 'ada@partners.test', template: 'application_approved', data: { projectName: 'Acme', affiliateName: 'Ada', referralCode: 'ADA-42' } }),
      await queue({ projectId, to: 'bob@partners.test', template: 'application_rejected', data: { projectName: 'Acme', affiliateName: 'Bob', reason: 'Your site has no content yet.' } }),
      await queue({
        projectId,
        to: 'ada@partners.test',
        template: 'payout_completed',
        data: { projectName: 'Acme', affiliateName: 'Ada', amountMinor: 12_345n, currency: 'USD', reference: 'PAYPAL-7XK2' },
      }),
    ];

    const s = sender(smtp.url());
    expect(s.sends).toBe(true);
    expect(await s.runOnce()).toBe(5);
    await smtp.waitFor(5);
    expect(smtp.logins.every((l) => l.user === CREDENTIALS.user && l.password === CREDENTIALS.password)).toBe(true);
    expect(smtp.received.every((m) => m.user === CREDENTIALS.user)).toBe(true);

    const to = (address: string, subject: RegExp) => smtp.received.find((m) => m.envelope.to[0] === address && subject.test(m.parsed.subject ?? ''))!;
    const otp = to('applicant@partners.test', /code/);
    expect(otp.envelope).toEqual({ from: 'partners@acme.test', to: ['applicant@partners.test'] });
    expect(otp.parsed.from?.value).toEqual([{ name: 'Acme Partners', address: 'partners@acme.test' }]);
    expect(otp.parsed.subject).toBe('042917 is your Acme verification code');
    expect(otp.parsed.text).toContain('042917');
    expect(otp.parsed.text).toContain('valid for 10 minutes');
    expect(otp.parsed.html).toContain('042917');
    expect(otp.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(otp.parsed.messageId).toBe(`<${ids[0]}@acme.test>`);

    const received = to('owner@acme.test', /New affiliate application/);
    expect(received.parsed.text).toContain('Ada Applicant');
    expect(received.parsed.text).toContain('> I write about tools.');
    expect(to('ada@partners.test', /approved/).parsed.text).toContain('ADA-42');
    expect(to('bob@partners.test', /application/).parsed.html).toContain('Your site has no content yet.');
    const payout = to('ada@partners.test', /payout/);
    expect(payout.parsed.subject).toBe('Your Acme payout of 123.45 USD was sent');
    expect(payout.parsed.text).toContain('Reference: PAYPAL-7XK2');

    for (const id of ids) {
      expect(await row(id)).toMatchObject({
        status: 'sent',
        attempts: 1,
        last_error: null,
        next_attempt_at: null,
        sent_at: clock.now,
        message_id: `<${id}@acme.test>`,
        smtp_response: expect.stringMatching(/^250 .*queued as TEST\d$/),
      });
    }
    // sent is sent: another pass has nothing to do
    expect(await s.runOnce()).toBe(0);
  });

  it('escapes what applicants and merchants wrote: markup arrives as text in the HTML, unchanged in the plain text', async () => {
    const smtp = await server();
    const name = '<script>alert("x")</script> & Co';
    await queue({
      projectId,
      to: 'owner@acme.test',
      template: 'application_received',
      data: { projectName: 'Acme <b>', applicantName: name, applicantEmail: 'x@partners.test', website: 'javascript:alert(1)', message: '<img src=x onerror=alert(1)>', reviewUrl: 'javascript:alert(2)' },
    });
    await sender(smtp.url()).runOnce();
    await smtp.waitFor(1);
    const [mail] = smtp.received;
    const html = mail!.parsed.html as string;
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<script|<img|<b>|href="javascript/i);
    expect(mail!.parsed.text).toContain(name);
    expect(mail!.parsed.subject).toBe(`New affiliate application for Acme <b>: ${name}`);
  });

  it('exists exactly when the transaction that queued it committed (a plain SQL or a Prisma transaction)', async () => {
    await expect(
      tdb.db.sql.transaction(async (tx) => {
        await queueEmail(tx, code('rolled-back@partners.test'), clock.now);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await expect(
      tdb.db.prisma.$transaction(async (ptx) => {
        await queueEmail(sqlSessionOf(ptx), code('rolled-back-too@partners.test'), clock.now);
        throw new Error('this one too');
      }),
    ).rejects.toThrow('this one too');
    const id = await tdb.db.prisma.$transaction((ptx) => queueEmail(sqlSessionOf(ptx), code('committed@partners.test'), clock.now));
    const rows = await tdb.db.sql.query<{ id: string; to_address: string; status: string; next_attempt_at: Date; created_at: Date }>(
      'SELECT id, to_address, status, next_attempt_at, created_at FROM emails',
    );
    expect(rows).toEqual([{ id, to_address: 'committed@partners.test', status: 'pending', next_attempt_at: clock.now, created_at: clock.now }]);
    await expect(queue(code('two@a.test, three@b.test'))).rejects.toThrow(/one email address/);
    await expect(queue({ ...code(), data: { projectName: 'Acme', code: '12345', purpose: 'sign_in' } } as EmailToQueue)).rejects.toThrow(/6 digits/);
  });

  it('retries a server that answers temporary errors after 1 min, 5 min, 30 min, 2 h and 12 h, then marks the email failed', async () => {
    const smtp = await server();
    smtp.refuse = { at: 'rcpt', responseCode: 451, message: 'Try again later' };
    const id = await queue(code());
    const s = sender(smtp.url());
    logged = [];
    const start = clock.now.getTime();
    let elapsed = 0;
    for (const [i, delay] of DEFAULT_EMAIL_SEND.retryDelaysMs.entries()) {
      expect(await s.runOnce()).toBe(1);
      const r = await row(id);
      expect(r).toMatchObject({ status: 'pending', attempts: i + 1, sent_at: null, message_id: null });
      expect(r.last_error).toMatch(/451 Try again later/);
      expect(r.next_attempt_at!.getTime() - clock.now.getTime()).toBe(delay);
      // not before its time
      clock.now = new Date(clock.now.getTime() + delay - 1);
      expect(await s.runOnce()).toBe(0);
      clock.now = new Date(clock.now.getTime() + 1);
      elapsed += delay;
    }
    expect(elapsed).toBe((1 + 5 + 30 + 120 + 720) * 60_000);
    expect(clock.now.getTime() - start).toBe(elapsed);
    expect(await s.runOnce()).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 6, next_attempt_at: null, last_error: expect.stringMatching(/451/) });
    expect(smtp.recipientsTried).toHaveLength(6);
    expect(smtp.received).toHaveLength(0);
    // each retry told at info, the end at warn (a warn-level log filter shows what needs acting on)
    expect(logged.map((l) => [l.level, l.msg])).toEqual([...Array.from({ length: 5 }, () => [30, 'email attempt failed; will retry']), [40, 'email failed for good']]);
    // failed for good: later passes leave it
    clock.now = new Date(clock.now.getTime() + 86_400_000);
    expect(await s.runOnce()).toBe(0);
  });

  it('a retried email is sent once the server recovers; a refused recipient (5xx) fails at once', async () => {
    const smtp = await server();
    smtp.refuse = { at: 'data', responseCode: 452, message: 'Insufficient system storage' };
    const id = await queue(code());
    const s = sender(smtp.url());
    await s.runOnce();
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringMatching(/452 Insufficient system storage/) });
    smtp.refuse = null;
    clock.now = new Date(clock.now.getTime() + 60_000);
    expect(await s.runOnce()).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null, sent_at: clock.now });
    expect(smtp.received).toHaveLength(1);

    smtp.refuse = { at: 'rcpt', responseCode: 550, message: 'No such user here' };
    const refused = await queue(code('nobody@partners.test'));
    expect(await s.runOnce()).toBe(1);
    expect(await row(refused)).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null, last_error: expect.stringMatching(/550 No such user here/) });
  });

  it('wrong credentials and an unreachable server are retried, with the error recorded and no password in it', async () => {
    const smtp = await server(CREDENTIALS);
    const wrong = { user: CREDENTIALS.user, password: 'not-the-password' };
    const id = await queue(code());
    await sender(smtp.url(wrong)).runOnce();
    const r = await row(id);
    expect(r).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringMatching(/535/) });
    expect(r.last_error).not.toContain('not-the-password');

    const closed = await server();
    await closed.stop();
    clock.now = new Date(clock.now.getTime() + 60_000);
    await sender(closed.url()).runOnce();
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 2, last_error: expect.stringMatching(/ECONNREFUSED|connect/i) });
  });

  it('two senders at once send each email once: claims skip what another holds', async () => {
    const smtp = await server();
    for (let i = 0; i < 12; i++) await queue(code(`affiliate${i}@partners.test`));
    const [a, b] = [sender(smtp.url(), { batch: 5 }), sender(smtp.url(), { batch: 5 })];
    let handled = 0;
    while (handled < 12) {
      const [x, y] = await Promise.all([a.runOnce(), b.runOnce()]);
      expect(x + y).toBeGreaterThan(0);
      handled += x + y;
    }
    expect(handled).toBe(12);
    await smtp.waitFor(12);
    expect(smtp.received.map((m) => m.envelope.to[0]).sort()).toEqual([...Array(12).keys()].map((i) => `affiliate${i}@partners.test`).sort());
  });

  it('a claim whose sender died is taken again once its lease lapses', async () => {
    const smtp = await server();
    const id = await queue(code());
    // a sender claimed it a minute ago and died: its lease (5 minutes) still holds
    await tdb.db.sql.query(`UPDATE emails SET locked_until = $2 WHERE id = $1`, [id, new Date(clock.now.getTime() + 4 * 60_000)]);
    const s = sender(smtp.url());
    expect(await s.runOnce()).toBe(0);
    clock.now = new Date(clock.now.getTime() + 4 * 60_000 + 1);
    expect(await s.runOnce()).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('without SMTP_URL nothing is sent: pending emails are kept in the outbox', async () => {
    const smtp = await server();
    const id = await queue(code());
    const s = sender(undefined);
    expect(s.sends).toBe(false);
    expect(await s.runOnce()).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'kept', attempts: 0, next_attempt_at: null, sent_at: null, last_error: null });
    expect(await s.runOnce()).toBe(0);
    // a server configured later does not send what was kept (a code kept an hour ago has expired)
    expect(await sender(smtp.url()).runOnce()).toBe(0);
    expect(smtp.recipientsTried).toHaveLength(0);
  });
});
