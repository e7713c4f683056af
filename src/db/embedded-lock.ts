import fs from 'node:fs';
import path from 'node:path';

/**
 * PGlite is an in-process database: two processes opening one data directory would corrupt it. The running
 * Refwire holds this lock file; other commands (`refwire project create`) see it and talk to that process's
 * HTTP API instead of opening the files.
 */
export type LockHolder = {
  pid: number;
  port: number | null;
  startedAt: string;
  /** the holder's PID namespace (`/proc/self/ns/pid`): its pid means something here only when it is this one's */
  pidNamespace?: string | null;
};

const LOCK_FILE = 'refwire.lock';
/** The holder touches the lock this often, and a lock of another PID namespace untouched for STALE_MS is left over. */
const HEARTBEAT_MS = 5_000;
const STALE_MS = 20_000;

function pidNamespace(): string | null {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}
const OWN_NAMESPACE = pidNamespace();

/** The lock files this process holds now: its own pid in one of them is a Refwire running here, not a stale lock. */
const heldHere = new Set<string>();

/**
 * Whether the lock's pid is another running Refwire. A lock left by a hard kill (SIGKILL, the OOM killer, a power cut)
 * names a pid that may come back: this very process's in a container, where Node is always PID 1 (a restart loop
 * that never started again), or after a reboot an unrelated process's. So this process's own pid holds only the
 * locks it took itself, and where /proc tells, a live pid that is not a Node process holds nothing.
 */
function isAlive(holder: LockHolder, file: string): boolean {
  const { pid } = holder;
  // Another container on the same volume (each its own PID namespace, Node PID 1 in each): its pid says nothing
  // here, so the lock is held while its holder keeps touching it. A lock of an older Refwire names no namespace.
  if (holder.pidNamespace != null && holder.pidNamespace !== OWN_NAMESPACE) return Date.now() - fs.statSync(file).mtimeMs < STALE_MS;
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
    return isAlive(holder, file) ? holder : null;
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
      holder.pidNamespace != null && holder.pidNamespace !== OWN_NAMESPACE
        ? `the data directory ${dataDir} is in use by a Refwire in another container (pid ${holder.pid} there), which keeps its lock ` +
            `${path.join(dataDir, LOCK_FILE)} fresh; a lock left by one that stopped is free ${STALE_MS / 1000} s after its last refresh`
        : `the data directory ${dataDir} is in use by another Refwire process (pid ${holder.pid}); ` +
            `if no Refwire runs there, delete ${path.join(dataDir, LOCK_FILE)}`,
    );
  }
}

export type EmbeddedLock = { setPort(port: number): void; release(): void };

export function acquireEmbeddedLock(dataDir: string, heartbeatMs = HEARTBEAT_MS): EmbeddedLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.resolve(dataDir, LOCK_FILE);
  const content = (port: number | null) => JSON.stringify({ pid: process.pid, port, startedAt: new Date().toISOString(), pidNamespace: OWN_NAMESPACE });
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
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      // the directory went away: nothing to keep
    }
  }, heartbeatMs);
  heartbeat.unref();
  // a command that ends with process.exit (a refusal, an error) lets go too, so the lock never outlives its process
  const onExit = () => release();
  process.once('exit', onExit);
  function release() {
    clearInterval(heartbeat);
    process.removeListener('exit', onExit);
    if (!heldHere.delete(file)) return;
    try {
      const current = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
      if (current.pid === process.pid && (current.pidNamespace ?? null) === OWN_NAMESPACE) fs.unlinkSync(file);
    } catch {
      // already gone
    }
  }
  return { setPort: (port) => write(port), release };
}
