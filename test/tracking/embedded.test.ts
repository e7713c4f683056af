import { PGlite } from '@electric-sql/pglite';
import request from 'supertest';
import { wrapPglite, type Database } from '../../src/db/database';
import { migrate } from '../../src/db/migrator';
import { sweepClicks } from '../../src/ledger/clicks';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/** Links, clicks, the daily report and the retention sweep on the embedded database (PGlite) too. */
describe('tracking links and dated clicks on embedded PGlite', () => {
  let db: Database;
  let t: TestApp;

  beforeAll(async () => {
    db = wrapPglite(await PGlite.create());
    await migrate(db.sql);
    t = buildTestApp(db, { runner: false });
  });
  afterAll(async () => {
    await t.runner.stop();
    await db.close();
  });

  it('redirects, records, reports by day and sweeps', async () => {
    t.clock.now = new Date('2026-09-01T12:00:00Z');
    const project = await createProjectViaApi(t.app, 'Embedded');
    const api = { Authorization: `Bearer ${project.apiKey}` };
    await request(t.app).patch('/api/v1/settings').set(api).send({ allowed_domains: ['shop.example.com'], click_retention_days: 1 }).expect(200);
    await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'jane@partners.test', referral_code: 'JANE' }).expect(201);
    await request(t.app).post('/api/v1/affiliates/jane%40partners.test/links').set(api).send({ target_url: 'https://shop.example.com/', slug: 'embedded' }).expect(201);

    const followed = await request(t.app).get('/r/embedded').expect(302);
    expect(followed.headers.location).toMatch(/^https:\/\/shop\.example\.com\/\?ref=JANE&refwire_click=[0-9a-f-]{36}$/);
    t.clock.now = new Date('2026-09-02T00:00:00Z');
    await request(t.app).post('/api/track/click').send({ project_id: project.id, referral_code: 'JANE' }).expect(201);

    const daily = (await request(t.app).get('/api/v1/reports/daily?from=2026-09-01&to=2026-09-03').set(api).expect(200)).body.data;
    expect(daily.days.map((d: { date: string; clicks: number }) => [d.date, d.clicks])).toEqual([
      ['2026-09-01', 1],
      ['2026-09-02', 1],
    ]);
    expect(await sweepClicks(db.sql, new Date('2026-09-02T12:00:00.001Z'))).toBe(1);
    expect((await request(t.app).get('/api/v1/affiliates/jane%40partners.test/links/embedded').set(api).expect(200)).body.data.clicks).toBe(1);
  });
});
