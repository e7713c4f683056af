import { migrate, readMigrations } from '../../src/db/migrator';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * Payload formats came after endpoints: an installation's endpoints (and the deliveries already queued for them)
 * keep the shape they were sent, while an endpoint created afterwards gets the new default.
 */
describe('migration: outbound payload formats', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => t.drop());

  it('existing endpoints and their deliveries stay refwire-v1; new ones default to refgrow-v1', async () => {
    const all = readMigrations();
    const at = all.findIndex((m) => m.name.endsWith('_outbound_payload_formats'));
    expect(at).toBeGreaterThan(0);
    await migrate(t.db.sql, all.slice(0, at));
    const [project] = await t.db.sql.query<{ id: string }>(`INSERT INTO projects (name, currency) VALUES ('P', 'USD') RETURNING id`);
    const [before] = await t.db.sql.query<{ id: string }>(
      `INSERT INTO webhook_endpoints (project_id, url, events, secret_enc, secret_hint) VALUES ($1, 'https://hooks.example/a', ARRAY['referral_converted'], 'sealed', 'whsec…') RETURNING id`,
      [project!.id],
    );
    await t.db.sql.query(
      `INSERT INTO webhook_deliveries (project_id, endpoint_id, event_type, message_id, payload) VALUES ($1, $2, 'referral_converted', 'msg_1', '{}')`,
      [project!.id, before!.id],
    );
    await migrate(t.db.sql, all);
    const [after] = await t.db.sql.query<{ id: string }>(
      `INSERT INTO webhook_endpoints (project_id, url, events, secret_enc, secret_hint) VALUES ($1, 'https://hooks.example/b', ARRAY['referral_converted'], 'sealed', 'whsec…') RETURNING id`,
      [project!.id],
    );
    const formats = await t.db.sql.query<{ id: string; payload_format: string }>(`SELECT id, payload_format FROM webhook_endpoints ORDER BY created_at, url`);
    expect(formats).toEqual([
      { id: before!.id, payload_format: 'refwire-v1' },
      { id: after!.id, payload_format: 'refgrow-v1' },
    ]);
    expect(await t.db.sql.query(`SELECT payload_format FROM webhook_deliveries`)).toEqual([{ payload_format: 'refwire-v1' }]);
  });
});
