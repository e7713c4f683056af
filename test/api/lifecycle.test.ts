import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { payByCheckout } from '../helpers/stripe-checkout';

/**
 * PRODUCT.md §12 through HTTP, on one test clock: affiliate statuses and the merchant's decisions, partner groups
 * in the rule precedence (affiliate → group → product → project) with their duration and hold, and commission
 * review (pending → approved | rejected) in balances, payouts and the ledger proof.
 */
const SECRET = 'whsec_lifecycle_secret';
const DAY = 86_400_000;
const T0 = new Date('2026-05-04T08:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);
let n = 0;

describe('the affiliate program lifecycle', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const api = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string, body?: unknown) =>
    request(t.app)[method](path).set('Authorization', `Bearer ${key}`).send(body as object);
  /** A first subscription invoice of a new customer, paid at `day`, carrying `code` in its metadata. */
  const sale = async (code: string, day: number, amount = 10_000) => {
    const id = `in_lc_${++n}`;
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
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    return (await api('get', '/api/v1/conversions?kind=purchase&limit=100')).body.data.find((c: any) => c.payment_key === id);
  };
  const affiliate = async (email: string) => (await api('get', `/api/v1/affiliates/${encodeURIComponent(email)}`).expect(200)).body.data;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    t.clock.now = at(-1);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await api('patch', '/api/v1/settings', { commission_type: 'percentage', commission_value: 10, hold_days: 0 }).expect(200);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it("groups: the group's rule, duration and hold apply between the affiliate's override and the product rules", async () => {
    const gold = (await api('post', '/api/v1/groups', { name: 'Gold', commission_type: 'percentage', commission_value: 25, commission_duration: 'first_payment', hold_days: 14 }).expect(201)).body.data;
    expect(gold).toMatchObject({ name: 'Gold', commission_type: 'percentage', commission_value: 25, commission_duration: 'first_payment', hold_days: 14, affiliates: 0 });
    expect((await api('post', '/api/v1/groups', { name: 'Gold' }).expect(409)).body).toEqual({ success: false, error: 'a group with this name already exists' });
    await api('post', '/api/v1/affiliates', { email: 'ann@partners.test', referral_code: 'ANN', group_id: gold.id }).expect(201);
    await api('post', '/api/v1/affiliates', { email: 'vip@partners.test', referral_code: 'VIP', group_id: gold.id, commission_type: 'percentage', commission_value: 40 }).expect(201);
    expect((await api('post', '/api/v1/affiliates', { email: 'x@partners.test', group_id: '00000000-0000-4000-8000-000000000000' }).expect(404)).body.error).toMatch(/^group_id: /);

    const ann = await sale('ANN', 0);
    expect(ann).toMatchObject({ value_minor: 2500, rule_source: 'group', hold_until: at(14).toISOString() });
    const vip = await sale('VIP', 0);
    expect(vip).toMatchObject({ value_minor: 4000, rule_source: 'affiliate' });
    // recorded by hand, with its value given or computed, a commission takes the group's hold as a provider's does
    for (const value of [12.5, undefined]) {
      const manual = (await api('post', '/api/v1/conversions', { type: 'purchase', referral_code: 'ANN', base_value: 50, value }).expect(201)).body.data;
      expect(manual).toMatchObject({ value_minor: 1250, hold_until: new Date(t.clock.now.getTime() + 14 * DAY).toISOString() });
    }
    // a group change rates later payments only
    t.clock.now = at(1);
    await api('patch', `/api/v1/groups/${gold.id}`, { commission_value: 30 }).expect(200);
    expect((await sale('ANN', 2)).value_minor).toBe(3000);
    expect((await api('get', `/api/v1/conversions/${ann.id}`).expect(200)).body.data.value_minor).toBe(2500);
    expect((await api('get', `/api/v1/rule-versions?scope=group&subject=${gold.id}`).expect(200)).body.data).toEqual([
      expect.objectContaining({ effective_from: null, effective_to: at(1).toISOString(), commission_rate_bp: 2500, hold_days: 14 }),
      expect.objectContaining({ effective_from: at(1).toISOString(), effective_to: null, commission_rate_bp: 3000 }),
    ]);
    expect((await api('delete', `/api/v1/groups/${gold.id}`).expect(409)).body.error).toMatch(/2 affiliate/);
  });

  it("statuses: an application is approved into a group, or rejected; a suspended affiliate earns nothing and can't be paid", async () => {
    const gold = (await api('get', '/api/v1/groups').expect(200)).body.data[0];
    await api('post', '/api/v1/affiliates', { email: 'new@partners.test', referral_code: 'NEW', status: 'pending' }).expect(201);
    expect((await sale('NEW', 3)).reason).toBe('affiliate_pending');
    t.clock.now = at(4);
    const approved = (await api('post', '/api/v1/affiliates/new%40partners.test/approve', { group_id: gold.id }).expect(200)).body.data;
    expect(approved).toMatchObject({ status: 'active', group_id: gold.id });
    await api('post', '/api/v1/affiliates/new%40partners.test/approve', {}).expect(200);
    // a repeat with the terms it has is a repeat; one with other terms, or terms no affiliate can have, is not answered 200 and dropped
    await api('post', '/api/v1/affiliates/new%40partners.test/approve', { group_id: gold.id }).expect(200);
    expect((await api('post', '/api/v1/affiliates/new%40partners.test/approve', { commission_type: 'percentage', commission_value: 50 }).expect(409)).body.error).toMatch(/already active: change its rate or group with PATCH/);
    expect((await api('post', '/api/v1/affiliates/new%40partners.test/approve', { group_id: null }).expect(409)).body.error).toMatch(/already active/);
    expect((await api('post', '/api/v1/affiliates/new%40partners.test/approve', { commission_type: 'percentage', commission_value: -5 }).expect(400)).body.error).toMatch(/^commission_value: /);
    expect((await api('post', '/api/v1/affiliates/new%40partners.test/approve', { group_id: '00000000-0000-4000-8000-000000000000' }).expect(404)).body.error).toMatch(/^group_id: /);
    expect((await affiliate('new@partners.test')).group_id).toBe(gold.id);
    expect((await sale('NEW', 5)).value_minor).toBe(3000);

    await api('post', '/api/v1/affiliates', { email: 'spam@partners.test', referral_code: 'SPAM', status: 'pending' }).expect(201);
    expect((await api('post', '/api/v1/affiliates/spam%40partners.test/reject', {}).expect(400)).body.error).toMatch(/^reason: /);
    const rejected = (await api('post', '/api/v1/affiliates/spam%40partners.test/reject', { reason: 'no website' }).expect(200)).body.data;
    expect(rejected).toMatchObject({ status: 'rejected', status_reason: 'no website' });
    expect(await affiliate('spam@partners.test')).toMatchObject({ status: 'rejected', status_reason: 'no website' });
    // each decision was written to the email outbox with the change, once
    const mail = async (to: string) => (await api('get', `/api/v1/emails?to=${encodeURIComponent(to)}`).expect(200)).body.data;
    const approvals = await mail('new@partners.test');
    expect(approvals.map((e: any) => e.template)).toEqual(['application_approved']);
    const [approval] = approvals;
    // it says where to sign in: the project's hosted portal page
    expect((await api('get', `/api/v1/emails/${approval.id}`).expect(200)).body.data.text).toContain(`/portal/${projectId}`);
    const [rejection] = await mail('spam@partners.test');
    expect(rejection).toMatchObject({ template: 'application_rejected' });
    expect((await api('get', `/api/v1/emails/${rejection.id}`).expect(200)).body.data.text).toContain('no website');
    // an application reconsidered: the rejected applicant is approved after all, and told so
    expect((await api('post', '/api/v1/affiliates/spam%40partners.test/approve', {}).expect(200)).body.data).toMatchObject({ status: 'active', status_reason: null });
    expect((await mail('spam@partners.test')).map((e: any) => e.template).sort()).toEqual(['application_approved', 'application_rejected']);
    // a suspended affiliate is reactivated, not approved
    await api('post', '/api/v1/affiliates', { email: 'held@partners.test', referral_code: 'HELD' }).expect(201);
    await api('post', '/api/v1/affiliates/held%40partners.test/suspend', {}).expect(200);
    expect((await api('post', '/api/v1/affiliates/held%40partners.test/approve', {}).expect(409)).body).toEqual({ success: false, error: 'cannot approve an affiliate that is suspended' });

    t.clock.now = at(6);
    await api('post', '/api/v1/affiliates/ann%40partners.test/suspend', { reason: 'fraud check' }).expect(200);
    expect((await sale('ANN', 7)).reason).toBe('affiliate_suspended');
    const ann = await affiliate('ann@partners.test');
    const refused = await api('post', '/api/v1/payouts', { affiliate_id: ann.id, method: 'manual' }).expect(409);
    expect(refused.body.error).toMatch(/suspended/);
    t.clock.now = at(8);
    expect(await affiliate('ann@partners.test')).toMatchObject({ status: 'suspended', status_reason: 'fraud check' });
    await api('post', '/api/v1/affiliates/ann%40partners.test/reactivate', {}).expect(200);
    expect(await affiliate('ann@partners.test')).toMatchObject({ status: 'active', status_reason: null });
    // first_payment in Gold: a new customer's first payment earns again
    expect((await sale('ANN', 9)).value_minor).toBe(3000);
    // the affiliate heard both (newest first), the reason included
    const annMail = await mail('ann@partners.test');
    expect(annMail.map((e: any) => e.template)).toEqual(['affiliate_reactivated', 'affiliate_suspended']);
    expect((await api('get', `/api/v1/emails/${annMail[0].id}`).expect(200)).body.data.text).toContain(`/portal/${projectId}`);
    expect((await api('get', `/api/v1/emails/${annMail[1].id}`).expect(200)).body.data.text).toContain('fraud check');
    expect((await api('post', '/api/v1/affiliates/nobody%40partners.test/suspend', {}).expect(404)).body.error).toBe('affiliate not found');
  });

  it('commission review: pending is in no balance until approved; rejected never pays; bulk approve is all or none', async () => {
    t.clock.now = at(10);
    await api('patch', '/api/v1/settings', { commission_review: 'manual' }).expect(200);
    await api('post', '/api/v1/affiliates', { email: 'rev@partners.test', referral_code: 'REV' }).expect(201);
    const a = await sale('REV', 11);
    const b = await sale('REV', 11.5);
    const c = await sale('REV', 12);
    expect([a.status, b.status, c.status]).toEqual(['pending', 'pending', 'pending']);
    let rev = await affiliate('rev@partners.test');
    expect(rev).toMatchObject({ total_earnings: '0.00', eligible_earnings: '0.00', pending_earnings: '30.00' });
    // a pending commission cannot be marked paid or taken into a payout
    expect((await api('patch', `/api/v1/conversions/${a.id}`, { paid: true }).expect(409)).body.error).toMatch(/approve it first/);
    expect((await api('post', '/api/v1/payouts', { affiliate_id: rev.id, method: 'manual' }).expect(409)).body.error).toMatch(/nothing eligible/);

    // reports count a commission once it is approved, like the balances
    const commissionOf = async () =>
      (await api('get', '/api/v1/reports/summary').expect(200)).body.data.by_currency.find((m: any) => m.currency === 'USD').commission.value_minor as number;
    const beforeReview = await commissionOf();
    const usd = async () => (await api('get', '/api/v1/reports/summary').expect(200)).body.data.by_currency.find((m: any) => m.currency === 'USD');
    const reviewSplit = async () => {
      const m = await usd();
      return [m.commission_pending.value_minor, m.commission_rejected.value_minor];
    };
    // the three pending commissions of 10.00 are reported apart
    const [pendingBefore, rejectedBefore] = await reviewSplit();
    expect(pendingBefore).toBe(3000);
    t.clock.now = at(13);
    expect((await api('post', `/api/v1/conversions/${c.id}/reject`, { reason: 'test order' }).expect(200)).body.data).toMatchObject({ status: 'rejected', review_reason: 'test order', reviewed_at: at(13).toISOString() });
    expect((await api('get', `/api/v1/conversions/${c.id}`).expect(200)).body.data).toMatchObject({ review_reason: 'test order' });
    // the export says why, as the conversion does
    const csv = (await api('get', '/api/v1/reports/conversions.csv').expect(200)).text.trim().split('\r\n');
    const header = csv[0]!.split(',');
    const rejectedLine = csv.find((l) => l.startsWith(`${c.id},`))!.split(',');
    expect([rejectedLine[header.indexOf('status')], rejectedLine[header.indexOf('reviewed_at')], rejectedLine[header.indexOf('review_reason')]]).toEqual(['rejected', at(13).toISOString(), 'test order']);
    // all or none: c is rejected, so nothing is approved
    const bulk = await api('post', '/api/v1/conversions/approve', { ids: [a.id, b.id, c.id] }).expect(409);
    expect(bulk.body.error).toBe(`${c.id}: this commission was rejected: a rejected commission cannot be approved`);
    expect((await api('get', `/api/v1/conversions/${a.id}`)).body.data.status).toBe('pending');
    const approved = (await api('post', '/api/v1/conversions/approve', { ids: [a.id, b.id] }).expect(200)).body.data;
    expect(approved.map((r: any) => r.status)).toEqual(['eligible', 'eligible']);
    rev = await affiliate('rev@partners.test');
    expect(rev).toMatchObject({ total_earnings: '20.00', eligible_earnings: '20.00', pending_earnings: '0.00' });
    expect(await commissionOf()).toBe(beforeReview + 2000);
    expect(await reviewSplit()).toEqual([0, rejectedBefore + 1000]);
    const payout = (await api('post', '/api/v1/payouts', { affiliate_id: rev.id, method: 'manual' }).expect(201)).body.data;
    expect(payout.amount_minor).toBe(2000);
    await api('post', `/api/v1/payouts/${payout.id}/complete`, { reference: 'batch-1' }).expect(200);
    const paidMail = (await api('get', '/api/v1/emails?to=rev%40partners.test').expect(200)).body.data;
    expect(paidMail.map((e: any) => e.template)).toEqual(['payout_completed']);
    expect((await api('get', `/api/v1/emails/${paidMail[0].id}`).expect(200)).body.data.text).toMatch(/20\.00[\s\S]*batch-1|batch-1[\s\S]*20\.00/);
    expect((await api('post', `/api/v1/conversions/${a.id}/reject`, { reason: 'late' }).expect(409)).body.error).toMatch(/already paid/);
    // auto commissions are not under review
    t.clock.now = at(14);
    await api('patch', '/api/v1/settings', { commission_review: 'auto' }).expect(200);
    const d = await sale('REV', 15);
    expect(d.status).toBe('eligible');
    expect((await api('post', `/api/v1/conversions/${d.id}/approve`).expect(409)).body.error).toMatch(/not under review/);
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
  });

  it('under manual review a conversion the merchant records waits for review too; one recorded as paid was decided; a suspended affiliate earns nothing, named so', async () => {
    t.clock.now = at(16);
    await api('patch', '/api/v1/settings', { commission_review: 'manual' }).expect(200);
    await api('post', '/api/v1/affiliates', { email: 'hand@partners.test', referral_code: 'HAND' }).expect(201);
    const recorded = (await api('post', '/api/v1/conversions', { referral_code: 'HAND', amount: '100.00', email: 'buyer@customers.test' }).expect(201)).body.data;
    expect([recorded.status, recorded.value_minor]).toEqual(['pending', 1000]);
    expect(await affiliate('hand@partners.test')).toMatchObject({ total_earnings: '0.00', eligible_earnings: '0.00', pending_earnings: '10.00' });
    const hand = await affiliate('hand@partners.test');
    expect((await api('post', '/api/v1/payouts', { affiliate_id: hand.id, method: 'manual' }).expect(409)).body.error).toMatch(/nothing eligible/);
    expect((await api('post', `/api/v1/conversions/${recorded.id}/approve`).expect(200)).body.data.status).toBe('eligible');
    // recorded as already paid: the merchant who recorded it decided it
    const settled = (await api('post', '/api/v1/conversions', { referral_code: 'HAND', amount: '50.00', paid: true }).expect(201)).body.data;
    expect([settled.status, settled.value_minor]).toEqual(['paid', 500]);
    // a sale that earns nothing is not under review
    await api('post', '/api/v1/affiliates/hand%40partners.test/suspend', {}).expect(200);
    const frozen = (await api('post', '/api/v1/conversions', { referral_code: 'HAND', amount: '30.00' }).expect(201)).body.data;
    expect([frozen.status, frozen.value_minor, frozen.reason]).toEqual(['none', 0, 'affiliate_suspended']);
    expect(await affiliate('hand@partners.test')).toMatchObject({ total_earnings: '15.00', paid_earnings: '5.00', pending_earnings: '0.00' });
    await api('post', '/api/v1/affiliates/hand%40partners.test/reactivate', {}).expect(200);
    await api('patch', '/api/v1/settings', { commission_review: 'auto' }).expect(200);
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
  });

  it('a commission earned under auto stays earned when review turns manual and its ledger is computed again', async () => {
    t.clock.now = at(20);
    await api('patch', '/api/v1/settings', { commission_review: 'auto' }).expect(200);
    await api('post', '/api/v1/affiliates', { email: 'early@partners.test', referral_code: 'EARLY' }).expect(201);
    const sold = await sale('EARLY', 21);
    expect([sold.status, sold.value_minor]).toEqual(['eligible', 1000]);
    t.clock.now = at(22);
    await api('patch', '/api/v1/settings', { commission_review: 'manual' }).expect(200);
    // a partial refund of it: the customer's ledger is computed again, under today's `manual`
    const refund = stripeEvent('charge.refunded.json', (o) => Object.assign(o, { id: `ch_${sold.payment_key}`, payment_intent: `pi_${sold.payment_key}`, invoice: sold.payment_key, customer: null, amount: 10_000, amount_refunded: 2_500 }));
    refund.created = Math.floor(at(22).getTime() / 1000);
    const body = JSON.stringify(refund);
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
    const rows = (await api('get', `/api/v1/conversions?affiliate_id=${sold.affiliate_id}&limit=100`).expect(200)).body.data;
    expect(rows.map((r: any) => [r.kind, r.value_minor, r.status])).toEqual([
      ['refund', -250, 'eligible'],
      ['purchase', 1000, 'eligible'],
    ]);
    // and an explicit recalculation with today's rules does not send it to review either
    await api('post', '/api/v1/conversions/recalculate', { from: at(20).toISOString(), to: at(23).toISOString(), affiliate_id: sold.affiliate_id }).expect(200);
    expect(await affiliate('early@partners.test')).toMatchObject({ total_earnings: '7.50', pending_earnings: '0.00' });
    // a commission first earned now waits for review
    expect((await sale('EARLY', 22.5)).status).toBe('pending');
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
  });

  it("a review stands for the affiliate it was made for: a payment that moves to another waits for that one's own", async () => {
    t.clock.now = at(30);
    await api('patch', '/api/v1/settings', { commission_review: 'manual' }).expect(200);
    const jane = (await api('post', '/api/v1/affiliates', { email: 'rv-jane@partners.test', referral_code: 'RVJANE' }).expect(201)).body.data;
    const bob = (await api('post', '/api/v1/affiliates', { email: 'rv-bob@partners.test', referral_code: 'RVBOB' }).expect(201)).body.data;
    for (const who of ['mv1', 'mv2']) await api('post', '/api/v1/referrals', { email: `${who}@customers.test`, affiliate_id: jane.id }).expect(201);
    for (const who of ['mv1', 'mv2']) await payByCheckout(t, projectId, SECRET, { email: `${who}@customers.test`, paidAt: at(30), amount: 10_000 });
    const rows = (await api('get', `/api/v1/conversions?affiliate_id=${jane.id}&limit=100`).expect(200)).body.data;
    const [mv1, mv2] = ['mv1', 'mv2'].map((who) => rows.find((r: any) => r.email === `${who}@customers.test`));
    expect([mv1.status, mv1.value_minor, mv2.status, mv2.value_minor]).toEqual(['pending', 1000, 'pending', 1000]);
    await api('post', `/api/v1/conversions/${mv1.id}/approve`).expect(200);
    await api('post', `/api/v1/conversions/${mv2.id}/reject`, { reason: 'jane self-dealing' }).expect(200);
    expect(await affiliate('rv-jane@partners.test')).toMatchObject({ eligible_earnings_minor: 1000, pending_earnings_minor: 0 });

    for (const who of ['mv1', 'mv2']) await api('put', `/api/v1/referrals/${who}@customers.test`, { affiliate_id: bob.id }).expect(200);
    await t.runner.idle();
    for (const c of [mv1, mv2]) {
      expect((await api('get', `/api/v1/conversions/${c.id}`).expect(200)).body.data).toMatchObject({ affiliate_id: bob.id, value_minor: 1000, status: 'pending', review_reason: null, reviewed_at: null });
    }
    expect(await affiliate('rv-jane@partners.test')).toMatchObject({ eligible_earnings_minor: 0, pending_earnings_minor: 0 });
    expect(await affiliate('rv-bob@partners.test')).toMatchObject({ eligible_earnings_minor: 0, pending_earnings_minor: 2000 });
    // bob's own review decides, and stands through a later computation of the customer's ledger
    await api('post', `/api/v1/conversions/${mv2.id}/approve`).expect(200);
    await api('post', `/api/v1/conversions/${mv1.id}/reject`, { reason: 'bob self-dealing' }).expect(200);
    await api('post', '/api/v1/conversions/recalculate', { from: at(29).toISOString(), to: at(31).toISOString(), affiliate_id: bob.id }).expect(200);
    expect(await affiliate('rv-bob@partners.test')).toMatchObject({ eligible_earnings_minor: 1000, pending_earnings_minor: 0 });
    expect((await api('get', `/api/v1/conversions/${mv1.id}`).expect(200)).body.data).toMatchObject({ status: 'rejected', review_reason: 'bob self-dealing' });
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);

    // bob's rate doubles and the period is re-rated: the approved commission moves the balance, the one pending review
    // is re-rated but moves nothing until approved, and the rejected one is not re-rated at all (it never pays)
    await api('post', '/api/v1/referrals', { email: 'mv3@customers.test', affiliate_id: bob.id }).expect(201);
    await payByCheckout(t, projectId, SECRET, { email: 'mv3@customers.test', paidAt: at(30), amount: 10_000 });
    const mv3 = (await api('get', `/api/v1/conversions?affiliate_id=${bob.id}&limit=100`).expect(200)).body.data.find((r: any) => r.email === 'mv3@customers.test');
    expect([mv3.status, mv3.value_minor]).toEqual(['pending', 1000]);
    const rejectedSum = async () =>
      (await api('get', '/api/v1/reports/summary').expect(200)).body.data.by_currency.find((m: any) => m.currency === 'USD').commission_rejected.value_minor as number;
    const rejectedBefore = await rejectedSum();
    t.clock.now = at(31);
    await api('patch', '/api/v1/affiliates/rv-bob%40partners.test', { commission_type: 'percentage', commission_value: 20 }).expect(200);
    const recalculated = (await api('post', '/api/v1/conversions/recalculate', { from: at(29).toISOString(), to: at(31).toISOString(), affiliate_id: bob.id }).expect(200)).body.data;
    expect(recalculated).toMatchObject({ conversions: 2, changed: 2, totals: [{ currency: 'USD', before_minor: 1000, after_minor: 2000, difference_minor: 1000 }] });
    expect(await affiliate('rv-bob@partners.test')).toMatchObject({ eligible_earnings_minor: 2000, pending_earnings_minor: 2000 });
    expect((await api('get', `/api/v1/conversions/${mv1.id}`).expect(200)).body.data).toMatchObject({ status: 'rejected', value_minor: 1000 });
    expect((await api('get', `/api/v1/conversions/${mv3.id}`).expect(200)).body.data).toMatchObject({ status: 'pending', value_minor: 2000 });
    expect(await rejectedSum()).toBe(rejectedBefore);
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
    await api('patch', '/api/v1/settings', { commission_review: 'auto' }).expect(200);
  });

  it('a deleted group still rates the payments its former members made while in it; later ones take the next rule', async () => {
    t.clock.now = at(40);
    const silver = (await api('post', '/api/v1/groups', { name: 'Silver', commission_type: 'percentage', commission_value: 33 }).expect(201)).body.data;
    await api('post', '/api/v1/affiliates', { email: 'sil@partners.test', referral_code: 'SIL', group_id: silver.id }).expect(201);
    const first = await sale('SIL', 40);
    expect(first).toMatchObject({ value_minor: 3300, rule_source: 'group' });
    t.clock.now = at(41);
    await api('patch', '/api/v1/affiliates/sil%40partners.test', { group_id: null }).expect(200);
    await api('delete', `/api/v1/groups/${silver.id}`).expect(204);
    // a payment made while Sil was in the group, reported after it was deleted; and one made after
    expect(await sale('SIL', 40.5)).toMatchObject({ value_minor: 3300, rule_source: 'group' });
    expect(await sale('SIL', 42)).toMatchObject({ value_minor: 1000, rule_source: 'project' });
    expect((await api('get', `/api/v1/conversions/${first.id}`).expect(200)).body.data).toMatchObject({ value_minor: 3300, rule_source: 'group' });
    expect((await api('get', '/api/v1/ledger/verify').expect(200)).body.data.ok).toBe(true);
  });

  it("an override's value changes alone, keeping its type; a null value alone clears it", async () => {
    await api('post', '/api/v1/affiliates', { email: 'ov@partners.test', referral_code: 'OV', commission_type: 'fixed', commission_value: 5 }).expect(201);
    expect((await api('patch', '/api/v1/affiliates/ov%40partners.test', { commission_value: 7.5 }).expect(200)).body.data).toMatchObject({ commission_type: 'fixed', commission_value: 7.5 });
    expect((await api('patch', '/api/v1/affiliates/ov%40partners.test', { commission_value: null }).expect(200)).body.data).toMatchObject({ commission_type: null, commission_value: null });
    expect((await api('patch', '/api/v1/affiliates/ov%40partners.test', { commission_value: 10 }).expect(400)).body).toEqual({ success: false, error: 'commission_type: required with commission_value' });
  });

  it('an affiliate with commissions is never rejected (its balance stays payable): set inactive or suspended instead', async () => {
    t.clock.now = at(50);
    await api('post', '/api/v1/affiliates', { email: 'earner@partners.test', referral_code: 'EARNER' }).expect(201);
    expect((await sale('EARNER', 50)).value_minor).toBe(1000);
    const refused = { success: false, error: 'this affiliate has commissions: set status "inactive" or suspend it instead of rejecting it' };
    expect((await api('patch', '/api/v1/affiliates/earner%40partners.test', { status: 'rejected' }).expect(409)).body).toEqual(refused);
    // set back to pending, it is still no application to turn down
    await api('patch', '/api/v1/affiliates/earner%40partners.test', { status: 'pending' }).expect(200);
    expect((await api('post', '/api/v1/affiliates/earner%40partners.test/reject', { reason: 'changed my mind' }).expect(409)).body).toEqual(refused);
    expect(await affiliate('earner@partners.test')).toMatchObject({ status: 'pending', total_earnings_minor: 1000 });
    // one who never earned is rejected either way
    await api('post', '/api/v1/affiliates', { email: 'idle@partners.test', referral_code: 'IDLE' }).expect(201);
    expect((await api('patch', '/api/v1/affiliates/idle%40partners.test', { status: 'rejected' }).expect(200)).body.data.status).toBe('rejected');
  });
  it("a status set by PATCH is told to the affiliate as the decision routes tell it; a move to inactive or pending, or to the status it has, emails nobody", async () => {
    t.clock.now = at(60);
    const mail = async (to: string) => (await api('get', `/api/v1/emails?to=${encodeURIComponent(to)}`).expect(200)).body.data.map((e: any) => e.template);
    // a minute apart, so the emails' newest-first order is the order of the changes
    const set = (email: string, status: string) => {
      t.clock.now = new Date(t.clock.now.getTime() + 60_000);
      return api('patch', `/api/v1/affiliates/${encodeURIComponent(email)}`, { status }).expect(200);
    };
    await api('post', '/api/v1/affiliates', { email: 'patched@partners.test', referral_code: 'PATCHED', status: 'pending' }).expect(201);
    expect(await mail('patched@partners.test')).toEqual([]);
    await set('patched@partners.test', 'active');
    const [approval] = (await api('get', '/api/v1/emails?to=patched%40partners.test').expect(200)).body.data;
    expect(approval.template).toBe('application_approved');
    const text = (await api('get', `/api/v1/emails/${approval.id}`).expect(200)).body.data.text;
    expect(text).toContain(`/portal/${projectId}`);
    expect(text).toContain('PATCHED');
    await set('patched@partners.test', 'active');
    await set('patched@partners.test', 'inactive');
    expect(await mail('patched@partners.test')).toEqual(['application_approved']);
    await set('patched@partners.test', 'active');
    await set('patched@partners.test', 'suspended');
    await set('patched@partners.test', 'active');
    await set('patched@partners.test', 'pending');
    expect(await mail('patched@partners.test')).toEqual(['affiliate_reactivated', 'affiliate_suspended', 'affiliate_reactivated', 'application_approved']);
    // turned down by PATCH: told so, with no reason given
    await set('patched@partners.test', 'rejected');
    const [rejection] = (await api('get', '/api/v1/emails?to=patched%40partners.test').expect(200)).body.data;
    expect(rejection.template).toBe('application_rejected');
    expect((await api('get', `/api/v1/emails/${rejection.id}`).expect(200)).body.data.text).not.toContain('The reason given');
    // a rejected application reconsidered is an approval again
    await set('patched@partners.test', 'active');
    expect((await mail('patched@partners.test'))[0]).toBe('application_approved');
    // a member turned away by PATCH is told the account closed, not that an application failed
    await set('patched@partners.test', 'rejected');
    const [closed] = (await api('get', '/api/v1/emails?to=patched%40partners.test').expect(200)).body.data;
    const closing = (await api('get', `/api/v1/emails/${closed.id}`).expect(200)).body.data;
    expect([closed.template, closing.subject]).toEqual(['application_rejected', expect.stringContaining('affiliate account was closed')]);
    expect(closing.text).not.toContain('Thank you for applying');
  });
});
