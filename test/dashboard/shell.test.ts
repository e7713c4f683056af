import request from 'supertest';
import { createProjectViaApi } from '../helpers/refwire';
import { PASSWORD, sessionCookieOf } from '../helpers/dashboard';
import { ADMIN_TOKEN } from '../helpers/refwire';
import { axeViolations, DashboardHarness, describeInBrowser, screenshot } from '../helpers/dashboard-browser';

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
});
