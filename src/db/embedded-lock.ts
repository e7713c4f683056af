import fs from 'node:fs';
import path from 'node:path';

/**
 * PGlite is an in-process database: two processes opening one data directory would corrupt it. The running
 * Refwire holds this lock file; other commands (`refwire project create`) see it and talk to that process's
 * HTTP API instead of opening the files.
 */
export type LockHolder = { pid: number; port: number | null; startedAt: string };

const LOCK_FILE = 'refwire.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockHolder(dataDir: string): LockHolder | null {
  const file = path.join(dataDir, LOCK_FILE);
  try {
    const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    return isAlive(holder.pid) ? holder : null;
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
  const file = path.join(dataDir, LOCK_FILE);
  const holder = readLockHolder(dataDir);
  if (holder) throw new DataDirLockedError(dataDir, holder);
  const write = (port: number | null) =>
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, port, startedAt: new Date().toISOString() }));
  write(null);
  return {
    setPort: (port) => write(port),
    release() {
      try {
        const current = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
        if (current.pid === process.pid) fs.unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}
