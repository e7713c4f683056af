import type { Page } from 'playwright-core';
import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { asBrowser, browserOf, PASSWORD, setUpOwner, type Browser } from '../helpers/dashboard';
import { axeViolations, DashboardHarness, describeInBrowser, screenshot, waitForCount } from '../helpers/dashboard-browser';
import { stripeEvent } from '../helpers/ledger';
import { connectProvider, createProjectViaApi } from '../helpers/refwire';

// The tests compile without the DOM library
declare const document: any;

const SECRET = 'whsec_people_pages_0123456789';

// The people pages (web/dashboard/pages/applications, affiliates, affiliate-detail, groups) in Chromium, against
// the real API: applications decided from the browser, one and in bulk; groups; an affiliate's page with its link,
// coupon, an attributed sale and its exact commission; API validation errors next to their field; a viewer.
describeInBrowser('the people pages: applications, affiliates, an affiliate, groups', () => {
  const h = new DashboardHarness();
  let project: { id: string; apiKey: string };
  let owner: Browser;
  // the real time (to the minute): the browser judges the session cookie's Expires by its own clock
  const start = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const later = (minutes: number) => new Date(start.getTime() + minutes * 60_000);
  const v1 = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string) => request(h.t.app)[method](path).set('Authorization', `Bearer ${project.apiKey}`);
  const at = (page: string) => `/dashboard/projects/${project.id}/${page}`;
  let mails = 0;

  /** applies through the public form and confirms with the code read from the email */
  async function apply(name: string, email: string, extra: { website?: string; message?: string } = {}) {
    await request(h.t.app).post(`/api/public/projects/${project.id}/applications`).send({ name, email, ...extra }).expect(202);
    const mail = await h.mailTo(email, mails);
    mails = h.smtp!.received.length;
    const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
    await request(h.t.app).post(`/api/public/projects/${project.id}/applications/verify`).send({ email, code }).expect(201);
  }
  const affiliate = async (email: string) => (await v1('get', `/api/v1/affiliates/${encodeURIComponent(email)}`).expect(200)).body.data;

  async function ownerPage(path: string): Promise<Page> {
    const page = await h.page();
    await h.signIn(page, 'owner@acme.test', PASSWORD, at(path));
    return page;
  }

  beforeAll(async () => {
    await h.start({ smtp: true });
    h.t.clock.now = start;
    project = await createProjectViaApi(h.t.app, 'Acme');
    owner = await setUpOwner(h.t.app, project.id);
    await connectProvider(h.t.app, project.apiKey, 'stripe', SECRET);
    await v1('patch', '/api/v1/settings').send({ allowed_domains: ['shop.test'], commission_value: 10, commission_type: 'percentage' }).expect(200);
  }, 120_000);
  afterAll(() => h.stop());
  afterEach(() => expect(h.takePageErrors()).toEqual([]));

  it('shows the empty states', async () => {
    const page = await ownerPage('applications');
    await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
    await page.getByText('No applications yet.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'applications-empty');
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByText('No groups yet.').waitFor();
    await page.getByRole('link', { name: 'Affiliates' }).click();
    await page.getByText('No affiliates yet.').waitFor();
  });

  it('creates groups (a refused rate shown next to its field), edits one and deletes one', async () => {
    const page = await ownerPage('groups');
    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Gold');
    await dialog.getByLabel('Commission type').selectOption('percentage');
    await dialog.getByLabel('Commission (%)').fill('150');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    // the API's message, next to the value it names, and nothing created
    const valueField = dialog.locator('.field', { has: page.getByLabel('Commission (%)') });
    await valueField.locator('.field-error').waitFor();
    expect(await valueField.locator('.field-error').innerText()).toMatch(/100/);
    expect(await dialog.getByLabel('Commission (%)').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'groups-validation-error');
    expect((await v1('get', '/api/v1/groups').expect(200)).body.data).toEqual([]);

    await dialog.getByLabel('Commission (%)').fill('25');
    await dialog.getByLabel('Duration').selectOption('months');
    await dialog.getByLabel('Months').fill('12');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('cell', { name: 'Gold', exact: true }).waitFor();
    await page.getByRole('cell', { name: '25%' }).waitFor();
    await page.getByRole('cell', { name: 'payments of the first 12 months' }).waitFor();

    await page.getByRole('button', { name: 'New group' }).click();
    await dialog.getByLabel('Name').fill('Silver');
    await dialog.getByLabel('Commission type').selectOption('fixed');
    await dialog.getByLabel('Commission (USD)').fill('5');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('cell', { name: '$5.00 per sale' }).waitFor();

    await page.getByRole('button', { name: 'Edit Silver' }).click();
    await dialog.getByLabel('Name').fill('Bronze');
    await dialog.getByLabel('Commission (USD)').fill('7.50');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: '$7.50 per sale' }).waitFor();
    const groups = (await v1('get', '/api/v1/groups').expect(200)).body.data;
    expect(groups.map((g: any) => [g.name, g.commission_type, g.commission_rate_bp, g.commission_value_minor, g.commission_duration, g.commission_months])).toEqual([
      ['Gold', 'percentage', 2500, null, 'months', 12],
      ['Bronze', 'fixed', null, 750, null, null],
    ]);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'groups');

    await page.getByRole('button', { name: 'Delete Bronze' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Group Bronze deleted.').waitFor();
    await page.getByRole('cell', { name: 'Bronze', exact: true }).waitFor({ state: 'detached' });
    expect((await v1('get', '/api/v1/groups').expect(200)).body.data.map((g: any) => g.name)).toEqual(['Gold']);
  });

  it('approves an application into a group, rejects one with a reason, and approves two in bulk', async () => {
    h.t.clock.now = later(5);
    await apply('Ann Writer', 'ann@blog.test', { website: 'https://ann.blog', message: 'I review tools for developers.' });
    await apply('Bob Spam', 'bob@spam.test', { website: 'https://ann.blog' });
    await apply('Cat Reviewer', 'cat@reviews.test');
    await apply('Dan Podcaster', 'dan@pod.test');
    const gold = (await v1('get', '/api/v1/groups').expect(200)).body.data[0];

    const page = await ownerPage('applications');
    const table = page.getByRole('table', { name: 'Applications, email confirmed' });
    await table.getByText('Ann Writer').waitFor();
    expect(await table.locator('tbody tr').count()).toBe(4);
    await table.getByText('I review tools for developers.').waitFor();
    // Bob gave Ann's website: the check's flag shows on his row
    const bobRow = table.locator('tr', { hasText: 'Bob Spam' });
    expect(await bobRow.innerText()).toContain('another application gave the same website');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'applications');

    // Ann, into Gold
    await page.getByRole('button', { name: 'Approve Ann Writer' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Group').selectOption({ label: 'Gold' });
    await screenshot(page, 'applications-approve-dialog');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').getByText('Ann Writer approved.').waitFor();
    expect(await affiliate('ann@blog.test')).toMatchObject({ status: 'active', group_id: gold.id });
    await table.locator('tr', { hasText: 'Ann Writer' }).getByText('active').waitFor();

    // Bob, rejected: the reason is required
    await page.getByRole('button', { name: 'Reject Bob Spam' }).click();
    expect(await dialog.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Reason').fill('Your site copies another applicant’s.');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('status').getByText('Bob Spam rejected.').waitFor();
    expect(await affiliate('bob@spam.test')).toMatchObject({ status: 'rejected' });
    const bobReject = await h.mailTo('bob@spam.test', mails);
    expect(bobReject.text).toContain('Your site copies another applicant’s.');

    // Cat and Dan together
    await page.getByRole('checkbox', { name: 'Select Cat Reviewer' }).check();
    await page.getByRole('checkbox', { name: 'Select Dan Podcaster' }).check();
    expect(await page.getByRole('checkbox', { name: 'Select Ann Writer' }).count()).toBe(0);
    const bulk = page.getByRole('region', { name: 'Selected applications' });
    await bulk.getByText('2 selected').waitFor();
    await screenshot(page, 'applications-selected');
    await bulk.getByRole('button', { name: 'Approve selected' }).click();
    await dialog.getByRole('button', { name: 'Approve selected' }).click();
    await page.locator('.callout').getByText('2 applications approved.').waitFor();
    expect((await affiliate('cat@reviews.test')).status).toBe('active');
    expect((await affiliate('dan@pod.test')).status).toBe('active');
    // nobody is left to decide on this page
    expect(await page.getByRole('checkbox', { name: /^Select (Cat|Dan)/ }).count()).toBe(0);
    expect(await page.getByRole('checkbox', { name: 'Select every row on this page' }).isDisabled()).toBe(true);

    // the decision filter: the two approved in bulk and Ann, not the others
    await page.getByLabel('Decision').selectOption('approved');
    await page.waitForURL(/decision=approved/);
    await table.getByText('Bob Spam').waitFor({ state: 'detached' });
    await table.getByText('Ann Writer').waitFor();
    await page.getByLabel('Decision').selectOption('');
    await page.waitForURL((u) => !u.search.includes('decision'));
    await table.getByText('Bob Spam').waitFor();
    // the flag filter goes into the address and asks the API
    await page.getByLabel('Flags').selectOption('false');
    await page.waitForURL(/flagged=false/);
    await table.getByText('Bob Spam').waitFor({ state: 'detached' });
    expect(await table.locator('tbody tr').count()).toBe(1);
    await table.getByText('Ann Writer').waitFor();
    // filtered down to nothing: that no application matches, not that there are none yet
    await page.getByLabel('Decision').selectOption('pending');
    await page.waitForURL(/decision=pending/);
    await page.getByText('No application matches these filters.').waitFor();
    expect(await page.getByText('No applications yet.').count()).toBe(0);
  });

  it('rejects in bulk with one reason and reports which failed, by name', async () => {
    await apply('Eve Early', 'eve@early.test');
    await apply('Fay Fast', 'fay@fast.test');
    const page = await ownerPage('applications');
    await page.getByRole('checkbox', { name: 'Select Eve Early' }).check();
    await page.getByRole('checkbox', { name: 'Select Fay Fast' }).check();
    // Fay is approved elsewhere meanwhile: her rejection is refused (409)
    await v1('post', '/api/v1/affiliates/fay%40fast.test/approve').send({}).expect(200);
    await page.getByRole('region', { name: 'Selected applications' }).getByRole('button', { name: 'Reject selected' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('The program is full this quarter.');
    await dialog.getByRole('button', { name: 'Reject selected' }).click();
    const callout = page.locator('.callout');
    await callout.getByText('1 application rejected. 1 failed: Fay Fast.').waitFor();
    expect(await callout.innerText()).toContain('cannot reject an affiliate that is active');
    await screenshot(page, 'applications-bulk-result');
    expect((await affiliate('eve@early.test')).status).toBe('rejected');
    expect((await affiliate('fay@fast.test')).status).toBe('active');
  });

  it("shows an affiliate's rule, link, coupon and an attributed sale with its exact commission; edits the rate; suspends and reactivates", async () => {
    const ann = await affiliate('ann@blog.test');
    const page = await ownerPage(`affiliates/${encodeURIComponent('ann@blog.test')}`);
    await page.getByRole('heading', { name: 'Ann Writer', level: 1 }).waitFor();
    const rule = page.getByRole('region', { name: 'Commission rule in force' });
    await rule.getByText('25%').waitFor();
    expect(await rule.innerText()).toContain('the group Gold');
    expect(await rule.innerText()).toContain('payments of the first 12 months');
    await page.getByText('No links yet.').waitFor();

    // a link: a target off the allowed domains is refused next to the field
    const links = page.getByRole('region', { name: 'Links' });
    await links.getByLabel('Target URL').fill('https://elsewhere.test/');
    await links.getByRole('button', { name: 'Create link' }).click();
    await links.locator('.field-error').waitFor();
    expect(await links.locator('.field-error').innerText()).toMatch(/allowed/);
    await links.getByLabel('Target URL').fill('https://shop.test/pricing');
    await links.getByLabel('Slug (optional)').fill('ann-pricing');
    await links.getByRole('button', { name: 'Create link' }).click();
    await links.getByRole('cell', { name: `${h.url}/r/ann-pricing` }).waitFor();

    const coupons = page.getByRole('region', { name: 'Coupons' });
    await coupons.getByLabel('Coupon code').fill('ANN20');
    await coupons.getByRole('button', { name: 'Add coupon' }).click();
    await coupons.getByRole('cell', { name: 'ANN20' }).waitFor();
    expect((await v1('get', `/api/v1/coupons?affiliate_id=${ann.id}`).expect(200)).body.data.map((c: any) => c.coupon_code)).toEqual(['ANN20']);

    // a Stripe checkout carrying Ann's code: $120.00 at Gold's 25% is $30.00
    h.t.clock.now = later(60);
    const payload = stripeEvent('checkout.session.completed.payment.json', (o) => {
      o.id = 'cs_people_1';
      o.payment_intent = 'pi_people_1';
      o.customer = 'cus_people_1';
      o.customer_details = { ...o.customer_details, email: 'buyer@example.com' };
      o.customer_email = 'buyer@example.com';
      o.currency = 'usd';
      o.amount_total = 12_000;
      o.amount_subtotal = 12_000;
      o.client_reference_id = ann.referral_code;
      o.metadata = {};
      o.discounts = [];
      o.total_details = { ...o.total_details, amount_discount: 0, amount_tax: 0 };
    });
    payload.created = Math.floor(h.t.clock.now.getTime() / 1000);
    const body = JSON.stringify(payload);
    await request(h.t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, SECRET, { now: h.t.clock.now })).send(body).expect(200);
    await h.t.runner.idle();
    const [sale] = (await v1('get', `/api/v1/conversions?affiliate_id=${ann.id}&kind=purchase`).expect(200)).body.data;
    expect(sale).toMatchObject({ value_minor: 3_000, amount_minor: 12_000, rule_source: 'group' });

    await page.reload();
    const conversions = page.getByRole('region', { name: 'Conversions' });
    const row = conversions.locator('tbody tr').first();
    await row.getByRole('cell', { name: '$30.00' }).waitFor();
    await row.getByRole('cell', { name: '$120.00' }).waitFor();
    const words = await row.locator('.attribution p').innerText();
    expect(words).toContain(ann.referral_code);
    expect(words).toMatch(/client.?reference.?id/i);
    await row.getByText(/^Trace \(\d+ steps?\)$/).click();
    await row.locator('.trace li', { hasText: 'hit' }).first().waitFor();
    const balances = page.getByRole('region', { name: 'Balances' });
    expect(await balances.innerText()).toContain('$30.00');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliate-detail');

    // her own rate wins over Gold's from now on
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Commission type').selectOption('percentage');
    await dialog.getByLabel('Commission (%)').fill('30');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await rule.getByText('30%').waitFor();
    expect(await rule.innerText()).toContain('this affiliate’s own rate');
    expect(await affiliate('ann@blog.test')).toMatchObject({ commission_type: 'percentage', commission_rate_bp: 3000, group_id: ann.group_id });
    await rule.getByRole('button', { name: 'Show the rule’s history' }).click();
    await rule.getByRole('table').getByRole('cell', { name: '30%' }).waitFor();

    await page.getByRole('button', { name: 'Suspend' }).click();
    await dialog.getByLabel('Reason (optional, emailed to them)').fill('Paused while we review a complaint.');
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('button', { name: 'Reactivate' }).waitFor();
    expect(await affiliate('ann@blog.test')).toMatchObject({ status: 'suspended' });
    // the reason is on the profile, and no payout can be started while payouts are frozen
    await page.getByText('Reason: Paused while we review a complaint.').waitFor();
    expect(await page.getByRole('button', { name: 'New payout' }).isDisabled()).toBe(true);
    await page.getByText('Payouts are frozen while the affiliate is suspended').waitFor();
    await page.getByRole('button', { name: 'Reactivate' }).click();
    await dialog.getByRole('button', { name: 'Reactivate' }).click();
    await page.getByRole('button', { name: 'Suspend' }).waitFor();
    expect((await affiliate('ann@blog.test')).status).toBe('active');
    // the settings page after an affiliate's (they share the program's settings in the cache), and back
    await page.getByRole('navigation').getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await page.getByLabel('Hold (days)').waitFor();
    expect(await page.getByText('Could not show this page').count()).toBe(0);
    await page.goBack();
    await rule.getByText('30%').waitFor();
    expect(await page.getByText('Could not show this page').count()).toBe(0);
  });

  it('lists affiliates by status and creates one, a bad email shown next to its field', async () => {
    const page = await ownerPage('affiliates');
    const table = page.getByRole('table', { name: 'Affiliates' });
    await table.getByRole('link', { name: 'Ann Writer' }).waitFor();
    await page.getByLabel('Status').selectOption('rejected');
    await page.waitForURL(/status=rejected/);
    await page.getByRole('table', { name: 'Affiliates, rejected' }).getByRole('link', { name: 'Ann Writer' }).waitFor({ state: 'detached' });
    expect(await page.getByRole('table', { name: 'Affiliates, rejected' }).locator('tbody tr').count()).toBe(2);
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('table', { name: 'Affiliates' }).waitFor();
    // a search and a group go into the address and ask the API
    await page.getByLabel('Search').fill('WRITER');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/q=WRITER/);
    await page.getByRole('button', { name: 'Clear filters' }).waitFor();
    const searched = (await v1('get', '/api/v1/affiliates?q=WRITER').expect(200)).body.data.map((a: { name: string | null; email: string }) => a.name || a.email);
    await waitForCount(page.locator('main table tbody tr'), searched.length);
    // a search that finds nobody says so, not that the program has no affiliates
    await page.getByLabel('Search').fill('zzz-nobody');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No affiliates match these filters.').waitFor();
    expect(await page.getByText('No affiliates yet.').count()).toBe(0);
    await page.getByLabel('Search').fill('WRITER');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/q=WRITER/);
    expect(searched).toContain('Ann Writer');
    await waitForCount(page.locator('main table tbody tr'), searched.length);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Group').selectOption({ label: 'Gold' });
    await page.waitForURL(/group=/);
    const gold = (await v1('get', `/api/v1/affiliates?group_id=${new URL(page.url()).searchParams.get('group')}`).expect(200)).body.data.map((a: { name: string | null; email: string }) => a.name || a.email);
    expect(gold).toContain('Ann Writer');
    await waitForCount(page.locator('main table tbody tr'), gold.length);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('table', { name: 'Affiliates' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliates');

    await page.getByRole('button', { name: 'New affiliate' }).click();
    const dialog = page.getByRole('dialog');
    // typing starts in the first field
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'email', undefined, { timeout: 5_000 });
    await dialog.getByLabel('Email').fill('not-an-email');
    await dialog.getByLabel('Name').fill('Gus Guide');
    await dialog.getByRole('button', { name: 'Create affiliate' }).click();
    const emailField = dialog.locator('.field', { has: page.getByLabel('Email') });
    await emailField.locator('.field-error').waitFor();
    expect(await emailField.locator('.field-error').innerText()).toMatch(/email/i);
    await screenshot(page, 'affiliates-create-error');

    await dialog.getByLabel('Email').fill('gus@guides.test');
    await dialog.getByLabel('Group').selectOption({ label: 'Gold' });
    await dialog.getByRole('button', { name: 'Create affiliate' }).click();
    await page.getByRole('heading', { name: 'Gus Guide', level: 1 }).waitFor();
    // the new page is announced by its heading, not left on whatever the closed dialog gave focus back to
    await page.waitForFunction(() => document.activeElement?.id === 'page-title' && document.activeElement.textContent === 'Gus Guide', undefined, { timeout: 5_000 });
    expect(page.url()).toContain(`/affiliates/${encodeURIComponent('gus@guides.test')}`);
    expect(await affiliate('gus@guides.test')).toMatchObject({ status: 'active', name: 'Gus Guide' });
    await page.getByText('No conversions yet.').waitFor();
    await page.getByText('No payouts yet.').waitFor();

    // an address naming nobody says so
    await page.goto(`${h.url}${at(`affiliates/${encodeURIComponent('nobody@acme.test')}`)}`);
    await page.getByText('There is no affiliate nobody@acme.test in this project.').waitFor();
  });

  it('refuses to delete a group that has affiliates, with the API’s reason', async () => {
    const page = await ownerPage('groups');
    await page.getByRole('button', { name: 'Delete Gold' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('alert').getByText(/this group has 2 affiliate\(s\): move them/).waitFor();
    await screenshot(page, 'groups-delete-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await v1('get', '/api/v1/groups').expect(200)).body.data.map((g: any) => g.name)).toEqual(['Gold']);
  });

  it('shows a viewer every page with no approve, reject, create or edit control', async () => {
    await asBrowser(h.t.app, owner, 'post', `/api/dashboard/projects/${project.id}/invitations`).send({ email: 'vic@acme.test', role: 'viewer' }).expect(201);
    const token = /#token=(rwinv_[A-Za-z0-9_-]+)/.exec((await h.mailTo('vic@acme.test', mails)).text)![1]!;
    browserOf(await request(h.t.app).post('/api/dashboard/invitations/accept').send({ token, password: 'vic long password' }).expect(200));
    await apply('Hal Pending', 'hal@pending.test');

    const page = await h.page();
    await h.signIn(page, 'vic@acme.test', 'vic long password', at('applications'));
    await page.getByText('Hal Pending').waitFor();
    expect(await page.getByRole('button', { name: /Approve|Reject/ }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'applications-viewer');

    await page.getByRole('link', { name: 'Affiliates' }).click();
    await page.getByRole('link', { name: 'Ann Writer' }).waitFor();
    expect(await page.getByRole('button', { name: 'New affiliate' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Ann Writer' }).click();
    await page.getByRole('heading', { name: 'Ann Writer', level: 1 }).waitFor();
    await page.getByRole('cell', { name: '$30.00' }).waitFor();
    for (const name of ['Edit', 'Suspend', 'Reactivate', 'Create link', 'Add coupon']) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
    expect(await page.getByLabel('Target URL').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'affiliate-detail-viewer');

    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('cell', { name: 'Gold', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: /New group|Edit|Delete/ }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });
});
