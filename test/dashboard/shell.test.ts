import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { DASHBOARD_BUILD_DIR } from '../../src/pages/dashboard';
import { createProjectViaApi } from '../helpers/refwire';
import { PASSWORD, sessionCookieOf } from '../helpers/dashboard';
import { ADMIN_TOKEN } from '../helpers/refwire';
import { axeViolations, DashboardHarness, describeInBrowser, expectedHttpError, screenshot } from '../helpers/dashboard-browser';

// The tests compile without the DOM library
declare const document: any;

// The dashboard's frame: set-up, sign-in, the session's end, a project switch, the policy it is served with.
describeInBrowser('the dashboard shell (web/dashboard)', () => {
  const h = new DashboardHarness();
  beforeAll(() => h.start(), 120_000);
  afterAll(() => h.stop());
  afterEach(() => expect(h.takePageErrors()).toEqual([]));

  it('is served at every address under /dashboard with a strict policy, and its files are built', async () => {
    const page = await request(h.t.app).get('/dashboard/projects/x/conversions?status=pending').expect(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.text).toContain('/dashboard/assets/app.js');
    await request(h.t.app).get('/dashboard/assets/app.js').expect(200).expect('Content-Type', /javascript/);
    await request(h.t.app).get('/dashboard/assets/app.css').expect(200).expect('Content-Type', /css/);
    await request(h.t.app).get('/dashboard/assets/nope.js').expect(404);
  });

  it("names the first screen's files for preloading (the shell's chunks and the page's), and serves chunks by content", async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(DASHBOARD_BUILD_DIR, 'preload.json'), 'utf8')) as { shell: string[]; pages: Record<string, string[]> };
    // every page of the app's table (page-chunks.ts) has its entry, and every file named exists
    const table = fs.readFileSync(path.resolve(__dirname, '..', '..', 'web', 'dashboard', 'page-chunks.ts'), 'utf8');
    const routes = [...table.matchAll(/page\('([^']+)'/g)].map((m) => m[1]);
    expect(routes.length).toBeGreaterThan(15);
    expect(Object.keys(manifest.pages).sort()).toEqual([...routes].sort());
    const preloaded = (html: string) => [...html.matchAll(/<link rel="modulepreload" href="\/dashboard\/assets\/([^"]+)">/g)].map((m) => m[1]);

    const list = await request(h.t.app).get('/dashboard/projects/x/conversions?status=pending').expect(200);
    expect(list.text).toContain('<script type="module" src="/dashboard/assets/app.js"></script>');
    expect(list.text).toContain('<link rel="preload" href="/api/dashboard/me" as="fetch" crossorigin>');
    expect(preloaded(list.text)).toEqual([...manifest.shell, ...manifest.pages['/conversions']!]);
    expect(manifest.pages['/conversions']![0]).toMatch(/^chunks\/conversions-\w+\.js$/);
    const detail = await request(h.t.app).get('/dashboard/projects/x/conversions/123').expect(200);
    expect(preloaded(detail.text)).toEqual([...manifest.shell, ...manifest.pages['/conversions/:id']!]);
    // not a project's page: the shell's chunks alone
    expect(preloaded((await request(h.t.app).get('/dashboard/reset-password').expect(200)).text)).toEqual(manifest.shell);
    expect(preloaded((await request(h.t.app).get('/dashboard/projects/x/no-such-page').expect(200)).text)).toEqual(manifest.shell);

    for (const file of new Set([...manifest.shell, ...Object.values(manifest.pages).flat()])) {
      const res = await request(h.t.app).get(`/dashboard/assets/${file}`).expect(200).expect('Content-Type', /javascript/);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    // the files that name the chunks are asked for again each time (a 304 while unchanged)
    const app = await request(h.t.app).get('/dashboard/assets/app.js').expect(200);
    expect(app.headers['cache-control']).toBe('no-cache');
    await request(h.t.app).get('/dashboard/assets/app.js').set('If-None-Match', app.headers.etag!).expect(304);
    const gone = await request(h.t.app).get('/dashboard/assets/chunks/overview-GONE.js').expect(404);
    expect(gone.body).toEqual({ success: false, error: expect.stringContaining('built again') });
    await request(h.t.app).get('/dashboard/assets/chunks/..%2Fapp.js').expect(404);
    await request(h.t.app).get('/dashboard/assets/chunks/%2e%2e%2fpreload.json').expect(404);
  });

  it('sets up the first owner with ADMIN_TOKEN (a wrong token refused next to nothing stored), shows the new API key once, then the overview', async () => {
    const page = await h.page();
    await page.goto(`${h.url}/dashboard`);
    await page.getByRole('heading', { name: 'Set up Refwire' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'setup');
    await page.getByLabel('ADMIN_TOKEN').fill('wrong-token');
    await page.getByLabel('Your email').fill('owner@acme.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Project name').fill('Acme');
    await page.getByRole('button', { name: 'Create the owner' }).click();
    await page.getByRole('alert').filter({ hasText: /token|credentials|unauthor/i }).waitFor();
    expect((await request(h.t.app).get('/api/dashboard/setup').expect(200)).body.data).toEqual({ needed: true });

    await page.getByLabel('ADMIN_TOKEN').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Create the owner' }).click();
    await page.getByRole('heading', { name: 'Your project is ready' }).waitFor();
    const key = await page.getByLabel('API key').inputValue();
    expect(key).toMatch(/^rw_/);
    await page.getByRole('button', { name: 'Continue to the dashboard' }).click();
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
    expect(page.url()).toMatch(/\/dashboard\/projects\/[0-9a-f-]{36}\/overview$/);
    // the key shown works
    await request(h.t.app).get('/api/v1/settings').set('Authorization', `Bearer ${key}`).expect(200);
  });

  it('refuses a wrong password with one generic message, signs in, and goes back to sign-in with nothing shown when the session ends', async () => {
    const page = await h.page();
    await page.goto(`${h.url}/dashboard/projects/00000000-0000-0000-0000-000000000000/overview`);
    await page.getByLabel('Email').fill('owner@acme.test');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong email or password' }).waitFor();
    await screenshot(page, 'sign-in');

    await h.signIn(page, 'owner@acme.test', PASSWORD);
    const me = (await request(h.t.app).post('/api/dashboard/login').send({ email: 'owner@acme.test', password: PASSWORD }).expect(200)).body.data;
    const projectId = me.memberships[0].project_id;
    await page.goto(`${h.url}/dashboard/projects/${projectId}/settings`);
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
    // the settings answered first (its form is shown): a request still under way when the sessions end finds them
    // ended and shows sign-in before the click below (seen under CI's load: the link was gone, and the click waited)
    await page.getByRole('heading', { name: 'Commission' }).waitFor();
    // every session of the user ends (a password reset does this; here the rows are revoked directly)
    await h.tdb.db.sql.query('UPDATE user_sessions SET revoked_at = now()');
    await page.getByRole('link', { name: 'Conversions' }).click();
    await page.getByText('Your session has ended. Sign in again to continue.').waitFor();
    expect(await page.getByRole('navigation', { name: 'Dashboard' }).count()).toBe(0);
    expect(await page.getByRole('table').count()).toBe(0);
  });

  it('says so for a project the user is not a member of, and switches between the projects they are', async () => {
    const other = await createProjectViaApi(h.t.app, 'Beta');
    const page = await h.page();
    await page.goto(`${h.url}/dashboard/projects/${other.id}/overview`);
    await page.getByLabel('Email').fill('owner@acme.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('You are not a member of this project.').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Not a member of this project');
    // a second project of the same owner appears in the switcher
    const owner = await request(h.t.app).post('/api/dashboard/login').send({ email: 'owner@acme.test', password: PASSWORD }).expect(200);
    const acme = owner.body.data.memberships[0].project_id;
    await request(h.t.app)
      .post(`/api/dashboard/projects/${acme}/invitations`)
      .set('Cookie', sessionCookieOf(owner))
      .set('X-CSRF-Token', owner.body.data.csrf_token)
      .send({ email: 'someone@acme.test', role: 'viewer' })
      .expect(201);
    await page.getByRole('link', { name: 'Go to your projects' }).click();
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
    expect(page.url()).toContain(`/dashboard/projects/${acme}/overview`);
    expect(await page.getByLabel('Project').locator('option').allInnerTexts()).toEqual(['Acme']);
  });

  it('runs under its own policy (modules, chunks, the preloaded session), moves focus to each page it opens, and says so when a page cannot be fetched', async () => {
    // without the harness's bypassCSP: the policy the server sends is the one the browser enforces
    const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      const requested: string[] = [];
      page.on('request', (r) => requested.push(new URL(r.url()).pathname));
      await h.signIn(page, 'owner@acme.test', PASSWORD);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // the session was asked for once: the app used the preloaded answer
      expect(requested.filter((p) => p === '/api/dashboard/me').length).toBeLessThanOrEqual(2);

      await page.getByRole('link', { name: 'Conversions' }).click();
      await page.getByRole('heading', { name: 'Conversions' }).waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'page-title' && document.activeElement.textContent === 'Conversions', undefined, { timeout: 5_000 });

      // a page whose chunk cannot be fetched (the network dropped, or the server now runs another build)
      await page.route(/\/chunks\/audit-log-\w+\.js$/, (route) => route.abort());
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('alert').filter({ hasText: 'Could not show this page.' }).waitFor();
      expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(1);
      // the rest of the dashboard still works
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      expect(await page.getByText('Could not show this page.').count()).toBe(0);
      // an address that is no page of the project still has a heading a screen reader can go to
      await page.goto(`${h.url}${new URL(page.url()).pathname.replace(/\/settings$/, '/no-such-page')}`);
      await page.getByText('There is no such page.').waitFor();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
      await page.unroute(/\/chunks\/audit-log-\w+\.js$/);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();

      // what the aborted chunk logged is the only complaint: no policy refusal, no script error
      const unexpected = problems.filter((p) => !/audit-log|Failed to fetch dynamically imported module|net::ERR_FAILED|Could not show this page/.test(p) && !expectedHttpError(p.replace(/^\w+: /, '')));
      expect(unexpected).toEqual([]);
    } finally {
      await context.close();
    }
  });
  it('shows a server error at once (it is answered again, so not retried), and keeps pages within a 375 px screen', async () => {
    const context = await h.browser.newContext({ viewport: { width: 375, height: 800 }, timezoneId: 'UTC', locale: 'en-US' });
    try {
      const page = await context.newPage();
      await h.signIn(page, 'owner@acme.test', PASSWORD);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      let asked = 0;
      await page.route(/\/api\/v1\/affiliates\?/, (route) => {
        asked += 1;
        return route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ success: false, error: 'internal error' }) });
      });
      await page.goto(`${new URL(page.url()).origin}${new URL(page.url()).pathname.replace(/\/[^/]*$/, '/affiliates')}`);
      await page.locator('main .state-error').getByText('internal error').waitFor();
      expect(asked).toBe(1);
      await page.unroute(/\/api\/v1\/affiliates\?/);
      // a table's row buttons carry visually hidden text: it stays inside the table's scroll box
      for (const name of ['Users', 'API keys', 'Audit log']) {
        await page.goto(`${new URL(page.url()).origin}${new URL(page.url()).pathname.replace(/\/[^/]*$/, `/${name === 'API keys' ? 'api-keys' : name === 'Audit log' ? 'audit-log' : 'users'}`)}`);
        await page.getByRole('heading', { name, level: 1 }).waitFor();
        await page.locator('main table tbody tr').first().waitFor();
        expect([name, await page.evaluate(() => document.documentElement.scrollWidth)]).toEqual([name, 375]);
        // a table wider than the screen scrolls in its box, which the keyboard reaches: a named region in the tab order
        const scrolled = page.getByRole('region', { name: /\(scrolls sideways\)$/ }).first();
        await scrolled.waitFor();
        expect([name, await scrolled.getAttribute('tabindex')]).toEqual([name, '0']);
      }
      // at a desktop width the same tables fit and add no tab stop
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('main .table-wrap[tabindex]').length === 0);
    } finally {
      await context.close();
    }
  });
});
