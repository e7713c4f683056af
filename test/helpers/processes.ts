import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Compiles dist/ when it is older than src/ (the battery runs the real `refwire` processes). */
export function buildOnce(): void {
  execFileSync(process.execPath, ['scripts/build.js', '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
}

export type RefwireProcess = { child: ChildProcess; url: string | null; output: () => string; exited: Promise<number | null> };

/** Starts `refwire <args>` as its own OS process; resolves once an API is listening (or at once for a worker). */
// The battery polls the API while it waits: far more than a client's budget (test/http/rate-limit.test.ts
// covers the limit).
export function spawnRefwire(args: string[], env: NodeJS.ProcessEnv): Promise<RefwireProcess> {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const isWorker = args[0] === 'worker';
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const match = /Refwire is running at (http:\/\/localhost:\d+)/.exec(output);
      if (match || (isWorker && /processing stored events/.test(output)) || (isWorker && Date.now() - started > 1500)) {
        clearInterval(timer);
        resolve({ child, url: match?.[1] ?? null, output: () => output, exited });
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`refwire ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

export async function kill(p: RefwireProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exited.catch(() => null);
}

/** A fixed-seed PRNG (mulberry32), so a storm is shuffled the same way every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Runs `work` over items with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!, i);
      }
    }),
  );
  return results;
}
