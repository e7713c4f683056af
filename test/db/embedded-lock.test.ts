import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireEmbeddedLock, DataDirLockedError, readLockHolder } from '../../src/db/embedded-lock';

describe('the embedded data directory lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const leave = (pid: number) => fs.writeFileSync(path.join(dir, 'refwire.lock'), JSON.stringify({ pid, port: 3000, startedAt: '2026-12-01T00:00:00.000Z' }));

  it("takes a lock a hard kill left with this process's own pid (Node is PID 1 in a container, every time)", () => {
    leave(process.pid);
    expect(readLockHolder(dir)).toBeNull();
    const lock = acquireEmbeddedLock(dir);
    lock.setPort(4000);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'refwire.lock'), 'utf8'))).toMatchObject({ pid: process.pid, port: 4000 });
    lock.release();
    expect(fs.existsSync(path.join(dir, 'refwire.lock'))).toBe(false);
  });

  it('is taken whole (written elsewhere, then linked into place): nothing else is left in the directory', () => {
    const lock = acquireEmbeddedLock(dir);
    expect(fs.readdirSync(dir)).toEqual(['refwire.lock']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'refwire.lock'), 'utf8'))).toMatchObject({ pid: process.pid, port: null });
    lock.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a second Refwire in this same process while the first holds it', () => {
    const lock = acquireEmbeddedLock(dir);
    expect(() => acquireEmbeddedLock(dir)).toThrow(DataDirLockedError);
    lock.release();
    acquireEmbeddedLock(dir).release();
  });

  it('takes a lock whose pid is gone, or is a live process that is not Node', async () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      leave(sleeper.pid!);
      expect(readLockHolder(dir)).toBeNull();
    } finally {
      sleeper.kill();
    }
    await new Promise((resolve) => sleeper.once('exit', resolve));
    leave(sleeper.pid!);
    expect(readLockHolder(dir)).toBeNull();
  });

  // Docker: two containers on one volume each run Node as PID 1, in PID namespaces of their own
  it("refuses a lock of another PID namespace while its holder keeps it fresh, and takes it once it is not", () => {
    const file = path.join(dir, 'refwire.lock');
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, port: 3000, startedAt: '2026-12-01T00:00:00.000Z', pidNamespace: 'pid:[1]' }));
    expect(readLockHolder(dir)).toMatchObject({ pid: process.pid, pidNamespace: 'pid:[1]' });
    expect(() => acquireEmbeddedLock(dir)).toThrow(/in use by a Refwire in another container \(pid \d+ there\)/);
    // its holder stopped touching it 21 s ago: left over
    const stale = new Date(Date.now() - 21_000);
    fs.utimesSync(file, stale, stale);
    expect(readLockHolder(dir)).toBeNull();
    const lock = acquireEmbeddedLock(dir);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).pidNamespace).toBe(fs.readlinkSync('/proc/self/ns/pid'));
    lock.release();
  });

  it('keeps its own lock fresh while held', async () => {
    const file = path.join(dir, 'refwire.lock');
    const lock = acquireEmbeddedLock(dir, 50);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    await new Promise((r) => setTimeout(r, 200));
    expect(Date.now() - fs.statSync(file).mtimeMs).toBeLessThan(1_000);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses while another Node process holds it', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      leave(other.pid!);
      expect(readLockHolder(dir)).toMatchObject({ pid: other.pid, port: 3000 });
      expect(() => acquireEmbeddedLock(dir)).toThrow(DataDirLockedError);
    } finally {
      other.kill();
    }
  });
});
