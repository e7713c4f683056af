import request from 'supertest';
import type { z } from 'zod';
import { answerSchema, ALL_OPERATIONS, openApiDocument } from '../../src/api/openapi';
import type { Operation } from '../../src/api/operation';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { asBrowser, browserOf, PASSWORD, type Browser } from '../helpers/dashboard';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, buildTestApp, type TestApp } from '../helpers/refwire';

/**
 * /openapi.json describes every JSON answer field by field (Operation.response, strict zod objects). Here a
 * realistic program runs through HTTP, and every success answer is parsed with the schema the document declares
 * for its operation: a field sent and not described, or described and not sent, fails.
 */

/** JSON-enveloped success answers that have no `response`, each with why. None today. */
const WITHOUT_RESPONSE: Record<string, string> = {};

/** JSON operations the scenario below does not call, each with why. */
const NOT_CALLED: Record<string, string> = {
  'POST /api/v1/integrations/{provider}/connect': "creates the webhook endpoint at the provider's API (test/api/integrations-connect.test.ts, with stand-ins)",
  'POST /api/v1/integrations/{provider}/reconcile': "reads the provider's API (test/reconcile, with stand-ins)",
};

/** The document as served: an answer's status must be one it lists for the operation (a repeat's 200 beside a 201). */
const DOCUMENT = openApiDocument(ALL_OPERATIONS, { version: 'test', serverUrl: 'http://test' }) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

const keyOf = (op: Pick<Operation, 'method' | 'path'>) => `${op.method.toUpperCase()} ${op.path}`;
const answersJson = (op: Operation) => (op.status ?? 200) !== 204 && ['object', 'list', undefined].includes(op.answer);

