import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROVIDER_NAMES, type ProviderName } from '../../src/domain/provider-names';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildOnce } from '../helpers/processes';
import { buildTestApp, connectProvider, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { api, listen, refwireCli, summaryRow } from './helpers';

const SECRETS: Record<ProviderName, string> = {
  stripe: 'whsec_replay_cli_secret_01',
  paddle: 'pdl_ntfset_replay_cli_secret_01',
  lemonsqueezy: 'lemon-replay-secret',
  polar: 'whsec_polar_replay_cli_01',
};
const secretArgs = PROVIDER_NAMES.flatMap((p) => ['--secret', `${p}=${SECRETS[p]}`]);

/** How many fixtures each provider's folder ships (counted, so new fixtures do not break the test). */
const shipped = Object.fromEntries(
  PROVIDER_NAMES.map((p) => [p, fs.readdirSync(path.join(FIXTURES_DIR, p)).filter((f) => f.endsWith('.json')).length]),
) as Record<ProviderName, number>;
const allShipped = PROVIDER_NAMES.reduce((n, p) => n + shipped[p], 0);

/** `refwire replay` run as an operator runs it, against the real app on a real port (PRODUCT.md §16). */
describe('refwire replay', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let server: { url: string; close(): Promise<void> };
  let project: { id: string; apiKey: string };
  let scratch: string;
  const replay = (...args: string[]) => {
    t.clock.now = new Date();
    return refwireCli(['replay', ...args, '--url', server.url, '--project', project.id]);
  };

  beforeAll(async () => {
    buildOnce();
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    server = await listen(t.app);
    project = await createProjectViaApi(t.app);
    for (const p of PROVIDER_NAMES) await connectProvider(t.app, project.apiKey, p, SECRETS[p]);
    await api(t.app, project.apiKey).post('/api/v1/affiliates', { email: 'acme@partners.test', referral_code: 'ACME-PARTNER-42' }).expect(201);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-replay-'));
  }, 180_000);
  afterAll(async () => {
    await server.close();
    await t.runner.stop();
    await tdb.drop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('posts every shipped fixture, each signed with its own provider scheme, and counts them', async () => {
    const run = await replay('fixtures', ...secretArgs);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const p of PROVIDER_NAMES) expect(summaryRow(run.stdout, p)).toEqual({ sent: shipped[p], accepted: shipped[p], duplicates: 0, rejected: 0, skipped: 0 });
    expect(summaryRow(run.stdout, 'total')).toEqual({ sent: allShipped, accepted: allShipped, duplicates: 0, rejected: 0, skipped: 0 });
    // not a terminal: one plain line per file, no bar
    expect(run.stdout.split('\n').filter((l) => /^\[\s*\d+\/\d+\] accepted /.test(l))).toHaveLength(allShipped);
    expect(run.stdout).not.toContain('█');

    await t.runner.idle();
    const events = (await api(t.app, project.apiKey).get('/api/v1/events?limit=100').expect(200)).body;
    expect(events.pagination.total).toBe(allShipped);
    expect(events.data.filter((e: { status: string }) => e.status === 'failed')).toEqual([]);
    // the fixture stories attribute their sales to the affiliate whose code they carry
    const acme = (await api(t.app, project.apiKey).get('/api/v1/affiliates/acme%40partners.test').expect(200)).body.data;
    expect(acme.purchases).toBeGreaterThan(0);
  });

  it('replaying the same files again answers "duplicate" for each; --fresh-ids stores them anew and moves no money twice', async () => {
    const before = (await api(t.app, project.apiKey).get('/api/v1/affiliates/acme%40partners.test').expect(200)).body.data.total_earnings_minor;
    const again = await replay('fixtures', ...secretArgs);
    expect(again.code).toBe(0);
    expect(summaryRow(again.stdout, 'total')).toEqual({ sent: allShipped, accepted: 0, duplicates: allShipped, rejected: 0, skipped: 0 });

    const fresh = await replay('fixtures/stripe', 'fixtures/polar', '--fresh-ids', ...secretArgs);
    expect(fresh.code).toBe(0);
    expect(summaryRow(fresh.stdout, 'total')).toEqual({ sent: shipped.stripe + shipped.polar, accepted: shipped.stripe + shipped.polar, duplicates: 0, rejected: 0, skipped: 0 });
    await t.runner.idle();
    const after = (await api(t.app, project.apiKey).get('/api/v1/affiliates/acme%40partners.test').expect(200)).body.data.total_earnings_minor;
    expect(after).toBe(before);
  });

  it('a wrong secret: every delivery rejected and counted, exit 1', async () => {
    const run = await replay('fixtures/paddle', '--secret', 'pdl_ntfset_not_the_right_one_01');
    expect(run.code).toBe(1);
    expect(summaryRow(run.stdout, 'total')).toEqual({ sent: shipped.paddle, accepted: 0, duplicates: 0, rejected: shipped.paddle, skipped: 0 });
    expect(run.stdout).toMatch(/rejected\s+paddle\s+fixtures\/paddle\/customer\.created\.json\s+\(400: webhook verification failed\)/);
  });

  it("a provider's name before its secret in any case; a name that is no provider's is told, and the value taken whole", async () => {
    const named = await replay('fixtures/paddle', '--secret', `Paddle=${SECRETS.paddle}`);
    expect(named.code).toBe(0);
    expect(named.stderr).toBe('');
    expect(summaryRow(named.stdout, 'total')).toMatchObject({ sent: shipped.paddle, rejected: 0 });
    const mistyped = await replay('fixtures/paddle', '--secret', `padle=${SECRETS.paddle}`);
    expect(mistyped.code).toBe(1);
    expect(mistyped.stderr).toContain('refwire: "padle=" names no provider (stripe, paddle, lemonsqueezy, polar): the whole value is the secret for every provider');
    expect(summaryRow(mistyped.stdout, 'total')).toMatchObject({ sent: shipped.paddle, rejected: shipped.paddle });
  });

  it('a file that is not JSON and one that is no provider payload are reported, skipped and counted (exit 2); with a rejection, exit 1', async () => {
    fs.writeFileSync(path.join(scratch, 'notes.json'), 'this is not JSON');
    fs.writeFileSync(path.join(scratch, 'order.json'), JSON.stringify({ order: 42, total: 4900 }));
    fs.writeFileSync(path.join(scratch, 'README.md'), 'folders are walked for *.json only');
    const good = path.join(FIXTURES_DIR, 'stripe', 'checkout.session.completed.payment.json');
    const run = await replay(scratch, good, ...secretArgs);
    expect(run.code).toBe(2);
    expect(summaryRow(run.stdout, 'total')).toEqual({ sent: 1, accepted: 0, duplicates: 1, rejected: 0, skipped: 2 });
    expect(summaryRow(run.stdout, 'unknown')).toEqual({ sent: 0, accepted: 0, duplicates: 0, rejected: 0, skipped: 2 });
    expect(run.stdout).toContain(`skipped   -            ${path.join(scratch, 'notes.json')}  (not JSON`);
    expect(run.stdout).toContain(`skipped   -            ${path.join(scratch, 'order.json')}  (not a provider payload`);

    const withRejection = await replay(scratch, good, '--secret', 'whsec_wrong_secret_value');
    expect(withRejection.code).toBe(1);
    expect(summaryRow(withRejection.stdout, 'total')).toMatchObject({ rejected: 1, skipped: 2 });
  });

  it('bare provider payloads are taken too; --provider forces the provider; a provider without a secret is skipped', async () => {
    const bare = path.join(scratch, 'bare');
    fs.mkdirSync(bare);
    const polarFixture = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'polar', 'order.paid.purchase.json'), 'utf8'));
    const paddleFixture = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'paddle', 'customer.created.json'), 'utf8'));
    fs.writeFileSync(path.join(bare, 'polar-order.json'), JSON.stringify({ ...polarFixture.payload, timestamp: new Date().toISOString() }));
    fs.writeFileSync(path.join(bare, 'paddle-customer.json'), JSON.stringify({ ...paddleFixture.payload, event_id: 'evt_01barepayloadreplay00001' }));

    const run = await replay(bare, ...secretArgs);
    expect(run.code).toBe(0);
    expect(summaryRow(run.stdout, 'polar')).toMatchObject({ accepted: 1 });
    expect(summaryRow(run.stdout, 'paddle')).toMatchObject({ accepted: 1 });
    // a bare Polar payload's webhook-id is derived from its body: the same file again is a duplicate
    const again = await replay(path.join(bare, 'polar-order.json'), ...secretArgs);
    expect(summaryRow(again.stdout, 'polar')).toMatchObject({ duplicates: 1 });

    const forced = await replay(path.join(bare, 'polar-order.json'), '--provider', 'stripe', ...secretArgs);
    expect(forced.code).toBe(2);
    expect(forced.stdout).toMatch(/skipped\s+stripe\s+\S+polar-order\.json\s+\(not a stripe payload/);

    const onlyStripe = await replay(path.join(bare, 'paddle-customer.json'), '--secret', `stripe=${SECRETS.stripe}`);
    expect(onlyStripe.code).toBe(2);
    expect(onlyStripe.stdout).toContain('(no --secret for paddle)');
  });

  it('an unknown project is rejected (404); a missing path or bad option is a usage error', async () => {
    t.clock.now = new Date();
    const run = await refwireCli(['replay', 'fixtures/lemonsqueezy/order_created.oneoff.json', '--url', server.url, '--project', '00000000-0000-4000-8000-000000000000', '--secret', SECRETS.lemonsqueezy]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('(404: unknown project)');

    const missing = await replay('fixtures/no-such-folder', ...secretArgs);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file or folder: fixtures/no-such-folder');
    const badUrl = await refwireCli(['replay', 'fixtures', '--url', 'localhost:3000', '--project', project.id, '--secret', 'x']);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('an http(s) URL');
  });

  it('--json prints the summary and each result for scripts', async () => {
    const run = await replay('fixtures/lemonsqueezy/order_created.oneoff.json', '--json', ...secretArgs);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ summary: { sent: 1, duplicates: 1 }, exit_code: 0 });
    expect(out.results[0]).toMatchObject({ provider: 'lemonsqueezy', kind: 'duplicate', status: 200 });
  });
});
