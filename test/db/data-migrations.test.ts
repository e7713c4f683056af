import { migrate, readMigrations } from '../../src/db/migrator';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/** Migrations that move data: an installation's rows come through them whole. */
describe('data migrations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => t.drop());

  it("coupon_provider_ids: each provider column of a coupon becomes a row keyed by the provider's name", async () => {
    const all = readMigrations();
    const at = all.findIndex((m) => m.name.endsWith('_coupon_provider_ids'));
    expect(at).toBeGreaterThan(0);
    await migrate(t.db.sql, all.slice(0, at));
    const [project] = await t.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('P', 'USD') RETURNING id`);
    const [affiliate] = await t.db.sql.query<{ id: string }>(
      `INSERT INTO affiliates (project_id, email, referral_code, referral_code_key) VALUES ($1, 'a@p.test', 'A', 'a') RETURNING id`,
      [project!.id],
    );
    const [both] = await t.db.sql.query<{ id: string }>(
      `INSERT INTO coupons (project_id, affiliate_id, coupon_code, coupon_code_key, stripe_coupon_id, lemonsqueezy_discount_code)
       VALUES ($1, $2, 'BOTH', 'both', 'promo_1', 'LSCODE') RETURNING id`,
      [project!.id, affiliate!.id],
    );
    const [none] = await t.db.sql.query<{ id: string }>(
      `INSERT INTO coupons (project_id, affiliate_id, coupon_code, coupon_code_key, paddle_discount_id, polar_discount_id)
       VALUES ($1, $2, 'NONE', 'none', 'dsc_1', 'pol_1') RETURNING id`,
      [project!.id, affiliate!.id],
    );
    await migrate(t.db.sql, all);
    const rows = await t.db.sql.query<{ coupon_id: string; provider: string; provider_coupon_id: string; project_id: string }>(
      'SELECT coupon_id, provider, provider_coupon_id, project_id FROM coupon_provider_ids ORDER BY provider_coupon_id',
    );
    expect(rows).toEqual([
      { coupon_id: both!.id, provider: 'lemonsqueezy', provider_coupon_id: 'LSCODE', project_id: project!.id },
      { coupon_id: none!.id, provider: 'paddle', provider_coupon_id: 'dsc_1', project_id: project!.id },
      { coupon_id: none!.id, provider: 'polar', provider_coupon_id: 'pol_1', project_id: project!.id },
      { coupon_id: both!.id, provider: 'stripe', provider_coupon_id: 'promo_1', project_id: project!.id },
    ]);
    const columns = await t.db.sql.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'coupons' ORDER BY 1`);
    expect(columns.map((c) => c.column_name)).not.toContain('stripe_coupon_id');
  });
  it('paddle_chargebacks: a Paddle chargeback already observed becomes a withdrawal; refunds and reversals stay as they were', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const all = readMigrations();
      const at = all.findIndex((m) => m.name.endsWith('_paddle_chargebacks'));
      expect(at).toBeGreaterThan(0);
      await migrate(db.db.sql, all.slice(0, at));
      const [project] = await db.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('P', 'USD') RETURNING id`);
      const observe = async (key: string, action: string, amount: number, withdrawal: boolean, spacing = '') => {
        const body = Buffer.from(`{"event_type":"adjustment.updated","data":{"id":"${key}","action"${spacing}:${spacing}"${action}","status":"approved","note":"caf\u00e9 \u00ff"}}`);
        const [event] = await db.db.sql.query<{ id: string }>(
          `INSERT INTO inbound_events (project_id, provider, provider_event_id, event_type, raw_body, headers) VALUES ($1, 'paddle', $2, 'adjustment.updated', $3, '{}') RETURNING id`,
          [project!.id, `evt_${key}`, Buffer.concat([body, Buffer.from([0xff])])],
        );
        await db.db.sql.query(
          `INSERT INTO refund_observations (project_id, provider, payment_ref, observation_key, cumulative, withdrawal, amount_minor, currency, occurred_at, inbound_event_id)
           VALUES ($1, 'paddle', 'txn_1', $2, false, $3, $4, 'USD', now(), $5)`,
          [project!.id, key, withdrawal, amount, event!.id],
        );
      };
      await observe('adj_chargeback', 'chargeback', 5880, false);
      await observe('adj_chargeback_spaced', 'chargeback', 100, false, ' ');
      await observe('adj_refund', 'refund', 2940, false);
      await observe('adj_reverse', 'chargeback_reverse', -5880, true);
      await migrate(db.db.sql, all);
      const rows = await db.db.sql.query<{ observation_key: string; withdrawal: boolean; amount_minor: string }>(
        'SELECT observation_key, withdrawal, amount_minor::text FROM refund_observations ORDER BY observation_key',
      );
      expect(rows).toEqual([
        { observation_key: 'adj_chargeback', withdrawal: true, amount_minor: '5880' },
        { observation_key: 'adj_chargeback_spaced', withdrawal: true, amount_minor: '100' },
        { observation_key: 'adj_refund', withdrawal: false, amount_minor: '2940' },
        { observation_key: 'adj_reverse', withdrawal: true, amount_minor: '-5880' },
      ]);
    } finally {
      await db.drop();
    }
  });
});
