import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createProject } from '../src/projects/projects';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { buildOnce, kill, ROOT, spawnRefwire } from './helpers/processes';
import { buildTestApp } from './helpers/refwire';

/** `refwire user create`, as an operator runs it (compiled), with the password on standard input. */
function refwire(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, env: { ...process.env, REDIS_URL: '', ...env }, input: input ?? '', encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('refwire user create on PostgreSQL', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    buildOnce();
    tdb = await createTestDatabase();
  }, 180_000);
  afterAll(async () => tdb.drop());
  const env = () => ({ DATABASE_URL: tdb.url, SECRETS_KEY: 'd'.repeat(64) });

  it('makes an owner whose password signs in to the dashboard; an existing user becomes owner of another project', async () => {
    const acme = (await createProject(tdb.db.prisma, { name: 'Acme', currency: 'USD' })).id;
    const beta = (await createProject(tdb.db.prisma, { name: 'Beta', currency: 'EUR' })).id;
    const created = refwire(['user', 'create', '--email', 'Owner@Acme.test', '--project', acme, '--password-stdin'], env(), 'a long enough password\n');
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain(`User created: owner@acme.test, owner of project ${acme}`);

    const t = buildTestApp(tdb.db);
    const signedIn = await request(t.app).post('/api/dashboard/login').send({ email: 'owner@acme.test', password: 'a long enough password' }).expect(200);
    expect(signedIn.body.data.memberships).toEqual([{ project_id: acme, project_name: 'Acme', currency: 'USD', role: 'owner' }]);
    await t.runner.stop();

    // no password is read for an existing user, and theirs stays
    const again = refwire(['user', 'create', '--email', 'owner@acme.test', '--project', beta, '--json'], env());
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ id: signedIn.body.data.user.id, email: 'owner@acme.test', project_id: beta, role: 'owner', created: false });
    const rows = await tdb.db.prisma.projectMember.findMany({ where: { userId: signedIn.body.data.user.id }, select: { projectId: true, role: true } });
    expect(rows.map((r) => [r.projectId, r.role]).sort()).toEqual([[acme, 'owner'], [beta, 'owner']].sort());
    expect(await tdb.db.prisma.user.count()).toBe(1);
  });

  it('refuses a short password, an unknown project, a malformed email, and a missing password on a pipe', async () => {
    const acme = (await createProject(tdb.db.prisma, { name: 'Gamma', currency: 'USD' })).id;
    const short = refwire(['user', 'create', '--email', 'new@acme.test', '--project', acme, '--password-stdin'], env(), 'short\n');
    expect([short.code, short.stderr]).toEqual([1, 'refwire: password: must be at least 10 characters\n']);
    const unknown = refwire(['user', 'create', '--email', 'new@acme.test', '--project', '00000000-0000-4000-8000-000000000000', '--password-stdin'], env(), 'a long enough password\n');
    expect([unknown.code, unknown.stderr]).toEqual([1, 'refwire: --project: project not found\n']);
    const email = refwire(['user', 'create', '--email', 'not-an-email', '--project', acme, '--password-stdin'], env(), 'a long enough password\n');
    expect([email.code, email.stderr]).toEqual([1, 'refwire: --email: must be an email address\n']);
    // standard input is not a terminal here, and no --password-stdin: nothing to prompt on
    const noPrompt = refwire(['user', 'create', '--email', 'new@acme.test', '--project', acme], env());
    expect(noPrompt.code).toBe(1);
    expect(noPrompt.stderr).toMatch(/--password-stdin/);
    expect(await tdb.db.prisma.user.count({ where: { email: 'new@acme.test' } })).toBe(0);
  });
});

describe('refwire user create while Refwire runs on the embedded database', () => {
  it('goes through the running process: the first owner only', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-user-'));
    const env = { DATA_DIR: dataDir, DATABASE_URL: '', ADMIN_TOKEN: 'embedded-admin-token-0123456789', SECRETS_KEY: 'e'.repeat(64), PORT: '0' };
    const running = await spawnRefwire(['start'], env);
    try {
      const project = await request(running.url!).post('/api/admin/projects').set('Authorization', `Bearer ${env.ADMIN_TOKEN}`).send({ name: 'Embedded' }).expect(201);
      // without the process's ADMIN_TOKEN, the command reads the data directory's generated one: refused, and told why
      const withoutToken = refwire(['user', 'create', '--email', 'first@acme.test', '--project', project.body.data.id, '--password-stdin'], { ...env, ADMIN_TOKEN: '' }, 'a long enough password\n');
      expect(withoutToken.code).toBe(1);
      expect(withoutToken.stderr).toMatch(/invalid admin token \(this command used the token of .*secrets\.json; if Refwire was started with ADMIN_TOKEN set, set the same ADMIN_TOKEN for this command\)/);
      const created = refwire(['user', 'create', '--email', 'first@acme.test', '--project', project.body.data.id, '--password-stdin'], env, 'a long enough password\n');
      expect(created.stdout).toContain(`User created: first@acme.test, owner of project ${project.body.data.id}`);
      await request(running.url!).post('/api/dashboard/login').send({ email: 'first@acme.test', password: 'a long enough password' }).expect(200);
      const second = refwire(['user', 'create', '--email', 'second@acme.test', '--project', project.body.data.id, '--password-stdin'], env, 'a long enough password\n');
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/a dashboard user already exists.*this command makes the first user only/);
    } finally {
      await kill(running, 'SIGTERM');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
