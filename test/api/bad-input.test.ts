import http from 'node:http';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Input that reached PostgreSQL and failed there (a 500 where the client is at fault), found by fuzzing every
 * operation of /openapi.json: a NUL in a body, a path or a query; dates outside the years both PostgreSQL and
 * JavaScript hold; a refinement run on a field that had already failed; a cookie whose encoding is malformed. Each is
 * a 400 (or 401) naming what is wrong, and nothing stored changes.
 */
describe('bad input the database cannot hold', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };
  const api = () => ({ Authorization: `Bearer ${project.apiKey}` });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    project = await createProjectViaApi(t.app);
    await request(t.app).post('/api/v1/groups').set(api()).send({ name: 'Gold' }).expect(201);
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('refuses a NUL in a JSON body, naming the field, and keeps what is stored', async () => {
    const res = await request(t.app).post('/api/v1/groups').set(api()).set('content-type', 'application/json').send('{"name":"zz\\u0000zz"}').expect(400);
    expect(res.body).toEqual({ success: false, error: 'name: holds a NUL character (\\u0000), which no text can hold' });
    const nested = await request(t.app).post('/api/v1/affiliates').set(api()).set('content-type', 'application/json').send('{"email":"a@b.test","payout_details":{"note":"x\\u0000"}}').expect(400);
    expect(nested.body.error).toBe('payout_details.note: holds a NUL character (\\u0000), which no text can hold');
    // an escaped backslash followed by "u0000" is text, not a NUL
    const text = await request(t.app).post('/api/v1/groups').set(api()).set('content-type', 'application/json').send('{"name":"a\\\\u0000b"}').expect(201);
    expect(text.body.data.name).toBe('a\\u0000b');
    const admin = await request(t.app).post('/api/admin/projects').set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('content-type', 'application/json').send('{"name":"P\\u0000","currency":"USD"}').expect(400);
    expect(admin.body.error).toBe('name: holds a NUL character (\\u0000), which no text can hold');
    expect((await request(t.app).get('/api/v1/groups').set(api()).expect(200)).body.data.map((g: { name: string }) => g.name).slice(0, 2)).toEqual(['Gold', 'a\\u0000b']);
  });

  // jsonb refuses an unpaired surrogate, and text columns stored U+FFFD in its place
  it('refuses half of a surrogate pair in a JSON body, naming the field; a whole pair is kept', async () => {
    const half = 'holds half of a UTF-16 surrogate pair (\\ud800 to \\udfff) without the other half, which is not text';
    const portal = await request(t.app).put('/api/v1/portal').set(api()).set('content-type', 'application/json').send('{"appearance":{"title":"\\ud800"}}').expect(400);
    expect(portal.body).toEqual({ success: false, error: `appearance.title: ${half}` });
    const sale = await request(t.app).post('/api/v1/conversions').set(api()).set('content-type', 'application/json').send('{"type":"purchase","base_value":10,"coupon_code_used":"x\\udc00"}').expect(400);
    expect(sale.body).toEqual({ success: false, error: `coupon_code_used: ${half}` });
    const pair = await request(t.app).post('/api/v1/groups').set(api()).set('content-type', 'application/json').send('{"name":"Stars \\ud83c\\udf1f"}').expect(201);
    expect(pair.body.data.name).toBe('Stars \u{1F31F}');
  });

  it.each([
    ['a query filter', '/api/v1/affiliates?q=%00'],
    ['another list filter', '/api/v1/events?type=a%00b'],
    ['a path id', `/api/v1/projects/{project}/stripe-customer-referral-info/a%00b`],
  ])('refuses a NUL in %s', async (_name, path) => {
    const res = await request(t.app).get(path.replace('{project}', project.id)).set(api()).expect(400);
    expect(res.body).toEqual({ success: false, error: 'the address holds a NUL character (%00), which no id, code or filter can hold' });
  });

  it('refuses a JSON body sent as another type with 415 naming the type, instead of answering as if it had no body', async () => {
    const before = (await request(t.app).get('/api/v1/groups').set(api()).expect(200)).body.data.length;
    const plain = await request(t.app).post('/api/v1/groups').set(api()).set('content-type', 'text/plain').send('{"name":"Silver"}').expect(415);
    expect(plain.body).toEqual({ success: false, error: 'Content-Type "text/plain" is not accepted: send JSON with Content-Type: application/json' });
    // what curl -d sends without -H
    const form = await request(t.app).patch('/api/v1/settings').set(api()).set('content-type', 'application/x-www-form-urlencoded').send('{"hold_days":3}').expect(415);
    expect(form.body.error).toMatch(/^Content-Type "application\/x-www-form-urlencoded" is not accepted/);
    expect((await request(t.app).get('/api/v1/groups').set(api()).expect(200)).body.data).toHaveLength(before);
    // a bodiless write (Content-Length: 0) and JSON with a charset are still taken
    await request(t.app).post('/api/v1/groups').set(api()).set('content-type', 'application/json; charset=utf-8').send('{"name":"Silver"}').expect(201);
    await request(t.app).post('/api/v1/publishable-keys').set(api()).set('content-type', 'text/plain').set('content-length', '0').expect(201);
    const openapi = (await request(t.app).get('/openapi.json').expect(200)).body;
    expect(Object.keys(openapi.paths['/api/v1/groups'].post.responses)).toEqual(expect.arrayContaining(['413', '415']));
  });

  it('answers a caller without credentials 401 whatever its body: the body is read only once the caller is known', async () => {
    const cases: [string, string, string][] = [
      ['/api/v1/groups', 'text/plain', '{"name":"Silver"}'],
      ['/api/v1/groups', 'application/json', '{"name":'],
      ['/api/v1/groups', 'application/json', '{"amount": 9007199254740993}'],
      ['/api/store-attribution', 'application/x-www-form-urlencoded', 'email=a@b.test'],
    ];
    for (const [path, type, body] of cases) {
      const res = await request(t.app).post(path).set('content-type', type).send(body).expect(401);
      expect(res.body).toEqual({ success: false, error: 'missing API key: send Authorization: Bearer <api_key>' });
    }
    // with a key, the same bodies get what they deserve
    await request(t.app).post('/api/v1/groups').set(api()).set('content-type', 'text/plain').send('{"name":"Silver"}').expect(415);
    await request(t.app).post('/api/v1/groups').set(api()).set('content-type', 'application/json').send('{"name":').expect(400);
  });

  it('takes an empty body as no body however it is framed; a chunked one with bytes and no type is 415', async () => {
    const server = http.createServer(t.app).listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const post = (path: string, headers: Record<string, string>, chunks: string[]) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...api(), ...headers } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        for (const c of chunks) req.write(c);
        req.end();
      });
    try {
      // no bytes, chunked, no type: a bodiless write, as with Content-Length: 0
      expect((await post('/api/v1/publishable-keys', { 'Transfer-Encoding': 'chunked' }, [])).status).toBe(201);
      expect((await post('/api/v1/publishable-keys', { 'Content-Type': 'text/plain', 'Content-Length': '0' }, [])).status).toBe(201);
      const sent = await post('/api/v1/groups', { 'Transfer-Encoding': 'chunked' }, ['{"name":', '"Bronze"}']);
      expect(sent).toEqual({ status: 415, body: { success: false, error: 'a body without a Content-Type is not accepted: send JSON with Content-Type: application/json' } });
    } finally {
      server.close();
    }
  });

  it.each([
    ['/api/v1/conversions/1002', 'invalid conversion id: "1002" is not a UUID'],
    ['/api/v1/affiliates/not-an-email', 'invalid email: "not-an-email" is not an email address'],
    ['/api/v1/referrals/jane', 'invalid email: "jane" is not an email address'],
  ])("answers a malformed id or email in the path with 400, as Refgrow does: %s", async (path, error) => {
    expect((await request(t.app).get(path).set(api()).expect(400)).body).toEqual({ success: false, error });
  });

  it('names a malformed path before the body: the path is what the client got wrong first', async () => {
    expect((await request(t.app).post('/api/v1/affiliates/not-an-email/reject').set(api()).send({}).expect(400)).body.error).toBe('invalid email: "not-an-email" is not an email address');
    expect((await request(t.app).post('/api/v1/conversions/abc/reject').set(api()).send({}).expect(400)).body.error).toBe('invalid conversion id: "abc" is not a UUID');
    expect((await request(t.app).post('/api/v1/affiliates/x/links').set(api()).send({}).expect(400)).body.error).toBe('invalid email: "x" is not an email address');
    expect((await request(t.app).get('/api/v1/events/zz').set(api()).expect(400)).body.error).toBe('invalid event id: "zz" is not a UUID');
  });

  it('answers a well-formed id or email that names nothing with 404', async () => {
    expect((await request(t.app).get('/api/v1/conversions/00000000-0000-4000-8000-000000000000').set(api()).expect(404)).body.error).toBe('conversion not found');
    expect((await request(t.app).get('/api/v1/affiliates/nobody%40example.test').set(api()).expect(404)).body.error).toBe('affiliate not found');
  });

  it.each([
    ['/api/v1/events?status[]=failed&limit=1', 'status[]'],
    ['/api/v1/conversions?kind%5B%5D=refund', 'kind[]'],
    ['/api/v1/affiliates?status[0]=active', 'status[0]'],
  ])('refuses a bracketed query parameter: %s (it was ignored, and the whole list came back)', async (path, name) => {
    const res = await request(t.app).get(path).set(api()).expect(400);
    expect(res.body).toEqual({ success: false, error: `query parameter "${name}": give it once by its plain name (e.g. ${name.replace(/\[.*$/, '')}=value), without brackets` });
  });

  it('refuses a query parameter given twice, naming it, instead of an error about NaN', async () => {
    const res = await request(t.app).get('/api/v1/conversions?limit=10&limit=20').set(api()).expect(400);
    expect(res.body).toEqual({ success: false, error: 'query parameter "limit": give it once (it came 2 times)' });
  });

  it.each([
    ['/api/v1/conversions?from=0000-01-01', 'from: must be a date between the years 1 and 9999'],
    ['/api/v1/events?to=0000-01-01', 'to: must be a date between the years 1 and 9999'],
    ['/api/v1/audit-log?from=0000-01-01', 'from: must be a date between the years 1 and 9999'],
    ['/api/v1/reports/summary?from=-000001-01-01T00:00:00Z', 'from: must be a date between the years 1 and 9999'],
    ['/api/v1/reports/conversions.csv?from=0000-01-01', 'from: must be a date between the years 1 and 9999'],
    ['/api/v1/conversions?from=yesterday', 'from: must be an ISO 8601 date or date-time'],
  ])('refuses a date out of range: %s', async (path, error) => {
    const res = await request(t.app).get(path).set(api()).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body).toEqual({ success: false, error });
  });

  it('says an empty text is empty, in the words of the other fields, not zod\'s own', async () => {
    const empty = await request(t.app).post('/api/v1/products').set(api()).send({ product_id: 'prod_empty', commission_type: 'percentage', commission_value: '' }).expect(400);
    expect(empty.body).toEqual({ success: false, error: 'commission_value: must not be empty' });
    expect((await request(t.app).post('/api/v1/groups').set(api()).send({ name: '  ' }).expect(400)).body.error).toBe('name: must not be empty');
  });

  it('says what an amount or a yes/no takes, not only that the input is invalid', async () => {
    const sale = await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', referral_code: 'X', base_value: null }).expect(400);
    expect(sale.body).toEqual({ success: false, error: 'base_value: must be an amount: a number or a decimal string, e.g. 12.50' });
    expect((await request(t.app).get('/api/v1/conversions?paid=1').set(api()).expect(400)).body).toEqual({ success: false, error: 'paid: must be true or false' });
    for (const value of [true, [], {}]) {
      const rule = await request(t.app).patch('/api/v1/settings').set(api()).send({ commission_type: 'percentage', commission_value: value }).expect(400);
      expect(rule.body.error).toBe('commission_value: must be a number or a decimal string: a percentage, e.g. 20, or for "fixed" an amount, e.g. 12.50');
    }
  });

  it('cuts an error that quotes a huge input back at 1,000 characters', async () => {
    const huge = 'x'.repeat(100_000);
    const res = await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', referral_code: 'X', base_value: huge }).expect(400);
    expect(res.body.error.length).toBe(1001);
    expect(res.body.error).toMatch(/^base_value: .*…$/);
  });

  it('names referral_code when no affiliate has it, so a form shows the error beside that field', async () => {
    const res = await request(t.app).post('/api/v1/conversions').set(api()).send({ type: 'purchase', referral_code: 'NOPE-NOBODY', base_value: 10 }).expect(404);
    expect(res.body).toEqual({ success: false, error: 'referral_code: no affiliate has this referral_code' });
  });

  it.each(['/api/v1/reports/summary', '/api/v1/reports/daily', '/api/v1/reports/conversions.csv'])('refuses a period that ends before it starts, as every report does: %s', async (path) => {
    const res = await request(t.app).get(`${path}?from=2027-01-01&to=2026-01-01`).set(api()).expect(400);
    expect(res.body).toEqual({ success: false, error: 'from: must be before to' });
  });

  const notOnCalendar = "must be a date that exists: no day past its month's last (2023-02-29, 2024-04-31), no hour past 23, no minute or second past 59";
  it.each([
    ['/api/v1/reports/summary?from=2024-02-30', 'from'],
    ['/api/v1/reports/summary?to=2023-02-29', 'to'],
    ['/api/v1/conversions?from=2024-04-31', 'from'],
    ['/api/v1/events?to=2024-01-01T24:00:00Z', 'to'],
    ['/api/v1/audit-log?from=2024-06-31T10:00:00Z', 'from'],
    ['/api/v1/reports/daily?from=2024-11-31', 'from'],
    ['/api/v1/reports/conversions.csv?to=2100-02-29', 'to'],
  ])('refuses a date the calendar does not have instead of rolling it over: %s', async (path, field) => {
    const res = await request(t.app).get(path).set(api()).expect(400);
    expect(res.body).toEqual({ success: false, error: `${field}: ${notOnCalendar}` });
  });

  it('takes the dates the calendar has, in the ISO 8601 forms, and refuses the other forms Date.parse reads', async () => {
    for (const date of ['2024-02-29', '2000-02-29', '2024-04-30T23:59:59Z', '2024-01-01T00:00:00.000+01:00', '2024-01-01 10:00', '2024-12']) {
      await request(t.app).get(`/api/v1/reports/summary?from=${encodeURIComponent(date)}`).set(api()).expect(200);
    }
    for (const date of ['Feb 1 2024', '2024/02/01', '1 January 2024']) {
      const res = await request(t.app).get(`/api/v1/reports/summary?from=${encodeURIComponent(date)}`).set(api()).expect(400);
      expect(res.body.error).toBe('from: must be an ISO 8601 date or date-time');
    }
    const recalculation = await request(t.app).post('/api/v1/conversions/recalculate').set(api()).send({ from: '2023-02-29', to: '2024-01-01' }).expect(400);
    expect(recalculation.body).toEqual({ success: false, error: `from: ${notOnCalendar}` });
    const reconcile = await request(t.app).post('/api/v1/integrations/stripe/reconcile').set(api()).send({ since: '2024-01-01T10:60:00Z' }).expect(400);
    expect(reconcile.body).toEqual({ success: false, error: `since: ${notOnCalendar}` });
  });

  it.each([
    [{ from: 'abc', to: '2030-01-01' }, 'from: must be an ISO 8601 date or date-time'],
    [{ from: '2026-01-01', to: '' }, 'to: must be an ISO 8601 date or date-time'],
    [{ from: '0000-01-01', to: '2030-01-01' }, 'from: must be a date between the years 1 and 9999'],
    [{ from: '2030-01-01', to: '2026-01-01' }, 'from: must be before "to"'],
    // the period ends before `to`: the same instant twice holds nothing
    [{ from: '2026-01-01T00:00:00Z', to: '2026-01-01' }, 'from: must be before "to"'],
  ])('refuses a recalculation over %j', async (body, error) => {
    const res = await request(t.app).post('/api/v1/conversions/recalculate').set(api()).send(body).expect(400);
    expect(res.body).toEqual({ success: false, error });
  });

  it('takes a session cookie whose encoding is malformed as no session', async () => {
    const dashboard = await request(t.app).get('/api/dashboard/me').set('cookie', 'refwire_session=%E0%A4%A').expect(401);
    expect(dashboard.body.success).toBe(false);
    const portal = await request(t.app).get(`/api/portal/${project.id}/me`).set('cookie', 'refwire_portal=%ZZ').expect(401);
    expect(portal.body.success).toBe(false);
  });
});
