import type { Page } from 'playwright-core';
import request from 'supertest';
import { asBrowser, browserOf, PASSWORD, setUpOwner, type Browser } from '../helpers/dashboard';
import { axeViolations, DashboardHarness, describeInBrowser, screenshot, waitForCount } from '../helpers/dashboard-browser';
import { createProjectViaApi } from '../helpers/refwire';

// The tests compile without the DOM library
declare const document: any;

// The program's catalogue pages (web/dashboard/pages/products, coupons, referrals, emails) in Chromium, against the
// real API: product rules and coupons created, edited and deleted through the page and checked through the API;
// referrals recorded and moved; the email outbox; the empty states; an API error next to its field (and read out by
// its label); a viewer who sees every page and no control that writes.
describeInBrowser('the catalogue pages: product rules, coupons, referrals, emails', () => {
  const h = new DashboardHarness();
  let project: { id: string; apiKey: string };
  let owner: Browser;
  let mails = 0;
  // the real time (to the minute): the browser judges the session cookie's Expires by its own clock
  const start = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const v1 = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string) => request(h.t.app)[method](path).set('Authorization', `Bearer ${project.apiKey}`);
  const at = (page: string) => `/dashboard/projects/${project.id}/${page}`;
  const notice = (page: Page, text: string | RegExp) => page.locator('.notices').getByText(text).waitFor();

  async function ownerPage(path: string): Promise<Page> {
    const page = await h.page();
    await h.signIn(page, 'owner@acme.test', PASSWORD, at(path));
    return page;
  }
  const go = async (page: Page, label: string, title = label) => {
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: label, exact: true }).click();
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    await page.locator('.state-loading').first().waitFor({ state: 'detached' });
  };

  beforeAll(async () => {
    await h.start({ smtp: true });
    h.t.clock.now = start;
    project = await createProjectViaApi(h.t.app, 'Acme');
    owner = await setUpOwner(h.t.app, project.id);
  }, 120_000);
  afterAll(() => h.stop());
  afterEach(() => expect(h.takePageErrors()).toEqual([]));

  it('shows the empty states, with where a product rule sits in the rule order', async () => {
    const page = await ownerPage('product-rules');
    await page.getByRole('heading', { name: 'Product rules', level: 1 }).waitFor();
    await page.getByText('No product rules yet.').waitFor();
    expect(await page.getByRole('note').filter({ hasText: 'Rule order' }).innerText()).toContain('the affiliate’s own rate → its group’s → a product rule → the program’s default');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'product-rules-empty');
    await go(page, 'Coupons');
    await page.getByText('No coupons yet.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'coupons-empty');
    await go(page, 'Referrals');
    await page.getByText('No referrals yet.').waitFor();
    await go(page, 'Emails');
    await page.getByText('No emails yet.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // a sentence with the role's article
    await go(page, 'Users');
    await page.getByText(/You are an owner here/).waitFor();
  });

  it('creates product rules (a refused rate next to its field, told by its label), edits one and deletes one', async () => {
    const page = await ownerPage('product-rules');
    await page.getByRole('button', { name: 'New product rule' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Product or price id').fill('price_pro_yearly');
    await dialog.getByLabel('Name (optional)').fill('Pro yearly');
    expect(await dialog.getByLabel('Commission type').inputValue()).toBe('percentage');
    await dialog.getByLabel('Commission (%)').fill('150');
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    const valueField = dialog.locator('.field', { has: page.getByLabel('Commission (%)') });
    await valueField.locator('.field-error').waitFor();
    expect(await valueField.locator('.field-error').innerText()).toMatch(/100/);
    expect(await dialog.getByLabel('Commission (%)').getAttribute('aria-invalid')).toBe('true');
    // screen readers are told the field by the label they hear on it, not the API's commission_value
    expect(await dialog.getByRole('alert').textContent()).toBe('Check the fields marked: Commission (%).');
    await screenshot(page, 'product-rules-validation-error');
    expect((await v1('get', '/api/v1/products').expect(200)).body.data).toEqual([]);

    await dialog.getByLabel('Commission (%)').fill('40');
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    await notice(page, 'Product rule Pro yearly created.');
    await page.getByRole('cell', { name: '40%' }).waitFor();

    await page.getByRole('button', { name: 'New product rule' }).click();
    await dialog.getByLabel('Product or price id').fill('prod_lifetime');
    await dialog.getByLabel('Commission type').selectOption('fixed');
    await dialog.getByLabel('Commission (USD)').fill('20');
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('cell', { name: '$20.00 per sale' }).waitFor();

    // a second rule for the same product is the API's 409, said in the form
    await page.getByRole('button', { name: 'New product rule' }).click();
    await dialog.getByLabel('Product or price id').fill('prod_lifetime');
    await dialog.getByLabel('Commission (%)').fill('10');
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    await dialog.getByRole('alert').getByText('a rule for this product_id already exists').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Edit prod_lifetime' }).click();
    await dialog.getByLabel('Name (optional)').fill('Lifetime deal');
    await dialog.getByLabel('Commission (USD)').fill('25.50');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await notice(page, 'Product rule Lifetime deal saved.');
    await page.getByRole('cell', { name: '$25.50 per sale' }).waitFor();
    const rules = (await v1('get', '/api/v1/products').expect(200)).body.data;
    expect(rules.map((r: any) => [r.product_id, r.name, r.commission_type, r.commission_value, r.commission_rate_bp, r.commission_value_minor])).toEqual([
      ['price_pro_yearly', 'Pro yearly', 'percentage', 40, 4000, null],
      ['prod_lifetime', 'Lifetime deal', 'fixed', 25.5, null, 2550],
    ]);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'product-rules');

    await page.getByRole('button', { name: 'Delete Pro yearly' }).click();
    await dialog.getByRole('heading', { name: 'Delete the rule of Pro yearly' }).waitFor();
    await screenshot(page, 'product-rules-delete');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    await notice(page, 'Product rule Pro yearly deleted.');
    await page.getByRole('cell', { name: '40%' }).waitFor({ state: 'detached' });
    expect((await v1('get', '/api/v1/products').expect(200)).body.data.map((r: any) => r.product_id)).toEqual(['prod_lifetime']);
  });

  it('creates coupons for a chosen affiliate (refusals next to their fields), edits, deactivates, activates, filters and deletes', async () => {
    const ann = (await v1('post', '/api/v1/affiliates').send({ email: 'ann@blog.test', name: 'Ann Writer', referral_code: 'ANN' }).expect(201)).body.data;
    const bob = (await v1('post', '/api/v1/affiliates').send({ email: 'bob@pod.test', name: 'Bob Cast', referral_code: 'BOB' }).expect(201)).body.data;
    await v1('post', '/api/v1/coupons').send({ affiliate_id: bob.id, coupon_code: 'BOBCAST', paddle_discount_id: 'dsc_bob' }).expect(201);

    const page = await ownerPage('coupons');
    await page.getByRole('cell', { name: 'BOBCAST', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New coupon' }).click();
    const dialog = page.getByRole('dialog');
    const affiliateInput = dialog.getByLabel('Affiliate', { exact: true });
    // nobody has this email: said next to the affiliate, nothing created
    await affiliateInput.fill('nobody@acme.test');
    await dialog.getByLabel('Coupon code').fill('ANN20');
    await dialog.getByRole('button', { name: 'Create coupon' }).click();
    const affiliateField = dialog.locator('.field', { has: page.getByLabel('Affiliate', { exact: true }) });
    await affiliateField.locator('.field-error').getByText('no affiliate has the email nobody@acme.test').waitFor();
    expect(await affiliateInput.getAttribute('aria-invalid')).toBe('true');
    // the picker suggests affiliates by a part of their name
    await affiliateInput.fill('Writer');
    await waitForCount(dialog.locator('datalist option[value="ann@blog.test"]'), 1);
    await affiliateInput.fill('ann@blog.test');
    // a code the API refuses, next to the code
    await dialog.getByLabel('Coupon code').fill('A!');
    await dialog.getByRole('button', { name: 'Create coupon' }).click();
    const codeField = dialog.locator('.field', { has: page.getByLabel('Coupon code') });
    await codeField.locator('.field-error').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toBe('Check the fields marked: Coupon code.');
    await screenshot(page, 'coupons-validation-error');
    expect((await v1('get', `/api/v1/coupons?affiliate_id=${ann.id}`).expect(200)).body.data).toEqual([]);

    await dialog.getByLabel('Coupon code').fill('ANN20');
    await dialog.getByLabel('Stripe coupon id').fill('coupon_ann20');
    await dialog.getByLabel('Lemon Squeezy discount code').fill('ANN20LS');
    await dialog.getByRole('button', { name: 'Create coupon' }).click();
    await notice(page, 'Coupon ANN20 created for ann@blog.test.');
    const annRow = page.locator('tbody tr', { hasText: 'ANN20' });
    await annRow.getByRole('link', { name: 'ann@blog.test' }).waitFor();
    expect(await annRow.innerText()).toContain('Stripe: coupon_ann20');
    expect(await annRow.innerText()).toContain('Lemon Squeezy: ANN20LS');
    expect(await page.locator('tbody tr', { hasText: 'BOBCAST' }).innerText()).toContain('Paddle: dsc_bob');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'coupons');

    // edited: a new code, the Stripe id removed, a Polar id added, moved to Bob
    await page.getByRole('button', { name: 'Edit ANN20' }).click();
    expect(await dialog.getByLabel('Affiliate', { exact: true }).inputValue()).toBe('ann@blog.test');
    await dialog.getByLabel('Coupon code').fill('ANN25');
    await dialog.getByLabel('Stripe coupon id').fill('');
    await dialog.getByLabel('Polar discount id').fill('polar_ann');
    await screenshot(page, 'coupons-edit');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await notice(page, 'Coupon ANN25 saved.');
    let [annCoupon] = (await v1('get', `/api/v1/coupons?affiliate_id=${ann.id}`).expect(200)).body.data;
    expect(annCoupon).toMatchObject({ coupon_code: 'ANN25', stripe_coupon_id: null, lemonsqueezy_discount_code: 'ANN20LS', polar_discount_id: 'polar_ann', paddle_discount_id: null, status: 'active' });
    await page.getByRole('button', { name: 'Edit ANN25' }).click();
    await dialog.getByLabel('Affiliate', { exact: true }).fill('bob@pod.test');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('tbody tr', { hasText: 'ANN25' }).getByRole('link', { name: 'bob@pod.test' }).waitFor();
    expect((await v1('get', `/api/v1/coupons/${annCoupon.id}`).expect(200)).body.data).toMatchObject({ affiliate_id: bob.id, affiliate_email: 'bob@pod.test' });

    // deactivated and activated again, in place
    await page.getByRole('button', { name: 'Deactivate ANN25' }).click();
    await notice(page, 'Coupon ANN25 deactivated.');
    await page.locator('tbody tr', { hasText: 'ANN25' }).getByText('inactive').waitFor();
    expect((await v1('get', `/api/v1/coupons/${annCoupon.id}`).expect(200)).body.data.status).toBe('inactive');

    // filters go into the address and ask the API
    await page.getByLabel('Status').selectOption('inactive');
    await page.waitForURL(/status=inactive/);
    await page.getByRole('cell', { name: 'BOBCAST', exact: true }).waitFor({ state: 'detached' });
    await waitForCount(page.locator('main table tbody tr'), 1);
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Code').fill('cast');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/q=cast/);
    await page.getByRole('cell', { name: 'ANN25', exact: true }).waitFor({ state: 'detached' });
    await waitForCount(page.locator('main table tbody tr'), 1);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Affiliate’s email').fill('ann@blog.test');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No coupon matches these filters.').waitFor();
    await page.getByLabel('Affiliate’s email').fill('bob@pod.test');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await waitForCount(page.locator('main table tbody tr'), 2);
    await page.getByLabel('Affiliate’s email').fill('nobody@acme.test');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('There is no affiliate nobody@acme.test in this project.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();

    await page.getByRole('button', { name: 'Activate ANN25' }).click();
    await notice(page, 'Coupon ANN25 activated.');
    expect((await v1('get', `/api/v1/coupons/${annCoupon.id}`).expect(200)).body.data.status).toBe('active');

    await page.getByRole('button', { name: 'Delete ANN25' }).click();
    await dialog.getByRole('heading', { name: 'Delete the coupon ANN25' }).waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    await notice(page, 'Coupon ANN25 deleted.');
    await page.getByRole('cell', { name: 'ANN25', exact: true }).waitFor({ state: 'detached' });
    await v1('get', `/api/v1/coupons/${annCoupon.id}`).expect(404);
    [annCoupon] = (await v1('get', '/api/v1/coupons').expect(200)).body.data;
    expect(annCoupon).toMatchObject({ coupon_code: 'BOBCAST' });
  });

  it('records a referral by referral code, moves it to another affiliate and makes it direct; filters by status', async () => {
    const page = await ownerPage('referrals');
    await page.getByRole('button', { name: 'New referral' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Customer’s email').fill('not-an-email');
    await dialog.getByLabel('Affiliate’s referral code').fill('ANN');
    await dialog.getByRole('button', { name: 'Record referral' }).click();
    const emailField = dialog.locator('.field', { has: page.getByLabel('Customer’s email') });
    await emailField.locator('.field-error').waitFor();
    expect((await v1('get', '/api/v1/referrals').expect(200)).body.data).toEqual([]);
    await dialog.getByLabel('Customer’s email').fill('buyer@example.com');
    await dialog.getByRole('button', { name: 'Record referral' }).click();
    await notice(page, 'Referral of buyer@example.com recorded.');
    const row = page.locator('tbody tr', { hasText: 'buyer@example.com' });
    await row.getByRole('link', { name: 'Affiliates with the code ANN' }).waitFor();
    await row.getByText('pending').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'referrals');

    await page.getByRole('button', { name: 'Edit buyer@example.com' }).click();
    await dialog.getByLabel('Affiliate’s referral code').fill('BOB');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await notice(page, 'Referral of buyer@example.com saved.');
    await row.getByRole('link', { name: 'Affiliates with the code BOB' }).waitFor();
    const bob = (await v1('get', '/api/v1/affiliates/bob%40pod.test').expect(200)).body.data;
    expect((await v1('get', '/api/v1/referrals/buyer%40example.com').expect(200)).body.data).toMatchObject({ affiliate_id: bob.id, affiliate_code: 'BOB', conversion_status: 'pending', status: 'active' });

    await page.getByRole('button', { name: 'Edit buyer@example.com' }).click();
    await dialog.getByLabel('Affiliate’s referral code').fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await notice(page, 'Referral of buyer@example.com saved.');
    await row.getByText('direct').waitFor();
    expect((await v1('get', '/api/v1/referrals/buyer%40example.com').expect(200)).body.data).toMatchObject({ affiliate_id: null, conversion_status: 'direct' });

    await page.getByLabel('Status').selectOption('pending');
    await page.waitForURL(/status=pending/);
    await page.getByText('No referral has this status.').waitFor();
    await page.getByLabel('Status').selectOption('direct');
    await page.getByRole('cell', { name: 'buyer@example.com', exact: true }).waitFor();
  });

  it('lists the email outbox, filtered by status, template and recipient', async () => {
    await v1('post', '/api/v1/affiliates/ann%40blog.test/suspend').send({ reason: 'Paused while we review a complaint.' }).expect(200);
    await h.mailTo('ann@blog.test', mails);
    mails = h.smtp!.received.length;
    await v1('post', '/api/v1/affiliates/ann%40blog.test/reactivate').send({}).expect(200);
    const page = await ownerPage('emails');
    const table = page.getByRole('table', { name: 'Emails, newest first' });
    await waitForCount(table.locator('tbody tr'), 2);
    const sent = table.locator('tbody tr', { hasText: 'Affiliate suspended' });
    await sent.getByText('sent', { exact: true }).waitFor();
    expect(await sent.innerText()).toContain('ann@blog.test');
    await table.locator('tbody tr', { hasText: 'Affiliate reactivated' }).getByText('pending', { exact: true }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'emails');
    expect(await page.getByRole('main').getByRole('button', { name: /New|Edit|Delete|Send/ }).count()).toBe(0);

    await page.getByLabel('Status').selectOption('sent');
    await page.waitForURL(/status=sent/);
    await waitForCount(table.locator('tbody tr'), 1);
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Template').selectOption('affiliate_reactivated');
    await page.waitForURL(/template=affiliate_reactivated/);
    await waitForCount(table.locator('tbody tr'), 1);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Recipient').fill('bob@pod.test');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No email matches these filters.').waitFor();
  });

  it('shows a viewer every catalogue page with no control that writes', async () => {
    await asBrowser(h.t.app, owner, 'post', `/api/dashboard/projects/${project.id}/invitations`).send({ email: 'vic@acme.test', role: 'viewer' }).expect(201);
    const token = /#token=(rwinv_[A-Za-z0-9_-]+)/.exec((await h.mailTo('vic@acme.test', mails)).text)![1]!;
    mails = h.smtp!.received.length;
    const vic = browserOf(await request(h.t.app).post('/api/dashboard/invitations/accept').send({ token, password: 'vic long password' }).expect(200));

    const page = await h.page();
    await h.signIn(page, 'vic@acme.test', 'vic long password', at('product-rules'));
    const writes = /^(New|Edit|Delete|Deactivate|Activate|Create|Save|Record)/;
    const pages: [string, string, string | null][] = [
      ['Product rules', 'Lifetime deal', 'product-rules-viewer'],
      ['Coupons', 'BOBCAST', 'coupons-viewer'],
      ['Referrals', 'buyer@example.com', null],
      ['Emails', 'ann@blog.test', null],
    ];
    for (const [label, shows, shot] of pages) {
      await go(page, label);
      await page.getByRole('main').getByText(shows).first().waitFor();
      expect([label, await page.getByRole('main').getByRole('button', { name: writes }).count()]).toEqual([label, 0]);
      expect([label, await page.getByRole('main').getByRole('columnheader', { name: 'Actions' }).count()]).toEqual([label, 0]);
      expect([label, await axeViolations(page)]).toEqual([label, []]);
      if (shot) await screenshot(page, shot);
    }
    // the server refuses their write anyway
    const rule = (await v1('get', '/api/v1/products').expect(200)).body.data[0];
    await asBrowser(h.t.app, vic, 'delete', `/api/v1/products/${rule.id}`, project.id).expect(403);
    expect(await page.evaluate(() => document.title)).toBe('Emails · Acme · Refwire');
  });
});
