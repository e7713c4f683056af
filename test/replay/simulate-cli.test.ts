import { PROVIDER_NAMES, type ProviderName } from '../../src/domain/provider-names';
import { SCENARIOS, type ScenarioName } from '../../src/replay/simulate';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildOnce } from '../helpers/processes';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { api, listen, refwireCli, summaryRow } from './helpers';

const SECRETS: Record<ProviderName, string> = {
  stripe: 'whsec_simulate_cli_secret_01',
  paddle: 'pdl_ntfset_simulate_cli_secret_01',
  lemonsqueezy: 'lemon-simulate-secret',
  polar: 'whsec_polar_simulate_cli_01',
};

/**
 * The conversions each scenario must produce at the project's 20%, as [kind, commission minor units]: a 49.00
 * payment earns 9.80; the partial refund (half: 24.50) reverses half of its payment's commission.
 */
const EXPECTED: Record<ScenarioName, [string, number][]> = {
  purchase: [['purchase', 980]],
  subscription: [['purchase', 980], ['renewal', 980], ['renewal', 980]],
  refund: [['purchase', 980], ['refund', -980]],
  'partial-refund': [['purchase', 980], ['refund', -490]],
  lifecycle: [['purchase', 980], ['renewal', 980], ['refund', -490]],
};

/** How many events each provider's story sends: the summary must count every one as accepted. */
const EVENTS: Record<ProviderName, Record<ScenarioName, number>> = {
  stripe: { purchase: 1, subscription: 5, refund: 2, 'partial-refund': 2, lifecycle: 6 },
  paddle: { purchase: 3, subscription: 6, refund: 5, 'partial-refund': 5, lifecycle: 8 },
  lemonsqueezy: { purchase: 1, subscription: 5, refund: 2, 'partial-refund': 2, lifecycle: 6 },
  polar: { purchase: 2, subscription: 6, refund: 5, 'partial-refund': 5, lifecycle: 10 },
};

/** `refwire simulate` for every provider and scenario, posted to the real app on a real port; checked through the API. */
describe('refwire simulate', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let server: { url: string; close(): Promise<void> };
  let project: { id: string; apiKey: string };
  let acmeId: string;
  const simulate = (scenario: string, provider: ProviderName, ...args: string[]) => {
    t.clock.now = new Date();
    return refwireCli(['simulate', scenario, '--provider', provider, '--referral-code', 'ACME-PARTNER-42', '--url', server.url, '--project', project.id, '--secret', SECRETS[provider], ...args]);
  };
  const conversionsOf = async (email: string) => {
    const all = (await api(t.app, project.apiKey).get('/api/v1/conversions?limit=100').expect(200)).body.data as any[];
    return all.filter((c) => c.referred_user_id === email);
  };

  beforeAll(async () => {
    buildOnce();
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    server = await listen(t.app);
    project = await createProjectViaApi(t.app);
    for (const p of PROVIDER_NAMES) await connectProvider(t.app, project.apiKey, p, SECRETS[p]);
    // the project's default rule: 20% of each payment, for the customer's lifetime
    await api(t.app, project.apiKey).patch('/api/v1/settings', { commission_type: 'percentage', commission_value: 20 }).expect(200);
    acmeId = (await api(t.app, project.apiKey).post('/api/v1/affiliates', { email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }).expect(201)).body.data.id;
  }, 180_000);
  afterAll(async () => {
    await server.close();
    await t.runner.stop();
    await tdb.drop();
  });

  describe.each(PROVIDER_NAMES)('%s', (provider) => {
    it.each(SCENARIOS)('%s: every event accepted, exactly the expected commissions, attributed to the referral code', async (scenario) => {
      const email = `${provider}.${scenario}@buyers.test`;
      const run = await simulate(scenario, provider, '--email', email);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const n = EVENTS[provider][scenario];
      expect(summaryRow(run.stdout, 'total')).toEqual({ sent: n, accepted: n, duplicates: 0, rejected: 0, skipped: 0 });
      await t.runner.idle();

      const rows = await conversionsOf(email);
      expect(rows.map((c) => [c.kind, c.value_minor]).sort()).toEqual([...EXPECTED[scenario]].sort());
      expect(rows.every((c) => c.affiliate_id === acmeId)).toBe(true);
      expect(rows.every((c) => c.currency === 'USD')).toBe(true);
      const events = (await api(t.app, project.apiKey).get(`/api/v1/events?provider=${provider}&status=failed`).expect(200)).body.data;
      expect(events).toEqual([]);
    });
  });

  it('takes the amount, the refund and the currency; timestamps increase; a second run is a new customer', async () => {
    const email = 'amounts@buyers.test';
    const run = await simulate('lifecycle', 'stripe', '--email', email, '--amount', '12345', '--refund-amount', '5000', '--json');
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ scenario: 'lifecycle', provider: 'stripe', email, exit_code: 0, expected: { refunds: [{ payment: 1, amountMinor: 5000 }] } });
    await t.runner.idle();
    // 20% of 123.45 is 24.69; a refund of 50.00 of 123.45 reverses 24.69 × 5000 / 12345 = 10.00
    expect((await conversionsOf(email)).map((c) => [c.kind, c.value_minor]).sort()).toEqual([['purchase', 2469], ['refund', -1000], ['renewal', 2469]].sort());
    const events = (await api(t.app, project.apiKey).get('/api/v1/events?provider=stripe&limit=100').expect(200)).body.data as any[];
    // subscription started, renewed 30 days later, refunded 2 days after that, canceled on day 40 (the order of
    // every event is checked in test/replay/simulate.test.ts)
    const occurred = events.slice(0, 6).map((e) => new Date(e.occurred_at).getTime());
    expect(Math.max(...occurred) - Math.min(...occurred)).toBeGreaterThan(39 * 86_400_000);
    expect(Math.max(...occurred)).toBeLessThanOrEqual(Date.now());

    const again = await simulate('purchase', 'paddle', '--email', 'twice@buyers.test');
    const twice = await simulate('purchase', 'paddle', '--email', 'twice@buyers.test');
    expect([again.code, twice.code]).toEqual([0, 0]);
    await t.runner.idle();
    expect((await conversionsOf('twice@buyers.test')).map((c) => c.value_minor)).toEqual([980, 980]);
  });

  it('a wrong secret is rejected (exit 1); bad options are usage errors', async () => {
    const wrong = await refwireCli(['simulate', 'purchase', '--provider', 'polar', '--referral-code', 'X', '--url', server.url, '--project', project.id, '--secret', 'whsec_wrong_secret_here']);
    expect(wrong.code).toBe(1);
    expect(summaryRow(wrong.stdout, 'total')).toEqual({ sent: 2, accepted: 0, duplicates: 0, rejected: 2, skipped: 0 });
    const badScenario = await simulate('chargeback', 'stripe');
    expect(badScenario.code).toBe(1);
    expect(badScenario.stderr).toContain("'chargeback' is invalid");
    const badRefund = await simulate('partial-refund', 'stripe', '--amount', '1000', '--refund-amount', '2000');
    expect(badRefund.code).toBe(1);
    expect(badRefund.stderr).toContain('at most the amount');
  });
});
