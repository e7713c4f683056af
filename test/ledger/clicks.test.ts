import request from 'supertest';
import { sweepClicks } from '../../src/ledger/clicks';
import { visitorHasher } from '../../src/security/visitor-hash';
import { ClickRetentionSweep } from '../../src/tracking/click-retention';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';

/** Dated clicks: click ids (Afflixo), signups that name one, and the retention sweep. One test clock. */
const DAY = 86_400_000;

describe('dated clicks', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  const T0 = new Date('2026-07-01T12:00:00.000Z');
  const at = (days: number) => new Date(T0.getTime() + days * DAY);
  const as = (p: { apiKey: string }) => ({ Authorization: `Bearer ${p.apiKey}` });
  const click = (project: { id: string }, code: string, extra: Record<string, unknown> = {}) =>
    request(t.app).post('/api/track/click').set('X-Forwarded-For', '198.51.100.23').set('User-Agent', 'ClickTest/2').send({ project_id: project.id, referral_code: code, ...extra });
  const row = async (id: string) =>
    (await tdb.db.sql.query<Record<string, unknown>>('SELECT project_id::text AS project_id, link_id, occurred_at, source, landing_url, referrer, visitor_hash FROM clicks WHERE id = $1', [id]))[0];
  const count = async (projectId: string) => (await tdb.db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM clicks WHERE project_id = $1', [projectId]))[0]!.n;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { trackRateLimit: { perMinute: 1_000_000 }, trustProxy: 1 });
    t.clock.now = T0;
    a = await createProjectViaApi(t.app, 'A');
    b = await createProjectViaApi(t.app, 'B');
    for (const p of [a, b]) {
      await request(t.app).post('/api/v1/affiliates').set(as(p)).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201);
      await request(t.app).post('/api/v1/affiliates').set(as(p)).send({ email: 'sam@partners.test', referral_code: 'SAM' }).expect(201);
    }
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('a reported click answers 201 with its click id and the cookie_days in force, and is a dated row', async () => {
    const res = await click(a, 'jane', { landing_url: 'https://shop.test/?ref=jane', referrer: '' }).expect(201);
    expect(res.body).toEqual({ success: true, data: { recorded: true, click_id: expect.stringMatching(/^[0-9a-f-]{36}$/), cookie_days: 90 } });
    expect(await row(res.body.data.click_id)).toEqual({
      project_id: a.id,
      link_id: null,
      occurred_at: T0,
      source: 'script',
      landing_url: 'https://shop.test/?ref=jane',
      referrer: null,
      visitor_hash: visitorHasher(t.secretsKey)(a.id, '198.51.100.23', 'ClickTest/2'),
    });
    const everything = (await tdb.db.sql.query<{ row: string }>('SELECT c::text AS row FROM clicks c')).map((r) => r.row).join('\n');
    expect(everything).not.toContain('198.51.100.23');
    expect(everything).not.toContain('ClickTest');

    await request(t.app).patch('/api/v1/settings').set(as(a)).send({ cookie_days: 30 }).expect(200);
    expect((await click(a, 'JANE').expect(201)).body.data.cookie_days).toBe(30);
    await request(t.app).patch('/api/v1/settings').set(as(a)).send({ cookie_days: 90 }).expect(200);
  });

  it('a signup naming a click of its affiliate, still in its window, keeps it; any other click id is ignored', async () => {
    const mine = (await click(a, 'JANE').expect(201)).body.data.click_id;
    const sams = (await click(a, 'SAM').expect(201)).body.data.click_id;
    const otherProject = (await click(b, 'JANE').expect(201)).body.data.click_id;
    const signup = (email: string, clickId: string) => request(t.app).post('/api/track/signup').send({ project_id: a.id, email, referral_code: 'JANE', click_id: clickId }).expect(201);
    const clickOf = async (email: string) => (await tdb.db.sql.query<{ click_id: string | null }>('SELECT click_id::text AS click_id FROM referrals WHERE email = $1', [email]))[0]!.click_id;

    await signup('mine@c.test', mine);
    await signup('sams@c.test', sams);
    await signup('foreign@c.test', otherProject);
    await signup('unknown@c.test', '00000000-0000-4000-8000-000000000000');
    expect([await clickOf('mine@c.test'), await clickOf('sams@c.test'), await clickOf('foreign@c.test'), await clickOf('unknown@c.test')]).toEqual([mine, null, null, null]);
    await request(t.app).post('/api/track/signup').send({ project_id: a.id, email: 'bad@c.test', referral_code: 'JANE', click_id: 'abc' }).expect(400);

    // a click older than cookie_days no longer ties a signup to it (the signup is still recorded, windowed from itself)
    t.clock.now = at(90);
    await signup('day90@c.test', mine);
    t.clock.now = new Date(at(90).getTime() + 1);
    await signup('day90plus@c.test', mine);
    expect([await clickOf('day90@c.test'), await clickOf('day90plus@c.test')]).toEqual([mine, null]);
  });

  it("the retention sweep deletes click rows older than their project's click_retention_days, and nothing else", async () => {
    await tdb.db.sql.query('DELETE FROM clicks');
    await request(t.app).patch('/api/v1/settings').set(as(a)).send({ click_retention_days: 30 }).expect(200);
    const jane = async (p: { apiKey: string }) => (await request(t.app).get('/api/v1/affiliates/jane%40partners.test').set(as(p)).expect(200)).body.data.clicks;
    const before = [await jane(a), await jane(b)];
    // clicks at T1 - 31 days, T1 - 30 days exactly, T1 - 29 days, in both projects
    const T1 = at(200);
    for (const days of [-31, -30, -29]) {
      t.clock.now = new Date(T1.getTime() + days * DAY);
      await click(a, 'JANE').expect(201);
      await click(b, 'JANE').expect(201);
    }
    t.clock.now = T1;
    expect(await sweepClicks(tdb.db.sql, T1, 1)).toBe(1);
    expect(await count(a.id)).toBe(2);
    // B keeps the default 395 days: nothing of it goes
    expect(await count(b.id)).toBe(3);
    // the all-time counters are not the sweep's
    expect([await jane(a), await jane(b)]).toEqual(before.map((n) => n + 3));

    // the process's sweep, on its clock: a day later the row of T1 - 30 days is past the window too
    const sweep = new ClickRetentionSweep(tdb.db.sql, silentLogger, () => at(201));
    expect(await sweep.sweep()).toBe(1);
    expect(await sweep.sweep()).toBe(0);
    await sweep.stop();
    expect(await count(a.id)).toBe(1);
  });

  it('the summary counts the clicks of its period, and its conversion rate is over them', async () => {
    const summary = async (q: string) => (await request(t.app).get(`/api/v1/reports/summary${q}`).set(as(b)).expect(200)).body.data;
    expect(await summary('')).toMatchObject({ clicks: 3, clicks_scope: 'period', conversion_rate_bp: 0 });
    const T1 = at(200);
    const from = new Date(T1.getTime() - 30 * DAY).toISOString();
    expect(await summary(`?from=${from}`)).toMatchObject({ clicks: 2, clicks_scope: 'period' });
    expect(await summary(`?from=${from}&to=${new Date(T1.getTime() - 29 * DAY).toISOString()}`)).toMatchObject({ clicks: 1 });
  });
});
