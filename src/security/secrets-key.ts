import { ConfigError } from '../config/env';

/** SECRETS_KEY is 32 bytes written as 64 hex characters or as base64 (standard or URL-safe). */
export function parseSecretsKey(value: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new ConfigError(
    'SECRETS_KEY must be 32 bytes as 64 hex characters or base64 (generate one with: openssl rand -hex 32)',
  );
}
