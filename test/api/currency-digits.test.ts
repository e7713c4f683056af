import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { payByCheckout } from '../helpers/stripe-checkout';

/**
 * Major units carry ISO 4217's decimals (src/domain/currency-digits.ts): HUF and IDR are counted in hundredths by
 * ISO and the providers, although ICU displays them without decimals. Read through ICU, a HUF commission of
 * 2,000.00 Ft was shown and exported as "200000".
 */
describe('currencies whose ICU display drops decimals', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const api = () => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    ({ id: projectId, apiKey: key } = await createProjectViaApi(t.app));
    await request(t.app).patch('/api/v1/settings').set(api()).send({ hold_days: 0 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'jane@partners.test', payout_method: 'paypal', paypal_email: 'jane.pay@paypal.test' }).expect(201);
  });

  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('HUF and IQD amounts are read, shown, paid and exported with their ISO decimals', async () => {
    const huf = await request(t.app).post('/api/v1/conversions').set(api()).send({ email: 'buyer@example.test', affiliate_id: await idOf('jane'), value: '2000.50', base_value: '10002.50', base_value_currency: 'HUF' }).expect(201);
    expect(huf.body.data).toMatchObject({ value: 2000.5, value_minor: 200050, base_value: 10002.5, base_value_minor: 1000250, base_value_currency: 'HUF' });
    await request(t.app).post('/api/v1/conversions').set(api()).send({ affiliate_id: await idOf('jane'), value: '1.234', base_value: '6.170', base_value_currency: 'IQD' }).expect(201);
    const refused = await request(t.app).post('/api/v1/conversions').set(api()).send({ affiliate_id: await idOf('jane'), value: '1.005', base_value: '5.00', base_value_currency: 'HUF' }).expect(400);
    expect(refused.body.success).toBe(false);
    expect(refused.body.error).toMatch(/HUF amounts have at most 2 decimals/);

    const jane = (await request(t.app).get('/api/v1/affiliates/jane@partners.test').set(api()).expect(200)).body.data;
    const byCurrency = Object.fromEntries(jane.earnings_by_currency.map((e: { currency: string }) => [e.currency, e]));
    expect(byCurrency.HUF).toMatchObject({ eligible_earnings: '2000.50', eligible_earnings_minor: 200050 });
    expect(byCurrency.IQD).toMatchObject({ eligible_earnings: '1.234', eligible_earnings_minor: 1234 });

    const batch = (await request(t.app).post('/api/v1/payout-batches').set(api()).send({ currency: 'HUF' }).expect(201)).body.data;
    expect(batch.lines).toEqual([expect.objectContaining({ affiliate_email: 'jane@partners.test', currency: 'HUF', amount_minor: 200050, amount: '2000.50' })]);
    const paypal = await request(t.app).get(`/api/v1/payout-batches/${batch.id}/paypal.csv?currency=HUF`).set(api()).expect(200);
    expect(paypal.text).toMatch(/^jane\.pay@paypal\.test,2000\.50,HUF,/);
    expect((await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200)).body.data.ok).toBe(true);
  });

  it('a Stripe ISK payment, which Stripe counts in hundredths of a króna, earns its commission in krónur', async () => {
    await connectProvider(t.app, key, 'stripe', 'whsec_currency_digits');
    await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: 'gudrun@partners.test', commission_type: 'percentage', commission_value: 30 }).expect(201);
    await request(t.app).post('/api/v1/coupons').set(api()).send({ affiliate_id: await idOf('gudrun'), coupon_code: 'GUDRUN', stripe_coupon_id: 'GUDRUN' }).expect(201);
    // 12,990 ISK, as Stripe sends it
    await payByCheckout(t, projectId, 'whsec_currency_digits', { email: 'olafur@example.test', paidAt: new Date(), amount: 1_299_000, currency: 'isk', coupon: 'GUDRUN' });

    const gudrun = (await request(t.app).get('/api/v1/affiliates/gudrun@partners.test').set(api()).expect(200)).body.data;
    expect(gudrun.earnings_by_currency).toEqual([expect.objectContaining({ currency: 'ISK', eligible_earnings: '3897.00', eligible_earnings_minor: 389_700 })]);
  });

  async function idOf(name: string): Promise<string> {
    return (await request(t.app).get(`/api/v1/affiliates/${name}@partners.test`).set(api()).expect(200)).body.data.id;
  }
});
