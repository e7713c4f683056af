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

  const issued = ['whsec_', 'sk_live_', 'pdl_ntfset_'];
  it.each([
    ['whsec_abcdefghijklmnopqrstuvwx', issued, 'whsec_…uvwx'],
    ['sk_live_abcdefghijklmnop1234', issued, 'sk_live_…1234'],
    ['pdl_ntfset_01hs0t3tw21j988db1pam5xg8m_GrOW', issued, 'pdl_ntfset_…GrOW'],
    ['short1', issued, '…'],
    ['whsec_short', issued, 'whsec_…'],
    // a secret someone chose: no prefix is public, however many "_" it holds; at most its last 4 show
    ['abcdefgh_', [], '…'],
    ['my_chosen_secret_1234', [], '…1234'],
    ['whsec_chosen_by_hand_9876', [], '…9876'],
    ['lower_case_words_', [], '…rds_'],
  ])('masks %s (public prefixes %j) as %s', (secret, prefixes, hint) => {
    expect(maskSecret(secret, prefixes)).toBe(hint);
  });

  it('never shows more than 4 characters beyond a public prefix', () => {
    for (const secret of ['a_b_c_d_e_f_g_h_i_j', 'abcdefghijklmnop_qrstuv', 'x'.repeat(40), 'ab_cd', 'whsec_whsec_abcdefghijklmnop']) {
      expect(maskSecret(secret).replace('…', '').length).toBeLessThanOrEqual(4);
      expect(maskSecret(secret, ['whsec_']).replace(/^whsec_/, '').replace('…', '').length).toBeLessThanOrEqual(4);
    }
  });
});
