import fs from 'node:fs';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { PASSWORD, setUpOwner } from '../helpers/dashboard';
import { axeViolations, DashboardHarness, describeInBrowser, screenshot } from '../helpers/dashboard-browser';
import { createProjectViaApi } from '../helpers/refwire';

// The tests compile without the DOM library: what the page's functions touch is declared loosely.
declare const document: any;
declare const getComputedStyle: any;

/**
 * The admin pages (web/dashboard/pages/portal-settings.tsx, settings.tsx, api-keys.tsx, users.tsx, audit-log.tsx) in
 * Chromium against the real server on PostgreSQL, with a real SMTP server for the invitation. The tests run in order
 * on one project: what the earlier ones write, the audit log lists at the end.
 */
describeInBrowser('the admin pages: portal, settings, API keys, users, audit log', () => {
  const h = new DashboardHarness();
  let project: { id: string; apiKey: string };
  const OWNER = 'owner@acme.test';
  const VIEWER = 'viewer@acme.test';
  const at = (page: string) => `/dashboard/projects/${project.id}/${page}`;
  let viewerPage: Page | null = null;

  beforeAll(async () => {
    await h.start({ smtp: true });
    project = await createProjectViaApi(h.t.app, 'Acme');
    await setUpOwner(h.t.app, project.id, OWNER);
  }, 120_000);
  afterAll(() => h.stop());
  afterEach(() => expect(h.takePageErrors()).toEqual([]));

  const api = (method: 'get' | 'put' | 'patch' | 'post', path: string) => request(h.t.app)[method](path).set('Authorization', `Bearer ${project.apiKey}`);

  async function until(check: () => Promise<boolean>, ms = 10_000) {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** axe in the main page and in the preview frame (the frame has its own document; axe checks it from inside) */
  async function axeWithFrames(page: Page) {
    const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    for (const f of page.frames()) if (f !== page.mainFrame()) await f.addScriptTag({ content: axe });
    return axeViolations(page);
  }

  it('serves the preview frame framed by the dashboard only, with no data of its own', async () => {
    const res = await request(h.t.app).get(`/portal/${project.id}/preview`).expect(200);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.text).toContain('/js/refwire-portal-preview.js');
    expect(res.text).toContain('/js/refwire-portal.js');
    expect(res.text).not.toContain('Acme');
    await request(h.t.app).get('/portal/not-a-project/preview').expect(404);
    await request(h.t.app).get('/portal/00000000-0000-4000-8000-000000000000/preview').expect(404);
    await request(h.t.app).get('/js/refwire-portal-preview.js').expect(200).expect('Content-Type', /javascript/);
  });

  it('portal settings: the preview follows a title and a colour as they are typed, before saving; blocks reorder by keyboard; a javascript: URL is refused next to its field; then saved', async () => {
    const page = await h.page({ width: 1440, height: 1000 });
    await h.signIn(page, OWNER, PASSWORD, at('portal'));
    await page.getByRole('heading', { name: 'Affiliate portal', level: 1 }).waitFor();
    const frame = page.frameLocator('iframe[title="Portal preview"]');
    // no affiliate yet: sample data, and the preview says so
    await frame.getByText(/Sample data: this project has no affiliates yet/).waitFor();
    await frame.getByRole('heading', { name: 'Acme affiliate program' }).waitFor();

    await page.getByLabel('Portal title').fill('Acme Partners Club');
    await frame.getByRole('heading', { name: 'Acme Partners Club' }).waitFor();
    await page.getByLabel('Primary colour', { exact: true }).fill('#c2410c');
    const primary = () =>
      page
        .frame({ url: /\/preview$/ })!
        .evaluate(() => getComputedStyle(document.querySelector('[data-refwire-portal]')).getPropertyValue('--rw-primary').trim());
    await until(async () => (await primary()) === '#c2410c');
    expect(await primary()).toBe('#c2410c');
    // the language changed twice after an edit: the draft is kept, the page still answers (a deferred state update
    // once read the event's target after React had cleared it, and the page fell to its error screen)
    await page.getByLabel('Default language').selectOption('fr');
    await page.getByLabel('Default language').selectOption('en');
    expect(await page.getByLabel('Portal title').inputValue()).toBe('Acme Partners Club');
    expect(await page.getByLabel('Default language').inputValue()).toBe('en');
    // nothing saved yet
    const before = (await api('get', '/api/v1/portal').expect(200)).body.data;
    expect(before.appearance.title).toBeNull();
    expect(before.appearance.primary_color).toBe('#2563eb');
    await page.getByText('Unsaved changes: the preview shows them').waitFor();

    // reorder by keyboard: Statistics up one, the focus stays on the block that moved
    const blocks = page.locator('.block-list li');
    expect(await blocks.nth(3).innerText()).toContain('Statistics');
    await page.getByRole('button', { name: 'Move Statistics up' }).focus();
    await page.keyboard.press('Enter');
    expect(await blocks.nth(2).innerText()).toContain('Statistics');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Move Statistics up');
    await page.getByRole('status').filter({ hasText: 'Statistics moved to position 3 of 10.' }).waitFor();
    // the promotional materials block on, with a link whose address is not http(s)
    await page.getByRole('checkbox', { name: 'Promotional materials' }).check();
    await page.getByRole('button', { name: 'Add a material' }).click();
    await page.getByLabel('Kind').selectOption('link');
    await page.getByLabel('Title', { exact: true }).fill('Pricing page');
    await page.getByLabel('Link address').fill('javascript:alert(1)');
    await page.getByRole('button', { name: 'Save portal settings' }).click();
    const urlField = page.locator('.field').filter({ has: page.getByLabel('Link address') });
    await urlField.locator('.field-error').filter({ hasText: 'must be an absolute http(s) URL' }).waitFor();
    expect(await page.getByLabel('Link address').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'portal-settings-error');

    await page.getByLabel('Link address').fill('https://acme.example/pricing');
    await page.getByRole('button', { name: 'Save portal settings' }).click();
    await page.getByText('Everything is saved.').waitFor();
    const saved = (await api('get', '/api/v1/portal').expect(200)).body.data;
    expect(saved.appearance).toMatchObject({ title: 'Acme Partners Club', primary_color: '#c2410c' });
    expect(saved.blocks.slice(0, 4).map((b: { id: string }) => b.id)).toEqual(['header', 'share_links', 'stats', 'coupon_code']);
    expect(saved.blocks.find((b: { id: string }) => b.id === 'promotional_materials').enabled).toBe(true);
    expect(saved.promotional_materials).toEqual([{ kind: 'link', title: 'Pricing page', url: 'https://acme.example/pricing' }]);
    // the preview shows the material, in the saved order
    await frame.getByText('Pricing page').first().waitFor();
    expect(await axeWithFrames(page)).toEqual([]);
    await page.evaluate(() => document.defaultView.scrollTo(0, 0));
    await screenshot(page, 'portal-settings');
  });

  it('portal settings: with an affiliate, the preview shows their real account with the unsaved settings', async () => {
    await api('post', '/api/v1/affiliates').send({ email: 'jane@partners.test', name: 'Jane Real', status: 'active' }).expect(201);
    const page = await h.page({ width: 1440, height: 1000 });
    await h.signIn(page, OWNER, PASSWORD, at('portal'));
    const frame = page.frameLocator('iframe[title="Portal preview"]');
    // sample data until asked: a real account's view takes an embed token, a write in the audit log
    await frame.getByText('Sample data: a made-up affiliate. Edits show here before you save them.').waitFor();
    const minted = async () => (await api('get', '/api/v1/audit-log').expect(200)).body.data.filter((e: { path: string }) => e.path.endsWith('/embed-tokens')).length;
    expect(await minted()).toBe(0);
    await page.getByRole('button', { name: 'Preview as jane@partners.test' }).click();
    await frame.getByText('Preview as jane@partners.test, with their real numbers.').waitFor();
    expect(await minted()).toBe(1);
    await frame.getByText('jane@partners.test').nth(1).waitFor();
    await page.getByLabel('Portal title').fill('Jane’s view');
    await frame.getByRole('heading', { name: 'Jane’s view' }).waitFor();
    await page.evaluate(() => document.defaultView.scrollTo(0, 0));
    await screenshot(page, 'portal-settings-real-affiliate');
    // nothing is saved from the preview's forms, and nothing was saved by the edit
    expect((await api('get', '/api/v1/portal').expect(200)).body.data.appearance.title).toBe('Acme Partners Club');
  });

  it("portal settings: the embed code with this project's id, and a token issued for one affiliate that opens their portal", async () => {
    const page = await h.page();
    await h.signIn(page, OWNER, PASSWORD, at('portal'));
    const embed = page.getByRole('region', { name: 'Embed the portal in your app' });
    const code = await embed.getByLabel('Embed code', { exact: true }).innerText();
    expect(code).toContain(`data-project-id="${project.id}"`);
    expect(code).toContain(`${h.url}/js/refwire-portal.js`);
    // no such affiliate: the API's answer, and nothing issued
    await embed.getByLabel("Affiliate's email").fill('nobody@partners.test');
    await embed.getByRole('button', { name: 'Issue a token' }).click();
    await embed.getByRole('alert').getByText('affiliate not found').waitFor();
    await embed.getByLabel("Affiliate's email").fill('jane@partners.test');
    await embed.getByRole('button', { name: 'Issue a token' }).click();
    const issued = embed.getByLabel('Embed code with the token for jane@partners.test', { exact: true });
    await issued.waitFor();
    const token = /data-token="(rwpe_[^"]+)"/.exec(await issued.innerText())![1]!;
    // the token is jane's portal, and no one else's
    const me = await request(h.t.app).get(`/api/portal/${project.id}/me`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body.data.affiliate.email).toBe('jane@partners.test');
    await embed.getByRole('button', { name: 'Copy the embed code with the token for jane@partners.test' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await embed.scrollIntoViewIfNeeded();
    await screenshot(page, 'portal-settings-embed');
  });

  it('settings: a change saved (with the note that rules are not retroactive), and a refused value shown next to its field', async () => {
    const page = await h.page();
    await h.signIn(page, OWNER, PASSWORD, at('settings'));
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await page.getByText('rules are not retroactive').waitFor();
    await page.getByLabel('Commission (%)').fill('25');
    await page.getByLabel('Hold (days)').fill('14');
    await page.getByLabel('Minimum payout (USD)').fill('50');
    await page.getByText('past commissions are not re-rated').waitFor();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Everything is saved.').waitFor();
    const s = (await api('get', '/api/v1/settings').expect(200)).body.data;
    expect(s).toMatchObject({ commission_type: 'percentage', commission_rate_bp: 2500, hold_days: 14, minimum_payout_minor: 5000 });
    await page.getByText('The rule in force is 25%').waitFor();
    await page.getByText('Now $50.00.').waitFor();

    await page.getByLabel('Commission (%)').fill('150');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const commissionField = page.locator('.field').filter({ has: page.getByLabel('Commission (%)') });
    await commissionField.locator('.field-error').filter({ hasText: /at most 100/ }).waitFor();
    expect(await page.getByLabel('Commission (%)').getAttribute('aria-invalid')).toBe('true');
    // a keyboard user goes on from the field the answer marked, not from the top of the page
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true', undefined, { timeout: 5_000 });
    expect((await api('get', '/api/v1/settings').expect(200)).body.data.commission_rate_bp).toBe(2500);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'settings-error');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    // an item of a list the server refuses (allowed_domains.0) is marked on the list's field
    await page.getByLabel('Allowed domains').fill('not a domain!!');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.field').filter({ has: page.getByLabel('Allowed domains') }).locator('.field-error').waitFor();
    expect(await page.getByLabel('Allowed domains').getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await screenshot(page, 'settings');
  });

  it('API keys: a key created is shown once, works with the API, is gone after a reload, and is revoked; publishable keys too', async () => {
    const page = await h.page();
    await h.signIn(page, OWNER, PASSWORD, at('api-keys'));
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByText('No publishable keys.').waitFor();
    expect(await page.locator('table').first().locator('tbody tr').count()).toBe(1);

    await page.getByLabel('Name of the new key').fill('CI server');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const key = await page.getByRole('textbox', { name: /^New API key/ }).inputValue();
    expect(key).toMatch(/^rw_/);
    // the new key takes the focus: a second Enter no longer lands on Create (it made another key, replacing this one's
    // only showing)
    await page.waitForFunction(() => document.activeElement?.id === 'new-api-key');
    await page.getByRole('button', { name: 'Copy the API key' }).waitFor();
    await request(h.t.app).get('/api/v1/settings').set('Authorization', `Bearer ${key}`).expect(200);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'api-keys-created');

    await page.reload();
    await page.getByRole('cell', { name: 'CI server' }).waitFor();
    expect(await page.getByRole('textbox', { name: /^New API key/ }).count()).toBe(0);
    expect(await page.content()).not.toContain(key);

    const row = page.getByRole('row').filter({ hasText: 'CI server' });
    await row.getByRole('button', { name: /Revoke/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: /Revoke the API key rw_/ }).waitFor();
    await dialog.getByRole('button', { name: 'Revoke the key' }).click();
    await row.getByText('revoked').waitFor();
    await request(h.t.app).get('/api/v1/settings').set('Authorization', `Bearer ${key}`).expect(401);

    await page.getByLabel('Name of the new publishable key').fill('Checkout page');
    await page.getByRole('button', { name: 'Create publishable key' }).click();
    const pkRow = page.getByRole('row').filter({ hasText: 'Checkout page' });
    await pkRow.waitFor();
    const pk = (await api('get', '/api/v1/publishable-keys').expect(200)).body.data[0];
    expect(pk).toMatchObject({ name: 'Checkout page', revoked_at: null });
    expect(await pkRow.innerText()).toContain(pk.key);
    await screenshot(page, 'api-keys');
    await pkRow.getByRole('button', { name: /Revoke/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke the key' }).click();
    await pkRow.getByText('revoked').waitFor();
    expect((await api('get', '/api/v1/publishable-keys').expect(200)).body.data[0].revoked_at).not.toBeNull();
  });

  it('users: a role change waits for a confirmation, the last owner keeps the role (409 shown), a viewer invited by email joins, and sees settings, keys, users and the portal without write controls', async () => {
    const page = await h.page();
    await h.signIn(page, OWNER, PASSWORD, at('users'));
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByText('No invitations yet.').waitFor();

    // a role chosen waits for a confirmation; declined, nothing changes
    await page.getByLabel(`Role of ${OWNER}`).selectOption('admin');
    const confirm = page.getByRole('dialog', { name: `Make ${OWNER} an admin?` });
    await confirm.getByText('This is your own role').waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    expect(await page.getByLabel(`Role of ${OWNER}`).inputValue()).toBe('owner');
    await page.getByLabel(`Role of ${OWNER}`).selectOption('admin');
    await confirm.getByRole('button', { name: 'Change the role' }).click();
    await page.getByRole('alert').filter({ hasText: /keeps at least one owner/ }).first().waitFor();
    await page.keyboard.press('Escape');
    expect(await page.getByLabel(`Role of ${OWNER}`).inputValue()).toBe('owner');

    await page.getByLabel('Email to invite').fill('not-an-email');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.locator('.field').filter({ has: page.getByLabel('Email to invite') }).locator('.field-error').filter({ hasText: 'must be an email address' }).waitFor();

    const mails = h.smtp!.received.length;
    await page.getByLabel('Email to invite').fill(VIEWER);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    const invRow = page.getByRole('row').filter({ hasText: VIEWER });
    await invRow.getByText('pending').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'users');

    const mail = await h.mailTo(VIEWER, mails);
    const link = /(http\S+\/dashboard\/accept-invitation#token=[\w%-]+)/.exec(mail.text)?.[1];
    expect(link).toBeDefined();
    const viewer = await h.page();
    viewerPage = viewer;
    await viewer.goto(link!);
    // the page says what the link invites to, and asks for a new password (the address has no account)
    await viewer.getByText(`${OWNER} invited ${VIEWER} to the`).waitFor();
    expect(await viewer.locator('main').innerText()).toContain('as a viewer');
    await screenshot(viewer, 'accept-invitation');
    await viewer.getByLabel('Choose a password').fill(PASSWORD);
    await viewer.getByRole('button', { name: 'Join' }).click();
    await viewer.getByRole('navigation', { name: 'Dashboard' }).waitFor();

    await viewer.goto(`${h.url}${at('settings')}`);
    await viewer.getByLabel('Hold (days)').waitFor();
    expect(await viewer.getByLabel('Hold (days)').inputValue()).toBe('14');
    expect(await viewer.getByLabel('Hold (days)').isDisabled()).toBe(true);
    expect(await viewer.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
    await screenshot(viewer, 'settings-viewer');

    await viewer.goto(`${h.url}${at('api-keys')}`);
    await viewer.getByRole('cell', { name: 'CI server' }).waitFor();
    expect(await viewer.getByRole('button', { name: /Create|Revoke/ }).count()).toBe(0);

    await viewer.goto(`${h.url}${at('users')}`);
    await viewer.getByRole('cell', { name: OWNER }).first().waitFor();
    await viewer.getByText('Owners and admins invite people.').waitFor();
    expect(await viewer.getByRole('button', { name: /Send invitation|Remove|Revoke/ }).count()).toBe(0);
    expect(await viewer.locator('#main').getByRole('combobox').count()).toBe(0);
    await viewer.getByRole('row', { name: /^viewer@acme.test you viewer/ }).waitFor();
    await viewer.getByRole('row', { name: /^viewer you Yes No No/ }).waitFor();
    expect(await axeViolations(viewer)).toEqual([]);
    await screenshot(viewer, 'users-viewer');

    await viewer.goto(`${h.url}${at('portal')}`);
    await viewer.frameLocator('iframe[title="Portal preview"]').getByText(/Sample data: a viewer cannot open/).waitFor();
    expect(await viewer.getByRole('button', { name: 'Save portal settings' }).count()).toBe(0);
    expect(await viewer.getByLabel('Portal title').isDisabled()).toBe(true);
    // the embed code is for everyone; a token (a credential to an affiliate's portal) only for writers
    await viewer.getByLabel('Embed code', { exact: true }).waitFor();
    expect(await viewer.getByRole('button', { name: 'Issue a token' }).count()).toBe(0);

    // the owner's list: accepted
    await page.reload();
    await page.getByRole('row').filter({ hasText: VIEWER }).getByText('accepted').first().waitFor();
    await page.getByRole('cell', { name: VIEWER }).first().waitFor();
  });

  it('audit log: lists these writes with who made them, filters kept in the address, paged', async () => {
    // writes through the API key too, enough for a second page
    for (let i = 0; i < 50; i++) await api('patch', '/api/v1/settings').send({ cookie_days: 30 + (i % 2) }).expect(200);
    const page = await h.page();
    await h.signIn(page, OWNER, PASSWORD, at('audit-log?actor_type=user'));
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Changes to the project, newest first' });
    await table.waitFor();
    expect(await page.getByLabel('Made with').inputValue()).toBe('user');
    const text = await table.innerText();
    for (const what of ['PUT\t/api/v1/portal', 'PATCH\t/api/v1/settings', `POST\t/api/dashboard/projects/${project.id}/api-keys`, `DELETE\t/api/dashboard/projects/${project.id}/api-keys/`, 'POST\t/api/v1/publishable-keys', `POST\t/api/dashboard/projects/${project.id}/invitations`, `PATCH\t/api/dashboard/projects/${project.id}/members/`]) {
      expect(text.replace(/ (?=\/api)/g, '\t')).toContain(what);
    }
    expect(text).toContain(OWNER);
    expect(text).not.toContain('API key rw_');
    // refusals are recorded with their status: the javascript: URL (400), the last owner (409)
    await table.getByRole('row').filter({ hasText: '/api/v1/portal' }).filter({ hasText: '400' }).first().waitFor();
    await table.getByRole('row').filter({ hasText: '/members/' }).filter({ hasText: '409' }).first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'audit-log');

    await page.getByLabel('Made with').selectOption('api_key');
    await page.waitForURL(/actor_type=api_key/);
    await table.getByText(`API key ${project.apiKey.slice(0, 10)}`, { exact: false }).first().waitFor();
    expect(await table.innerText()).not.toContain(OWNER);
    const keyWrites = (await api('get', '/api/v1/audit-log?actor_type=api_key&limit=1').expect(200)).body.pagination.total;
    expect(keyWrites).toBeGreaterThan(50);
    await page.getByRole('navigation', { name: 'Audit log pages' }).getByText(`1–50 of ${keyWrites}`).waitFor();

    await page.getByLabel('Made with').selectOption('');
    await page.getByRole('navigation', { name: 'Audit log pages' }).getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/offset=50/);
    await page.getByRole('navigation', { name: 'Audit log pages' }).getByText(/^51–/).waitFor();
    const total = (await api('get', '/api/v1/audit-log?limit=1').expect(200)).body.pagination.total;
    await page.getByText(`of ${total}`).waitFor();

    // a filter that matches nothing: the empty state
    await page.goto(`${h.url}${at('audit-log?actor=nobody@acme.test')}`);
    await page.getByText('No change matches these filters.').waitFor();
    await screenshot(page, 'audit-log-empty');
    // the viewer reads it too
    await viewerPage!.goto(`${h.url}${at('audit-log')}`);
    await viewerPage!.getByRole('table', { name: 'Changes to the project, newest first' }).waitFor();
  });
});
