import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * PRODUCT.md §11, Bounds: amounts above 10^15 minor units, values above their base and negative values are refused
 * with 400 naming the field, and nothing stored changes; no aggregate can overflow.
 */
describe('money bounds', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  let affiliateId: string;
  const auth = () => ({ Authorization: `Bearer ${project.apiKey}` });
  const snapshot = async () =>
    JSON.stringify(
      await Promise.all(
        ['projects', 'affiliates', 'product_rules', 'conversions'].map((table) => tdb.db.sql.query(`SELECT * FROM ${table} ORDER BY id`)),
      ),
      (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
    );

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    project = await createProjectViaApi(t.app);
    affiliateId = (await request(t.app).post('/api/v1/affiliates').set(auth()).send({ email: 'one@p.test', referral_code: 'ONE' }).expect(201)).body.data.id;
  });
  afterAll(async () => tdb.drop());

  // USD: 10^15 minor units are 10,000,000,000,000.00
  const OVER = '10000000000000.01';
  const NEAR_2_63 = '92233720368547758.07';

  it.each([
    ['patch', '/api/v1/settings', { commission_type: 'fixed', commission_value: OVER }, 'commission_value: must be at most 10000000000000.00 USD'],
    ['patch', '/api/v1/settings', { minimum_payout: NEAR_2_63 }, 'minimum_payout: must be at most 10000000000000.00 USD'],
    ['patch', '/api/v1/settings', { minimum_payout: -1 }, 'minimum_payout: must not be negative'],
    ['post', '/api/v1/affiliates', { email: 'big@p.test', commission_type: 'fixed', commission_value: NEAR_2_63 }, 'commission_value: must be at most 10000000000000.00 USD'],
    ['patch', '/api/v1/affiliates/one%40p.test', { commission_type: 'fixed', commission_value: 1e14 }, 'commission_value: must be at most 10000000000000.00 USD'],
    ['post', '/api/v1/products', { product_id: 'prod_big', commission_type: 'fixed', commission_value: OVER }, 'commission_value: must be at most 10000000000000.00 USD'],
    ['post', '/api/v1/conversions', { type: 'purchase', referral_code: 'ONE', base_value: NEAR_2_63 }, 'base_value: must be at most 10000000000000.00 USD'],
    ['post', '/api/v1/conversions', { type: 'purchase', referral_code: 'ONE', base_value: 10, value: OVER }, 'value: must be at most 10000000000000.00 USD'],
    ['post', '/api/v1/conversions', { type: 'purchase', referral_code: 'ONE', base_value: 10, value: -5 }, 'value: must not be negative'],
    ['post', '/api/v1/conversions', { type: 'purchase', referral_code: 'ONE', base_value: -10 }, 'base_value: must not be negative'],
    ['post', '/api/v1/conversions', { type: 'purchase', referral_code: 'ONE', base_value: 10, value: 10.01 }, /^value: must not exceed base_value \(10\.00 USD\)/],
    ['post', '/api/v1/conversions', { type: 'signup', referral_code: 'ONE', value: 5 }, /^value: must not exceed base_value \(0\.00 USD\)/],
  ] as const)('%s %s %j → 400, nothing stored changes', async (method, path, body, error) => {
    const before = await snapshot();
    const res = await request(t.app)[method](path).set(auth()).send(body).expect(400);
    expect(res.body).toEqual({ success: false, error: typeof error === 'string' ? error : expect.stringMatching(error) });
    expect(await snapshot()).toBe(before);
  });

  it('takes amounts up to the bound, and a manual value up to its base', async () => {
    const settings = await request(t.app).patch('/api/v1/settings').set(auth()).send({ minimum_payout: '10000000000000.00' }).expect(200);
    expect(settings.body.data).toMatchObject({ minimum_payout_minor: 1e15, minimum_payout_formatted: '10000000000000.00' });
    await request(t.app).patch('/api/v1/settings').set(auth()).send({ minimum_payout: 0 }).expect(200);
    const made = await request(t.app).post('/api/v1/conversions').set(auth()).send({ type: 'purchase', referral_code: 'ONE', base_value: 10, value: 10 }).expect(201);
    expect(made.body.data).toMatchObject({ value_minor: 1000, base_value_minor: 1000 });

    // an update keeps value within base, whichever of the two it changes
    const before = await snapshot();
    const lower = await request(t.app).put(`/api/v1/conversions/${made.body.data.id}`).set(auth()).send({ base_value: 9.99 }).expect(400);
    expect(lower.body.error).toMatch(/^value: must not exceed base_value \(9\.99 USD\)/);
    await request(t.app).put(`/api/v1/conversions/${made.body.data.id}`).set(auth()).send({ value: 10.5 }).expect(400);
    await request(t.app).put(`/api/v1/conversions/${made.body.data.id}`).set(auth()).send({ value: -1 }).expect(400);
    expect(await snapshot()).toBe(before);
    const both = await request(t.app).put(`/api/v1/conversions/${made.body.data.id}`).set(auth()).send({ base_value: 20, value: 15 }).expect(200);
    expect(both.body.data).toMatchObject({ value_minor: 1500, base_value_minor: 2000 });
    await request(t.app).delete(`/api/v1/conversions/${made.body.data.id}`).set(auth()).expect(204);
  });

  it('sums stored amounts however large: the summary, the affiliate list, payouts', async () => {
    // rows stored before the bound existed, near 2^63 each: their sums do not fit a bigint
    const big = 9_000_000_000_000_000_000n;
    for (let i = 0; i < 2; i++) {
      await tdb.db.sql.query(
        `INSERT INTO conversions (project_id, affiliate_id, kind, currency, amount_minor, base_value_minor, value_minor, attribution, occurred_at, hold_until, updated_at)
         VALUES ($1, $2, 'purchase', 'USD', $3, $3, $3, '{"method":"manual","trace":[]}', now() - interval '60 days', now() - interval '30 days', now())`,
        [project.id, affiliateId, big.toString()],
      );
    }
    const sum = (2n * big).toString();
    const major = `${sum.slice(0, -2)}.${sum.slice(-2)}`;
    const summary = await request(t.app).get('/api/v1/reports/summary').set(auth()).expect(200);
    expect(summary.body.data.by_currency).toEqual([expect.objectContaining({ currency: 'USD', revenue: expect.objectContaining({ value: major }), commission: expect.objectContaining({ value: major }) })]);
    expect(summary.body.data.top_affiliates[0].commission.value).toBe(major);
    const list = await request(t.app).get('/api/v1/affiliates').set(auth()).expect(200);
    expect(list.body.data[0]).toMatchObject({ total_earnings: major, eligible_earnings: major });
    const payout = await request(t.app).post('/api/v1/payouts').set(auth()).send({ affiliate_id: affiliateId, method: 'manual' }).expect(409);
    expect(payout.body.error).toBe(`the eligible balance ${major} USD is more than one payout can hold`);
    await request(t.app).get('/api/v1/payouts').set(auth()).expect(200);
  });

  it('answers every *_minor total past 2^53 with all its digits, as its decimal string says', async () => {
    // eleven commissions at the bound's edge: one affiliate's total is past Number.MAX_SAFE_INTEGER
    const own = await createProjectViaApi(t.app, 'Big');
    const key = { Authorization: `Bearer ${own.apiKey}` };
    await request(t.app).patch('/api/v1/settings').set(key).send({ commission_type: 'percentage', commission_value: 100, hold_days: 0 }).expect(200);
    const big = (await request(t.app).post('/api/v1/affiliates').set(key).send({ email: 'big@p.test', referral_code: 'BIG' }).expect(201)).body.data.id;
    for (let i = 0; i < 11; i++) {
      await request(t.app).post('/api/v1/conversions').set(key).send({ type: 'purchase', referral_code: 'BIG', base_value: '9999999999999.99', value: '9999999999999.99' }).expect(201);
    }
    const exact = '10999999999999989';
    expect(BigInt(exact) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    // the raw text: JSON.parse would round it again
    const raw = async (path: string, method: 'get' | 'post' = 'get', body?: object) => (await request(t.app)[method](path).set(key).send(body).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => done(null, text));
    })).body as string;
    const affiliate = await raw('/api/v1/affiliates/big%40p.test');
    expect(affiliate).toContain('"total_earnings":"109999999999999.89"');
    expect(affiliate).toContain(`"total_earnings_minor":${exact}`);
    expect(affiliate).toContain(`"eligible_earnings_minor":${exact}`);
    expect(await raw('/api/v1/reports/summary')).toContain(`"value":"109999999999999.89","value_minor":${exact}`);
    const payout = await raw('/api/v1/payouts', 'post', { affiliate_id: big, method: 'manual' });
    expect(payout).toContain(`"amount_minor":${exact}`);
    // a total within 2^53 stays a plain number, and the answer is still JSON
    expect(JSON.parse(payout).data.conversions_count).toBe(11);
  });
});
