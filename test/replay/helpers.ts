import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { HttpHandler } from '../../src/server/app';
import { ROOT } from '../helpers/processes';

export type CliRun = { code: number; stdout: string; stderr: string };

/**
 * `refwire <args>` as its own process (the compiled CLI). Never execFileSync here: the Refwire it posts to runs
 * in this process and must keep answering.
 */
export function refwireCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The summary table's row for `name` (a provider or "total"), as numbers. */
export function summaryRow(stdout: string, name: string): { sent: number; accepted: number; duplicates: number; rejected: number; skipped: number } | null {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) return null;
  const [sent, accepted, duplicates, rejected, skipped] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return { sent: sent!, accepted: accepted!, duplicates: duplicates!, rejected: rejected!, skipped: skipped! };
}

/** The app listening on a real port of this machine. */
export async function listen(app: HttpHandler): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const api = (app: HttpHandler, key: string) => ({
  get: (path: string) => request(app).get(path).set('Authorization', `Bearer ${key}`),
  post: (path: string, body: object) => request(app).post(path).set('Authorization', `Bearer ${key}`).send(body),
  patch: (path: string, body: object) => request(app).patch(path).set('Authorization', `Bearer ${key}`).send(body),
});
