import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import type { TestApp } from '../helpers/refwire';

/**
 * The 18 tools of Refgrow's `@refgrow/mcp` 1.0.1 and the arguments of each, as its src/tools.ts registers them
 * (github.com/refgrow/refgrow-mcp; the names also in seeds/refgrow-llm-context.txt, "Available MCP Tools").
 */
export const REFGROW_TOOL_ARGUMENTS: Record<string, string[]> = {
  list_affiliates: ['status', 'limit', 'offset'],
  get_affiliate_details: ['email'],
  create_affiliate: ['email', 'referral_code', 'partner_slug'],
  update_affiliate: ['email', 'new_email', 'referral_code', 'status', 'partner_slug'],
  delete_affiliate: ['email'],
  list_referrals: ['affiliate_id', 'status', 'limit', 'offset'],
  get_referral_details: ['email'],
  create_referral: ['email', 'affiliate_id', 'status'],
  list_conversions: ['type', 'affiliate_id', 'paid', 'from', 'to', 'limit', 'offset'],
  get_conversion: ['id'],
  create_conversion: ['type', 'value', 'base_value', 'affiliate_id', 'referral_code', 'referred_user_id', 'email', 'paid', 'reference', 'coupon_code_used', 'base_value_currency'],
  update_conversion: ['id', 'value', 'base_value', 'type', 'paid', 'reference', 'coupon_code_used', 'base_value_currency'],
  delete_conversion: ['id'],
  list_coupons: ['status', 'affiliate_id', 'coupon_code', 'limit', 'offset'],
  get_coupon: ['id'],
  create_coupon: ['affiliate_id', 'coupon_code', 'stripe_coupon_id', 'lemonsqueezy_discount_code', 'status'],
  update_coupon: ['id', 'affiliate_id', 'coupon_code', 'stripe_coupon_id', 'lemonsqueezy_discount_code', 'status'],
  delete_coupon: ['id'],
};

export const REFWIRE_TOOL_NAMES = [
  'list_events', 'get_event', 'replay_event', 'replay_failed_events', 'list_payouts', 'get_payout', 'create_payout', 'approve_payout', 'complete_payout',
  'fail_payout', 'list_eligible_payouts', 'create_payout_batch', 'get_payout_batch', 'get_report_summary', 'get_daily_report', 'get_health',
  'verify_ledger',
];

type ToolAnswer = { isError?: boolean; text: string };

const SECRET = 'whsec_mcp_scenario_secret';
const DAY = 86_400_000;

/** Calls tools through an MCP client, remembering which were called. */
export class Tools {
  readonly called = new Set<string>();
  constructor(private readonly client: Client) {}

  async raw(name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
    this.called.add(name);
    const result = (await this.client.callTool({ name, arguments: args })) as { isError?: boolean; content: { type: string; text?: string }[] };
    return { isError: result.isError, text: result.content.map((c) => c.text ?? '').join('\n') };
  }

  /** A call that must succeed: the API's JSON answer. */
  async ok(name: string, args: Record<string, unknown> = {}): Promise<any> {
    const answer = await this.raw(name, args);
    if (answer.isError) throw new Error(`${name} failed: ${answer.text}`);
    return JSON.parse(answer.text);
  }

  /** A call that must be refused: the error's text. */
  async refused(name: string, args: Record<string, unknown>): Promise<string> {
    const answer = await this.raw(name, args);
    expect(answer.isError).toBe(true);
    return answer.text;
  }
}

/**
 * Every tool once or more against a real project, through whichever transport `client` uses: affiliates,
 * coupons, referrals and conversions created and changed by tools and read back through the REST API; a Stripe
 * payment's event listed, read and replayed; a payout made and completed; reports and the ledger check.
 */
