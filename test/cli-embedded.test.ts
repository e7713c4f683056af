import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from './helpers/postgres';
import { buildOnce, ROOT } from './helpers/processes';

/** Commands that open the embedded database themselves (Refwire not running): they hold its lock while they do. */
describe('refwire commands on the embedded database', () => {
  let dir: string;
  beforeAll(() => buildOnce(), 240_000);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ADMIN_TOKEN: '', SECRETS_KEY: '', DATA_DIR: dir }, encoding: 'utf8', timeout: 120_000 });

  it('migrate and project create open it, and let go of it: nothing of theirs is left beside the data', () => {
    const migrated = run('migrate');
    expect([migrated.status, migrated.stderr]).toEqual([0, '']);
    expect(migrated.stdout).toMatch(/\d+ migration\(s\) applied\n$/);
    const created = run('project', 'create', '--name', 'Acme', '--currency', 'EUR', '--json');
    expect(created.status).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'Acme', currency: 'EUR', api_key: expect.stringMatching(/^rw_/) });
    expect(fs.readdirSync(dir).sort()).toEqual(['pglite', 'secrets.json']);
  }, 240_000);

  it('a command that fails lets go of it too (it exited holding the lock, which a later process with its pid took as held)', () => {
    const replayed = run('events', 'replay', '00000000-0000-4000-8000-000000000000');
    expect(replayed.status).toBe(1);
    expect(replayed.stderr).toMatch(/^refwire: /);
    expect(fs.readdirSync(dir)).not.toContain('refwire.lock');
  }, 240_000);

  it('refuses while a running Refwire holds the data directory', () => {
    // this test process stands for the running Refwire: a live Node process whose pid the lock names
    fs.writeFileSync(path.join(dir, 'refwire.lock'), JSON.stringify({ pid: process.pid, port: null, startedAt: new Date().toISOString() }));
    const migrated = run('migrate');
    expect(migrated.status).toBe(1);
    expect(migrated.stderr).toContain(`Refwire (pid ${process.pid}) is running on ${dir}`);
  });
});

/** What an operator reads when a start cannot go on: one `refwire:` line to act on, not a stack trace. */
describe('refwire start and worker, refused', () => {
  beforeAll(() => buildOnce(), 240_000);
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, env: { ...process.env, REDIS_URL: '', ADMIN_TOKEN: '', ...env }, encoding: 'utf8', timeout: 60_000 });

  it('a damaged secrets.json, for start and a command', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-cli-'));
    try {
      fs.writeFileSync(path.join(dir, 'secrets.json'), '{"secrets_key": ');
      for (const command of [['start'], ['migrate']]) {
        const refused = run(command, { DATABASE_URL: '', SECRETS_KEY: '', DATA_DIR: dir });
        expect(refused.status).toBe(1);
        expect(refused.stderr).toMatch(new RegExp(`^refwire: ${path.join(dir, 'secrets.json').replace(/[.]/g, '\\.')} is damaged \\(not JSON: .*\\): restore it from a backup, .*\n$`));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--version prints the version', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) expect([run([flag], {}).status, run([flag], {}).stdout]).toEqual([0, `${version}\n`]);
  });

  it('a database nobody answers at, for start and worker', () => {
    for (const command of [['start'], ['worker']]) {
      const refused = run(command, { DATABASE_URL: 'postgresql://root@127.0.0.1:1/refwire', SECRETS_KEY: 'a'.repeat(64) });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/^refwire: the database is unreachable or refused the connection: .* \(check DATABASE_URL\)\n$/);
    }
  });

  it('a worker whose METRICS_PORT is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const tdb = await createTestDatabase();
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const refused = run(['worker'], { DATABASE_URL: tdb.url, SECRETS_KEY: 'a'.repeat(64), METRICS_PORT: String(port) });
      expect([refused.status, refused.stderr]).toEqual([1, `refwire: METRICS_PORT ${port} is already in use\n`]);
    } finally {
      taken.close();
      await tdb.drop();
    }
  });
});
