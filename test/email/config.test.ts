import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../../src/config/config';
import { ConfigError, parseEnv } from '../../src/config/env';

const PASSWORD = 'hunter2-s3cr3t';

describe('SMTP_URL and EMAIL_FROM', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-email-config-'));
  const parse = (env: Record<string, string>) => parseEnv({ DATA_DIR: dataDir, ...env });
  const problem = (env: Record<string, string>) => {
    try {
      parse(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a configuration error');
  };

  it('unset: no SMTP, the outbox only', () => {
    expect(parse({}).email).toEqual({ smtp: null, from: null });
    expect(parse({ SMTP_URL: '  ', EMAIL_FROM: '' }).email).toEqual({ smtp: null, from: null });
    // EMAIL_FROM alone is fine (and checked)
    expect(parse({ EMAIL_FROM: 'partners@acme.test' }).email.from).toBe('partners@acme.test');
  });

  it('smtp:// and smtps://, with the credentials percent-decoded and the usual ports by default', () => {
    const plain = parse({ SMTP_URL: `smtp://apikey:${encodeURIComponent('p@ss:w/rd')}@smtp.acme.test:2525`, EMAIL_FROM: 'Acme <partners@acme.test>' }).email;
    expect(plain.smtp).toMatchObject({ host: 'smtp.acme.test', port: 2525, secure: false, user: 'apikey' });
    expect(plain.smtp!.password()).toBe('p@ss:w/rd');
    expect(plain.from).toBe('Acme <partners@acme.test>');
    expect(parse({ SMTP_URL: 'smtp://mail.acme.test', EMAIL_FROM: 'a@acme.test' }).email.smtp).toMatchObject({ port: 587, secure: false, user: null });
    expect(parse({ SMTP_URL: 'smtps://u:p@mail.acme.test/', EMAIL_FROM: 'a@acme.test' }).email.smtp).toMatchObject({ port: 465, secure: true, user: 'u' });
    expect(parse({ SMTP_URL: 'smtp://[::1]:25', EMAIL_FROM: 'a@acme.test' }).email.smtp).toMatchObject({ host: '::1', port: 25 });
  });

  it('a malformed URL is a configuration error naming SMTP_URL, without repeating the URL or its password', () => {
    const cases: [string, RegExp][] = [
      [`smtp//user:${PASSWORD}@host`, /must be a URL like smtp:\/\/user:password@host:587/],
      [`http://user:${PASSWORD}@host:25`, /must start with smtp:\/\/ or smtps:\/\/, not http:\/\//],
      [`smtp://user:${PASSWORD}@host:99999`, /must be a URL/],
      [`smtp://user:${PASSWORD}@host:25/path`, /no path, query or fragment/],
      [`smtp://user:${PASSWORD}@host:25?secure=true`, /no path, query or fragment/],
      [`smtp://:${PASSWORD}@host:25`, /a password but no user name/],
      [`smtp://user:%E0%A4%A@host:25`, /percent-encoding/],
    ];
    for (const [url, message] of cases) {
      const text = problem({ SMTP_URL: url, EMAIL_FROM: 'a@acme.test' });
      expect(text).toMatch(/^invalid configuration:\n {2}SMTP_URL: /);
      expect(text).toMatch(message);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('%E0');
    }
  });

  it('EMAIL_FROM is required with SMTP_URL, and must be an address or "Name <address>"', () => {
    expect(problem({ SMTP_URL: 'smtp://mail.acme.test:25' })).toMatch(/EMAIL_FROM: required when SMTP_URL is set/);
    for (const from of ['acme', 'Acme <acme>', 'a@b@c', '<a@acme.test', 'a b@acme.test']) {
      expect(problem({ SMTP_URL: 'smtp://mail.acme.test:25', EMAIL_FROM: from })).toMatch(/EMAIL_FROM: must be an email address, or "Name <address>"/);
    }
    expect(parse({ SMTP_URL: 'smtp://mail.acme.test:25', EMAIL_FROM: '"Acme, Inc." <partners@acme.test>' }).email.from).toBe('"Acme, Inc." <partners@acme.test>');
    // reported together with the other problems
    expect(problem({ SMTP_URL: 'ftp://x', EMAIL_FROM: 'nope', PORT: 'x' }).split('\n')).toHaveLength(4);
  });

  it('the password never reaches a log line, JSON or console output of the configuration', () => {
    const config = loadConfig({ DATA_DIR: dataDir, SMTP_URL: `smtps://relay-user:${PASSWORD}@smtp.acme.test`, EMAIL_FROM: 'a@acme.test' });
    expect(config.email.smtp!.password()).toBe(PASSWORD);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    logger.info({ config, email: config.email, smtp: config.email.smtp }, 'starting');
    expect(lines.join('')).toContain('"host":"smtp.acme.test"');
    for (const shown of [lines.join(''), JSON.stringify(config), inspect(config, { depth: 10 }), String(config.email.smtp), config.email.smtp!.describe()]) {
      expect(shown).not.toContain(PASSWORD);
    }
    expect(config.email.smtp!.describe()).toBe('smtps://relay-user:[redacted]@smtp.acme.test:465');
    expect(inspect(config.email.smtp)).toBe('SmtpSettings(smtps://relay-user:[redacted]@smtp.acme.test:465)');
  });
});
