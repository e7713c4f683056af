import request from 'supertest';
import type { ProviderName } from '../../src/domain/provider-names';
import { getAdapter } from '../../src/providers/registry';
import { createTestDatabase, type TestDatabase } from './postgres';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from './refwire';

/**
 * A new project for one ledger story: 20 % and no hold, the affiliate acme@partners.test with the fixtures' code
 * ACME-PARTNER-42, and `provider` connected with `secret`. `deliver` posts signed payloads to the receiver in turn;
 * `outcome` waits for processing and answers the conversions and the affiliate, once `ledger/verify` is ok.
 */
export async function ledgerStory(tdb: TestDatabase, apps: TestApp[], provider: ProviderName, secret: string) {
  const t = buildTestApp(tdb.db);
  apps.push(t);
  const { apiKey, id: projectId } = await createProjectViaApi(t.app);
  const api = { Authorization: `Bearer ${apiKey}` };
  await connectProvider(t.app, apiKey, provider, secret);
  await request(t.app).patch('/api/v1/settings').set(api).send({ commission_type: 'percentage', commission_value: 20, hold_days: 0 }).expect(200);
  await request(t.app).post('/api/v1/affiliates').set(api).send({ email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
  const deliver = async (payloads: Record<string, any>[]) => {
    for (const payload of payloads) {
      const body = JSON.stringify(payload);
      await request(t.app).post(`/webhook/${provider}/${projectId}`).set(getAdapter(provider).sign(body, secret, { now: t.clock.now })).send(body).expect(200);
    }
  };
  const outcome = async () => {
    await t.runner.idle();
    const conversions = (await request(t.app).get('/api/v1/conversions?limit=100').set(api).expect(200)).body.data as any[];
    const affiliate = (await request(t.app).get('/api/v1/affiliates/acme%40partners.test').set(api).expect(200)).body.data;
    const verify = (await request(t.app).get('/api/v1/ledger/verify').set(api).expect(200)).body.data;
    if (!verify.ok) throw new Error(`ledger/verify: ${JSON.stringify(verify.checks.filter((c: any) => !c.ok))}`);
    return { conversions, affiliate };
  };
  return { t, api, deliver, outcome };
}

/**
 * A describe block's test database (created before it, dropped after it) and the apps its tests build on it, each
 * stopped at the end: push every app built to `apps`.
 */
export function blockDatabase() {
  let tdb: TestDatabase;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => {
    for (const t of apps) await t.runner.stop();
    await tdb.drop();
  });
  return { database: () => tdb, apps };
}

/** A describe block's stories: `story(provider, secret)` for a new ledgerStory in the block's database. */
export function ledgerStories() {
  const { database, apps } = blockDatabase();
  return { story: (provider: ProviderName, secret: string) => ledgerStory(database(), apps, provider, secret), database };
}
