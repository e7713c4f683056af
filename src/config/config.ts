import path from 'node:path';
import { parseSecretsKey } from '../security/secrets-key';
import { loadOrCreateEmbeddedSecrets } from './embedded-secrets';
import { ConfigError, parseEnv, type ParsedEnv } from './env';

/** `queryTimeoutMs`: how long a statement may go unanswered before its connection is given up (DATABASE_QUERY_TIMEOUT_SECONDS). */
export type DatabaseTarget = { kind: 'postgres'; url: string; queryTimeoutMs?: number } | { kind: 'embedded'; dir: string };

export type Config = Omit<ParsedEnv, 'secretsKey' | 'adminToken' | 'publicUrl'> & {
  database: DatabaseTarget;
  /** AES-256 key for provider secrets at rest. */
  secretsKey: Buffer;
  /** null: the admin API is disabled (PostgreSQL mode without ADMIN_TOKEN). */
  adminToken: string | null;
  /** PUBLIC_URL when set; null means http://localhost:<the port Refwire listens on> (see publicUrlFor) */
  publicUrl: string | null;
  /** where the embedded mode's generated secrets live, when it generated them */
  embeddedSecretsFile: string | null;
  /** true when the admin token is the embedded mode's generated one, not one the operator set */
  adminTokenGenerated: boolean;
  /** true when this start generated the embedded secrets: a fresh data directory */
  freshDataDir: boolean;
};

/**
 * The whole configuration, resolved once at start. PostgreSQL mode refuses to start without SECRETS_KEY:
 * a generated key would be lost with the container and every stored provider secret with it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = parseEnv(env);
  const dataDir = path.resolve(parsed.dataDir);
  let secretsKey = parsed.secretsKey;
  let adminToken = parsed.adminToken ?? null;
  let embeddedSecretsFile: string | null = null;
  let adminTokenGenerated = false;
  let freshDataDir = false;
  let database: DatabaseTarget;

  if (parsed.databaseUrl) {
    database = { kind: 'postgres', url: parsed.databaseUrl, queryTimeoutMs: parsed.databaseQueryTimeoutSeconds * 1000 };
    if (!secretsKey) {
      throw new ConfigError(
        'SECRETS_KEY is required when DATABASE_URL is set: it encrypts provider secrets at rest. ' +
          'Generate one with: openssl rand -hex 32',
      );
    }
  } else {
    database = { kind: 'embedded', dir: path.join(dataDir, 'pglite') };
    if (!secretsKey || !adminToken) {
      const stored = loadOrCreateEmbeddedSecrets(dataDir);
      secretsKey ??= stored.secretsKey;
      adminTokenGenerated = adminToken === null;
      adminToken ??= stored.adminToken;
      embeddedSecretsFile = stored.file;
      freshDataDir = stored.createdNow;
    }
  }

  return {
    ...parsed,
    dataDir,
    database,
    secretsKey: parseSecretsKey(secretsKey),
    adminToken,
    publicUrl: parsed.publicUrl?.replace(/\/+$/, '') ?? null,
    embeddedSecretsFile,
    adminTokenGenerated,
    freshDataDir,
  };
}

/** Where providers and browsers reach Refwire: PUBLIC_URL, else this machine on the listening port. */
export function publicUrlFor(config: Pick<Config, 'publicUrl'>, port: number): string {
  return config.publicUrl ?? `http://localhost:${port}`;
}
