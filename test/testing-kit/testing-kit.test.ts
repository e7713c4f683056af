import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeliveryRejected, fixture, startRefwire, type RefwireForTests, type TestProject } from '../../src/testing-kit';
import { buildOnce, ROOT } from '../helpers/processes';

/** `refwire/testing` itself: isolation from the environment, waiting, refusals, clean-up, and how it is published. */
describe('refwire/testing', () => {
  let refwire: RefwireForTests;
  let project: TestProject;
  const saved = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL, PORT: process.env.PORT };

  beforeAll(async () => {
    // a merchant's own environment must not leak in: these would break an env-configured start
    Object.assign(process.env, { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1', PORT: '1' });
    refwire = await startRefwire();
    project = await refwire.createProject({ name: 'Kit' });
  }, 120_000);
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    await refwire?.close();
  });

  it('runs on an embedded database in a temporary directory, on a free port of the loopback address only, with an admin token', async () => {
    expect(fs.existsSync(path.join(refwire.dataDir, 'pglite'))).toBe(true);
    expect(refwire.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(refwire.url).not.toBe('http://127.0.0.1:1');
    // not on the machine's other addresses: a test instance (limits off, private outbound targets allowed) stays local
    const port = Number(new URL(refwire.url).port);
    const others = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    for (const address of others) await expect(fetch(`http://${address}:${port}/healthz`)).rejects.toThrow();
    const projects = await fetch(`${refwire.url}/api/admin/projects`, { headers: { authorization: `Bearer ${refwire.adminToken}` } });
    expect(projects.status).toBe(200);
    expect(project).toMatchObject({ name: 'Kit', currency: 'USD', id: expect.any(String), apiKey: expect.stringMatching(/^rw_/) });
  });

  it('send() waits for processing; duplicates, failures and refusals are told apart', async () => {
    const { secret, webhookUrl } = await refwire.connect(project.apiKey, 'stripe');
    expect(secret).toMatch(/^whsec_/);
    expect(webhookUrl).toBe(`${refwire.url}/webhook/stripe/${project.id}`);

    const { payload } = fixture('stripe', 'invoice.paid.subscription_create.json');
    const first = await refwire.send('stripe', project.id, payload);
    expect(first).toEqual({ id: expect.any(String), duplicate: false, status: 'processed', statusReason: null });
    expect(await refwire.send('stripe', project, JSON.stringify(payload))).toMatchObject({ id: first.id, duplicate: true, status: 'processed' });
    // the project named by its API key, as by its id or the object
    expect(await refwire.send('stripe', project.apiKey, payload)).toMatchObject({ id: first.id, duplicate: true, status: 'processed' });

    const ignored = await refwire.send('stripe', project, fixture('stripe', 'product.created.json').payload);
    expect(ignored).toMatchObject({ status: 'ignored', statusReason: expect.stringContaining('product.created') });

    const broken = fixture('stripe', 'invoice.paid.subscription_cycle.json').payload;
    delete broken.data.object.amount_paid;
    const failed = await refwire.send('stripe', project, broken);
    expect(failed).toMatchObject({ status: 'failed', statusReason: expect.stringContaining('amount_paid') });

    await expect(refwire.send('stripe', project, payload, 'whsec_not_the_secret')).rejects.toEqual(
      expect.objectContaining({ name: 'DeliveryRejected', status: 400 }),
    );
    await expect(refwire.send('paddle', project, payload, { secret: 'pdl_ntfset_x' })).rejects.toBeInstanceOf(DeliveryRejected);
    await expect(refwire.send('polar', project, payload)).rejects.toThrow('connect() it first');
  });

  it("send(provider, payload), as PRODUCT.md §16 writes it, goes to the project connect() last connected to that provider", async () => {
    const { payload } = fixture('stripe', 'invoice.paid.subscription_create.json');
    // the project of the test above: the same event again
    expect(await refwire.send('stripe', payload)).toMatchObject({ duplicate: true, status: 'processed' });
    expect(await refwire.send('stripe', JSON.stringify(payload))).toMatchObject({ duplicate: true });
    await expect(refwire.send('paddle', payload)).rejects.toThrow('no project has paddle connected: connect() one first, or name the project');

    const other = await refwire.createProject({ name: 'Kit two' });
    const { secret } = await refwire.connect(other, 'stripe');
    const sent = await refwire.send('stripe', payload, secret);
    expect(sent).toMatchObject({ duplicate: false, status: 'processed' });
    const inOther = await refwire.request(other, 'GET', `/api/v1/events/${sent.id}`);
    expect(inOther.status).toBe(200);
    expect((await refwire.request(project, 'GET', `/api/v1/events/${sent.id}`)).status).toBe(404);
  });

  it('Polar fixtures keep their webhook id; simulate() sends a whole scenario; earnings() reads the affiliate', async () => {
    await refwire.connect(project, 'polar', 'whsec_polar_kit_secret');
    await refwire.connect(project, 'lemonsqueezy');
    await refwire.request(project, 'POST', '/api/v1/affiliates', { email: 'kit@partners.test', referral_code: 'KIT-1' });
    const order = fixture('polar', 'order.paid.purchase.json');
    const a = await refwire.send('polar', project, order.payload, { eventId: order.webhookId });
    const b = await refwire.send('polar', project, order.payload, { eventId: order.webhookId });
    expect([a.duplicate, b.duplicate]).toEqual([false, true]);
    // a bare Polar payload, no webhook id given: its id is the body's, so sent again it is a duplicate too
    const cycle = fixture('polar', 'order.paid.subscription_cycle.json').payload;
    const c = await refwire.send('polar', cycle);
    const d = await refwire.send('polar', cycle);
    expect([c.duplicate, d.duplicate, d.id]).toEqual([false, true, c.id]);

    const { simulation, events } = await refwire.simulate('refund', { provider: 'lemonsqueezy', project, referralCode: 'KIT-1', amountMinor: 1000 });
    expect(events.map((e) => e.status)).toEqual(['processed', 'processed']);
    expect(simulation.expected).toEqual({ payments: [{ kind: 'purchase', amountMinor: 1000 }], refunds: [{ payment: 0, amountMinor: 1000 }] });
    expect(await refwire.earnings(project, 'kit@partners.test')).toMatchObject({ purchases: 1, total_earnings_minor: 0, referral_code: 'KIT-1' });
    await expect(refwire.earnings(project, 'nobody@partners.test')).rejects.toThrow('no affiliate');
  });

  it('close() stops it and removes the temporary directory', async () => {
    const other = await startRefwire();
    const { dataDir, url } = other;
    await other.close();
    expect(fs.existsSync(dataDir)).toBe(false);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 120_000);

  it('docs/testing.md shows the example test the suite runs, verbatim', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'testing.md'), 'utf8');
    const example = fs.readFileSync(path.join(ROOT, 'test', 'testing-kit', 'merchant-example.test.ts'), 'utf8');
    expect(doc).toContain('```ts\n' + example + '```');
  });

  it('is published as refwire/testing (package exports, with types); refwire and its bin still resolve', () => {
    buildOnce();
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        `const kit = require('refwire/testing');
         process.stdout.write(JSON.stringify({
           kit: require.resolve('refwire/testing'), main: require.resolve('refwire'), pkg: require('refwire/package.json').bin.refwire,
           exports: Object.keys(kit).sort() }));`,
      ],
      { cwd: ROOT },
    ).toString();
    const resolved = JSON.parse(out);
    expect(resolved).toMatchObject({ kit: path.join(ROOT, 'dist', 'testing-kit', 'index.js'), main: path.join(ROOT, 'dist', 'main.js'), pkg: 'dist/cli.js' });
    expect(resolved.exports).toEqual(expect.arrayContaining(['startRefwire', 'fixture', 'DeliveryRejected', 'SCENARIOS']));
    expect(fs.existsSync(path.join(ROOT, 'dist', 'testing-kit', 'index.d.ts'))).toBe(true);
  });
});
