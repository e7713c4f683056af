import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buildOnce } from '../helpers/processes';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = '/usr/bin/script';

/**
 * `refwire replay` on a terminal draws a progress bar, which hides the cursor and turns line wrapping off. Stopped
 * with Ctrl-C halfway, it gives the terminal both back and says how far it got. `script` gives the command a
 * terminal; a server that answers each delivery after a pause keeps the run going long enough to interrupt it.
 */
(require('node:fs').existsSync(SCRIPT) ? describe : describe.skip)('refwire replay interrupted on a terminal', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    buildOnce();
    server = http.createServer((req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true,"id":"e","duplicate":false}'), 400);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 180_000);
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('restores the cursor and line wrapping, prints what it did, and exits 130', async () => {
    const command = `exec ${process.execPath} dist/cli.js replay fixtures/stripe --url ${url} --project 00000000-0000-4000-8000-000000000000 --secret whsec_interrupted`;
    const child = spawn(SCRIPT, ['-qec', command, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // the bar is drawn and at least one delivery answered
    const started = Date.now();
    while (!/accepted [1-9]/.test(output) && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
    expect(output).toContain('\u001b[?25l');
    // Ctrl-C reaches the terminal's foreground process: replay itself (exec'd by script's shell)
    const pid = Number(require('node:child_process').execFileSync('pgrep', ['-f', '-n', 'dist/cli.js replay fixtures/stripe']).toString().trim());
    process.kill(pid, 'SIGINT');
    const code = await exited;
    expect(output).toMatch(/interrupted after \d+ of \d+: accepted [1-9]\d*, duplicates 0, rejected 0, skipped 0/);
    // shown again after it was hidden, and wrapping back on
    expect(output.lastIndexOf('\u001b[?25h')).toBeGreaterThan(output.lastIndexOf('\u001b[?25l'));
    expect(output.lastIndexOf('\u001b[?7h')).toBeGreaterThan(output.lastIndexOf('\u001b[?7l'));
    // script -e passes on the command's exit code
    expect(code).toBe(130);
  }, 60_000);
});
