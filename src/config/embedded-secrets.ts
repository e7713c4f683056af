import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './env';

/**
 * In the embedded mode Refwire generates SECRETS_KEY and ADMIN_TOKEN once and keeps them in the data directory
 * (mode 0600), so `npm start` needs no set-up and a restart keeps decrypting what it stored before.
 */
export type EmbeddedSecrets = { secretsKey: string; adminToken: string; createdNow: boolean; file: string };

export const EMBEDDED_SECRETS_FILE = 'secrets.json';

export function loadOrCreateEmbeddedSecrets(dataDir: string): EmbeddedSecrets {
  const file = path.join(dataDir, EMBEDDED_SECRETS_FILE);
  if (fs.existsSync(file)) {
    const damaged = (why: string) =>
      new ConfigError(
        `${file} is damaged (${why}): restore it from a backup, as the integrations' secrets stored here are encrypted with its key; ` +
          'if this data directory never held an integration, delete the file and start again',
      );
    let stored: Partial<Record<string, unknown>>;
    try {
      stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Record<string, unknown>>;
    } catch (err) {
      throw damaged(`not JSON: ${(err as Error).message}`);
    }
    if (stored === null || typeof stored.secrets_key !== 'string' || typeof stored.admin_token !== 'string') {
      throw damaged('it must hold "secrets_key" and "admin_token"');
    }
    return { secretsKey: stored.secrets_key, adminToken: stored.admin_token, createdNow: false, file };
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const secrets = {
    secrets_key: randomBytes(32).toString('hex'),
    admin_token: `rwadm_${randomBytes(24).toString('base64url')}`,
  };
  // written whole and flushed under another name, then linked into place: a crash never leaves an empty or partial
  // file (which no start could read), and the link fails if another process created the file meanwhile; then read theirs
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(secrets, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(temporary, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateEmbeddedSecrets(dataDir);
    throw err;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return { secretsKey: secrets.secrets_key, adminToken: secrets.admin_token, createdNow: true, file };
}
