import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Amounts are kept in minor units of the project's currency. A currency changed alone read them in the new one: a
 * minimum of ¥1,000 became 10.00 USD, then 1.000 KWD, with no word said. The currency now changes only with the amounts
 * still set restated in the same request, or none left.
 */
describe("changing a program's currency before its first conversion", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('takes the currency alone while no amount is set, and with the amounts restated in it otherwise', async () => {
    const project = await createProjectViaApi(t.app);
    const settings = (body: Record<string, unknown>) => request(t.app).patch('/api/v1/settings').set({ Authorization: `Bearer ${project.apiKey}` }).send(body);
    // a percentage and no minimum: nothing to carry over
    expect((await settings({ currency: 'JPY' }).expect(200)).body.data).toMatchObject({ currency: 'JPY', minimum_payout: 0, commission_type: 'percentage' });

    await settings({ minimum_payout: 1000, commission_type: 'fixed', commission_value: 500 }).expect(200);
    const refused = await settings({ currency: 'USD' }).expect(409);
    expect(refused.body).toEqual({
      success: false,
      error: 'currency: amounts are set in JPY (minimum_payout 1000; commission_value 500): give minimum_payout and commission_value in USD in the same request, and change or clear the other fixed amounts first',
    });
    expect((await settings({ currency: 'USD', minimum_payout: 1000 }).expect(409)).body.error).toMatch(/^currency: amounts are set in JPY \(commission_value 500\)/);
    // nothing changed meanwhile
    expect((await settings({}).expect(200)).body.data).toMatchObject({ currency: 'JPY', minimum_payout: 1000, minimum_payout_minor: 1000, commission_value: 500 });

    expect((await settings({ currency: 'USD', minimum_payout: '10.00', commission_value: 5 }).expect(200)).body.data).toMatchObject({
      currency: 'USD',
      minimum_payout: 10,
      minimum_payout_minor: 1000,
      commission_type: 'fixed',
      commission_value: 5,
    });
    // or back to a percentage, which is no amount
    expect((await settings({ currency: 'EUR', minimum_payout: 0, commission_type: 'percentage', commission_value: 20 }).expect(200)).body.data).toMatchObject({ currency: 'EUR', minimum_payout: 0 });

    // a fixed override of an affiliate's is in the old currency too: changed or cleared first
    await request(t.app).post('/api/v1/affiliates').set({ Authorization: `Bearer ${project.apiKey}` }).send({ email: 'fix@partners.test', commission_type: 'fixed', commission_value: 3 }).expect(201);
    expect((await settings({ currency: 'GBP' }).expect(409)).body.error).toMatch(/^currency: amounts are set in EUR \(1 affiliate overrides with a fixed amount\)/);
  });
});
