import request from 'supertest';
import { stripeAdapter } from '../../../src/providers/stripe/adapter';
import { stripeEvent } from '../../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../../helpers/refwire';

/**
 * An affiliate's own referrals in the portal (Refferq's "My referrals"): the customers who signed up through the
 * affiliate, masked, each pending, converted by a signed payment, or expired when its signup window passed; only the
 * affiliate's own, and none the merchant marked direct.
 */
const SECRET = 'whsec_portal_referrals';
const DAY = 86_400_000;
const T0 = new Date('2026-10-01T09:00:00.000Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);

describe('GET /api/portal/:projectId/referrals', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let acme: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: object, key = acme.apiKey) => request(t.app)[method](path).set('Authorization', `Bearer ${key}`).send(body);
  const referrals = async (email: string, query = '', status = 200, project = acme) => {
    const token = (await api('post', `/api/v1/affiliates/${encodeURIComponent(email)}/embed-tokens`, {}, project.apiKey).expect(201)).body.data.token;
    return (await request(t.app).get(`/api/portal/${project.id}/referrals${query}`).set('Authorization', `Bearer ${token}`).expect(status)).body;
  };
  const signup = (email: string, code: string, day: number) => {
    t.clock.now = at(day);
    return request(t.app).post('/api/track/signup').send({ project_id: acme.id, email, referral_code: code }).expect(201);
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    t.clock.now = at(0);
    acme = await createProjectViaApi(t.app, 'Acme');
    other = await createProjectViaApi(t.app, 'Other');
    await connectProvider(t.app, acme.apiKey, 'stripe', SECRET);
    await api('patch', '/api/v1/settings', { commission_type: 'percentage', commission_value: 20, cookie_days: 30 }).expect(200);
    for (const [email, code] of [['jane@partners.test', 'JANE'], ['bob@partners.test', 'BOB']]) await api('post', '/api/v1/affiliates', { email, referral_code: code }).expect(201);
    await api('post', '/api/v1/affiliates', { email: 'jane@partners.test', referral_code: 'JANE' }, other.apiKey).expect(201);

    await signup('ann.lee@customers.test', 'JANE', 0);
    await signup('bea@customers.test', 'JANE', 1);
    await signup('eve@customers.test', 'BOB', 1);
    t.clock.now = at(2);
    // recorded by the merchant: no window; and one the merchant says came directly
    await api('post', '/api/v1/referrals', { email: 'cy@customers.test', referral_code: 'JANE' }).expect(201);
    await api('post', '/api/v1/referrals', { email: 'dan@customers.test', referral_code: 'JANE', status: 'direct' }).expect(201);

    // Ann pays on day 5, credited to Jane by her referral
    t.clock.now = at(5);
    const payload = stripeEvent('invoice.paid.subscription_create.json', (o) => {
      Object.assign(o, { id: 'in_ann', charge: 'ch_ann', payment_intent: 'pi_ann', customer: 'cus_ann', subscription: 'sub_ann', amount_paid: 5000, total: 5000 });
      o.status_transitions.paid_at = Math.floor(at(5).getTime() / 1000);
      o.customer_email = 'ann.lee@customers.test';
      o.metadata = {};
      o.subscription_details = { metadata: {} };
      delete o.discount;
      o.discounts = [];
      o.total_discount_amounts = [];
    });
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${acme.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    // Bea's 30 days are over on day 31, with no purchase
    t.clock.now = at(40);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it("lists the affiliate's referrals oldest first, masked, converted from the payment, expired past the window", async () => {
    const res = await referrals('jane@partners.test');
    expect(res.data).toEqual([
      { id: expect.any(String), email: 'a***@customers.test', status: 'converted', converted_at: at(5).toISOString(), expires_at: at(30).toISOString(), created_at: at(0).toISOString() },
      { id: expect.any(String), email: 'b***@customers.test', status: 'expired', converted_at: null, expires_at: at(31).toISOString(), created_at: at(1).toISOString() },
      { id: expect.any(String), email: 'c***@customers.test', status: 'pending', converted_at: null, expires_at: null, created_at: at(2).toISOString() },
    ]);
    expect(res.pagination).toEqual({ limit: 20, offset: 0, total: 3, has_more: false });
    // the merchant's commission on Ann's payment is what made her converted
    expect((await api('get', '/api/v1/conversions?kind=purchase').expect(200)).body.data).toEqual([expect.objectContaining({ email: 'ann.lee@customers.test', affiliate_email: 'jane@partners.test', value_minor: 1000 })]);
  });

  it('filters by status, each with its own total, and pages', async () => {
    const emails = async (q: string) => {
      const body = await referrals('jane@partners.test', q);
      return [body.data.map((r: { email: string }) => r.email), body.pagination.total];
    };
    expect(await emails('?status=converted')).toEqual([['a***@customers.test'], 1]);
    expect(await emails('?status=expired')).toEqual([['b***@customers.test'], 1]);
    expect(await emails('?status=pending')).toEqual([['c***@customers.test'], 1]);
    expect(await emails('?limit=1&offset=1')).toEqual([['b***@customers.test'], 3]);
    // a day before Bea's window ends, she is pending again
    t.clock.now = at(30);
    expect(await emails('?status=pending')).toEqual([['b***@customers.test', 'c***@customers.test'], 2]);
    expect(await emails('?status=expired')).toEqual([[], 0]);
    t.clock.now = at(40);
    expect(await referrals('jane@partners.test', '?status=direct', 400)).toEqual({ success: false, error: expect.stringMatching(/^status: /) });
  });

  it("shows each affiliate only its own, in its own project, and nobody's without a session", async () => {
    expect((await referrals('bob@partners.test')).data.map((r: { email: string; status: string }) => [r.email, r.status])).toEqual([['e***@customers.test', 'expired']]);
    expect((await referrals('jane@partners.test', '', 200, other)).data).toEqual([]);
    await request(t.app).get(`/api/portal/${acme.id}/referrals`).expect(401);
  });
});
