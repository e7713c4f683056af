import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Clicks keep no address: only an HMAC-SHA256 of (project, address, user agent) under a key derived from
 * SECRETS_KEY with HKDF. The key is per installation and never stored, so a hash cannot be reversed by trying the
 * 2^32 IPv4 addresses offline, and the project in the input keeps one visitor's hashes apart across projects.
 */
export type VisitorHasher = (projectId: string, address: string, userAgent: string) => string;

export function visitorHasher(secretsKey: Buffer): VisitorHasher {
  const key = Buffer.from(hkdfSync('sha256', secretsKey, Buffer.from('refwire'), Buffer.from('click visitor hash v1'), 32));
  return (projectId, address, userAgent) => createHmac('sha256', key).update(`${projectId}\n${address}\n${userAgent}`, 'utf8').digest('hex');
}
