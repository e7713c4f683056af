import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** PRODUCT.md §11: JSON numbers that are not exact are refused with 400; so is JSON nested past MAX_JSON_DEPTH. */
describe('API request bodies', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };

  const send = (method: 'post' | 'patch', path: string, text: string, token = project.apiKey) =>
    request(t.app)[method](path).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(text);
  const affiliates = async () => Number((await tdb.db.sql.query<{ n: bigint }>('SELECT count(*) AS n FROM affiliates'))[0]!.n);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    project = await createProjectViaApi(t.app);
  });
  afterAll(async () => tdb.drop());

  it.each([
    ['a 3,000-deep object', `{"email":"deep@p.test","payout_details":${'{"a":'.repeat(2999)}{}${'}'.repeat(2999)}}`, 'payout_details: nested deeper than 64 levels'],
    ['a 65-deep array', `{"email":"deep@p.test","payout_details":{"x":${'['.repeat(64)}${']'.repeat(64)}}}`, 'payout_details: nested deeper than 64 levels'],
    [
      'an integer beyond 2^53',
      '{"email":"big@p.test","commission_type":"fixed","commission_value":9223372036854775807}',
      'commission_value: the number 9223372036854775807 is too large (at most 9007199254740991)',
    ],
    [
      'an integer JSON.parse rounds',
      '{"email":"big@p.test","commission_type":"fixed","commission_value":9007199254740993}',
      'commission_value: the number 9007199254740993 is too large (at most 9007199254740991)',
    ],
    [
      'a decimal JSON.parse rounds to a valid amount',
      '{"email":"round@p.test","commission_type":"fixed","commission_value":10.000000000000000001}',
      'commission_value: the number 10.000000000000000001 has more digits than can be read exactly; an amount can be sent as a decimal string, e.g. "12.34"',
    ],
  ])('refuse %s with 400 naming the field, storing nothing', async (_name, text, error) => {
    const res = await send('post', '/api/v1/affiliates', text).expect(400);
    expect(res.body).toEqual({ success: false, error });
    expect(await affiliates()).toBe(0);
  });

  it('refuse a body its Content-Encoding does not decode with 400 saying so, not the decompressor\'s words', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await request(t.app).post('/api/v1/affiliates').set('Authorization', `Bearer ${project.apiKey}`).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('{"email":"z@p.test"}');
      expect([encoding, res.status, res.body]).toEqual([encoding, 400, { success: false, error: `request body is not valid ${encoding} (Content-Encoding: ${encoding})` }]);
    }
    expect(await affiliates()).toBe(0);
  });

  it('take the same amounts as strings, or as numbers a double holds', async () => {
    await send('post', '/api/v1/affiliates', '{"email":"ok@p.test","commission_type":"fixed","commission_value":12.50,"payout_details":{"wise":{"recipient":{"country":"DE"}}}}').expect(201);
    expect(await affiliates()).toBe(1);
  });

  it('hold everywhere the API parses JSON: settings, the admin API', async () => {
    const deep = `{"commission_value":${'['.repeat(3000)}${']'.repeat(3000)}}`;
    expect((await send('patch', '/api/v1/settings', deep).expect(400)).body).toEqual({ success: false, error: 'commission_value: nested deeper than 64 levels' });
    const settings = (await request(t.app).get('/api/v1/settings').set('Authorization', `Bearer ${project.apiKey}`).expect(200)).body.data;
    expect((await send('patch', '/api/v1/settings', '{"minimum_payout":1e400}').expect(400)).body.error).toMatch(/^minimum_payout: the number 1e400 is too large \(at most 9007199254740991\)$/);
    // no advice a field would refuse (an integer field takes no string): a number past 2^53 is too large
    expect((await send('patch', '/api/v1/settings', '{"cookie_days":1e400}').expect(400)).body.error).toBe('cookie_days: the number 1e400 is too large (at most 9007199254740991)');
    expect((await request(t.app).get('/api/v1/settings').set('Authorization', `Bearer ${project.apiKey}`).expect(200)).body.data).toEqual(settings);
    const admin = await send('post', '/api/admin/projects', `{"name":"Deep","extra":${'{"a":'.repeat(99)}{}${'}'.repeat(99)}}`, ADMIN_TOKEN).expect(400);
    expect(admin.body).toEqual({ success: false, error: 'extra: nested deeper than 64 levels' });
  });
});
