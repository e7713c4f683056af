import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { emailSettings } from '../../src/config/smtp';
import { EmailSender } from '../../src/email/sender';
import { createTestDatabase, type TestDatabase } from './postgres';
import { buildTestApp, silentLogger, type TestApp } from './refwire';
import { TestSmtpServer } from './smtp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildDashboard } = require('../../scripts/build-dashboard.js') as { buildDashboard(): Promise<unknown> };

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
/** `describe` where Chromium is installed (apt-get install chromium; .ci/run does it), a named skip elsewhere */
export const describeInBrowser = HAS_CHROMIUM ? describe : describe.skip;
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots', 'dashboard');

// The tests compile without the DOM library: what the page's functions touch is declared loosely.
declare const window: any;
declare const document: any;

/** what a browser logs for an HTTP error a test provokes on purpose (a refused sign-in, a viewer's write) */
export const expectedHttpError = (m: string) => /^Failed to load resource: the server responded with a status of 4\d\d/.test(m);

/**
 * Refwire on a real PostgreSQL, listening on a local port (its PUBLIC_URL is that address), the dashboard built,
 * Chromium launched and, with `smtp`, a real SMTP server with the outbox's sender. Every page opened through
 * `page()` fails the test (in `assertNoPageErrors`) on a script error, a CSP refusal or an unexpected console error.
 */
export class DashboardHarness {
  tdb!: TestDatabase;
  t!: TestApp;
  url!: string;
  browser!: Browser;
  smtp: TestSmtpServer | null = null;
  sender: EmailSender | null = null;
  private server!: http.Server;
  private contexts: BrowserContext[] = [];
  readonly pageErrors: string[] = [];

  async start(options: { smtp?: boolean; app?: Parameters<typeof buildTestApp>[1] } = {}): Promise<this> {
    await buildDashboard();
    this.tdb = await createTestDatabase();
    let handler: http.RequestListener = () => undefined;
    this.server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    // with the test's SMTP server the app knows emails are sent (else it shows the links they would carry)
    this.t = buildTestApp(this.tdb.db, { publicUrl: this.url, emailSending: options.smtp === true, ...options.app });
    handler = this.t.app;
    if (options.smtp) {
      this.smtp = await new TestSmtpServer().start();
      this.sender = new EmailSender(this.tdb.db.sql, emailSettings(this.smtp.url(), 'refwire@acme.test'), silentLogger, {}, () => this.t.clock.now);
    }
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    return this;
  }

  async stop(): Promise<void> {
    for (const c of this.contexts) await c.close().catch(() => undefined);
    await this.browser?.close();
    await this.sender?.stop();
    await this.smtp?.stop();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
    await this.t?.runner.stop();
    await this.tdb?.drop();
  }

  /** A fresh browser (its own cookies) in UTC and English, as wide as a laptop unless told. */
  async page(viewport = { width: 1280, height: 900 }): Promise<Page> {
    // bypassCSP only so axeViolations can inject axe-core; test/dashboard/shell.test.ts checks the policy itself
    const context = await this.browser.newContext({ viewport, timezoneId: 'UTC', locale: 'en-US', bypassCSP: true });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => this.pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !expectedHttpError(m.text())) this.pageErrors.push(`console: ${m.text()}`);
    });
    return page;
  }

  /** The page errors collected since the last call; a test's afterEach expects none. */
  takePageErrors(): string[] {
    return this.pageErrors.splice(0);
  }

  /** Signs in through the sign-in page and waits for the project's overview (or the page `then` names). */
  async signIn(page: Page, email: string, password: string, then = '/dashboard'): Promise<void> {
    await page.goto(`${this.url}${then}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
  }

  /** The newest email sent to `to` once the outbox has delivered it (needs `smtp`). */
  async mailTo(to: string, after = 0): Promise<{ text: string; subject: string }> {
    const smtp = this.smtp!;
    for (let i = 0; i < 100; i++) {
      await this.sender!.runOnce();
      const mail = smtp.received.slice(after).reverse().find((m) => m.envelope.to.includes(to));
      if (mail) return { text: mail.parsed.text ?? '', subject: mail.parsed.subject ?? '' };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no email to ${to}`);
  }
}

/**
 * axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now (injected as a script tag,
 * which the dashboard's CSP would refuse but for the harness's bypassCSP).
 */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: axe });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations
      .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
  });
}

/** A full-page screenshot under docs/screenshots/dashboard/<name>.png, for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Waits until `locator` matches exactly `n` elements (a list settling after a filter), or fails saying how many it saw. */
export async function waitForCount(locator: import('playwright-core').Locator, n: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < until) {
    seen = await locator.count();
    if (seen === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected ${n} elements, saw ${seen}`);
}
