import request from 'supertest';
import { issueSession } from '../../src/access/user-sessions';
import { asBrowser, setUpOwner, type Browser } from '../helpers/dashboard';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * PRODUCT.md §14: "process payouts" as one batch, its preview, its lines settled together, and its PayPal Payouts and
 * Wise files, through HTTP with an API key and a dashboard session; amounts in exact cents.
 */
describe('payout batches', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let key: string;
  let projectId: string;
  let owner: Browser;
  let viewer: Browser;
  const ids: Record<string, string> = {};
  const api = () => ({ Authorization: `Bearer ${key}` });
  const later = (ms: number) => (t.clock.now = new Date(t.clock.now.getTime() + ms));

  const affiliate = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await request(t.app).post('/api/v1/affiliates').set(api()).send({ email: `${name}@partners.test`, referral_code: name.toUpperCase(), ...extra }).expect(201);
    ids[name] = res.body.data.id;
  };
  const commission = (name: string, value: string, currency = 'USD') =>
    request(t.app).post('/api/v1/conversions').set(api()).send({ affiliate_id: ids[name], value, base_value: value, base_value_currency: currency }).expect(201);
  const balances = async (name: string) => {
    const a = (await request(t.app).get(`/api/v1/affiliates/${name}@partners.test`).set(api()).expect(200)).body.data;
    return { eligible: a.eligible_earnings_minor, processing: a.processing_earnings_minor, paid: a.paid_earnings_minor };
  };
  const verify = async () => {
    const res = await request(t.app).get('/api/v1/ledger/verify').set(api()).expect(200);
    expect(res.body.data.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    ({ apiKey: key, id: projectId } = await createProjectViaApi(t.app));
    await request(t.app).patch('/api/v1/settings').set(api()).send({ hold_days: 0, minimum_payout: 10 }).expect(200);
    await affiliate('jane', { name: 'Jane', payout_method: 'paypal', paypal_email: 'jane.pay@paypal.test' });
    await affiliate('bob', { name: '=Bob, "the" builder', payout_method: 'wise', wise_email: 'bob@wise.test', payout_details: { bank: { account_holder: 'Bob Builder', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } } });
    await affiliate('carl');
    await affiliate('dora', { payout_method: 'paypal', paypal_email: 'dora@paypal.test' });
    await affiliate('eve', { payout_method: 'paypal', paypal_email: 'eve@paypal.test' });
    await affiliate('frank', { payout_method: 'wise', wise_email: 'frank@wise.test' });
    await commission('jane', '12.34');
    await commission('jane', '7.66');
    await commission('bob', '15.50');
    await commission('carl', '10.00');
    await commission('dora', '50.00');
    await commission('eve', '5.00');
    await commission('frank', '20.00', 'EUR');
    await request(t.app).post(`/api/v1/affiliates/dora@partners.test/suspend`).set(api()).send({}).expect(200);
    later(1000);
    owner = await setUpOwner(t.app, projectId);
    const user = await tdb.db.prisma.user.create({ data: { email: 'viewer@acme.test', passwordHash: '$argon2id$v=19$m=19456,p=1,t=2$unused$unused', passwordChangedAt: new Date() } });
    await tdb.db.prisma.projectMember.create({ data: { projectId, userId: user.id, role: 'viewer' } });
    const s = await issueSession(tdb.db.prisma, user.id, t.clock.now);
    viewer = { cookie: `refwire_session=${s.token}`, csrf: s.csrfToken, userId: user.id, email: 'viewer@acme.test' };
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('previews what a batch would take: per affiliate and currency, the minimum, the payout details', async () => {
    const res = await request(t.app).get('/api/v1/payouts/eligible').set(api()).expect(200);
    const byEmail = Object.fromEntries(res.body.data.map((i: any) => [`${i.affiliate_email} ${i.currency}`, i]));
    expect(res.body.pagination).toEqual({ limit: 20, offset: 0, total: 6, has_more: false });
    expect(byEmail['jane@partners.test USD']).toMatchObject({ eligible: '20.00', eligible_minor: 2000, minimum_minor: 1000, reaches_minimum: true, payable: true, not_payable_reason: null, payout_method: 'paypal', payout_details_present: true, missing_details: [] });
    expect(byEmail['dora@partners.test USD']).toMatchObject({ eligible_minor: 5000, reaches_minimum: true, payable: false, not_payable_reason: 'suspended' });
    expect(byEmail['eve@partners.test USD']).toMatchObject({ eligible_minor: 500, reaches_minimum: false, payable: false, not_payable_reason: 'below_minimum' });
    expect(byEmail['carl@partners.test USD']).toMatchObject({ eligible_minor: 1000, payable: true, payout_method: null, payout_details_present: false, missing_details: ['payout_method'] });
    // the minimum is the project currency's; EUR has none (no rate to compare with)
    expect(byEmail['frank@partners.test EUR']).toMatchObject({ eligible: '20.00', eligible_minor: 2000, minimum_minor: null, payable: true });
    // a session reads it too; a bad query names its field
    await asBrowser(t.app, viewer, 'get', '/api/v1/payouts/eligible?currency=usd', projectId).expect(200);
    const bad = await request(t.app).get('/api/v1/payouts/eligible?minimum_minor=-1').set(api()).expect(400);
    expect(bad.body).toEqual({ success: false, error: expect.stringContaining('minimum_minor') });
    // bounded like every amount: 10^15 minor units at most
    await request(t.app).get('/api/v1/payouts/eligible?minimum_minor=1000000000000000').set(api()).expect(200);
    const huge = await request(t.app).get('/api/v1/payouts/eligible?minimum_minor=1000000000000001').set(api()).expect(400);
    expect(huge.body).toEqual({ success: false, error: 'minimum_minor: must be at most 1000000000000000 minor units' });
  });

  it('refuses a viewer, and names the field of a bad body', async () => {
    await asBrowser(t.app, viewer, 'post', '/api/v1/payout-batches', projectId).send({}).expect(403);
    const bad = await request(t.app).post('/api/v1/payout-batches').set(api()).send({ currency: 'XXY' }).expect(400);
    expect(bad.body).toEqual({ success: false, error: expect.stringContaining('currency') });
    const unknown = await request(t.app).post('/api/v1/payout-batches').set(api()).send({ affiliate_emails: ['nobody@partners.test'] }).expect(400);
    expect(unknown.body).toEqual({ success: false, error: 'affiliate_emails: no affiliate nobody@partners.test' });
    const huge = await request(t.app).post('/api/v1/payout-batches').set(api()).send({ minimum_minor: 1_000_000_000_000_001 }).expect(400);
    expect(huge.body).toEqual({ success: false, error: 'minimum_minor: must be at most 1000000000000000 minor units' });
    expect(await tdb.db.prisma.payoutBatch.count()).toBe(0);
  });

  let first: any;
  it('two batches at once never take a conversion twice: one takes everything payable, the other finds nothing', async () => {
    const [a, b] = await Promise.all([
      asBrowser(t.app, owner, 'post', '/api/v1/payout-batches', projectId).send({}),
      request(t.app).post('/api/v1/payout-batches').set(api()).send({}),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([201, 409]);
    const made = a.status === 201 ? a : b;
    const refused = a.status === 201 ? b : a;
    expect(refused.body.success).toBe(false);
    expect(refused.body.error).toMatch(/^nothing to pay: /);
    first = made.body.data;
    expect(first).toMatchObject({
      status: 'pending',
      currencies: ['EUR', 'USD'],
      payouts_count: 4,
      totals: [
        { currency: 'EUR', count: 1, amount: '20.00', amount_minor: 2000 },
        { currency: 'USD', count: 3, amount: '45.50', amount_minor: 4550 },
      ],
      minimum: { currency: 'USD', amount: '10.00', amount_minor: 1000 },
      statuses: { pending: 4, completed: 0, failed: 0 },
      replayed: false,
    });
    const lines = Object.fromEntries(first.lines.map((l: any) => [l.affiliate_email, l]));
    expect(lines['jane@partners.test']).toMatchObject({ amount: '20.00', amount_minor: 2000, method: 'paypal', status: 'pending', missing_details: [] });
    expect(lines['bob@partners.test']).toMatchObject({ amount_minor: 1550, method: 'wise', missing_details: [] });
    expect(lines['carl@partners.test']).toMatchObject({ amount_minor: 1000, method: 'manual', missing_details: ['payout_method'] });
    expect(lines['frank@partners.test']).toMatchObject({ currency: 'EUR', amount_minor: 2000 });
    expect(first.missing_details).toEqual([{ payout_id: lines['carl@partners.test'].payout_id, affiliate_email: 'carl@partners.test', method: 'manual', missing: ['payout_method'] }]);
    expect(first.skipped.map((s: any) => [s.affiliate_email, s.reason, s.eligible_minor]).sort()).toEqual([
      ['dora@partners.test', 'suspended', 5000],
      ['eve@partners.test', 'below_minimum', 500],
    ]);
    // every taken row is in exactly one payout, and the payouts hold exactly what was eligible
    const rows = await tdb.db.prisma.conversion.findMany({ where: { projectId, payoutId: { not: null } } });
    expect(rows).toHaveLength(5);
    const payouts = await tdb.db.prisma.payout.findMany({ where: { projectId } });
    expect(payouts.every((p) => p.batchId === first.id)).toBe(true);
    expect(payouts.reduce((s, p) => s + (p.currency === 'USD' ? p.amountMinor : 0n), 0n)).toBe(4550n);
    expect(await balances('jane')).toEqual({ eligible: 0, processing: 2000, paid: 0 });
    expect(await balances('dora')).toEqual({ eligible: 5000, processing: 0, paid: 0 });
    await verify();
    // the write is in the audit log, with who made it
    const log = (await request(t.app).get('/api/v1/audit-log').set(api()).expect(200)).body.data;
    expect(log.filter((e: any) => e.path === '/api/v1/payout-batches' && e.method === 'POST').map((e: any) => e.status).sort()).toEqual([201, 400, 400, 400, 409]);
  });

  it('exports the pending lines as PayPal Payouts and Wise batch files, one currency per file, formula-safe', async () => {
    const multi = await request(t.app).get(`/api/v1/payout-batches/${first.id}/paypal.csv`).set(api()).expect(400);
    expect(multi.body).toEqual({ success: false, error: 'currency: required, the batch holds EUR and USD and a file takes one currency' });
    const lines = Object.fromEntries(first.lines.map((l: any) => [l.affiliate_email, l]));
    const hex = (email: string) => (lines[email].payout_id as string).replace(/-/g, '');
    const usd = ['bob', 'carl', 'jane'].map((n) => `${n}@partners.test`).sort((x, y) => (lines[x].payout_id < lines[y].payout_id ? -1 : 1));
    const paypal = await request(t.app).get(`/api/v1/payout-batches/${first.id}/paypal.csv?currency=USD`).set(api()).expect(200);
    expect(paypal.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(paypal.headers['x-refwire-missing-details']).toBe('2');
    const paypalRow = {
      'jane@partners.test': `jane.pay@paypal.test,20.00,USD,${hex('jane@partners.test').slice(0, 30)},Affiliate commission from Acme\r\n`,
      'bob@partners.test': `bob@partners.test,15.50,USD,${hex('bob@partners.test').slice(0, 30)},Affiliate commission from Acme\r\n`,
      'carl@partners.test': `carl@partners.test,10.00,USD,${hex('carl@partners.test').slice(0, 30)},Affiliate commission from Acme\r\n`,
    } as Record<string, string>;
    expect(paypal.text).toBe(usd.map((e) => paypalRow[e]).join(''));

    const wise = await asBrowser(t.app, owner, 'get', `/api/v1/payout-batches/${first.id}/wise.csv?currency=usd`, projectId).expect(200);
    const wiseRow = {
      'jane@partners.test': `Jane,jane@partners.test,RW${hex('jane@partners.test').slice(0, 16)},PRIVATE,target,20.00,USD,USD,,,EMAIL\r\n`,
      'bob@partners.test': `Bob Builder,bob@wise.test,RW${hex('bob@partners.test').slice(0, 16)},PRIVATE,target,15.50,USD,USD,DE89370400440532013000,COBADEFFXXX,\r\n`,
      'carl@partners.test': `carl@partners.test,carl@partners.test,RW${hex('carl@partners.test').slice(0, 16)},PRIVATE,target,10.00,USD,USD,,,EMAIL\r\n`,
    } as Record<string, string>;
    expect(wise.text).toBe('name,recipientEmail,paymentReference,receiverType,amountCurrency,amount,sourceCurrency,targetCurrency,IBAN,BIC,type\r\n' + usd.map((e) => wiseRow[e]).join(''));
    const eur = await request(t.app).get(`/api/v1/payout-batches/${first.id}/wise.csv?currency=EUR`).set(api()).expect(200);
    expect(eur.text.split('\r\n')[1]).toBe(`frank@wise.test,frank@wise.test,RW${hex('frank@partners.test').slice(0, 16)},PRIVATE,target,20.00,EUR,EUR,,,EMAIL`);
    await request(t.app).get(`/api/v1/payout-batches/${first.id}/wise.csv?currency=GBP`).set(api()).expect(400);
  });

  it('an Idempotency-Key makes a double click answer the same batch', async () => {
    await commission('jane', '11.00');
    await request(t.app).patch('/api/v1/affiliates/carl@partners.test').set(api()).send({ name: '@SUM(A1)' }).expect(200);
    await commission('carl', '12.00');
    later(1000);
    const send = () => request(t.app).post('/api/v1/payout-batches').set(api()).set('Idempotency-Key', 'click-1').send({ currency: 'USD' });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.data.id).toBe(b.body.data.id);
    expect((a.status === 200 ? a : b).body.data.replayed).toBe(true);
    // the retry is answered as the first request was, what the batch left out included
    expect(a.body.data.skipped.map((s: any) => [s.affiliate_email, s.reason, s.eligible_minor]).sort()).toEqual([
      ['dora@partners.test', 'suspended', 5000],
      ['eve@partners.test', 'below_minimum', 500],
    ]);
    expect(a.body.data.skipped).toEqual(b.body.data.skipped);
    expect(a.body.data.totals).toEqual([{ currency: 'USD', count: 2, amount: '23.00', amount_minor: 2300 }]);
    // a formula in a name is neutralized in the file
    const wise = await request(t.app).get(`/api/v1/payout-batches/${a.body.data.id}/wise.csv`).set(api()).expect(200);
    expect(wise.text).toContain(`'@SUM(A1),carl@partners.test,`);
    expect(await tdb.db.prisma.payoutBatch.count()).toBe(2);

    // the key again for something else is refused, whether or not there is anything left to pay
    const other = await request(t.app).post('/api/v1/payout-batches').set(api()).set('Idempotency-Key', 'click-1').send({ currency: 'EUR' }).expect(422);
    expect(other.body).toEqual({ success: false, error: `Idempotency-Key: already used for another request (batch ${a.body.data.id}); a retry must send the same currency, minimum_minor and affiliate_emails` });
    await request(t.app).post('/api/v1/payout-batches').set(api()).set('Idempotency-Key', 'click-1').send({ currency: 'USD', minimum_minor: 0 }).expect(422);
    expect(await tdb.db.prisma.payoutBatch.count()).toBe(2);
    await verify();
  });

  it('lists batches; completes every pending line of one, fails every line of the other', async () => {
    const list = await request(t.app).get('/api/v1/payout-batches').set(api()).expect(200);
    expect(list.body.pagination.total).toBe(2);
    expect(list.body.data.map((b: any) => b.payouts_count)).toEqual([2, 4]);
    const second = list.body.data[0].id;

    await asBrowser(t.app, viewer, 'post', `/api/v1/payout-batches/${first.id}/complete`, projectId).send({}).expect(403);
    const done = await asBrowser(t.app, owner, 'post', `/api/v1/payout-batches/${first.id}/complete`, projectId).send({ reference: 'PP-2026-12' }).expect(200);
    expect(done.body.data).toMatchObject({ settled: 4, status: 'completed', statuses: { pending: 0, completed: 4, failed: 0 } });
    expect(done.body.data.lines.every((l: any) => l.status === 'completed' && l.reference === 'PP-2026-12')).toBe(true);
    expect(await balances('bob')).toEqual({ eligible: 0, processing: 0, paid: 1550 });
    // again: nothing pending is left, nothing changes; with the same reference too, but another one is refused
    expect((await request(t.app).post(`/api/v1/payout-batches/${first.id}/complete`).set(api()).send({}).expect(200)).body.data.settled).toBe(0);
    expect((await request(t.app).post(`/api/v1/payout-batches/${first.id}/complete`).set(api()).send({ reference: 'PP-2026-12' }).expect(200)).body.data.settled).toBe(0);
    expect((await request(t.app).post(`/api/v1/payout-batches/${first.id}/complete`).set(api()).send({ reference: 'PP-OTHER' }).expect(409)).body).toEqual({
      success: false,
      error: 'the payout batch was already completed with the reference "PP-2026-12"; it does not change',
    });
    // nothing pending: the files are empty (PayPal) or just the header (Wise)
    expect((await request(t.app).get(`/api/v1/payout-batches/${first.id}/paypal.csv?currency=USD`).set(api()).expect(200)).text).toBe('');

    const failed = await request(t.app).post(`/api/v1/payout-batches/${second}/fail`).set(api()).send({ reason: 'PayPal rejected the file' }).expect(200);
    expect(failed.body.data).toMatchObject({ settled: 2, status: 'failed', statuses: { pending: 0, completed: 0, failed: 2 } });
    expect(await balances('jane')).toEqual({ eligible: 1100, processing: 0, paid: 2000 });
    expect(await balances('carl')).toEqual({ eligible: 1200, processing: 0, paid: 1000 });
    // a repeat changes nothing; the other outcome, with no line left pending, is refused as for a single payout
    expect((await request(t.app).post(`/api/v1/payout-batches/${second}/fail`).set(api()).send({}).expect(200)).body.data.settled).toBe(0);
    expect((await request(t.app).post(`/api/v1/payout-batches/${second}/fail`).set(api()).send({ reason: 'another reason' }).expect(409)).body.error).toBe(
      'the payout batch was already failed with the reason "PayPal rejected the file"; it does not change',
    );
    expect((await request(t.app).post(`/api/v1/payout-batches/${second}/complete`).set(api()).send({}).expect(409)).body).toEqual({
      success: false,
      error: 'the payout batch is failed: only a batch with pending lines can be completed',
    });
    expect((await request(t.app).post(`/api/v1/payout-batches/${first.id}/fail`).set(api()).send({}).expect(409)).body).toEqual({
      success: false,
      error: 'the payout batch is completed: only a batch with pending lines can be failed',
    });
    expect(await balances('bob')).toEqual({ eligible: 0, processing: 0, paid: 1550 });
    await request(t.app).get('/api/v1/payout-batches/00000000-0000-4000-8000-000000000000').set(api()).expect(404);
    expect((await request(t.app).post('/api/v1/payout-batches/nope/complete').set(api()).send({}).expect(400)).body).toEqual({ success: false, error: 'invalid payout batch id: "nope" is not a UUID' });
    await verify();
  });

  it('an Idempotency-Key retry is the same request whatever the order of its affiliate_emails', async () => {
    const some = { currency: 'USD', affiliate_emails: ['jane@partners.test', 'carl@partners.test'] };
    await commission('jane', '1.00');
    later(1000);
    const made = await request(t.app).post('/api/v1/payout-batches').set(api()).set('Idempotency-Key', 'click-2').send(some).expect(201);
    const again = await request(t.app).post('/api/v1/payout-batches').set(api()).set('Idempotency-Key', 'click-2').send({ ...some, affiliate_emails: [...some.affiliate_emails].reverse() }).expect(200);
    expect(again.body.data).toMatchObject({ id: made.body.data.id, replayed: true });
    await request(t.app).post('/api/v1/payout-batches').set(api()).set('Idempotency-Key', 'click-2').send({ ...some, affiliate_emails: ['jane@partners.test'] }).expect(422);
    await verify();
  });

  it("an inactive affiliate's earned balance is paid when the batch names it, and left out of a batch for everyone, said so", async () => {
    await affiliate('ivy', { payout_method: 'paypal', paypal_email: 'ivy@paypal.test' });
    await commission('ivy', '30.00');
    later(1000);
    await request(t.app).patch('/api/v1/affiliates/ivy@partners.test').set(api()).send({ status: 'inactive' }).expect(200);
    const everyone = await request(t.app).post('/api/v1/payout-batches').set(api()).send({ currency: 'USD' });
    if (everyone.status === 409) expect(everyone.body.error).toContain('ivy@partners.test USD: the affiliate is inactive: a batch pays active affiliates');
    else {
      expect(everyone.body.data.lines.some((l: { affiliate_email: string }) => l.affiliate_email === 'ivy@partners.test')).toBe(false);
      expect(everyone.body.data.skipped).toContainEqual(expect.objectContaining({ affiliate_email: 'ivy@partners.test', reason: 'inactive', eligible_minor: 3000 }));
    }
    const named = await request(t.app).post('/api/v1/payout-batches').set(api()).send({ affiliate_emails: ['ivy@partners.test'] }).expect(201);
    expect(named.body.data.lines).toEqual([expect.objectContaining({ affiliate_email: 'ivy@partners.test', currency: 'USD', amount_minor: 3000, amount: '30.00' })]);
    expect(await balances('ivy')).toEqual({ eligible: 0, processing: 3000, paid: 0 });
    // a suspended affiliate named is still refused: payouts frozen
    await request(t.app).post('/api/v1/payout-batches').set(api()).send({ affiliate_emails: ['dora@partners.test'] }).expect(409);
    await verify();
  });
  it('the PayPal file writes HUF and TWD without decimals when the amount is whole (PayPal refuses their decimals); a fraction stays exact', async () => {
    await affiliate('hana', { payout_method: 'paypal', paypal_email: 'hana@paypal.test' });
    await affiliate('tao', { payout_method: 'paypal', paypal_email: 'tao@paypal.test' });
    await commission('hana', '2000.00', 'HUF');
    await commission('tao', '20.01', 'HUF');
    later(1000);
    const batch = (await request(t.app).post('/api/v1/payout-batches').set(api()).send({ currency: 'HUF', affiliate_emails: ['hana@partners.test', 'tao@partners.test'] }).expect(201)).body.data;
    const file = (await request(t.app).get(`/api/v1/payout-batches/${batch.id}/paypal.csv`).set(api()).expect(200)).text;
    const amounts = Object.fromEntries(file.trim().split('\r\n').map((l) => l.split(',')).map((f) => [f[0], [f[1], f[2]]]));
    expect(amounts).toEqual({ 'hana@paypal.test': ['2000', 'HUF'], 'tao@paypal.test': ['20.01', 'HUF'] });
    await request(t.app).post(`/api/v1/payout-batches/${batch.id}/fail`).set(api()).send({}).expect(200);
  });
});
