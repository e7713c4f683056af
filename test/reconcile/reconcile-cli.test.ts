import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { createProject } from '../../src/projects/projects';
import { SecretBox } from '../../src/security/secret-box';
import { loadFixture } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ProviderStandIn } from '../helpers/provider-stand-ins';

const ROOT = path.resolve(__dirname, '..', '..');
const SECRETS_KEY = 'd'.repeat(64);
const run = promisify(execFile);

/** `refwire reconcile` as an operator runs it (compiled), against PostgreSQL and a stand-in for Stripe's API. */
describe('refwire reconcile', () => {
  let tdb: TestDatabase;
  let stripe: ProviderStandIn;
  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.js', '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
    tdb = await createTestDatabase();
    stripe = await new ProviderStandIn('stripe').start();
  }, 180_000);
  afterAll(async () => {
    await stripe.stop();
    await tdb.drop();
  });

  // the CLI runs on the real clock, so the stand-in's event is dated by it too
  const refwire = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, ['dist/cli.js', 'reconcile', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: tdb.url, SECRETS_KEY, REDIS_URL: '', STRIPE_API_BASE_URL: stripe.url },
      });
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code: number; stderr: string };
      return { code: e.code, out: e.stderr };
    }
  };

  it('recovers a missed payment once, processes it, and says what it did', async () => {
    const project = await createProject(tdb.db.prisma, { name: 'CLI', currency: 'USD' });
    await tdb.db.prisma.project.update({ where: { id: project.id }, data: { commissionType: 'percentage', commissionRateBp: 2000 } });
    const store = new IntegrationStore(tdb.db.prisma, new SecretBox(Buffer.from(SECRETS_KEY, 'hex')));
    const connectedAt = new Date(Date.now() - 3_600_000);
    await store.upsert(project.id, 'stripe', { webhookSecret: 'whsec_cli_reconcile_secret_1', apiKey: 'sk_test_cliReconcile0001', previousSecretTtlHours: 0 }, connectedAt);
    const event = structuredClone(loadFixture('stripe', 'checkout.session.completed.payment.json').payload) as Record<string, any>;
    Object.assign(event, { id: 'evt_cli_reconcile_0001', created: Math.floor(Date.now() / 1000) - 60 });
    stripe.list('/v1/events').push(event);

    const first = await refwire('--project', project.id, '--provider', 'stripe');
    expect(first).toEqual({ code: 0, out: expect.stringContaining('1 recovered, 0 already stored') });
    expect(first.out).toContain('1 event(s) processed: 1 processed');
    const again = await refwire('--project', project.id, '--provider', 'stripe', '--since', connectedAt.toISOString());
    expect(again.out).toContain('0 recovered, 1 already stored');
    const rows = await tdb.db.prisma.conversion.findMany({ where: { projectId: project.id } });
    expect(rows.map((r) => [r.kind, r.paymentKey, r.amountMinor, r.baseValueMinor])).toEqual([['purchase', 'pi_3RwFxDemoPayIntent01', 4000n, 4000n]]);
    expect((await tdb.db.prisma.inboundEvent.findFirstOrThrow({ where: { projectId: project.id } })).origin).toBe('reconciled');

    expect(await refwire('--project', project.id, '--provider', 'square')).toEqual({ code: 1, out: expect.stringContaining('unknown provider "square"') });
    expect(await refwire('--project', 'not-a-uuid', '--provider', 'stripe')).toEqual({ code: 1, out: expect.stringContaining('--project must be a project id') });
    expect(await refwire('--project', project.id, '--provider', 'paddle')).toEqual({ code: 1, out: expect.stringContaining('paddle has no API key stored') });
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await refwire('--project', unknown, '--provider', 'stripe')).toEqual({ code: 1, out: `refwire: no project ${unknown} in this database\n` });
  });
});
