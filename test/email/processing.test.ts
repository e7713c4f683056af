import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { queueEmail } from '../../src/email/outbox';
import { startRefwire } from '../../src/main';
import { createProject } from '../../src/projects/projects';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { silentLogger } from '../helpers/refwire';
import { TestSmtpServer } from '../helpers/smtp';

/** The sender runs where outbound webhooks are sent: in the processes that process events. */
describe('the email sender in a running Refwire', () => {
  let tdb: TestDatabase;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    smtp = await new TestSmtpServer({ user: 'relay', password: 'relay-password' }).start();
  });
  afterAll(async () => {
    await smtp.stop();
    await tdb.drop();
  });

  it('`start --no-worker` leaves the outbox alone; `start` sends what is due within a pass', async () => {
    const config = loadConfig({
      DATABASE_URL: tdb.url,
      SECRETS_KEY: 'b'.repeat(64),
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-email-start-')),
      PORT: '0',
      SMTP_URL: smtp.url(),
      EMAIL_FROM: 'Acme Partners <partners@acme.test>',
    });
    const quiet = { logger: silentLogger, print: () => undefined };
    const project = await createProject(tdb.db.prisma, { name: 'Acme', currency: 'USD' });
    const status = async () => (await tdb.db.sql.query<{ status: string }>('SELECT status FROM emails')).map((r) => r.status);

    const api = await startRefwire(config, { worker: false, ...quiet });
    try {
      // this process's own clock: the email is due now
      await api.db.sql.transaction((tx) =>
        queueEmail(tx, { projectId: project.id, to: 'ada@partners.test', template: 'one_time_code', data: { projectName: 'Acme', code: '662607', purpose: 'sign_in' } }, new Date()),
      );
      await new Promise((r) => setTimeout(r, 1500));
      expect(await status()).toEqual(['pending']);
    } finally {
      await api.close();
    }

    const full = await startRefwire(config, { worker: true, ...quiet });
    try {
      await smtp.waitFor(1);
      expect(smtp.received[0]!.envelope.to).toEqual(['ada@partners.test']);
      expect(smtp.received[0]!.user).toBe('relay');
      expect(smtp.received[0]!.parsed.text).toContain('662607');
    } finally {
      await full.close();
    }
    expect(await status()).toEqual(['sent']);
  });
});