/** Path templates as patterns; the fewer parameters, the more specific (/conversions/approve before /conversions/{id}). */
const ROUTES = ALL_OPERATIONS.map((op) => ({
  op,
  pattern: new RegExp(`^${op.path.replace(/\{\w+\}/g, '[^/]+')}$`),
  params: (op.path.match(/\{/g) ?? []).length,
})).sort((a, b) => a.params - b.params);

function operationOf(method: string, url: string): Operation {
  const path = url.split('?')[0]!;
  const found = ROUTES.find((r) => r.op.method === method && r.pattern.test(path));
  if (!found) throw new Error(`no operation for ${method.toUpperCase()} ${path}`);
  return found.op;
}

describe('/openapi.json describes every success answer exactly', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  const covered = new Map<string, number>();
  const T0 = new Date('2026-09-01T10:00:00.000Z');
  const SECRET = 'whsec_openapi_responses';

  /** Parses a 2xx answer's body with its operation's declared schema. */
  function check(res: request.Response, method: string, url: string, status: number): any {
    if (res.status !== status) throw new Error(`${method.toUpperCase()} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    const op = operationOf(method, url);
    const documented = Object.keys(DOCUMENT.paths[op.path]![op.method]!.responses);
    if (!documented.includes(String(res.status))) throw new Error(`${keyOf(op)} answered ${res.status}, a status the document does not list (${documented.join(', ')})`);
    if (res.status !== 204) {
      const schema = answerSchema(op);
      if (!schema) throw new Error(`${keyOf(op)} answered ${res.status} but declares no response schema`);
      const parsed = (schema as z.ZodType).safeParse(res.body);
      if (!parsed.success) {
        throw new Error(`${keyOf(op)}: the answer does not match the document:\n${JSON.stringify(parsed.error.issues, null, 1)}\n${JSON.stringify(res.body).slice(0, 3000)}`);
      }
      covered.set(keyOf(op), (covered.get(keyOf(op)) ?? 0) + 1);
    }
    return res.body;
  }
  const call = async (req: request.Test, method: string, url: string, status: number) => check(await req, method, url, status);

  let key = '';
  let projectId = '';
  type M = 'get' | 'post' | 'put' | 'patch' | 'delete';
  const api = (method: M, url: string, body?: unknown, status = method === 'post' ? 201 : 200) =>
    call(request(t.app)[method](url).set('Authorization', `Bearer ${key}`).send(body as object), method, url, status);
  const admin = (method: M, url: string, body?: unknown, status = 201) =>
    call(request(t.app)[method](url).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body as object), method, url, status);
  const anyone = (method: M, url: string, body?: unknown, status = 200, headers: Record<string, string> = {}) =>
    call(request(t.app)[method](url).set(headers).send(body as object), method, url, status);
  const browser = (b: Browser, method: M, url: string, body?: unknown, status = 200) =>
    call(asBrowser(t.app, b, method, url).send(body as object), method, url, status);
  /** what the emails to `to` say, as stored in the outbox (no SMTP here) */
  const mailsTo = async (to: string, template?: string) =>
    (await tdb.db.prisma.email.findMany({ where: { toAddress: to, ...(template ? { template } : {}) } })).map((e) => e.textBody).join('\n');
  const codeIn = async (to: string) => /\b(\d{6})\b/.exec(await mailsTo(to, 'one_time_code'))![1]!;
  const tokenIn = async (to: string, prefix: string) => new RegExp(`#token=(${prefix}[A-Za-z0-9_-]+)`).exec(await mailsTo(to))![1]!;
  const later = (ms: number) => (t.clock.now = new Date(t.clock.now.getTime() + ms));

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    t.clock.now = T0;
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('every operation that answers a JSON envelope declares its schema', () => {
    const missing = ALL_OPERATIONS.filter((op) => answersJson(op) && !op.response).map(keyOf);
    expect(missing.filter((k) => !(k in WITHOUT_RESPONSE))).toEqual([]);
    // and a declared one is one the document can wrap
    for (const op of ALL_OPERATIONS.filter((o) => o.response)) expect(answerSchema(op)).toBeDefined();
  });

  it('a program run through HTTP: every success answer matches the document', async () => {
    // operations
    await anyone('get', '/healthz');
    await anyone('get', '/readyz');

    // the operator: the dashboard's set-up makes the first owner and the project
    expect((await anyone('get', '/api/dashboard/setup')).data.needed).toBe(true);
    const setup = await request(t.app).post('/api/dashboard/setup').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ email: 'owner@acme.test', password: PASSWORD, project_name: 'Acme', currency: 'USD' });
    check(setup, 'post', '/api/dashboard/setup', 201);
    let owner = browserOf(setup);
    key = setup.body.data.project.api_key;
    projectId = setup.body.data.project.id;
    const other = (await admin('post', '/api/admin/projects', { name: 'Other', currency: 'EUR' })).data;
    await admin('get', '/api/admin/projects', undefined, 200);
    await admin('post', `/api/admin/projects/${other.id}/api-keys`, { name: 'second' });

    // the dashboard: sign-in, team, keys
    await browser(owner, 'get', '/api/dashboard/me');
    const signedIn = await request(t.app).post('/api/dashboard/login').send({ email: 'owner@acme.test', password: PASSWORD });
    check(signedIn, 'post', '/api/dashboard/login', 200);
    owner = browserOf(signedIn);
    const team = `/api/dashboard/projects/${projectId}`;
    await browser(owner, 'get', `${team}/members`);
    await browser(owner, 'post', `${team}/invitations`, { email: 'ada@acme.test', role: 'admin' }, 201);
    await browser(owner, 'get', `${team}/invitations`);
    const invitationToken = await tokenIn('ada@acme.test', 'rwinv_');
    check(await request(t.app).post('/api/dashboard/invitations/describe').send({ token: invitationToken }), 'post', '/api/dashboard/invitations/describe', 200);
    const joined = await request(t.app).post('/api/dashboard/invitations/accept').send({ token: invitationToken, password: 'ada long password' });
    check(joined, 'post', '/api/dashboard/invitations/accept', 200);
    const ada = browserOf(joined);
    await browser(owner, 'patch', `${team}/members/${ada.userId}`, { role: 'viewer' });
    await browser(owner, 'get', `${team}/api-keys`);
    await browser(owner, 'post', `${team}/api-keys`, { name: 'ci' }, 201);
    await anyone('post', '/api/dashboard/password-reset', { email: 'ada@acme.test' }, 202);
    await anyone('post', '/api/dashboard/password-reset/confirm', { token: await tokenIn('ada@acme.test', 'rwpr_'), password: 'ada new long password' });

    // the program's settings, through the session as the dashboard makes them
    await call(asBrowser(t.app, owner, 'patch', '/api/v1/settings', projectId).send({ commission_type: 'percentage', commission_value: 10, hold_days: 0, allowed_domains: ['shop.acme.test'] }), 'patch', '/api/v1/settings', 200);
    await api('get', '/api/v1/settings');
    await api('put', '/api/v1/integrations/stripe', { webhook_secret: SECRET });
    await api('get', '/api/v1/integrations');
    await api('get', '/api/v1/integrations/stripe');
    await api('get', '/api/v1/integrations/providers');
    await api('get', '/api/v1/portal');
    await api('put', '/api/v1/portal', { appearance: { title: 'Acme partners' }, promotional_materials: [{ kind: 'link', title: 'Site', url: 'https://shop.acme.test' }] });
    const pk = (await api('post', '/api/v1/publishable-keys', { name: 'site' })).data.key;
    await api('get', '/api/v1/publishable-keys');
    const hook = (await api('post', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hooks', description: 'ours' })).data;
    await api('get', '/api/v1/webhooks');
    // the catalog of events and formats, as the dashboard reads it: through the session
    await call(asBrowser(t.app, owner, 'get', '/api/v1/webhooks/event-types', projectId), 'get', '/api/v1/webhooks/event-types', 200);
    await api('get', `/api/v1/webhooks/${hook.id}`);
    await api('patch', `/api/v1/webhooks/${hook.id}`, { description: 'ours, renamed' });
    await api('put', `/api/v1/webhooks/${hook.id}`, { payload_format: 'refwire-v1' });

    // groups, affiliates and their decisions
    const gold = (await api('post', '/api/v1/groups', { name: 'Gold', commission_type: 'fixed', commission_value: '5.00', hold_days: 0 })).data;
    await api('get', '/api/v1/groups');
    await api('get', `/api/v1/groups/${gold.id}`);
    await api('patch', `/api/v1/groups/${gold.id}`, { commission_duration: 'months', commission_months: 12 });
    await api('put', `/api/v1/groups/${gold.id}`, { name: 'Gold partners' });
    const jane = (await api('post', '/api/v1/affiliates', { email: 'jane@partners.test', name: 'Jane', referral_code: 'JANE', paypal_email: 'jane@paypal.test', payout_method: 'paypal' })).data;
    await api('post', '/api/v1/affiliates', { email: 'sam@partners.test', group_id: gold.id, payout_details: { note: 'wire' } });
    await api('get', '/api/v1/affiliates');
    await api('get', '/api/v1/affiliates/jane%40partners.test');
    await api('patch', '/api/v1/affiliates/jane%40partners.test', { commission_type: 'percentage', commission_value: 20 });
    await api('put', '/api/v1/affiliates/sam%40partners.test', { name: 'Sam' });
    for (const email of ['pat@partners.test', 'rex@partners.test']) await api('post', '/api/v1/affiliates', { email, status: 'pending' });
    await api('post', '/api/v1/affiliates/pat%40partners.test/approve', { group_id: gold.id }, 200);
    await api('post', '/api/v1/affiliates/rex%40partners.test/reject', { reason: 'no website' }, 200);
    await api('post', '/api/v1/affiliates/sam%40partners.test/suspend', {}, 200);
    await api('post', '/api/v1/affiliates/sam%40partners.test/reactivate', {}, 200);
    await api('get', '/api/v1/rule-versions?scope=project');
    await api('get', '/api/v1/rule-versions?scope=affiliate&subject=jane%40partners.test');
    await api('get', `/api/v1/rule-versions?scope=group&subject=${gold.id}`);

    // products, coupons, links, referrals
    const product = (await api('post', '/api/v1/products', { product_id: 'prod_pro', name: 'Pro', commission_type: 'percentage', commission_value: 15 })).data;
    await api('get', '/api/v1/products');
    await api('get', `/api/v1/products/${product.id}`);
    await api('patch', `/api/v1/products/${product.id}`, { commission_value: 12.5 });
    await api('put', `/api/v1/products/${product.id}`, { name: 'Pro plan' });
    const coupon = (await api('post', '/api/v1/coupons', { affiliate_id: jane.id, coupon_code: 'JANE10', stripe_coupon_id: 'co_jane' })).data;
    await api('get', '/api/v1/coupons');
    await api('get', `/api/v1/coupons/${coupon.id}`);
    await api('patch', `/api/v1/coupons/${coupon.id}`, { status: 'inactive' });
    await api('put', `/api/v1/coupons/${coupon.id}`, { status: 'active' });
    const links = '/api/v1/affiliates/jane%40partners.test/links';
    await api('post', links, { target_url: 'https://shop.acme.test/pricing', slug: 'jane-pricing' });
    await api('get', links);
    await api('get', `${links}/jane-pricing`);
    await api('patch', `${links}/jane-pricing`, { active: true });
    await api('put', `${links}/jane-pricing`, { target_url: 'https://shop.acme.test/' });
    await api('post', '/api/v1/referrals', { email: 'lee@customers.test', referral_code: 'JANE' });
    await api('post', '/api/v1/referrals', { email: 'walkin@customers.test' });
    await api('get', '/api/v1/referrals');
    await api('get', '/api/v1/referrals/lee%40customers.test');
    await api('patch', '/api/v1/referrals/walkin%40customers.test', { status: 'direct' });
    await api('put', '/api/v1/referrals/walkin%40customers.test', { affiliate_id: jane.id, status: 'pending' });
    await api('post', '/api/store-attribution', { email: 'kim@customers.test', referral_code: 'JANE' });
    await api('post', '/api/store-attribution', { email: 'kim@customers.test', referral_code: 'JANE' }, 200);

    // the visitor's side: the tracking script and a page's publishable key
    const click = (await anyone('post', '/api/track/click', { project_id: projectId, referral_code: 'JANE', landing_url: 'https://shop.acme.test/' }, 201)).data;
    await anyone('post', '/api/track/signup', { project_id: projectId, email: 'max@customers.test', referral_code: 'JANE', click_id: click.click_id }, 201);
    await anyone('post', '/api/track/signup', { project_id: projectId, email: 'max@customers.test', referral_code: 'JANE' }, 200);
    const sold = (await anyone('post', '/api/track/conversion', { order_id: 'order-1', amount: '49.00', referral_code: 'JANE', email: 'max@customers.test' }, 201, { Authorization: `Bearer ${pk}` })).data;
    await anyone('post', '/api/track/conversion', { order_id: 'order-1', amount: '49.00', referral_code: 'JANE', email: 'max@customers.test' }, 200, { Authorization: `Bearer ${pk}` });

    // a provider's payment: a signed Stripe webhook, attributed by its metadata
    later(60_000);
    const payload = stripeEvent('invoice.paid.subscription_create.json', (o) => {
      Object.assign(o, { id: 'in_oa_1', charge: 'ch_oa_1', payment_intent: 'pi_oa_1', customer: 'cus_lee', subscription: 'sub_oa_1', amount_paid: 10_000, total: 10_000 });
      o.status_transitions.paid_at = Math.floor(t.clock.now.getTime() / 1000);
      o.customer_email = 'lee@customers.test';
      o.metadata = { referral_code: 'JANE' };
      o.subscription_details = { metadata: {} };
      delete o.discount;
      o.discounts = [];
      o.total_discount_amounts = [];
    });
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    const events = (await api('get', '/api/v1/events')).data;
    await api('get', `/api/v1/events/${events[0].id}`);
    await api('post', `/api/v1/events/${events[0].id}/replay`, undefined, 200);
    await api('get', `/api/v1/projects/${projectId}/stripe-customer-referral-info/cus_lee`);

    // conversions: manual ones, review, re-rating
    const manual = (await api('post', '/api/v1/conversions', { affiliate_id: jane.id, amount: '120.00', email: 'offline@customers.test', reference: 'inv-7', coupon_code_used: 'JANE10' })).data;
    await api('post', '/api/v1/conversions', { referral_code: 'JANE', type: 'signup', email: 'newbie@customers.test' });
    const firstPage = await api('get', '/api/v1/conversions?limit=2');
    await api('get', `/api/v1/conversions?limit=2&cursor=${firstPage.pagination.next_cursor}`);
    await api('get', `/api/v1/conversions/${manual.id}`);
    await api('patch', `/api/v1/conversions/${manual.id}`, { reference: 'inv-7b' });
    await api('put', `/api/v1/conversions/${manual.id}`, { coupon_code_used: null });
    await api('post', '/api/v1/conversions/approve', { ids: [sold.conversion_id] }, 200);
    // a page's sales wait for review
    const fromPage = (order: string) =>
      anyone('post', '/api/track/conversion', { order_id: order, amount: 30, referral_code: 'JANE' }, 201, { Authorization: `Bearer ${pk}` }).then((r) => r.data.conversion_id);
    await api('post', `/api/v1/conversions/${await fromPage('order-2')}/approve`, undefined, 200);
    await api('post', `/api/v1/conversions/${await fromPage('order-3')}/reject`, { reason: 'test order' }, 200);
    await api('post', '/api/v1/conversions/recalculate', { from: T0.toISOString(), to: new Date(T0.getTime() + 86_400_000).toISOString() }, 200);

    // payouts: one completed, one failed
    later(60_000);
    const payout = (await api('post', '/api/v1/payouts', { affiliate_id: jane.id })).data;
    await api('get', '/api/v1/payouts');
    await api('get', `/api/v1/payouts/${payout.id}`);
    await api('post', `/api/v1/payouts/${payout.id}/complete`, { reference: 'PP-1' }, 200);
    await api('post', '/api/v1/conversions', { affiliate_id: jane.id, amount: 80 });
    later(60_000);
    const second = (await api('post', '/api/v1/payouts', { affiliate_id: jane.id })).data;
    await api('post', `/api/v1/payouts/${second.id}/fail`, { reason: 'bounced' }, 200);

    // the affiliate's portal: embed token, sign-in by emailed code, their numbers, links and payouts
    const portal = `/api/portal/${projectId}`;
    await anyone('get', `${portal}/config`);
    await anyone('post', `${portal}/login`, { email: 'jane@partners.test' }, 202);
    await anyone('post', `${portal}/login/verify`, { email: 'jane@partners.test', code: await codeIn('jane@partners.test') });
    const embed = (await api('post', '/api/v1/affiliates/jane%40partners.test/embed-tokens')).data;
    const asJane = (method: M, url: string, b?: unknown, status = method === 'post' ? 201 : 200) => anyone(method, url, b, status, { Authorization: `Bearer ${embed.token}` });
    await asJane('get', `${portal}/me`);
    await asJane('get', `${portal}/stats`);
    await asJane('get', `${portal}/coupons`);
    await asJane('get', `${portal}/commissions?limit=2`);
    await asJane('get', `${portal}/referrals`);
    await asJane('get', `${portal}/links`);
    await asJane('post', `${portal}/links`, { target_url: 'https://shop.acme.test/blog', slug: 'jane-blog' });
    await asJane('get', `${portal}/links/jane-blog`);
    await asJane('get', `${portal}/payout-details`);
    await asJane('put', `${portal}/payout-details`, { method: 'bank_transfer', bank: { account_holder: 'Jane Doe', iban: 'DE89 3704 0044 0532 0130 00' } });
    await asJane('get', `${portal}/payout-details`);
    await asJane('put', `${portal}/payout-details`, { method: 'paypal', paypal_email: 'jane@paypal.test' });
    const requested = (await asJane('post', `${portal}/payouts`, {})).data;
    await asJane('get', `${portal}/payouts`);
    await asJane('get', `${portal}/payouts/${requested.id}`);
    // the merchant approves the request
    await api('post', `/api/v1/payouts/${requested.id}/approve`, {}, 200);

    // payout batches: a new commission, eligible a minute later, taken by a batch that fails, then by one completed
    await api('post', '/api/v1/conversions', { affiliate_id: jane.id, amount: 50 });
    later(60_000);
    await api('get', '/api/v1/payouts/eligible');
    const failedBatch = (await api('post', '/api/v1/payout-batches', {})).data;
    await api('get', '/api/v1/payout-batches');
    await api('get', `/api/v1/payout-batches/${failedBatch.id}`);
    await api('post', `/api/v1/payout-batches/${failedBatch.id}/fail`, { reason: 'bank holiday' }, 200);
    const retried = (status: number) => call(request(t.app).post('/api/v1/payout-batches').set('Authorization', `Bearer ${key}`).set('Idempotency-Key', 'batch-2').send({}), 'post', '/api/v1/payout-batches', status);
    const paidBatch = (await retried(201)).data;
    expect((await retried(200)).data).toMatchObject({ id: paidBatch.id, replayed: true });
    await api('post', `/api/v1/payout-batches/${paidBatch.id}/complete`, { reference: 'BATCH-2' }, 200);

    // a public application, confirmed by its emailed code
    const apply = `/api/public/projects/${projectId}/applications`;
    await anyone('post', apply, { name: 'Ann', email: 'ann@blog.test', website: 'https://blog.test' }, 202);
    await anyone('post', `${apply}/verify`, { email: 'ann@blog.test', code: await codeIn('ann@blog.test') }, 201);
    await api('get', '/api/v1/applications');

    // what came of it all: deliveries, emails, reports, the ledger's proof, the audit log
    const deliveries = (await api('get', `/api/v1/webhooks/${hook.id}/deliveries`)).data;
    expect(deliveries.length).toBeGreaterThan(0);
    await api('post', `/api/v1/webhooks/${hook.id}/deliveries/${deliveries[0].id}/redeliver`, undefined, 202);
    const emails = (await api('get', '/api/v1/emails')).data;
    await api('get', `/api/v1/emails/${emails[0].id}`);
    await api('get', '/api/v1/reports/summary');
    await api('get', '/api/v1/reports/daily');
    await api('get', '/api/v1/reports/health');
    await api('post', '/api/v1/events/replay', { status: 'failed' }, 200);
    await api('get', `/api/v1/reports/daily?affiliate_id=${jane.id}`);
    expect((await api('get', '/api/v1/ledger/verify')).data.ok).toBe(true);
    await api('get', '/api/v1/audit-log');
    // and with nothing to find: empty lists and nulls parse too
    await api('get', '/api/v1/conversions?kind=refund');
    await api('get', '/api/v1/payouts?status=pending&affiliate_id=' + jane.id);

    // coverage: the JSON operations the scenario reached
    const json = ALL_OPERATIONS.filter((op) => op.response && answersJson(op)).map(keyOf);
    const missed = json.filter((k) => !covered.has(k));
    const share = (json.length - missed.length) / json.length;
    // eslint-disable-next-line no-console
    console.log(
      `openapi responses: ${json.length - missed.length} of ${json.length} JSON operations called and checked (${(share * 100).toFixed(1)}%)` +
        (missed.length ? `; not called: ${missed.join(', ')}` : ''),
    );
    expect(missed.filter((k) => !(k in NOT_CALLED))).toEqual([]);
    expect(share).toBeGreaterThanOrEqual(0.9);
  });
});
