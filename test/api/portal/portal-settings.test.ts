import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../../helpers/refwire';

/** `GET|PUT /api/v1/portal`: Refgrow's blocks and appearance, promotional materials, the default language; what the portal's config shows. */
describe('the merchant\'s portal settings', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let acme: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  const put = (body: object, p = acme) => request(t.app).put('/api/v1/portal').set('Authorization', `Bearer ${p.apiKey}`).send(body);
  const get = (p = acme) => request(t.app).get('/api/v1/portal').set('Authorization', `Bearer ${p.apiKey}`);

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    acme = await createProjectViaApi(t.app, 'Acme');
    other = await createProjectViaApi(t.app, 'Other');
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('answers the defaults until set: Refgrow\'s block order, all on but commission levels and materials', async () => {
    const res = (await get().expect(200)).body.data;
    expect(res.blocks).toEqual([
      { id: 'header', enabled: true, order: 1 },
      { id: 'share_links', enabled: true, order: 2 },
      { id: 'coupon_code', enabled: true, order: 3 },
      { id: 'stats', enabled: true, order: 4 },
      { id: 'daily_stats', enabled: true, order: 5 },
      { id: 'earnings', enabled: true, order: 6 },
      { id: 'payment_methods', enabled: true, order: 7 },
      { id: 'payment_history', enabled: true, order: 8 },
      { id: 'commission_levels', enabled: false, order: 9 },
      { id: 'promotional_materials', enabled: false, order: 10 },
    ]);
    expect(res.appearance).toEqual({ primary_color: '#2563eb', secondary_color: '#64748b', font_color: '#0f172a', title: null, description: null, hide_branding: false });
    expect(res).toMatchObject({ promotional_materials: [], default_language: 'en' });
  });

  it('PUT sets the parts it names and keeps the others; blocks left out are off, in order after those given', async () => {
    await put({
      blocks: [
        { id: 'stats', enabled: true, order: 2, config: { show_conversion_rate: true } },
        { id: 'header', enabled: true, order: 1 },
        { id: 'promotional_materials', enabled: true, order: 3 },
      ],
      appearance: { primary_color: '#FF6600', title: 'Partner with Acme', hide_branding: true },
      promotional_materials: [
        { kind: 'image', title: 'Banner 728×90', url: 'https://cdn.acme.test/banner.png' },
        { kind: 'text', title: 'Tweet', body: 'I use Acme every day' },
        { kind: 'link', title: 'Press kit', url: 'https://acme.test/press' },
      ],
    }).expect(200);
    const res = (await put({ default_language: 'ar', appearance: { description: 'Earn 25%' } }).expect(200)).body.data;
    expect(res.blocks.slice(0, 4)).toEqual([
      { id: 'header', enabled: true, order: 1 },
      { id: 'stats', enabled: true, order: 2, config: { show_conversion_rate: true } },
      { id: 'promotional_materials', enabled: true, order: 3 },
      { id: 'share_links', enabled: false, order: 4 },
    ]);
    expect(res.blocks).toHaveLength(10);
    expect(res.appearance).toEqual({ primary_color: '#FF6600', secondary_color: '#64748b', font_color: '#0f172a', title: 'Partner with Acme', description: 'Earn 25%', hide_branding: true });
    expect(res.promotional_materials).toHaveLength(3);
    expect(res.default_language).toBe('ar');
    expect((await get().expect(200)).body.data).toEqual(res);

    // the portal's public config shows it; another project keeps its defaults
    const config = (await request(t.app).get(`/api/portal/${acme.id}/config`).expect(200)).body.data;
    expect(config).toEqual({ project: { id: acme.id, name: 'Acme', currency: 'USD' }, portal: res });
    expect((await get(other).expect(200)).body.data.default_language).toBe('en');
  });

  it("takes Refgrow's whole 11-block list as Refgrow documents it: multi_tier off is taken and not kept", async () => {
    // seeds/refgrow-llm-context.txt, "Block configuration format", verbatim
    const refgrow = [
      { id: 'header', enabled: true, order: 1 },
      { id: 'share_links', enabled: true, order: 2 },
      { id: 'coupon_code', enabled: true, order: 3 },
      { id: 'stats', enabled: true, order: 4 },
      { id: 'daily_stats', enabled: true, order: 5 },
      { id: 'earnings', enabled: true, order: 6 },
      { id: 'payment_methods', enabled: true, order: 7 },
      { id: 'payment_history', enabled: false, order: 8 },
      { id: 'commission_levels', enabled: false, order: 9 },
      { id: 'multi_tier', enabled: false, order: 10 },
      { id: 'promotional_materials', enabled: false, order: 11 },
    ];
    const saved = (await put({ blocks: refgrow }, other).expect(200)).body.data.blocks;
    expect(saved).toEqual(refgrow.filter((b) => b.id !== 'multi_tier'));
    expect((await get(other).expect(200)).body.data.blocks).toEqual(saved);
  });

  it('refuses bad input with 400 naming the field, and stores nothing of it', async () => {
    const before = (await get().expect(200)).body.data;
    const cases: [object, RegExp][] = [
      [{ promotional_materials: [{ kind: 'link', title: 'x', url: 'javascript:alert(1)' }] }, /^promotional_materials\.0\.url: must be an absolute http\(s\) URL/],
      [{ promotional_materials: [{ kind: 'image', title: 'x' }] }, /^promotional_materials\.0\.url: required for an image/],
      [{ promotional_materials: [{ kind: 'text', title: 'x' }] }, /^promotional_materials\.0\.body: required for a text/],
      [{ blocks: [{ id: 'stats', enabled: true, order: 1 }, { id: 'stats', enabled: false, order: 2 }] }, /^blocks: each block id at most once/],
      [{ blocks: [{ id: 'multi_tier', enabled: true, order: 1 }] }, /^blocks\.0\.enabled: multi_tier: Refwire has no multi-tier \(sub-affiliate\) commissions, so this block can only be off/],
      [{ blocks: [{ id: 'leaderboard', enabled: false, order: 1 }] }, /^blocks\.0\.id: /],
      [{ appearance: { primary_color: 'red' } }, /^appearance\.primary_color: must be a hex color/],
      [{ appearance: { font_size: 12 } }, /^appearance: /],
      [{ default_language: 'xx' }, /^default_language: /],
      [{ colour: '#fff' }, /colour/],
    ];
    for (const [body, error] of cases) {
      const res = await put(body).expect(400);
      expect(res.body.success).toBe(false);
      expect(res.body.error).toMatch(error);
    }
    expect((await get().expect(200)).body.data).toEqual(before);
    await request(t.app).put('/api/v1/portal').send({ default_language: 'fr' }).expect(401);
  });
});
