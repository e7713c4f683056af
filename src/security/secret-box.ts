import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for provider secrets at rest. The context (project, provider, field) is bound as additional
 * authenticated data, so a ciphertext copied into another row or field fails to decrypt instead of being used.
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) {
      throw new Error('unrecognised secret format');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/**
 * A hint that lets a merchant recognise a secret without revealing it: at most its last 4 characters, and those
 * only while 12 others stay hidden. A prefix its issuer puts on every such secret (`whsec_`) is public and may be
 * shown too, but only the prefixes the caller names: a secret someone chose (a Lemon Squeezy signing secret) has
 * none, however many "_" it holds.
 */
export function maskSecret(secret: string, publicPrefixes: readonly string[] = []): string {
  const prefix = publicPrefixes.filter((p) => secret.startsWith(p)).reduce((a, b) => (b.length > a.length ? b : a), '');
  const rest = secret.length - prefix.length;
  return rest >= 12 ? `${prefix}…${secret.slice(-4)}` : `${prefix}…`;
}
