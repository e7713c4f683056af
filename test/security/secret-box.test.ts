import { randomBytes } from 'node:crypto';
import { maskSecret, SecretBox } from '../../src/security/secret-box';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('whsec_supersecret', 'p1:stripe:webhook_secret');
    expect(sealed).not.toContain('supersecret');
    expect(box.open(sealed, 'p1:stripe:webhook_secret')).toBe('whsec_supersecret');
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('same', 'c')).not.toBe(box.seal('same', 'c'));
  });

  it('refuses a ciphertext moved to another row or field', () => {
    const sealed = box.seal('whsec_supersecret', 'p1:stripe:webhook_secret');
    expect(() => box.open(sealed, 'p2:stripe:webhook_secret')).toThrow();
    expect(() => box.open(sealed, 'p1:stripe:api_key')).toThrow();
  });

  it('refuses a tampered ciphertext and another key', () => {
    const sealed = box.seal('whsec_supersecret', 'c');
    const parts = sealed.split('.');
    const data = Buffer.from(parts[3]!, 'base64url');
    data[0] = data[0]! ^ 1;
    expect(() => box.open([...parts.slice(0, 3), data.toString('base64url')].join('.'), 'c')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'c')).toThrow();
  });

  it.each([
    ['whsec_abcdefghijklmnopqrstuvwx', 'whsec_…uvwx'],
    ['sk_live_abcdefghijklmnop1234', 'sk_live_…1234'],
    ['pdl_ntfset_01hs0t3tw21j988db1pam5xg8m_GrOW', 'pdl_ntfset_…GrOW'],
    ['short1', '…'],
    ['whsec_short', 'whsec_…'],
  ])('masks %s as %s', (secret, hint) => {
    expect(maskSecret(secret)).toBe(hint);
  });
});
