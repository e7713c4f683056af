import request from 'supertest';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';

const SECRET = 'whsec_payouts_secret_0123';
const DAY = 86_400_000;

/**
 * Issue 8's "done when", through HTTP: hold periods, a payout of exactly the eligible balance, its completion,
 * a refund after payout carried forward as a negative balance into the next payout, failures and concurrent
 * requests, and the ledger proof agreeing throughout.
 */
describe('earnings: holds, payouts, clawbacks', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  let partnerId: string;
  let sequence = 0;
  const api = () => ({ Authorization: `Bearer ${key}` });
  const later = (days: number) => (t.clock.now = new Date(t.clock.now.getTime() + days * DAY));

  /** A $40 Stripe checkout (20% → $8.00 commission) by `customer`, referred by `code`, happening now. */
  const purchase = async (code: string, customer = `cus_${++sequence}`) => {
    const payment = `pi_payout_test_${++sequence}`;
    await deliver(
      stripeEvent('checkout.session.completed.payment.json', (o) => {
        o.id = `cs_${payment}`;
        o.payment_intent = payment;
        o.customer = customer;
        o.metadata = { referral_code: code };
        o.client_reference_id = null;
        o.customer_details.email = `${customer}@buyers.test`;
      }),
    );
    return payment;
  };
  const refund = (payment: string, amount: number) =>
    deliver(stripeEvent('charge.refunded.json', (o) => ((o.id = `ch_${payment}`), (o.payment_intent = payment), (o.customer = null), (o.amount_refunded = amount))));
  const deliver = async (payload: Record<string, any>) => {
    payload.created = Math.floor(t.clock.now.getTime() / 1000);
    const body = JSON.stringify(payload);
    await request(t.app).post(`/webhook/stripe/${projectId}`).set(stripeAdapter.sign(body, SECRET, { now: t.clock.now })).send(body).expect(200);
    await t.runner.idle();
  };
  const affiliate = async (email = 'partner@acme.test') => (await request(t.app).get(`/api/v1/affiliates/${encodeURIComponent(email)}`).set(api()).expect(200)).body.data;
  const payout = (body: Record<string, unknown>) => request(t.app).post('/api/v1/payouts').set(api()).send(body);
  const verify = async () => {
    const res = await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200);
    expect(res.body.data.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { outboundAllowPrivate: true });
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20, hold_days: 30 }).expect(200);
    const created = await request(t.app)
      .post('/api/v1/affiliates')
      .set(api())
      .send({ email: 'partner@acme.test', referral_code: 'PARTNER', payout_method: 'paypal', paypal_email: 'Pay@Partner.test' })
      .expect(201);
    partnerId = created.body.data.id;
    expect(created.body.data).toMatchObject({ payout_method: 'paypal', paypal_email: 'pay@partner.test', hold_days: null });
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('holds a new commission for hold_days, with its release date; nothing is payable meanwhile', async () => {
    const hook = await request(t.app).post('/api/v1/webhooks').set(api()).send({ url: 'http://127.0.0.1:9/hooks', events: ['referral_converted'], payload_format: 'refwire-v1' }).expect(201);
    await purchase('PARTNER');
    // the merchant's webhook says how the affiliate wants to be paid, as Refgrow's payloads do
    const [delivery] = (await request(t.app).get(`/api/v1/webhooks/${hook.body.data.id}/deliveries`).set(api()).expect(200)).body.data;
    expect(delivery.payload.data.affiliate).toEqual({
      id: partnerId,
      email: 'partner@acme.test',
      referral_code: 'PARTNER',
      status: 'active',
      payout_method: 'paypal',
      paypal_email: 'pay@partner.test',
      wise_email: null,
    });
    await request(t.app).delete(`/api/v1/webhooks/${hook.body.data.id}`).set(api()).expect(204);
    const held = await affiliate();
    expect(held).toMatchObject({ held_earnings: '8.00', eligible_earnings: '0.00', unpaid_earnings: '8.00', paid_earnings: '0.00', total_earnings: '8.00' });
    expect(new Date(held.next_release_date).getTime()).toBe(t.clock.now.getTime() - (t.clock.now.getTime() % 1000) + 30 * DAY);
    const refused = await payout({ affiliate_id: partnerId }).expect(409);
    expect(refused.body).toEqual({ success: false, error: expect.stringMatching(/^nothing eligible to pay in USD/) });

    // changing the setting does not move a hold already fixed
    await request(t.app).patch('/api/v1/settings').set(api()).send({ hold_days: 90 }).expect(200);
    expect((await affiliate()).next_release_date).toBe(held.next_release_date);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ hold_days: 30 }).expect(200);
    await verify();
  });

  it('pays exactly the eligible balance once the hold ends, respecting minimum_payout, and completes', async () => {
    later(31);
    expect(await affiliate()).toMatchObject({ held_earnings: '0.00', eligible_earnings: '8.00', next_release_date: null });
    await request(t.app).patch('/api/v1/settings').set(api()).send({ minimum_payout: 10 }).expect(200);
    const below = await payout({ affiliate_id: partnerId }).expect(409);
    expect(below.body.error).toBe('the eligible balance 8.00 USD is below minimum_payout 10.00');
    await request(t.app).patch('/api/v1/settings').set(api()).send({ minimum_payout: 5 }).expect(200);

    const created = await payout({ affiliate_id: partnerId }).expect(201);
    expect(created.body.data).toMatchObject({
      affiliate_id: partnerId,
      amount: '8.00',
      amount_minor: 800,
      currency: 'USD',
      method: 'paypal',
      status: 'pending',
      destination: { paypal_email: 'pay@partner.test' },
      conversions_count: 1,
    });
    const id = created.body.data.id;
    expect(await affiliate()).toMatchObject({ eligible_earnings: '0.00', processing_earnings: '8.00', unpaid_earnings: '8.00', paid_earnings: '0.00' });
    await payout({ affiliate_id: partnerId }).expect(409);
    await verify();

    const completed = await request(t.app).post(`/api/v1/payouts/${id}/complete`).set(api()).send({ reference: 'PAYPAL-BATCH-1' }).expect(200);
    expect(completed.body.data).toMatchObject({ status: 'completed', reference: 'PAYPAL-BATCH-1', completed_at: t.clock.now.toISOString() });
    // a retried completion answers the same; a failure after completion is refused
    await request(t.app).post(`/api/v1/payouts/${id}/complete`).set(api()).send({ reference: 'PAYPAL-BATCH-1' }).expect(200);
    await request(t.app).post(`/api/v1/payouts/${id}/complete`).set(api()).send({}).expect(200);
    // another reference is not a retry: refused, and the payout keeps the one it was completed with
    const other = await request(t.app).post(`/api/v1/payouts/${id}/complete`).set(api()).send({ reference: 'PAYPAL-BATCH-2' }).expect(409);
    expect(other.body).toEqual({ success: false, error: 'the payout was already completed with the reference "PAYPAL-BATCH-1"; it does not change' });
    expect((await request(t.app).get(`/api/v1/payouts/${id}`).set(api()).expect(200)).body.data.reference).toBe('PAYPAL-BATCH-1');
    const late = await request(t.app).post(`/api/v1/payouts/${id}/fail`).set(api()).send({ reason: 'bounced' }).expect(409);
    expect(late.body.error).toMatch(/the payout is completed/);
    expect(await affiliate()).toMatchObject({ paid_earnings: '8.00', processing_earnings: '0.00', unpaid_earnings: '0.00', total_earnings: '8.00' });

    const detail = await request(t.app).get(`/api/v1/payouts/${id}`).set(api()).expect(200);
    expect(detail.body.data.conversions).toEqual([expect.objectContaining({ status: 'paid', payout_id: id, value: 8 })]);
    await verify();
  });

  it('a refund after payout leaves a negative balance, carried into the next payout', async () => {
    const [paid] = (await request(t.app).get(`/api/v1/conversions?affiliate_id=${partnerId}&kind=purchase`).set(api()).expect(200)).body.data;
    await refund(paid.payment_key, 4000);
    expect(await affiliate()).toMatchObject({ paid_earnings: '8.00', eligible_earnings: '-8.00', unpaid_earnings: '-8.00', total_earnings: '0.00' });
    const nothing = await payout({ affiliate_id: partnerId }).expect(409);
    expect(nothing.body.error).toMatch(/eligible USD balance is -8.00: refunds after earlier payouts are carried forward/);
    // the paid row itself is untouched
    expect((await request(t.app).get(`/api/v1/conversions/${paid.id}`).set(api()).expect(200)).body.data).toMatchObject({ status: 'paid', value: 8 });

    await purchase('PARTNER');
    await purchase('PARTNER');
    later(31);
    const next = await payout({ affiliate_id: partnerId }).expect(201);
    expect(next.body.data).toMatchObject({ amount: '8.00', conversions_count: 3 });
    await verify();

    // a failed payout lets its rows go: eligible again, and payable again
    const failed = await request(t.app).post(`/api/v1/payouts/${next.body.data.id}/fail`).set(api()).send({ reason: 'PayPal account closed' }).expect(200);
    expect(failed.body.data).toMatchObject({ status: 'failed', failure_reason: 'PayPal account closed', conversions_count: 0, amount: '8.00' });
    await request(t.app).post(`/api/v1/payouts/${next.body.data.id}/fail`).set(api()).send({ reason: 'PayPal account closed' }).expect(200);
    const otherReason = await request(t.app).post(`/api/v1/payouts/${next.body.data.id}/fail`).set(api()).send({ reason: 'bounced' }).expect(409);
    expect(otherReason.body.error).toBe('the payout was already failed with the reason "PayPal account closed"; it does not change');
    expect(await affiliate()).toMatchObject({ eligible_earnings: '8.00', processing_earnings: '0.00' });
    const again = await payout({ affiliate_id: partnerId, method: 'manual' }).expect(201);
    await request(t.app).post(`/api/v1/payouts/${again.body.data.id}/complete`).set(api()).send({}).expect(200);
    expect(await affiliate()).toMatchObject({ paid_earnings: '16.00', eligible_earnings: '0.00', unpaid_earnings: '0.00', total_earnings: '16.00' });
    await verify();
  });

  it("a refund of a held commission reduces it directly; an affiliate's own hold_days applies to new commissions", async () => {
    const quick = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'quick@acme.test', referral_code: 'QUICK', hold_days: 0 }).expect(201);
    expect(quick.body.data.hold_days).toBe(0);
    await purchase('QUICK');
    expect(await affiliate('quick@acme.test')).toMatchObject({ held_earnings: '0.00', eligible_earnings: '8.00' });

    const held = await purchase('PARTNER');
    await refund(held, 1000);
    expect(await affiliate()).toMatchObject({ held_earnings: '6.00', eligible_earnings: '0.00' });
    await verify();
  });

  it('concurrent payout requests for one affiliate never take a commission twice', async () => {
    const racer = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'racer@acme.test', referral_code: 'RACER', hold_days: 0, payout_method: 'bank_transfer', payout_details: { iban: 'DE89370400440532013000' } }).expect(201);
    await purchase('RACER');
    await purchase('RACER');
    const answers = await Promise.all([1, 2, 3, 4].map(() => payout({ affiliate_id: racer.body.data.id })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409]);
    const won = answers.find((a) => a.status === 201)!.body.data;
    expect(won).toMatchObject({ amount: '16.00', conversions_count: 2, method: 'bank_transfer', destination: { details: { iban: 'DE89370400440532013000' } } });
    const list = await request(t.app).get(`/api/v1/payouts?affiliate_id=${racer.body.data.id}&status=pending`).set(api()).expect(200);
    expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([won.id]);
    await verify();
  });

  it('the report and the CSV export agree with the conversions', async () => {
    await request(t.app).post('/api/track/click').send({ project_id: projectId, referral_code: 'PARTNER' }).expect(201);
    await request(t.app).post('/api/track/click').send({ project_id: projectId, referral_code: 'QUICK' }).expect(201);
    const all = (await request(t.app).get('/api/v1/conversions?limit=100').set(api()).expect(200)).body.data as Record<string, any>[];
    const attributed = all.filter((c) => c.affiliate_id !== null);
    const count = (kind: string) => attributed.filter((c) => c.kind === kind).length;
    const sum = (rows: Record<string, any>[], field: string) => rows.reduce((s, c) => s + c[field], 0);

    const summary = (await request(t.app).get('/api/v1/reports/summary').set(api()).expect(200)).body.data;
    expect(summary).toMatchObject({ clicks: 2, clicks_scope: 'period', purchases: count('purchase'), refunds: count('refund'), renewals: 0, signups: 0 });
    expect(summary.purchases).toBe(7);
    expect(summary.conversion_rate_bp).toBe(35_000);
    expect(summary.by_currency).toEqual([
      {
        currency: 'USD',
        revenue: { value: '280.00', value_minor: sum(attributed.filter((c) => c.kind === 'purchase'), 'amount_minor') },
        refunded: { value: '50.00', value_minor: -sum(attributed.filter((c) => c.kind === 'refund'), 'amount_minor') },
        net_revenue: { value: '230.00', value_minor: 23_000 },
        commission: { value: '46.00', value_minor: sum(attributed, 'value_minor') },
        // nothing is under review here
        commission_pending: { value: '0.00', value_minor: 0 },
        commission_rejected: { value: '0.00', value_minor: 0 },
      },
    ]);
    expect(summary.top_affiliates[0]).toMatchObject({ email: 'partner@acme.test', sales: 4, commission: { value: '22.00', value_minor: 2200 } });
    const partner = await affiliate();
    expect(partner.total_earnings_minor).toBe(summary.top_affiliates[0].commission.value_minor);

    // a period holds what occurred in it only
    const future = (await request(t.app).get(`/api/v1/reports/summary?from=${new Date(t.clock.now.getTime() + DAY).toISOString()}`).set(api()).expect(200)).body.data;
    expect(future).toMatchObject({ purchases: 0, by_currency: [], top_affiliates: [] });
    await request(t.app).get('/api/v1/reports/summary?from=yesterday').set(api()).expect(400);

    const csv = await request(t.app).get('/api/v1/reports/conversions.csv').set(api()).expect(200).expect('Content-Type', /text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    const header = lines[0]!.split(',');
    expect(header.slice(0, 4)).toEqual(['id', 'occurred_at', 'kind', 'status']);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    expect(rows).toHaveLength(all.length);
    const byId = new Map(all.map((c) => [c.id, c]));
    const major = (m: number) => `${m < 0 ? '-' : ''}${Math.floor(Math.abs(m) / 100)}.${String(Math.abs(m) % 100).padStart(2, '0')}`;
    for (const row of rows) {
      const c = byId.get(row.id)!;
      expect([row.kind, row.status, Number(row.value_minor), row.payout_id || null]).toEqual([c.kind, c.status, c.value_minor, c.payout_id]);
      // an amount is a number to a spreadsheet, a refund's negative one included (no quote before it)
      expect(row.value).toBe(major(c.value_minor));
    }
    expect(rows.some((r) => r.value!.startsWith('-'))).toBe(true);
    await verify();
  });

  it('the ledger proof catches a payout that disagrees with its rows', async () => {
    const [completed] = (await request(t.app).get('/api/v1/payouts?status=completed').set(api()).expect(200)).body.data;
    const failing = async () =>
      (await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name);
    await tdb.db.sql.query('UPDATE payouts SET amount_minor = amount_minor + 1 WHERE id = $1', [completed.id]);
    expect(await failing()).toEqual(["a payout's amount is the sum of the rows it took, of its affiliate and currency", 'paid equals the completed payouts plus rows marked paid by hand']);
    await tdb.db.sql.query('UPDATE payouts SET amount_minor = amount_minor - 1 WHERE id = $1', [completed.id]);
    await tdb.db.sql.query('UPDATE conversions SET paid_at = NULL WHERE id = (SELECT id FROM conversions WHERE payout_id = $1 LIMIT 1)', [completed.id]);
    expect(await failing()).toEqual(expect.arrayContaining(['a row is paid exactly when its payout completed; a failed payout holds no row']));
    await tdb.db.sql.query('UPDATE conversions SET paid_at = $2 WHERE payout_id = $1 AND paid_at IS NULL', [completed.id, t.clock.now]);
    await verify();
  });

  it('refuses bad input with the reason', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{}, 400, /affiliate_id/],
      [{ affiliate_id: '00000000-0000-4000-8000-000000000000' }, 404, /affiliate not found/],
      [{ affiliate_id: partnerId, method: 'cheque' }, 400, /method/],
      [{ affiliate_id: partnerId, currency: 'usd1' }, 400, /currency/],
    ];
    for (const [body, status, message] of cases) {
      const res = await payout(body).expect(status);
      expect(res.body).toEqual({ success: false, error: expect.stringMatching(message) });
    }
    const noMethod = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'nomethod@acme.test', referral_code: 'NOMETHOD' }).expect(201);
    // no payout method and nothing eligible: the refusal is the balance's, not the method's (a manual payout, as in a batch)
    expect((await payout({ affiliate_id: noMethod.body.data.id }).expect(409)).body.error).toMatch(/^nothing eligible/);
    await request(t.app).post('/api/v1/payouts/not-an-id/complete').set(api()).send({}).expect(400);
    await request(t.app).get('/api/v1/payouts/00000000-0000-4000-8000-000000000000').set(api()).expect(404);
  });

  // last: the other tests count this file's purchases
  it('a held commission refunded in full leaves nothing on hold, and no release date', async () => {
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'slow@acme.test', referral_code: 'SLOW' }).expect(201);
    const gone = await purchase('SLOW');
    expect((await affiliate('slow@acme.test')).next_release_date).not.toBeNull();
    await refund(gone, 4000);
    expect(await affiliate('slow@acme.test')).toMatchObject({ held_earnings: '0.00', total_earnings: '0.00', next_release_date: null });
    await verify();
  });

  it('the next release skips a date on which a refunded held commission nets to nothing', async () => {
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'twice@acme.test', referral_code: 'TWICE' }).expect(201);
    const refunded = await purchase('TWICE');
    const firstRelease = (await affiliate('twice@acme.test')).next_release_date;
    t.clock.now = new Date(t.clock.now.getTime() + 5 * DAY);
    await purchase('TWICE');
    const laterRelease = new Date(Math.floor(t.clock.now.getTime() / 1000) * 1000 + 30 * DAY).toISOString();
    expect((await affiliate('twice@acme.test')).next_release_date).toBe(firstRelease);
    await refund(refunded, 4000);
    expect(await affiliate('twice@acme.test')).toMatchObject({ held_earnings: '8.00', next_release_date: laterRelease });
    await verify();
  });

  it('an Idempotency-Key makes a retry, or two requests at once, answer one payout; the key with another request is refused', async () => {
    const twin = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'twin@acme.test', referral_code: 'TWIN', hold_days: 0, payout_method: 'paypal', paypal_email: 'twin@paypal.test' }).expect(201);
    await purchase('TWIN');
    const send = (body: Record<string, unknown>, key: string) => request(t.app).post('/api/v1/payouts').set(api()).set('Idempotency-Key', key).send(body);
    const [a, b] = await Promise.all([send({ affiliate_id: twin.body.data.id }, 'pay-twin-1'), send({ affiliate_id: twin.body.data.id }, 'pay-twin-1')]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.data).toEqual(b.body.data);
    expect(a.body.data).toMatchObject({ amount: '8.00', conversions_count: 1, method: 'paypal' });
    // commissions earned since do not turn a late retry into a second payout
    await purchase('TWIN');
    const late = await send({ affiliate_id: twin.body.data.id }, 'pay-twin-1').expect(200);
    expect(late.body.data).toEqual(a.body.data);
    expect((await send({ affiliate_id: twin.body.data.id, method: 'manual' }, 'pay-twin-1').expect(422)).body).toEqual({
      success: false,
      error: `Idempotency-Key: already used for another request (payout ${a.body.data.id}); a retry must send the same affiliate_id, currency and method`,
    });
    // another key is another request: it takes what came in since
    expect((await send({ affiliate_id: twin.body.data.id }, 'pay-twin-2').expect(201)).body.data).toMatchObject({ amount: '8.00', conversions_count: 1 });
    expect((await send({ affiliate_id: twin.body.data.id }, ' ').expect(400)).body).toEqual({ success: false, error: 'Idempotency-Key: must be 1 to 255 characters' });
    const list = await request(t.app).get(`/api/v1/payouts?affiliate_id=${twin.body.data.id}`).set(api()).expect(200);
    expect(list.body.data).toHaveLength(2);
    await verify();
  });
  it("a refund waiting for a pending payout counts in the balance a payout may take: what is owed back is not paid out meanwhile", async () => {
    const quin = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'quin@acme.test', referral_code: 'QUIN', hold_days: 0, payout_method: 'paypal', paypal_email: 'quin@paypal.test' }).expect(201)).body.data;
    const first = await purchase('QUIN');
    const held = (await payout({ affiliate_id: quin.id }).expect(201)).body.data;
    expect(held).toMatchObject({ amount: '8.00', status: 'pending' });
    // refunded in full while its payout is pending: the reversal waits for it; a new commission of 8.00 comes in
    await refund(first, 4000);
    await purchase('QUIN');
    expect(await affiliate('quin@acme.test')).toMatchObject({ eligible_earnings: '0.00', processing_earnings: '8.00' });
    const preview = (await request(t.app).get('/api/v1/payouts/eligible?limit=100').set(api()).expect(200)).body.data.find((i: any) => i.affiliate_id === quin.id);
    expect(preview).toMatchObject({ eligible_minor: 0, payable: false, not_payable_reason: 'not_positive' });
    // every route answers as the preview does: nothing to pay
    expect((await payout({ affiliate_id: quin.id }).expect(409)).body.error).toMatch(/^the eligible USD balance is 0.00/);
    const batch = await request(t.app).post('/api/v1/payout-batches').set(api()).send({ affiliate_emails: ['quin@acme.test'] }).expect(409);
    expect(batch.body.error).toMatch(/^nothing to pay: quin@acme.test USD: the eligible USD balance is 0.00/);
    // two more commissions: 16.00 eligible as shown; the payout takes the whole rows within it, not the 24.00 it could reach
    await purchase('QUIN');
    await purchase('QUIN');
    expect(await affiliate('quin@acme.test')).toMatchObject({ eligible_earnings: '16.00' });
    const second = (await payout({ affiliate_id: quin.id }).expect(201)).body.data;
    expect(second).toMatchObject({ amount: '16.00', conversions_count: 2 });
    // the first payout completes: its refund is a debt now, netted by the next payout
    await request(t.app).post(`/api/v1/payouts/${held.id}/complete`).set(api()).send({}).expect(200);
    expect(await affiliate('quin@acme.test')).toMatchObject({ eligible_earnings: '0.00', processing_earnings: '16.00', paid_earnings: '8.00', total_earnings: '24.00' });
    await verify();
  });
  it("an affiliate's bank account given by the merchant is checked and normalized as the portal does it", async () => {
    const bank = (b: Record<string, unknown>) =>
      request(t.app).post('/api/v1/affiliates').set(api()).send({ email: `bank${++sequence}@acme.test`, payout_method: 'bank_transfer', payout_details: { bank: b, note: 'kept as given' } });
    expect((await bank({ account_holder: 'B', iban: 'XX00 1234' }).expect(400)).body).toEqual({
      success: false,
      error: 'payout_details.bank.iban: not a valid IBAN (its country, length or check digits do not match)',
    });
    expect((await bank({ account_holder: 'B', iban: 'DE89 3704 0044 0532 0130 00', bic: 'nope' }).expect(400)).body.error).toBe('payout_details.bank.bic: not a valid BIC (8 or 11 letters and digits)');
    const saved = (await bank({ account_holder: 'B', iban: 'de89 3704 0044 0532 0130 00', bic: 'cobadeffxxx' }).expect(201)).body.data;
    expect(saved.payout_details).toEqual({ bank: { account_holder: 'B', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' }, note: 'kept as given' });
    const patched = await request(t.app).patch(`/api/v1/affiliates/${encodeURIComponent(saved.email)}`).set(api()).send({ payout_details: { bank: { account_holder: 'B', iban: 'not-an-iban' } } });
    expect(patched.status).toBe(400);
    // an address a batch file could only write as a formula guard, which no provider pays, is refused when given
    const formula = await request(t.app).patch(`/api/v1/affiliates/${encodeURIComponent(saved.email)}`).set(api()).send({ paypal_email: '-gina@pay.test' }).expect(400);
    expect(formula.body.error).toBe('paypal_email: must not begin with "=", "+", "-" or "@" (a spreadsheet would read the batch file\'s cell as a formula)');
  });

  it('an affiliate without a payout method is paid by hand, as in a batch', async () => {
    const plain = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'plain@acme.test', referral_code: 'PLAIN', hold_days: 0 }).expect(201);
    expect(plain.body.data.payout_method).toBeNull();
    await purchase('PLAIN');
    const made = (await payout({ affiliate_id: plain.body.data.id }).expect(201)).body.data;
    expect(made).toMatchObject({ amount: '8.00', amount_minor: 800, method: 'manual', status: 'pending', conversions_count: 1 });
    await verify();
  });
});
