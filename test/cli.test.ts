import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createProject } from '../src/projects/projects';
import { deliverAndProcess, stripeEvent } from './helpers/ledger';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

const ROOT = path.resolve(__dirname, '..');

/** The refwire command as an operator runs it (compiled), against PostgreSQL. */
describe('refwire events replay', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.js', '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
    tdb = await createTestDatabase();
  }, 120_000);
  afterAll(async () => tdb.drop());

  const refwire = (...args: string[]) =>
    execFileSync(process.execPath, ['dist/cli.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: tdb.url, SECRETS_KEY: 'd'.repeat(64), REDIS_URL: '' },
    }).toString();

  it('replays one event and every failed one, without doubling any effect', async () => {
    const projectId = (await createProject(tdb.db.prisma, { name: 'CLI', currency: 'USD' })).id;
    const good = await deliverAndProcess(tdb.db, projectId, stripeEvent('checkout.session.completed.payment.json'));
    const bad = await deliverAndProcess(tdb.db, projectId, stripeEvent('invoice.paid.subscription_create.json', (o) => delete o.amount_paid));
    expect(bad.outcome.status).toBe('failed');

    expect(refwire('events', 'replay', good.id)).toContain(`${good.id}: processed`);
    expect(refwire('events', 'replay', '--failed')).toContain('1 event(s) replayed: 1 failed');
    expect(await tdb.db.prisma.conversion.count({ where: { projectId } })).toBe(1);
    expect(() => refwire('events', 'replay')).toThrow();
  });
});
