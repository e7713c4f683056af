import request from 'supertest';
import { portalOperations } from '../../../src/api/portal';
import { stripeAdapter } from '../../../src/providers/stripe/adapter';
import { stripeEvent } from '../../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../../helpers/refwire';

/**
 * The signed-in affiliate's API (PRODUCT.md §13) through HTTP, on one test clock: signed Stripe payments make the
 * commissions, and every number the portal shows is checked to the cent against what they must be, including a
 * payout the affiliate requests and the merchant completes. Affiliates and projects see only their own.
 */
const SECRET = 'whsec_portal_dashboard';
const DAY = 86_400_000;
const T0 = new Date('2026-11-02T10:00:00.000Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);
let n = 0;

describe('the portal API of a signed-in affiliate', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let acme: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  // embed tokens live 10 minutes and the clock moves by days: each request mints one at the current time
  const jane = { email: 'jane@partners.test' };
  const bob = { email: 'bob@partners.test' };
  let groupId: string;
  let janeLinkSlug: string;
  let webhookId: string;
  const api = (method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object, key = acme.apiKey) =>
    request(t.app)[method](path).set('Authorization', `Bearer ${key}`).send(body);
  const portal = async (method: 'get' | 'post' | 'put', path: string, who: { email: string; key?: string }, body?: object, projectId = acme.id) => {
    const test = request(t.app)[method](`/api/portal/${projectId}${path}`).set(await embed(who.email, who.key)).send(body);
    // not the request itself: awaiting a supertest request would send it without the status check
    return {
      expect: (status: number) => test.expect(status),
      /** whatever the status */
      any: () => new Promise<request.Response>((resolve, reject) => test.end((err, res) => (err ? reject(err) : resolve(res)))),
    };
  };
  const embed = async (email: string, key = acme.apiKey) => {
    const res = await api('post', `/api/v1/affiliates/${encodeURIComponent(email)}/embed-tokens`, {}, key).expect(201);
    return { Authorization: `Bearer ${res.body.data.token}` };
  };

  /** A first subscription invoice of a new customer, paid at `day`, carrying `code`: one purchase. */
  const sale = async (code: string, day: number, amount: number) => {
    const id = `in_portal_${++n}`;
    const payload = stripeEvent('invoice.paid.subscription_create.json', (o) => {
      Object.assign(o, { id, charge: `ch_${id}`, payment_intent: `pi_${id}`, customer: `cus_${id}`, subscription: `sub_${id}`, amount_paid: amount, total: amount });
      o.status_transitions.paid_at = Math.floor(at(day).getTime() / 1000);
      o.customer_email = `${id}@customers.test`;
      o.metadata = { referral_code: code };
      o.subscription_details = { metadata: {} };
      delete o.discount;
      o.discounts = [];
      o.total_discount_amounts = [];
    });
    t.clock.now = new Date(Math.max(t.clock.now.getTime(), at(day).getTime()));
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${acme.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    t.clock.now = at(-1);
    acme = await createProjectViaApi(t.app, 'Acme');
    other = await createProjectViaApi(t.app, 'Other');
    await connectProvider(t.app, acme.apiKey, 'stripe', SECRET);
    await api('patch', '/api/v1/settings', { commission_type: 'percentage', commission_value: 20, hold_days: 14, minimum_payout: 30, allowed_domains: ['acme.test'] }).expect(200);
    groupId = (await api('post', '/api/v1/groups', { name: 'Gold', commission_type: 'percentage', commission_value: 25 }).expect(201)).body.data.id;
    await api('post', '/api/v1/affiliates', { email: 'jane@partners.test', name: 'Jane', referral_code: 'JANE', group_id: groupId }).expect(201);
    await api('post', '/api/v1/affiliates', { email: 'bob@partners.test', referral_code: 'BOB' }).expect(201);
    await api('post', '/api/v1/affiliates', { email: 'jane@partners.test', referral_code: 'JANE' }, other.apiKey).expect(201);
    const janeId = (await api('get', '/api/v1/affiliates/jane%40partners.test').expect(200)).body.data.id;
    await api('post', '/api/v1/coupons', { affiliate_id: janeId, coupon_code: 'JANE10' }).expect(201);
    webhookId = (await api('post', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/refwire', events: ['payout.requested', 'payout.approved'] }).expect(201)).body.data.id;
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('config is public: the program and the portal settings, 404 for an unknown project', async () => {
    const res = await request(t.app).get(`/api/portal/${acme.id}/config`).expect(200);
    expect(res.body.data.project).toEqual({ id: acme.id, name: 'Acme', currency: 'USD' });
    expect(res.body.data.portal.default_language).toBe('en');
    expect(res.body.data.portal.blocks.map((b: { id: string }) => b.id)).toEqual([
      'header', 'share_links', 'coupon_code', 'stats', 'daily_stats', 'earnings', 'payment_methods', 'payment_history', 'commission_levels', 'promotional_materials',
    ]);
    await request(t.app).get('/api/portal/00000000-0000-4000-8000-000000000000/config').expect(404);
    await request(t.app).get(`/api/portal/${acme.id}/me`).expect(401);
  });

  it('links: the merchant links code with its rules; the referral link follows the first one', async () => {
    expect((await (await portal('get', '/me', jane)).expect(200)).body.data.affiliate.referral_link).toBe('https://acme.test/?ref=JANE');
    const created = await (await portal('post', '/links', jane, { target_url: 'https://acme.test/pricing', slug: 'jane-blog' })).expect(201);
    janeLinkSlug = created.body.data.slug;
    expect(created.body.data).toMatchObject({ slug: 'jane-blog', url: 'https://refwire.example.com/r/jane-blog', target_url: 'https://acme.test/pricing', clicks: 0 });
    expect((await (await portal('post', '/links', jane, { target_url: 'https://evil.test/' })).expect(400)).body.error).toMatch(/^target_url: evil.test is not on the project's allowed_domains/);
    expect((await (await portal('post', '/links', jane, { target_url: 'javascript:alert(1)' })).expect(400)).body.error).toMatch(/^target_url: /);
    expect((await (await portal('post', '/links', bob, { target_url: 'https://acme.test/', slug: 'JANE-BLOG' })).expect(409)).body.error).toBe('slug is already in use');
    t.clock.now = at(0);
    await request(t.app).get('/r/jane-blog').expect(302);
    const listed = (await (await portal('get', '/links', jane)).expect(200)).body;
    expect(listed.data).toEqual([expect.objectContaining({ slug: 'jane-blog', clicks: 1 })]);
    expect(listed.pagination).toMatchObject({ total: 1 });
    expect((await (await portal('get', '/links', bob)).expect(200)).body.data).toEqual([]);
    expect((await (await portal('get', '/me', jane)).expect(200)).body.data.affiliate.referral_link).toBe('https://refwire.example.com/r/jane-blog');
  });

  it('me: the commission terms in force and the balances per currency, to the cent, with the next release', async () => {
    await sale('JANE', 0, 10_000); // 25% (group): 25.00, held until day 14
    await sale('JANE', 1, 4_000); // 10.00 until day 15
    await sale('BOB', 1, 5_000); // 20% (project): 10.00 until day 15
    await sale('JANE', 10, 2_000); // 5.00 until day 24
    t.clock.now = at(20);
    const me = (await (await portal('get', '/me', jane)).expect(200)).body.data;
    expect(me.affiliate).toMatchObject({ email: 'jane@partners.test', name: 'Jane', status: 'active', referral_code: 'JANE', group_id: groupId, payout_method: null });
    expect(me.project).toEqual({ id: acme.id, name: 'Acme', currency: 'USD', cookie_days: 90, payout_minimum_minor: 3000, commission_review: 'auto' });
    expect(me.commission).toEqual({ source: 'group', type: 'percentage', rate_bp: 2500, amount_minor: null, currency: 'USD', duration: 'lifetime', duration_months: null, hold_days: 14 });
    expect(me.balances).toEqual({
      USD: { earned_minor: 4000, pending_minor: 0, held_minor: 500, eligible_minor: 3500, processing_minor: 0, paid_minor: 0, next_release_at: at(24).toISOString() },
    });
    expect(me.portal.appearance.primary_color).toBe('#2563eb');
    const bobMe = (await (await portal('get', '/me', bob)).expect(200)).body.data;
    expect(bobMe.commission).toMatchObject({ source: 'project', rate_bp: 2000 });
    expect(bobMe.balances.USD).toMatchObject({ earned_minor: 1000, eligible_minor: 1000 });
  });

  it('stats: the daily report of the affiliate alone, money per currency', async () => {
    const res = await (await portal('get', `/stats?from=${at(0).toISOString().slice(0, 10)}&to=${at(11).toISOString().slice(0, 10)}`, jane)).expect(200);
    const { totals, daily } = res.body.data;
    expect(daily).toHaveLength(11);
    expect(totals).toEqual({
      clicks: 1,
      signups: 0,
      purchases: 3,
      renewals: 0,
      refunds: 0,
      revenue_minor: { USD: 16_000 },
      refunded_minor: { USD: 0 },
      commission_minor: { USD: 4_000 },
      conversion_rate_bp: 30_000,
    });
    expect(daily[0]).toEqual({ date: '2026-11-02', clicks: 1, signups: 0, purchases: 1, renewals: 0, refunds: 0, revenue_minor: { USD: 10_000 }, refunded_minor: { USD: 0 }, commission_minor: { USD: 2_500 } });
    expect(daily[1]).toMatchObject({ date: '2026-11-03', clicks: 0, purchases: 1, revenue_minor: { USD: 4_000 }, commission_minor: { USD: 1_000 } });
    expect(daily[2]).toMatchObject({ clicks: 0, purchases: 0, revenue_minor: {}, commission_minor: {} });
    // the merchant's daily report of the same affiliate says the same
    const merchant = (await api('get', `/api/v1/reports/daily?from=2026-11-02&to=2026-11-13&affiliate_id=${(await (await portal('get', '/me', jane)).expect(200)).body.data.affiliate.id}`).expect(200)).body.data;
    expect(merchant.totals).toMatchObject({ clicks: 1, purchases: 3, conversion_rate_bp: 30_000 });
    expect((await (await portal('get', '/stats?from=2026-11-05&to=2026-11-04', jane)).expect(400)).body.error).toBe('from: must be before to');
  });

  it('commissions newest first with status and hold dates, paged by cursor; coupons', async () => {
    const first = (await (await portal('get', '/commissions?limit=2', jane)).expect(200)).body;
    expect(first.data.map((c: Record<string, unknown>) => [c.status, c.amount_minor, c.commission_minor, c.hold_until])).toEqual([
      ['held', 2000, 500, at(24).toISOString()],
      ['eligible', 4000, 1000, at(15).toISOString()],
    ]);
    expect(first.data[0]).not.toHaveProperty('email');
    const second = (await (await portal('get', `/commissions?limit=2&cursor=${first.pagination.next_cursor}`, jane)).expect(200)).body;
    expect(second.data.map((c: Record<string, unknown>) => [c.status, c.commission_minor])).toEqual([['eligible', 2500]]);
    expect(second.pagination.next_cursor).toBeNull();
    expect((await (await portal('get', '/commissions?cursor=garbage', jane)).expect(400)).body.error).toBe('cursor: not a cursor this API gave');
    // dates JavaScript reads and PostgreSQL cannot hold (they failed the query with a 500), and a part too many
    const zero = '00000000-0000-0000-0000-000000000000';
    for (const forged of [`0000-01-01T00:00:00.000Z|${zero}`, `+275760-09-13T00:00:00.000Z|${zero}`, `2026-10-01T00:00:00.000Z|${zero}|x`, `2026-10-01|${zero}`]) {
      const cursor = Buffer.from(forged).toString('base64url');
      expect((await (await portal('get', `/commissions?cursor=${cursor}`, jane)).expect(400)).body).toEqual({ success: false, error: 'cursor: not a cursor this API gave' });
    }
    expect((await (await portal('get', '/commissions', bob)).expect(200)).body.data.map((c: Record<string, unknown>) => c.commission_minor)).toEqual([1000]);

    expect((await (await portal('get', '/coupons', jane)).expect(200)).body.data).toEqual([expect.objectContaining({ coupon_code: 'JANE10', status: 'active' })]);
    expect((await (await portal('get', '/coupons', bob)).expect(200)).body.data).toEqual([]);
  });

  it('payout details: PayPal, Wise or a bank account, invalid email or IBAN refused', async () => {
    expect((await (await portal('put', '/payout-details', jane, { method: 'paypal', paypal_email: 'not-an-email' })).expect(400)).body.error).toBe('paypal_email: must be an email address');
    expect((await (await portal('put', '/payout-details', jane, { method: 'paypal' })).expect(400)).body.error).toBe('paypal_email: required for paypal');
    const badIban = await (await portal('put', '/payout-details', jane, { method: 'bank_transfer', bank: { account_holder: 'Jane Doe', iban: 'DE89 3704 0044 0532 0130 01' } })).expect(400);
    expect(badIban.body.error).toBe('bank.iban: not a valid IBAN (its country, length or check digits do not match)');
    // check digits that hold, but no country's IBAN: an unknown country, a German one a digit short
    for (const iban of ['XX0812345678901', 'DE5137040044053201300']) {
      await (await portal('put', '/payout-details', jane, { method: 'bank_transfer', bank: { account_holder: 'Jane Doe', iban } })).expect(400);
    }
    expect((await (await portal('put', '/payout-details', jane, { method: 'bank_transfer', bank: { account_holder: 'Jane', iban: 'DE89370400440532013000', bic: 'x' } })).expect(400)).body.error).toMatch(/^bank.bic: /);
    expect((await (await portal('get', '/payout-details', jane)).expect(200)).body.data).toEqual({ method: null, paypal_email: null, wise_email: null, bank: null });

    const saved = await (await portal('put', '/payout-details', jane, { method: 'bank_transfer', bank: { account_holder: 'Jane Doe', iban: 'de89 3704 0044 0532 0130 00', bic: 'cobadeffxxx' } })).expect(200);
    expect(saved.body.data).toEqual({ method: 'bank_transfer', paypal_email: null, wise_email: null, bank: { account_holder: 'Jane Doe', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } });
    expect((await api('get', '/api/v1/affiliates/jane%40partners.test').expect(200)).body.data).toMatchObject({ payout_method: 'bank_transfer', payout_details: { bank: { iban: 'DE89370400440532013000' } } });
  });

  it('a payout request: within the eligible balance and the minimum (409 naming which), then the merchant completes it', async () => {
    expect((await (await portal('post', '/payouts', bob, {})).expect(409)).body.error).toMatch(/^no payout method yet/);
    // a method without its details makes no payout nobody could send (as a batch lists it missing)
    await api('patch', '/api/v1/affiliates/bob%40partners.test', { payout_method: 'bank_transfer' }).expect(200);
    expect((await (await portal('post', '/payouts', bob, {})).expect(409)).body.error).toBe('the payout method is bank_transfer but no bank.iban is set');
    await api('patch', '/api/v1/affiliates/bob%40partners.test', { payout_method: null }).expect(200);
    expect((await (await portal('post', '/payouts', jane, { amount_minor: 5000 })).expect(409)).body.error).toBe('amount_minor: 50.00 USD is above the eligible balance 35.00 USD');
    // whole commissions, oldest first, within 26.00: the 25.00 one, below the 30.00 minimum
    expect((await (await portal('post', '/payouts', jane, { amount_minor: 2600 })).expect(409)).body.error).toBe(
      'the payout would be 25.00 USD (whole commissions within amount_minor), below minimum_payout 30.00',
    );
    // below every commission: said so, not that the balance is nothing
    expect((await (await portal('post', '/payouts', jane, { amount_minor: 900 })).expect(409)).body.error).toBe(
      'amount_minor: no whole commission fits within 9.00 USD (eligible balance 35.00 USD); ask for more, or leave amount_minor out to be paid the whole balance',
    );
    expect((await (await portal('post', '/payouts', jane, { amount_minor: 0 })).expect(400)).body.error).toMatch(/^amount_minor: /);
    expect((await (await portal('post', '/payouts', jane, { amount_minor: 12.5 })).expect(400)).body.error).toMatch(/^amount_minor: /);
    await api('patch', '/api/v1/settings', { minimum_payout: 20 }).expect(200);

    const requested = (await (await portal('post', '/payouts', jane, { amount_minor: 3000 })).expect(201)).body.data;
    expect(requested).toMatchObject({ amount_minor: 2500, currency: 'USD', method: 'bank_transfer', status: 'pending', requested_by: 'affiliate', conversions_count: 1 });
    expect(requested.destination).toEqual({ details: { bank: { account_holder: 'Jane Doe', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } } });
    expect((await (await portal('get', '/me', jane)).expect(200)).body.data.balances.USD).toMatchObject({ eligible_minor: 1000, processing_minor: 2500, held_minor: 500, paid_minor: 0 });
    expect((await (await portal('post', '/payouts', jane, {})).expect(409)).body.error).toBe('the eligible balance 10.00 USD is below minimum_payout 20.00');

    // announced to the merchant's endpoint as Refferq's payout.requested, in the transaction that made it
    const deliveries = (await api('get', `/api/v1/webhooks/${webhookId}/deliveries`).expect(200)).body.data;
    expect(deliveries.map((d: { event: string; payload: { data: { payout: { id: string } } } }) => [d.event, d.payload.data.payout.id])).toEqual([['payout.requested', requested.id]]);
    const pending = (await api('get', '/api/v1/payouts?status=pending').expect(200)).body.data;
    expect(pending).toEqual([expect.objectContaining({ id: requested.id, affiliate_email: 'jane@partners.test', requested_by: 'affiliate', amount_minor: 2500 })]);
    await api('post', `/api/v1/payouts/${requested.id}/complete`, { reference: 'SEPA-1' }).expect(200);
    expect((await (await portal('get', `/payouts/${requested.id}`, jane)).expect(200)).body.data).toMatchObject({ status: 'completed', reference: 'SEPA-1', amount_minor: 2500 });
    expect((await (await portal('get', '/payouts', jane)).expect(200)).body.data.map((p: Record<string, unknown>) => p.id)).toEqual([requested.id]);
    expect((await (await portal('get', '/me', jane)).expect(200)).body.data.balances.USD).toMatchObject({ earned_minor: 4000, eligible_minor: 1000, processing_minor: 0, paid_minor: 2500 });
    const commissions = (await (await portal('get', '/commissions', jane)).expect(200)).body.data;
    expect(commissions.map((c: Record<string, unknown>) => c.status)).toEqual(['held', 'eligible', 'paid']);

    // one affiliate cannot see another's payout or link
    expect((await (await portal('get', `/payouts/${requested.id}`, bob)).expect(404)).body).toEqual({ success: false, error: 'payout not found' });
    expect((await (await portal('get', `/links/${janeLinkSlug}`, bob)).expect(404)).body).toEqual({ success: false, error: 'link not found' });
    expect((await (await portal('get', '/payouts', bob)).expect(200)).body.data).toEqual([]);
    await (await portal('get', `/links/${janeLinkSlug}`, jane)).expect(200);
    await (await portal('get', '/payouts/not-an-id', jane)).expect(400);
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
  });

  it('a suspended affiliate sees its numbers but cannot request a payout', async () => {
    await (await portal('put', '/payout-details', bob, { method: 'wise', wise_email: 'bob@wise.test' })).expect(200);
    await api('post', '/api/v1/affiliates/bob%40partners.test/suspend', {}).expect(200);
    expect((await (await portal('get', '/me', bob)).expect(200)).body.data).toMatchObject({ affiliate: { status: 'suspended' }, balances: { USD: { eligible_minor: 1000 } } });
    expect((await (await portal('post', '/payouts', bob, {})).expect(409)).body.error).toBe('the affiliate is suspended: payouts are frozen until it is reactivated');
    expect((await (await portal('post', '/links', bob, { target_url: 'https://acme.test/' })).expect(409)).body.error).toBe('only an active affiliate creates links; this account is suspended');
    expect((await api('get', '/api/v1/payouts?status=pending').expect(200)).body.data).toEqual([]);
    await api('post', '/api/v1/affiliates/bob%40partners.test/reactivate', {}).expect(200);
    expect((await (await portal('post', '/payouts', bob, {})).expect(409)).body.error).toBe('the eligible balance 10.00 USD is below minimum_payout 20.00');
    await api('patch', '/api/v1/settings', { minimum_payout: 10 }).expect(200);
    // two requests at once (a double click): one payout, the commission taken once
    const [a, b] = await Promise.all([portal('post', '/payouts', bob, {}), portal('post', '/payouts', bob, {})]);
    const answers = await Promise.all([a.any(), b.any()]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(answers.find((r) => r.status === 201)!.body.data).toMatchObject({ amount_minor: 1000, method: 'wise', destination: { wise_email: 'bob@wise.test' }, requested_by: 'affiliate' });
    expect(answers.find((r) => r.status === 409)!.body.error).toBe('nothing eligible to pay in USD: commissions still in their hold period, or already paid');
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
  });

  it("another project's affiliate with the same email sees none of this project", async () => {
    const otherJane = { email: 'jane@partners.test', key: other.apiKey };
    await (await portal('get', '/me', otherJane)).expect(401);
    await (await portal('get', '/me', jane, undefined, other.id)).expect(401);
    const me = (await (await portal('get', '/me', otherJane, undefined, other.id)).expect(200)).body.data;
    expect(me.balances).toEqual({ USD: { earned_minor: 0, pending_minor: 0, held_minor: 0, eligible_minor: 0, processing_minor: 0, paid_minor: 0, next_release_at: null } });
    expect((await (await portal('get', '/commissions', otherJane, undefined, other.id)).expect(200)).body.data).toEqual([]);
    expect((await (await portal('get', '/coupons', otherJane, undefined, other.id)).expect(200)).body.data).toEqual([]);
    expect((await (await portal('get', '/links', otherJane, undefined, other.id)).expect(200)).body.data).toEqual([]);
    await (await portal('get', `/links/${janeLinkSlug}`, otherJane, undefined, other.id)).expect(404);
    expect((await (await portal('get', '/stats', otherJane, undefined, other.id)).expect(200)).body.data.totals).toMatchObject({ clicks: 0, purchases: 0 });
  });

  it('every signed-in route refuses a credential of another project, and one of none, and changes nothing', async () => {
    const payoutId = (await api('get', '/api/v1/payouts').expect(200)).body.data[0].id;
    const before = (await api('get', '/api/v1/payouts').expect(200)).body.pagination.total;
    const routes = portalOperations.filter((op) => op.access === 'portal');
    expect(routes.length).toBeGreaterThanOrEqual(11);
    const otherToken = await embed('jane@partners.test', other.apiKey);
    for (const op of routes) {
      const path = op.path.replace('{projectId}', acme.id).replace('{slug}', janeLinkSlug).replace('{id}', payoutId);
      const body = op.method === 'put' ? { method: 'paypal', paypal_email: 'x@pay.test' } : op.method === 'post' ? { target_url: 'https://acme.test/x' } : undefined;
      for (const headers of [otherToken, {}]) {
        const res = await request(t.app)[op.method](path).set(headers).send(body);
        expect([`${op.method} ${op.path}`, res.status, res.body]).toEqual([`${op.method} ${op.path}`, 401, { success: false, error: 'not signed in, or the sign-in has expired: sign in again' }]);
      }
    }
    expect((await api('get', '/api/v1/payouts').expect(200)).body.pagination.total).toBe(before);
    expect((await api('get', '/api/v1/affiliates/jane%40partners.test').expect(200)).body.data.paypal_email).toBeNull();
  });

  it("an Idempotency-Key makes a retried payout request answer the first one's payout; the key is the affiliate's own", async () => {
    await api('post', '/api/v1/affiliates', { email: 'idem@partners.test', referral_code: 'IDEM', payout_method: 'paypal', paypal_email: 'idem@paypal.test' }).expect(201);
    await sale('IDEM', 300, 20_000);
    t.clock.now = at(320);
    const idem = await embed('idem@partners.test');
    const ask = (headers: Record<string, string>, body: object) => request(t.app).post(`/api/portal/${acme.id}/payouts`).set(headers).set('Idempotency-Key', 'click-7').send(body);
    const first = (await ask(idem, {}).expect(201)).body.data;
    expect(first).toMatchObject({ amount_minor: 4000, requested_by: 'affiliate', method: 'paypal' });
    expect((await ask(idem, {}).expect(200)).body.data).toEqual(first);
    expect((await ask(idem, { amount_minor: 4000 }).expect(422)).body.error).toBe(
      `Idempotency-Key: already used for another request (payout ${first.id}); a retry must send the same currency and amount_minor`,
    );
    // another affiliate's same key is its own request: bob, with nothing eligible, is told so (not answered idem's payout)
    expect((await ask(await embed('bob@partners.test'), {}).expect(409)).body.error).toMatch(/^nothing eligible to pay in USD/);
  });
});
