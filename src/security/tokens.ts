import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API keys are 32 random bytes: a SHA-256 of them is enough to store (no slow hash needed for such entropy). */
export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = `rw_${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashToken(key), prefix: key.slice(0, 10) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two strings of any length (compares their hashes). */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(hashToken(a), 'hex'), Buffer.from(hashToken(b), 'hex'));
}