export async function runEveryTool(client: Client, t: TestApp, project: { id: string; apiKey: string }): Promise<Tools> {
  const tools = new Tools(client);
  const rest = (path: string) => request(t.app).get(`/api/v1${path}`).set('Authorization', `Bearer ${project.apiKey}`);
  const auth = { Authorization: `Bearer ${project.apiKey}` };
  await request(t.app).put('/api/v1/integrations/stripe').set(auth).send({ webhook_secret: SECRET }).expect(200);
  await request(t.app).patch('/api/v1/settings').set(auth).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);

  // affiliates
  const ada = (await tools.ok('create_affiliate', { email: 'Ada@Partners.test', referral_code: 'ADA-42', payout_method: 'manual' })).data;
  expect((await rest('/affiliates/ada%40partners.test').expect(200)).body.data).toMatchObject({ id: ada.id, user_email: 'ada@partners.test', referral_code: 'ADA-42', status: 'active' });
  expect((await tools.ok('get_affiliate_details', { email: 'ada@partners.test' })).data).toMatchObject({ id: ada.id, referral_code: 'ADA-42' });
  expect(await tools.refused('create_affiliate', { email: 'slug@partners.test', partner_slug: 'ada-page' })).toMatch(/^partner_slug: .*tracking link/);
  await rest('/affiliates/slug%40partners.test').expect(404);

  await tools.ok('create_affiliate', { email: 'bob@partners.test' });
  const bob = (await tools.ok('update_affiliate', { email: 'bob@partners.test', new_email: 'robert@partners.test', status: 'inactive', referral_code: 'ROB' })).data;
  expect((await rest('/affiliates/robert%40partners.test').expect(200)).body.data).toMatchObject({ id: bob.id, status: 'inactive', referral_code: 'ROB' });
  await rest('/affiliates/bob%40partners.test').expect(404);
  const active = await tools.ok('list_affiliates', { status: 'active', limit: 10 });
  expect(active.data.map((a: { id: string }) => a.id)).toEqual([ada.id]);
  expect(active.pagination).toEqual({ limit: 10, offset: 0, total: 1, has_more: false });
  expect((await tools.ok('delete_affiliate', { email: 'robert@partners.test' })).success).toBe(true);
  await rest('/affiliates/robert%40partners.test').expect(404);

  // coupons
  const coupon = (await tools.ok('create_coupon', { affiliate_id: ada.id, coupon_code: 'ADA20', stripe_coupon_id: 'promo_ada20', lemonsqueezy_discount_code: 'LSADA20' })).data;
  expect((await rest(`/coupons/${coupon.id}`).expect(200)).body.data).toMatchObject({
    affiliate_id: ada.id,
    coupon_code: 'ADA20',
    stripe_coupon_id: 'promo_ada20',
    lemonsqueezy_discount_code: 'LSADA20',
    status: 'active',
    affiliate_email: 'ada@partners.test',
  });
  expect((await tools.ok('get_coupon', { id: coupon.id })).data.coupon_code).toBe('ADA20');
  await tools.ok('update_coupon', { id: coupon.id, status: 'inactive', stripe_coupon_id: null });
  expect((await rest(`/coupons/${coupon.id}`).expect(200)).body.data).toMatchObject({ status: 'inactive', stripe_coupon_id: null, lemonsqueezy_discount_code: 'LSADA20' });
  expect((await tools.ok('list_coupons', { coupon_code: 'ada', status: 'inactive' })).data.map((c: { id: string }) => c.id)).toEqual([coupon.id]);
  const spare = (await tools.ok('create_coupon', { affiliate_id: ada.id, coupon_code: 'SPARE' })).data;
  await tools.ok('delete_coupon', { id: spare.id });
  await rest(`/coupons/${spare.id}`).expect(404);

  // referrals
  const referral = (await tools.ok('create_referral', { email: 'cus@buyers.test', affiliate_id: ada.id })).data;
  expect((await rest('/referrals/cus%40buyers.test').expect(200)).body.data).toMatchObject({ id: referral.id, affiliate_id: ada.id });
  expect((await tools.ok('get_referral_details', { email: 'cus@buyers.test' })).data.id).toBe(referral.id);
  expect((await tools.ok('list_referrals', { affiliate_id: ada.id })).data.map((r: { id: string }) => r.id)).toEqual([referral.id]);

  // conversions: Refgrow's documented example body, commission computed from the project's 20%
  const sale = (await tools.ok('create_conversion', { type: 'purchase', referral_code: 'ADA-42', base_value: 250, base_value_currency: 'USD', reference: 'ORDER-123', email: 'cus@buyers.test' })).data;
  expect((await rest(`/conversions/${sale.id}`).expect(200)).body.data).toMatchObject({ affiliate_id: ada.id, value: 50, value_minor: 5000, base_value_minor: 25000, reference: 'ORDER-123', paid: false });
  expect((await tools.ok('get_conversion', { id: sale.id })).data.value_minor).toBe(5000);
  await tools.ok('update_conversion', { id: sale.id, reference: 'ORDER-124' });
  expect((await rest(`/conversions/${sale.id}`).expect(200)).body.data.reference).toBe('ORDER-124');
  const unpaid = await tools.ok('list_conversions', { type: 'purchase', affiliate_id: ada.id, paid: false });
  expect(unpaid.data.map((c: { id: string }) => c.id)).toEqual([sale.id]);
  expect((await tools.ok('list_conversions', { paid: true })).data).toEqual([]);
  const signup = (await tools.ok('create_conversion', { type: 'signup', affiliate_id: ada.id, email: 'lead@buyers.test' })).data;
  await tools.ok('delete_conversion', { id: signup.id });
  await rest(`/conversions/${signup.id}`).expect(404);

  // events: a Stripe payment referred by Ada, then replayed without a second commission
  const payload = stripeEvent('checkout.session.completed.payment.json', (o) => {
    o.metadata = { referral_code: 'ADA-42' };
    o.client_reference_id = null;
    o.customer_details.email = 'stripe-buyer@buyers.test';
  });
  payload.created = Math.floor(t.clock.now.getTime() / 1000);
  const body = JSON.stringify(payload);
  await request(t.app).post(`/webhook/stripe/${project.id}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
  await t.runner.idle();
  const [event] = (await tools.ok('list_events', { provider: 'stripe' })).data;
  expect(event).toMatchObject({ provider_event_id: payload.id, status: 'processed' });
  const detail = (await tools.ok('get_event', { id: event.id })).data;
  expect(detail.conversions).toHaveLength(1);
  expect(detail.conversions[0]).toMatchObject({ affiliate_id: ada.id, value_minor: 800 });
  expect((await tools.ok('replay_event', { id: event.id })).data.conversions.map((c: { id: string }) => c.id)).toEqual([detail.conversions[0].id]);
  expect((await rest(`/conversions?affiliate_id=${ada.id}`).expect(200)).body.pagination.total).toBe(2);

  // payouts: the whole eligible balance, 50.00 + 8.00
  t.clock.now = new Date(t.clock.now.getTime() + DAY);
  const payout = (await tools.ok('create_payout', { affiliate_id: ada.id })).data;
  expect(payout).toMatchObject({ status: 'pending', amount_minor: 5800, currency: 'USD', method: 'manual', conversions_count: 2 });
  expect((await tools.ok('get_payout', { id: payout.id })).data.conversions).toHaveLength(2);
  expect((await tools.ok('list_payouts', { status: 'pending' })).data.map((p: { id: string }) => p.id)).toEqual([payout.id]);
  // made by the merchant: approved when made, and approving it again changes nothing
  expect((await tools.ok('approve_payout', { id: payout.id })).data).toMatchObject({ status: 'pending', approved_at: payout.created_at });
  await tools.ok('complete_payout', { id: payout.id, reference: 'TX-1' });
  expect((await rest(`/payouts/${payout.id}`).expect(200)).body.data).toMatchObject({ status: 'completed', reference: 'TX-1' });
  expect(await tools.refused('fail_payout', { id: payout.id, reason: 'bounced' })).toBe('the payout is completed; only a pending payout can be failed (HTTP 409)');
  expect((await tools.ok('list_conversions', { paid: true })).data).toHaveLength(2);

  // reports and the ledger check: the two purchases, 250.00 and 40.00, and their 58.00 of commission
  const summary = (await tools.ok('get_report_summary', { top: 5 })).data;
  // the numbers the tools list says, not the text a URL's query would coerce
  expect(await tools.refused('get_report_summary', { top: '5' })).toMatch(/expected number, received string at top$/);
  expect(await tools.refused('get_health', { newest: true })).toMatch(/expected number, received boolean at newest$/);
  expect(summary).toMatchObject({ purchases: 2, sales: 2 });
  expect(summary.by_currency).toEqual([expect.objectContaining({ currency: 'USD', revenue: { value: '290.00', value_minor: 29000 }, commission: { value: '58.00', value_minor: 5800 } })]);
  expect(summary.top_affiliates).toEqual([expect.objectContaining({ affiliate_id: ada.id, sales: 2, commission: { value: '58.00', value_minor: 5800 } })]);
  // both sales happened on the clock's yesterday (it moved a day for the payout)
  const yesterday = new Date(t.clock.now.getTime() - DAY).toISOString().slice(0, 10);
  const daily = (await tools.ok('get_daily_report', { from: yesterday, affiliate_id: ada.id })).data;
  const day = daily.days.find((d: { date: string }) => d.date === yesterday);
  expect(day).toMatchObject({ purchases: 2, sales: 2 });
  expect(day.by_currency).toEqual([expect.objectContaining({ currency: 'USD', revenue: { value: '290.00', value_minor: 29000 }, commission: { value: '58.00', value_minor: 5800 } })]);
  expect(daily.totals.by_currency).toEqual(day.by_currency);
  const verified = (await tools.ok('verify_ledger')).data;
  expect(verified.ok).toBe(true);

  // what needs attention, and a batch of what is payable: a new 150.00 sale (30.00 at Ada's 20 %), a day later
  const health = (await tools.ok('get_health')).data;
  expect(health).toMatchObject({ ok: true });
  expect((await tools.ok('replay_failed_events', { status: 'failed' })).data).toMatchObject({ replayed: 0, remaining: 0 });
  await tools.ok('create_conversion', { type: 'purchase', referral_code: 'ADA-42', base_value: 150, email: 'third@buyers.test' });
  t.clock.now = new Date(t.clock.now.getTime() + DAY);
  expect((await tools.ok('list_eligible_payouts')).data).toEqual([expect.objectContaining({ affiliate_id: ada.id, currency: 'USD', eligible_minor: 3000 })]);
  const batch = (await tools.ok('create_payout_batch', {})).data;
  expect(batch).toMatchObject({ payouts_count: 1, totals: [{ currency: 'USD', count: 1, amount: '30.00', amount_minor: 3000 }] });
  expect((await tools.ok('get_payout_batch', { id: batch.id })).data.lines).toEqual([expect.objectContaining({ affiliate_id: ada.id, amount_minor: 3000, status: 'pending' })]);
  expect(await tools.refused('create_payout_batch', {})).toMatch(/\(HTTP 409\)$/);
  return tools;
}
