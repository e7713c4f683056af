import fs from 'node:fs';
import path from 'node:path';

/**
 * PGlite is an in-process database: two processes opening one data directory would corrupt it. The running
 * Refwire holds this lock file; other commands (`refwire project create`) see it and talk to that process's
 * HTTP API instead of opening the files.
 */
export type LockHolder = { pid: number; port: number | null; startedAt: string };

const LOCK_FILE = 'refwire.lock';

/** The lock files this process holds now: its own pid in one of them is a Refwire running here, not a stale lock. */
const heldHere = new Set<string>();

/**
 * Whether the lock's pid is another running Refwire. A lock left by a hard kill (SIGKILL, the OOM killer, a power cut)
 * names a pid that may come back: this very process's in a container, where Node is always PID 1 (a restart loop
 * that never started again), or after a reboot an unrelated process's. So this process's own pid holds only the
 * locks it took itself, and where /proc tells, a live pid that is not a Node process holds nothing.
 */
function isAlive(pid: number, file: string): boolean {
  if (pid === process.pid) return heldHere.has(file);
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node|refwire/i.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    // no /proc (macOS), or no longer there: trust the signal
    return fs.existsSync('/proc/self') ? fs.existsSync(`/proc/${pid}`) : true;
  }
}

export function readLockHolder(dataDir: string): LockHolder | null {
  const file = path.resolve(dataDir, LOCK_FILE);
  try {
    const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    return isAlive(holder.pid, file) ? holder : null;
  } catch {
    return null;
  }
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the data directory ${dataDir} is in use by another Refwire process (pid ${holder.pid}); ` +
        `if no Refwire runs there, delete ${path.join(dataDir, LOCK_FILE)}`,
    );
  }
}

export type EmbeddedLock = { setPort(port: number): void; release(): void };

export function acquireEmbeddedLock(dataDir: string): EmbeddedLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.resolve(dataDir, LOCK_FILE);
  const content = (port: number | null) => JSON.stringify({ pid: process.pid, port, startedAt: new Date().toISOString() });
  // written whole under another name, then linked into place, which fails if the file exists: of two processes
  // starting at once, one takes it and the other sees it held, never a file half written
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content(null));
  try {
    for (;;) {
      try {
        fs.linkSync(temporary, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readLockHolder(dataDir);
        if (holder) throw new DataDirLockedError(dataDir, holder);
        // left by a process that is gone
        fs.rmSync(file, { force: true });
      }
    }
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  heldHere.add(file);
  const write = (port: number | null) => fs.writeFileSync(file, content(port));
  return {
    setPort: (port) => write(port),
    release() {
      heldHere.delete(file);
      try {
        const current = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
        if (current.pid === process.pid) fs.unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}
