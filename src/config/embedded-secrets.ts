import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * In the embedded mode Refwire generates SECRETS_KEY and ADMIN_TOKEN once and keeps them in the data directory
 * (mode 0600), so `npm start` needs no set-up and a restart keeps decrypting what it stored before.
 */
export type EmbeddedSecrets = { secretsKey: string; adminToken: string; createdNow: boolean; file: string };

export const EMBEDDED_SECRETS_FILE = 'secrets.json';

export function loadOrCreateEmbeddedSecrets(dataDir: string): EmbeddedSecrets {
  const file = path.join(dataDir, EMBEDDED_SECRETS_FILE);
  if (fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Record<string, unknown>>;
    if (typeof stored.secrets_key !== 'string' || typeof stored.admin_token !== 'string') {
      throw new Error(`${file} is damaged: it must hold "secrets_key" and "admin_token"`);
    }
    return { secretsKey: stored.secrets_key, adminToken: stored.admin_token, createdNow: false, file };
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const secrets = {
    secrets_key: randomBytes(32).toString('hex'),
    admin_token: `rwadm_${randomBytes(24).toString('base64url')}`,
  };
  // 'wx' fails if another process created the file meanwhile; then read theirs.
  try {
    fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateEmbeddedSecrets(dataDir);
    throw err;
  }
  return { secretsKey: secrets.secrets_key, adminToken: secrets.admin_token, createdNow: true, file };
}
