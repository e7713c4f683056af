import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { payByCheckout } from '../helpers/stripe-checkout';

/** `GET /api/v1/reports/daily`: exact figures per UTC day, for the program and for one affiliate. One test clock. */
const SECRET = 'whsec_daily_report';

describe('GET /api/v1/reports/daily', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  const ids: Record<string, string> = {};
  const api = () => ({ Authorization: `Bearer ${key}` });
  const daily = (q: string) => request(t.app).get(`/api/v1/reports/daily${q}`).set(api());
  const clickAt = async (iso: string, code: string) => {
    t.clock.now = new Date(iso);
    await request(t.app).post('/api/track/click').send({ project_id: projectId, referral_code: code }).expect(201);
  };
  const m = (value: string, value_minor: number) => ({ value, value_minor });
  const zero = { clicks: 0, signups: 0, purchases: 0, renewals: 0, refunds: 0, sales: 0, conversion_rate_bp: null, by_currency: [] };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000_000 } });
    t.clock.now = new Date('2026-02-20T00:00:00Z');
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await connectProvider(t.app, key, 'stripe', SECRET);
    await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: 20 }).expect(200);
    for (const code of ['JANE', 'SAM']) {
      ids[code] = (await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: `${code.toLowerCase()}@partners.test`, referral_code: code }).expect(201)).body.data.id;
    }
    await request(t.app).post('/api/v1/coupons').set(api()).send({ affiliate_id: ids.SAM, coupon_code: 'SAM10', stripe_coupon_id: 'SAM10' }).expect(201);

    // outside the period, just before and at its end
    await clickAt('2026-02-28T23:59:59.999Z', 'JANE');
    // 1 March: two clicks for Jane (first and last millisecond), one for Sam, and Jane's referred signup
    await clickAt('2026-03-01T00:00:00.000Z', 'JANE');
    await clickAt('2026-03-01T09:00:00.000Z', 'SAM');
    t.clock.now = new Date('2026-03-01T10:00:00Z');
    await request(t.app).post('/api/track/signup').send({ project_id: projectId, email: 'buyer@c.test', referral_code: 'JANE' }).expect(201);
    await clickAt('2026-03-01T23:59:59.999Z', 'JANE');
    // 2 March: one click; Jane's customer pays 100.00 USD and 40.00 EUR; Sam's coupon 50.00 USD; one unattributed 30.00
    await clickAt('2026-03-02T00:00:00.000Z', 'SAM');
    await payByCheckout(t, projectId, SECRET, { email: 'buyer@c.test', paidAt: new Date('2026-03-02T08:00:00Z'), amount: 10_000 });
    await payByCheckout(t, projectId, SECRET, { email: 'buyer@c.test', paidAt: new Date('2026-03-02T09:00:00Z'), amount: 4_000, currency: 'eur' });
    await payByCheckout(t, projectId, SECRET, { email: 'coupon@c.test', paidAt: new Date('2026-03-02T10:00:00Z'), amount: 5_000, coupon: 'SAM10' });
    await payByCheckout(t, projectId, SECRET, { email: 'nobody@c.test', paidAt: new Date('2026-03-02T11:00:00Z'), amount: 3_000 });
    // 3 March: nothing; 4 March, past the period's end
    await clickAt('2026-03-04T00:00:00.000Z', 'JANE');
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('gives one row per UTC day of [from, to), zeros included, with money per currency and the totals', async () => {
    const res = await daily('?from=2026-03-01&to=2026-03-04').expect(200);
    expect(res.body).toEqual({
      success: true,
      data: {
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-03-04T00:00:00.000Z',
        affiliate_id: null,
        days: [
          { date: '2026-03-01', ...zero, clicks: 3, signups: 1, conversion_rate_bp: 0 },
          {
            date: '2026-03-02',
            clicks: 1,
            signups: 0,
            purchases: 3,
            renewals: 0,
            refunds: 0,
            sales: 3,
            conversion_rate_bp: 30_000,
            by_currency: [
              { currency: 'EUR', revenue: m('40.00', 4000), refunded: m('0.00', 0), net_revenue: m('40.00', 4000), commission: m('8.00', 800) },
              { currency: 'USD', revenue: m('150.00', 15_000), refunded: m('0.00', 0), net_revenue: m('150.00', 15_000), commission: m('30.00', 3000) },
            ],
          },
          { date: '2026-03-03', ...zero },
        ],
        totals: {
          clicks: 4,
          signups: 1,
          purchases: 3,
          renewals: 0,
          refunds: 0,
          sales: 3,
          conversion_rate_bp: 7500,
          by_currency: [
            { currency: 'EUR', revenue: m('40.00', 4000), refunded: m('0.00', 0), net_revenue: m('40.00', 4000), commission: m('8.00', 800) },
            { currency: 'USD', revenue: m('150.00', 15_000), refunded: m('0.00', 0), net_revenue: m('150.00', 15_000), commission: m('30.00', 3000) },
          ],
        },
      },
    });
  });

  it("gives one affiliate's stats by day", async () => {
    const jane = (await daily(`?from=2026-03-01&to=2026-03-03&affiliate_id=${ids.JANE}`).expect(200)).body.data;
    expect(jane.affiliate_id).toBe(ids.JANE);
    expect(jane.days.map((d: any) => [d.date, d.clicks, d.signups, d.purchases])).toEqual([
      ['2026-03-01', 2, 1, 0],
      ['2026-03-02', 0, 0, 2],
    ]);
    expect(jane.totals).toMatchObject({ clicks: 2, purchases: 2, conversion_rate_bp: 10_000 });
    expect(jane.totals.by_currency.map((c: any) => [c.currency, c.revenue.value, c.commission.value])).toEqual([
      ['EUR', '40.00', '8.00'],
      ['USD', '100.00', '20.00'],
    ]);
    const sam = (await daily(`?from=2026-03-01&to=2026-03-03&affiliate_id=${ids.SAM}`).expect(200)).body.data;
    expect(sam.days.map((d: any) => [d.date, d.clicks, d.purchases])).toEqual([
      ['2026-03-01', 1, 0],
      ['2026-03-02', 1, 1],
    ]);
    expect(sam.totals.by_currency).toEqual([{ currency: 'USD', revenue: m('50.00', 5000), refunded: m('0.00', 0), net_revenue: m('50.00', 5000), commission: m('10.00', 1000) }]);
  });

  it('defaults to the 30 days up to today on the app clock, and agrees with the summary of the same period', async () => {
    t.clock.now = new Date('2026-03-03T15:00:00Z');
    const data = (await daily('').expect(200)).body.data;
    expect([data.from, data.to, data.days.length]).toEqual(['2026-02-02T00:00:00.000Z', '2026-03-04T00:00:00.000Z', 30]);
    expect(data.days.at(-1).date).toBe('2026-03-03');
    expect(data.totals.clicks).toBe(5);
    const summary = (await request(t.app).get(`/api/v1/reports/summary?from=${data.from}&to=${data.to}`).set(api()).expect(200)).body.data;
    expect(summary).toMatchObject({ clicks: 5, clicks_scope: 'period', purchases: 3, signups: 1, conversion_rate_bp: 6000 });
    expect(summary.by_currency.map((c: any) => [c.currency, c.commission.value_minor])).toEqual(
      data.totals.by_currency.map((c: any) => [c.currency, c.commission.value_minor]),
    );
  });

  it.each([
    ['?from=2026-03-01T10:00:00Z&to=2026-03-04', 400, 'from: must be a whole UTC day (YYYY-MM-DD)'],
    ['?from=2026-03-04&to=2026-03-01', 400, 'from: must be before to'],
    ['?from=2025-01-01&to=2026-03-01', 400, 'to: the period is at most 366 days'],
    ['?from=yesterday', 400, 'from: must be an ISO 8601 date or date-time'],
    ['?affiliate_id=jane', 400, 'affiliate_id: must be an id'],
    ['?affiliate_id=00000000-0000-4000-8000-000000000000', 404, 'affiliate not found'],
  ])('answers %s with %i', async (q, status, error) => {
    expect((await daily(q).expect(status)).body).toEqual({ success: false, error });
  });
});
