import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripeAdapter } from '../../src/providers/stripe/adapter';
import { stripeBody } from '../helpers/fixtures';

/**
 * A newcomer's path, with the real `npm start` on a fresh embedded data directory: start, read the admin token
 * from the welcome text, create a project, connect Stripe, deliver a signed event twice, see it listed once,
 * stop, start again and find everything still there.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const SECRET = 'whsec_smoke_test_secret_42';

type Running = { child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> };

function npmStart(dataDir: string): Promise<Running> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /Refwire is running at (http:\/\/localhost:\d+)/.exec(output);
      if (match) {
        clearInterval(timer);
        resolve({ child, url: match[1]!, output: () => output, exited });
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
}

/** SIGTERM to the Refwire process itself (its pid is in the lock file), as an orchestrator would send it. */
async function stop(running: Running, dataDir: string): Promise<number | null> {
  const { pid } = JSON.parse(fs.readFileSync(path.join(dataDir, 'refwire.lock'), 'utf8')) as { pid: number };
  process.kill(pid, 'SIGTERM');
  return running.exited;
}

/**
 * fetch, sent once more when the kept-alive connection it took had been closed by the server as idle: the request
 * never reached the server (undici: "other side closed"). A browser retries such a request on a new connection;
 * undici's fetch does not. Seen under load, after the CLI step below kept the connection idle for seconds.
 */
async function send(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
    return fetch(url, init);
  }
}

async function api(url: string, method: string, token: string, body?: unknown) {
  const res = await send(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('npm start on a fresh embedded data directory', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-smoke-'));
  let running: Running | null = null;
  afterAll(async () => {
    if (running && running.child.exitCode === null) process.kill(-running.child.pid!, 'SIGKILL');
  });

  it('goes from nothing to a stored, deduplicated, listed event, and keeps it across a restart', async () => {
    running = await npmStart(dataDir);
    const welcome = running.output();
    const adminToken = /Admin token: (\S+)/.exec(welcome)?.[1];
    expect(adminToken).toMatch(/^rwadm_/);
    expect(welcome).toContain('No project yet. Create one');
    expect(welcome).toContain(`curl -s -X POST ${running.url}/api/admin/projects`);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
    // the dashboard was built by npm start and is served, with its set-up page waiting for a first user
    expect(welcome).toContain(`Dashboard: ${running.url}/dashboard  (no user yet: its set-up page asks for the admin token)`);
    expect((await fetch(`${running.url}/dashboard/projects/x/overview`)).status).toBe(200);
    expect((await fetch(`${running.url}/dashboard/assets/app.js`)).status).toBe(200);
    expect(await (await fetch(`${running.url}/api/dashboard/setup`)).json()).toEqual({ success: true, data: { needed: true } });

    // the CLI sees the running process holds the embedded database and goes through its admin API
    const created = JSON.parse(
      execFileSync(process.execPath, ['dist/cli.js', 'project', 'create', '--name', 'Smoke', '--currency', 'usd', '--json'], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
      }).toString(),
    ) as { id: string; api_key: string; currency: string };
    expect(created.currency).toBe('USD');

    const connect = await api(`${running.url}/api/v1/integrations/stripe`, 'PUT', created.api_key, { webhook_secret: SECRET });
    expect(connect.status).toBe(200);
    expect(connect.body.data.webhook_url).toBe(`${running.url}/webhook/stripe/${created.id}`);

    const event = stripeBody('invoice.paid.subscription_create.json', { id: 'evt_smoke_1' });
    const deliver = (headers: Record<string, string>) =>
      send(`${running!.url}/webhook/stripe/${created.id}`, { method: 'POST', headers, body: event }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    const first = await deliver(stripeAdapter.sign(event, SECRET, { now: new Date() }));
    expect(first).toEqual({ status: 200, body: { received: true, id: expect.any(String), duplicate: false } });
    const second = await deliver(stripeAdapter.sign(event, SECRET, { now: new Date() }));
    expect(second.body).toEqual({ received: true, id: first.body.id, duplicate: true });
    const forged = await deliver(stripeAdapter.sign(event, 'whsec_forged_secret_value', { now: new Date() }));
    expect(forged.status).toBe(400);

    let listed: Record<string, any> = {};
    for (let i = 0; i < 50; i++) {
      listed = (await api(`${running.url}/api/v1/events`, 'GET', created.api_key)).body;
      if (listed.data?.[0]?.status === 'processed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.pagination.total).toBe(1);
    expect(listed.data[0]).toMatchObject({ id: first.body.id, provider_event_id: 'evt_smoke_1', status: 'processed' });

    expect(await stop(running, dataDir)).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'refwire.lock'))).toBe(false);

    running = await npmStart(dataDir);
    // printed on the first start only; afterwards the banner says where it is kept
    expect(running.output()).not.toContain(adminToken!);
    expect(running.output()).toContain(`Admin token: "admin_token" in ${path.join(dataDir, 'secrets.json')}`);
    expect(running.output()).not.toContain('No project yet');
    const again = await api(`${running.url}/api/v1/events`, 'GET', created.api_key);
    expect(again.body.data.map((e: { provider_event_id: string }) => e.provider_event_id)).toEqual(['evt_smoke_1']);
    // the Stripe secret still decrypts after the restart
    const redelivered = await deliver(stripeAdapter.sign(event, SECRET, { now: new Date() }));
    expect(redelivered.body).toEqual({ received: true, id: first.body.id, duplicate: true });
    expect(await stop(running, dataDir)).toBe(0);
  }, 180_000);
});
