import request from 'supertest';
import type { Page } from 'playwright-core';
import { storeInboundEvent } from '../../src/inbox/inbound-events';
import { OutboundDispatcher } from '../../src/outbound/dispatcher';
import { findAdapter } from '../../src/providers/registry';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { SecretBox } from '../../src/security/secret-box';
import { asBrowser, browserOf, PASSWORD, setUpOwner, type Browser } from '../helpers/dashboard';
import { axeViolations, DashboardHarness, describeInBrowser, screenshot } from '../helpers/dashboard-browser';
import { stripeEvent } from '../helpers/ledger';
import { createProjectViaApi, silentLogger } from '../helpers/refwire';
import { WebhookReceiver } from '../helpers/webhook-receiver';

// The operations pages: overview, integrations, events (and one event), outbound webhooks (and one endpoint).
describeInBrowser('the operations pages (overview, integrations, events, outbound webhooks)', () => {
  const h = new DashboardHarness();
  const SECRET = 'whsec_ops_dashboard_secret_0123';
  let project: { id: string; apiKey: string };
  let owner: Browser;
  let receiver: WebhookReceiver;
  let dispatcher: OutboundDispatcher;
  const V = 'vic@acme.test';
  /** PUBLIC_URL, not the address the browser opens the dashboard at: the webhook URLs shown are the server's */
  const PUBLIC_URL = 'http://refwire.acme.test';
  const VIEWER_PASSWORD = 'vic long password';

  const v1 = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => request(h.t.app)[method](path).set('Authorization', `Bearer ${project.apiKey}`);
  const at = (path: string) => `/dashboard/projects/${project.id}${path}`;
  const go = async (page: Page, path: string) => {
    await page.goto(`${h.url}${at(path)}`);
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
  };
  /** a Stripe checkout paid for `amount` cents, signed with the secret typed on the integrations page */
  const checkout = (id: string, amount: number, patch: (o: Record<string, any>) => void = () => undefined) => {
    const payload = stripeEvent(
      'checkout.session.completed.payment.json',
      (o) => {
        o.id = `cs_${id}`;
        o.payment_intent = `pi_${id}`;
        o.customer = `cus_${id}`;
        o.customer_details = { ...o.customer_details, email: `${id}@buyer.test` };
        o.customer_email = `${id}@buyer.test`;
        o.currency = 'usd';
        o.amount_total = amount;
        o.amount_subtotal = amount;
        o.client_reference_id = 'JANE';
        o.metadata = {};
        o.discounts = [];
        o.total_details = { ...o.total_details, amount_discount: 0, amount_tax: 0 };
        patch(o);
      },
      `evt_${id}`,
    );
    payload.created = Math.floor(h.t.clock.now.getTime() / 1000);
    return JSON.stringify(payload);
  };
  const sendStripe = async (body: string) => {
    await request(h.t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, SECRET, { now: h.t.clock.now })).send(body).expect(200);
    await h.t.runner.idle();
  };
  const noticeOf = (page: Page, text: string | RegExp) => page.locator('.notices').getByText(text).waitFor();

  beforeAll(async () => {
    await h.start({ smtp: true, app: { outboundAllowPrivate: true, publicUrl: PUBLIC_URL } });
    // the app's clock near the browser's: the overview's period and the last 24 hours are days of the browser's calendar
    h.t.clock.now = new Date();
    project = await createProjectViaApi(h.t.app, 'Acme');
    owner = await setUpOwner(h.t.app, project.id);
    await asBrowser(h.t.app, owner, 'post', `/api/dashboard/projects/${project.id}/invitations`).send({ email: V, role: 'viewer' }).expect(201);
    const token = /#token=(rwinv_[A-Za-z0-9_-]+)/.exec((await h.mailTo(V)).text)![1]!;
    browserOf(await request(h.t.app).post('/api/dashboard/invitations/accept').send({ token, password: VIEWER_PASSWORD }).expect(200));
    receiver = new WebhookReceiver();
    await receiver.start();
    dispatcher = new OutboundDispatcher(h.tdb.db.sql, new SecretBox(h.t.secretsKey), silentLogger, { allowPrivate: true, timeoutMs: 2000 }, () => h.t.clock.now);
  }, 180_000);
  afterAll(async () => {
    await receiver?.stop();
    await h.stop();
  });
  afterEach(() => expect(h.takePageErrors()).toEqual([]));

  it('a new program: the overview says to connect a provider first, the events and endpoints are empty', async () => {
    const page = await h.page();
    // opened signed out, the overview's requests (started before the session is known) are refused: none of those
    // refusals may show as an error once signed in
    await page.addInitScript({
      content: `new MutationObserver(() => { if (document.querySelector('.state-error')) window.sawError = true; }).observe(document, { childList: true, subtree: true });`,
    });
    await h.signIn(page, 'owner@acme.test', PASSWORD, at('/overview'));
    await page.getByRole('heading', { name: 'Start here: connect your payment provider' }).waitFor();
    expect(await page.evaluate('window.sawError === true')).toBe(false);
    await page.getByText('No event received yet.').waitFor();
    await page.getByText('No failed events.').waitFor();
    await page.getByRole('heading', { name: 'Totals, last 30 days' }).waitFor();
    await page.getByText('No affiliate has made a sale in this period.').waitFor();
    expect(await page.locator('.stat').filter({ hasText: 'Commission (USD)' }).locator('dd').textContent()).toBe('$0.00');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'overview-empty');
    await page.getByRole('link', { name: 'Connect a provider' }).click();
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    expect(page.url()).toBe(`${h.url}${at('/integrations')}`);

    await go(page, '/events');
    await page.getByText('No event received yet.').waitFor();
    await go(page, '/webhooks');
    await page.getByText('No endpoint yet.').waitFor();
  });

  it('connects Stripe by its webhook secret (a wrong one refused next to the field); a signed Stripe webhook shows on the integrations, events, event and overview pages', async () => {
    const page = await h.page();
    await h.signIn(page, 'owner@acme.test', PASSWORD, at('/integrations'));
    const stripe = page.getByRole('region', { name: 'Stripe' });
    await stripe.getByText('not connected').waitFor();
    // the URL to give each provider (on PUBLIC_URL, whatever address the dashboard is opened at), and the events to
    // enable: what its adapter asks for, as GET /api/v1/integrations/providers tells the page
    for (const [name, label] of [['stripe', 'Stripe'], ['paddle', 'Paddle'], ['lemonsqueezy', 'Lemon Squeezy'], ['polar', 'Polar']] as const) {
      const region = page.getByRole('region', { name: label });
      expect(await region.getByLabel(`${label} webhook URL`).inputValue()).toBe(`${PUBLIC_URL}/webhook/${name}/${project.id}`);
      expect(await region.locator('.event-names code').allTextContents()).toEqual(findAdapter(name)!.webhookEvents);
    }
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'integrations-empty');

    await stripe.getByLabel('Stripe webhook signing secret').fill('sk_not_a_webhook_secret');
    await stripe.getByRole('button', { name: 'Connect Stripe' }).click();
    const error = stripe.locator('.field-invalid').filter({ has: page.getByLabel('Stripe webhook signing secret') }).locator('.field-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('a Stripe webhook signing secret is "whsec_" followed by at least 8 characters, without spaces');
    expect((await v1('get', '/api/v1/integrations').expect(200)).body.data).toEqual([]);

    await stripe.getByLabel('Stripe webhook signing secret').fill(SECRET);
    await stripe.getByRole('button', { name: 'Connect Stripe' }).click();
    await noticeOf(page, 'Stripe connected');
    await stripe.getByText('connected', { exact: true }).waitFor();
    await stripe.getByText('none yet: send a test event from Stripe').waitFor();
    const [connected] = (await v1('get', '/api/v1/integrations').expect(200)).body.data;
    expect(connected).toMatchObject({ provider: 'stripe', webhook_secret_hint: expect.stringMatching(/^whsec_/), last_event_received_at: null });
    expect(await stripe.locator('.details-list code').first().textContent()).toBe(connected.webhook_secret_hint);
    expect(await page.content()).not.toContain(SECRET);

    // an affiliate at 25 %, whose code the checkout carries
    await v1('post', '/api/v1/affiliates').send({ email: 'jane@blog.test', name: 'Jane', referral_code: 'JANE', commission_type: 'percentage', commission_value: 25 }).expect(201);
    h.t.clock.now = new Date();
    await sendStripe(checkout('ops_1', 12_000));
    const [event] = (await v1('get', '/api/v1/events').expect(200)).body.data;
    expect(event).toMatchObject({ provider: 'stripe', provider_event_id: 'evt_ops_1', type: 'checkout.session.completed', status: 'processed' });

    // the integrations page: last event received, the day's count
    await page.reload();
    await stripe.getByRole('link', { name: /UTC/ }).waitFor();
    expect(await stripe.locator('.integration-activity dd').allTextContents()).toEqual([expect.stringMatching(/UTC$/), '1', 'none']);
    await screenshot(page, 'integrations');

    // the events page, then the event
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: 'checkout.session.completed' });
    await row.waitFor();
    expect(await row.getByText('processed').count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'events');
    await row.getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Stripe checkout.session.completed', level: 1 }).waitFor();
    const conversion = page.getByRole('table', { name: 'Conversions this event made' }).getByRole('row').nth(1);
    expect(await conversion.getByRole('cell').allTextContents()).toEqual(['purchase', expect.any(String), 'ops_1@buyer.test', '$120.00', '$30.00', '—']);
    await page.getByRole('heading', { name: /Attribution of the purchase/ }).waitFor();
    await page.locator('.trace-steps').getByText(/JANE/).first().waitFor();
    expect(await page.getByLabel("The event's payload (JSON)").textContent()).toContain('"id": "cs_ops_1"');
    await page.getByRole('row', { name: /stripe-signature/ }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'event-detail');
    await conversion.getByRole('link', { name: 'purchase' }).click();
    expect(page.url()).toMatch(new RegExp(`${at('/conversions/')}[0-9a-f-]{36}$`));

    // the overview: the sale in the totals, the affiliate on top, the last event received
    await go(page, '/overview');
    await page.getByText(/^Last event received:/).waitFor();
    const stat = (name: string) => page.locator('.stat').filter({ has: page.getByText(name, { exact: true }) }).locator('dd');
    await stat('Commission (USD)').waitFor();
    expect(await stat('Commission (USD)').textContent()).toBe('$30.00');
    expect(await stat('Net revenue (USD)').textContent()).toBe('$120.00');
    expect(await page.getByRole('table', { name: /Top affiliates/ }).getByRole('row').nth(1).getByRole('cell').allTextContents()).toEqual(['jane@blog.test', 'JANE', '1', '$120.00', '$30.00']);
    expect(await page.getByRole('heading', { name: 'Start here: connect your payment provider' }).count()).toBe(0);
    // the period is kept in the address
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await page.getByRole('heading', { name: 'Totals, last 7 days' }).waitFor();
    expect(page.url()).toBe(`${h.url}${at('/overview')}?period=7`);
    expect(await stat('Commission (USD)').textContent()).toBe('$30.00');
    await page.getByText('Revenue and commission (USD): the numbers').click();
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.getByRole('row', { name: new RegExp(`^${today}`) }).last().getByRole('cell').allTextContents()).toEqual(['$120.00', '$30.00']);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'overview');
  });

  it("connects Lemon Squeezy with the store reconciliation reads (a store id that is not one refused next to its field)", async () => {
    const page = await h.page();
    await h.signIn(page, 'owner@acme.test', PASSWORD, at('/integrations'));
    const lemon = page.getByRole('region', { name: 'Lemon Squeezy' });
    await lemon.getByText('not connected').waitFor();
    await lemon.getByLabel('Lemon Squeezy webhook signing secret').fill('lemon-dashboard-secret');
    await lemon.getByLabel('Store ID (when the key sees several stores)').fill('my-store');
    await lemon.getByRole('button', { name: 'Connect Lemon Squeezy' }).click();
    const error = lemon.locator('.field-invalid').filter({ has: page.getByLabel('Store ID (when the key sees several stores)') }).locator('.field-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('must be a Lemon Squeezy store id (a positive integer)');
    expect((await v1('get', '/api/v1/integrations').expect(200)).body.data.map((i: { provider: string }) => i.provider)).not.toContain('lemonsqueezy');

    await lemon.getByLabel('Store ID (when the key sees several stores)').fill('4242');
    await lemon.getByRole('button', { name: 'Connect Lemon Squeezy' }).click();
    await noticeOf(page, 'Lemon Squeezy connected');
    expect((await v1('get', '/api/v1/integrations/lemonsqueezy').expect(200)).body.data.store_id).toBe('4242');
    const store = lemon.locator('.details-list dt', { hasText: 'Store' }).locator('xpath=following-sibling::dd[1]');
    expect(await store.textContent()).toBe('4242');
    expect(await axeViolations(page)).toEqual([]);
    await v1('delete', '/api/v1/integrations/lemonsqueezy').expect(204);
  });

  it('a failed event is called out on the overview, replayed from the events page, and the failed ones replayed all at once', async () => {
    // a payment in a currency that does not exist: failed at once, replaying cannot help
    await sendStripe(checkout('ops_bad', 5_000, (o) => (o.currency = 'usdx')));
    const [bad] = (await v1('get', '/api/v1/events?status=failed').expect(200)).body.data;
    expect(bad).toMatchObject({ provider_event_id: 'evt_ops_bad', status: 'failed', attempts: 1, status_reason: expect.stringMatching(/currency/) });
    // and a payment whose processing failed five times (a database outage, say): replaying it succeeds
    const stuck = await storeInboundEvent(h.tdb.db.sql, {
      projectId: project.id,
      provider: 'stripe',
      event: { eventId: 'evt_ops_stuck', type: 'checkout.session.completed', payload: null, occurredAt: h.t.clock.now, livemode: false },
      rawBody: Buffer.from(checkout('ops_stuck', 4_000)),
      headers: {},
      receivedAt: new Date(h.t.clock.now.getTime() - 60_000),
    });
    await h.tdb.db.sql.query(`UPDATE inbound_events SET status = 'failed', attempts = 5, status_reason = 'attempt 5: connection terminated unexpectedly', processed_at = $2 WHERE id = $1`, [stuck.id, h.t.clock.now]);

    const page = await h.page();
    await h.signIn(page, 'owner@acme.test', PASSWORD, at('/overview'));
    const callout = page.getByRole('note', { name: 'Failed events' });
    await callout.waitFor();
    expect(await callout.getByRole('link', { name: '2 failed events' }).count()).toBe(1);
    await callout.getByText(bad.status_reason).waitFor();
    await screenshot(page, 'overview-failing');
    await callout.getByRole('link', { name: '2 failed events' }).click();
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    expect(page.url()).toBe(`${h.url}${at('/events')}?status=failed`);
    expect(await page.getByLabel('Status').inputValue()).toBe('failed');
    await page.getByRole('row').filter({ hasText: 'evt_ops_bad' }).waitFor();
    expect(await page.getByRole('row').count()).toBe(3);

    // one replayed: it fails again, for the same reason
    await page.getByRole('row').filter({ hasText: 'evt_ops_bad' }).getByRole('button', { name: 'Replay checkout.session.completed' }).click();
    await noticeOf(page, /Replayed checkout.session.completed: it failed again/);
    expect((await v1('get', `/api/v1/events/${bad.id}`).expect(200)).body.data).toMatchObject({ status: 'failed', status_reason: bad.status_reason });

    // all failed ones, after a confirmation
    await page.getByRole('button', { name: 'Replay all failed' }).click();
    const dialog = page.getByRole('dialog', { name: 'Replay 2 failed events?' });
    // (the dialog's own box is empty: its panel is fixed-positioned, so wait for what is inside)
    await dialog.getByRole('button', { name: 'Replay them' }).waitFor();
    await screenshot(page, 'events-replay-all');
    await dialog.getByRole('button', { name: 'Replay them' }).click();
    await noticeOf(page, 'Replayed 2: 1 processed, 0 ignored, 1 failed again.');
    await page.getByRole('row').filter({ hasText: 'evt_ops_stuck' }).waitFor({ state: 'detached' });
    const replayed = (await v1('get', `/api/v1/events/${stuck.id}`).expect(200)).body.data;
    expect(replayed).toMatchObject({ status: 'processed', conversions: [{ kind: 'purchase', amount_minor: 4_000, value_minor: 1_000, currency: 'USD' }] });

    // the event page of the failed one: its error, and a replay there too
    await page.getByRole('row').filter({ hasText: 'evt_ops_bad' }).getByRole('link').first().click();
    await page.getByRole('note', { name: 'Outcome' }).getByText(bad.status_reason).waitFor();
    await page.getByText('This event made no conversion.').waitFor();
    // the notices of the replays above have gone (after 6 s) before this one's
    await page.waitForFunction("document.querySelectorAll('.notices p').length === 0", undefined, { timeout: 10_000 });
    await page.getByRole('button', { name: 'Replay this event' }).click();
    await noticeOf(page, /failed again/);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'event-detail-failed');

    // filters are kept in the address, and a filter nothing matches says so
    await go(page, '/events?provider=paddle');
    await page.getByText('No event matches these filters.').waitFor();
    expect(await page.getByLabel('Provider').inputValue()).toBe('paddle');
  });

  it('outbound webhooks: created with its secret shown once, a failing delivery with its attempts, redelivered; edited (an empty event list refused next to it); deleted', async () => {
    const page = await h.page();
    await h.signIn(page, 'owner@acme.test', PASSWORD, at('/webhooks'));
    // the form opened takes the focus on its first field; cancelled, it goes back to the button (it fell to the heading)
    await page.getByRole('button', { name: 'Add an endpoint' }).click();
    await page.getByLabel('Endpoint URL').waitFor();
    expect(await page.getByLabel('Endpoint URL').evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Add an endpoint' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add an endpoint' }).evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByLabel('Endpoint URL').waitFor();
    await page.getByLabel('Endpoint URL').fill('ftp://example.com/hook');
    await page.getByRole('button', { name: 'Create the endpoint' }).click();
    const urlError = page.locator('.field-invalid').filter({ has: page.getByLabel('Endpoint URL') }).locator('.field-error');
    await urlError.waitFor();
    expect(await urlError.textContent()).toMatch(/http/);
    expect((await v1('get', '/api/v1/webhooks').expect(200)).body.data).toEqual([]);

    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('Our CRM');
    await page.getByRole('checkbox', { name: 'affiliate.created' }).check();
    await page.getByRole('button', { name: 'Create the endpoint' }).click();
    await noticeOf(page, /Endpoint created/);
    const secret = await page.getByLabel('Signing secret', { exact: true }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    const [endpoint] = (await v1('get', '/api/v1/webhooks').expect(200)).body.data;
    expect(endpoint).toMatchObject({ url: receiver.url, description: 'Our CRM', payload_format: 'refgrow-v1', status: 'active', events: ['referral_signed_up', 'referral_converted', 'referral_canceled', 'referral_updated', 'affiliate.created'] });
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'webhooks-secret-once');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.getByText(secret).count()).toBe(0);

    // an affiliate joins; the receiver does not know the secret yet, so it refuses the delivery
    await v1('post', '/api/v1/affiliates').send({ email: 'max@blog.test', name: 'Max' }).expect(201);
    await dispatcher.runOnce();
    expect(receiver.refused.length).toBe(1);
    await go(page, '/overview');
    const failing = page.getByRole('note', { name: 'Failing outbound webhook deliveries' });
    await failing.getByText('1 delivery retrying, 0 given up').waitFor();
    await failing.getByRole('link', { name: /affiliate\.created to/ }).click();
    await page.getByRole('heading', { name: 'Outbound endpoint', level: 1 }).waitFor();
    const delivery = page.locator('.delivery').filter({ hasText: 'affiliate.created' });
    await delivery.getByText('retrying').waitFor();
    await delivery.getByRole('button', { name: /^affiliate\.created.*show its attempts$/ }).click();
    const attempts = delivery.getByRole('table', { name: 'Attempts of this delivery' });
    expect(await attempts.getByRole('row').nth(1).getByRole('cell').nth(1).textContent()).toBe('401');
    expect(await attempts.getByRole('row').nth(1).textContent()).toContain('x-refwire-signature does not verify');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'webhook-detail');

    // the receiver learns the secret shown once; redelivered, it arrives
    receiver.secret = secret;
    await delivery.getByRole('button', { name: /^Redeliver/ }).click();
    await noticeOf(page, 'affiliate.created queued to be sent again');
    // answered 202 before the attempt: the row says it is being sent again, and the list is asked again until it is
    await delivery.getByText(/1 attempt · HTTP 401 · sending again…/).waitFor();
    await dispatcher.runOnce();
    expect(receiver.take().map((r) => r.body.event ?? r.body.type)).toEqual(['affiliate.created']);
    // without a reload: the new attempt shows once the dispatcher has made it
    await delivery.getByText('delivered').waitFor();
    await delivery.getByText(/2 attempts · HTTP 2\d\d/).waitFor();
    expect(await delivery.getByText('sending again').count()).toBe(0);

    // edited: no event at all is refused next to the events; then refwire-v1, turned off
    await page.getByRole('button', { name: 'Edit' }).click();
    // the form draws its checkboxes once the event types have loaded: wait for them before taking them all
    const boxes = page.getByRole('group', { name: 'Events to send' }).getByRole('checkbox');
    await boxes.first().waitFor();
    for (const box of await boxes.all()) await box.uncheck();
    expect(await page.getByRole('group', { name: 'Events to send' }).getByRole('checkbox', { checked: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Save' }).click();
    const eventsError = page.getByRole('group', { name: 'Events to send' }).locator('.field-error');
    await eventsError.waitFor();
    expect(await eventsError.textContent()).toBe('must be a list of event names');
    await page.getByRole('checkbox', { name: 'commission.created' }).check();
    await page.getByLabel('Payload format').selectOption('refwire-v1');
    await page.getByRole('checkbox', { name: /^Active/ }).uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await noticeOf(page, 'Endpoint saved');
    await page.getByText(/This endpoint is disabled: turned off by the merchant\./).waitFor();
    expect((await v1('get', `/api/v1/webhooks/${endpoint.id}`).expect(200)).body.data).toMatchObject({ events: ['commission.created'], payload_format: 'refwire-v1', status: 'disabled', disabled_reason: 'turned off by the merchant' });
    // nothing is sent to it: no Redeliver, which the API would refuse (409)
    expect(await page.getByRole('button', { name: /^Redeliver/ }).count()).toBe(0);

    // deleted from the list, after a confirmation
    await go(page, '/webhooks');
    await page.getByRole('button', { name: `Delete ${receiver.url}` }).click();
    await page.getByRole('dialog', { name: 'Delete this endpoint?' }).getByRole('button', { name: 'Delete' }).click();
    await noticeOf(page, `Endpoint ${receiver.url} deleted`);
    await v1('get', `/api/v1/webhooks/${endpoint.id}`).expect(404);
    await page.getByText('No endpoint yet.').waitFor();
  });

  it('a viewer sees every operations page and no control that writes', async () => {
    const endpoint = (await v1('post', '/api/v1/webhooks').send({ url: receiver.url }).expect(201)).body.data;
    const [event] = (await v1('get', '/api/v1/events?status=failed').expect(200)).body.data;
    const page = await h.page();
    await h.signIn(page, V, VIEWER_PASSWORD, at('/overview'));
    const writes = /^(Connect|Disconnect|Reconcile|Save|Replay|Add an endpoint|Edit|Delete|Redeliver)/;
    const pages: [string, string, string][] = [
      ['/overview', 'Overview', 'viewer-overview'],
      ['/integrations', 'Integrations', 'viewer-integrations'],
      ['/events', 'Events', 'viewer-events'],
      [`/events/${event.id}`, 'Stripe checkout.session.completed', 'viewer-event-detail'],
      ['/webhooks', 'Outbound webhooks', 'viewer-webhooks'],
      [`/webhooks/${endpoint.id}`, 'Outbound endpoint', 'viewer-webhook-detail'],
    ];
    for (const [path, title, shot] of pages) {
      await go(page, path);
      await page.getByRole('heading', { name: title, level: 1 }).waitFor();
      await page.locator('.state-loading').first().waitFor({ state: 'detached' });
      expect([path, await page.getByRole('main').getByRole('button', { name: writes }).count()]).toEqual([path, 0]);
      expect(await page.getByRole('main').getByRole('textbox', { name: /secret|API key/i }).count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      if (shot === 'viewer-integrations' || shot === 'viewer-overview') await screenshot(page, shot);
    }
    // what they see is the same data: the secret's hint, the failed event
    await go(page, '/integrations');
    await page.getByRole('region', { name: 'Stripe' }).getByText('connected', { exact: true }).waitFor();
    await go(page, '/overview');
    await page.getByRole('note', { name: 'Failed events' }).waitFor();
    // the server refuses a viewer's write anyway
    const vic = browserOf(await request(h.t.app).post('/api/dashboard/login').send({ email: V, password: VIEWER_PASSWORD }).expect(200));
    await asBrowser(h.t.app, vic, 'post', `/api/v1/events/${event.id}/replay`, project.id).expect(403);
  });
  it("opened at its address, a page's first requests are made once: the shell starts them, the page finds them in flight", async () => {
    const page = await h.page();
    await h.signIn(page, 'owner@acme.test', PASSWORD, at('/overview'));
    const expected: [string, string[]][] = [
      ['/overview', ['/api/v1/events', '/api/v1/integrations/providers', '/api/v1/reports/daily', '/api/v1/reports/health', '/api/v1/reports/summary']],
      ['/events', ['/api/v1/events', '/api/v1/events']], // the page of the log and the failed events' count (status=failed)
      ['/conversions', ['/api/v1/conversions']],
    ];
    for (const [path, paths] of expected) {
      const asked: string[] = [];
      const listen = (r: { url(): string; method(): string }) => {
        const url = new URL(r.url());
        if (r.method() === 'GET' && url.pathname.startsWith('/api/v1/')) asked.push(`${url.pathname}${url.search}`);
      };
      page.on('request', listen);
      // a whole page load, as a bookmark or a reload makes it
      await page.goto(`${h.url}${at(path)}`);
      await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
      await page.locator('main table tbody tr, main .stat, main .state-empty').first().waitFor();
      await page.locator('.state-loading').first().waitFor({ state: 'detached' });
      page.off('request', listen);
      expect([path, asked.map((a) => a.split('?')[0]).sort()]).toEqual([path, paths]);
      expect([path, new Set(asked).size]).toEqual([path, asked.length]);
    }
  });
});
