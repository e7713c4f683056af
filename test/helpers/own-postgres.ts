import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A PostgreSQL server of the test's own (initdb in a temp dir, its own port), which the test may stop and start.
 * PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
 */
export class OwnPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async create(): Promise<OwnPostgres> {
    const versions = fs.readdirSync('/usr/lib/postgresql').sort();
    const bin = path.join('/usr/lib/postgresql', versions.at(-1)!, 'bin');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-pg-'));
    fs.chmodSync(dir, 0o777);
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const pg = new OwnPostgres(dir, port, bin);
    pg.run('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'root', '--no-sync']);
    await pg.start();
    return pg;
  }

  get url(): string {
    return `postgresql://root@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    const cmd = path.join(this.bin, tool);
    const asRoot = process.getuid?.() === 0;
    const result = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args]) : spawnSync(cmd, args);
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr?.toString() ?? ''}`);
  }

  async start(): Promise<void> {
    this.run('pg_ctl', [
      '-D', path.join(this.dir, 'data'),
      '-l', path.join(this.dir, 'log'),
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w', 'start',
    ]);
  }

  stop(): void {
    this.run('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    execFileSync('rm', ['-rf', this.dir]);
  }
}
