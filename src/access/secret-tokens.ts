import { randomBytes } from 'node:crypto';
import { hashToken } from '../security/tokens';

/**
 * The bearer secrets of the dashboard: session cookies, invitation links and password-reset links. 32 random
 * bytes with a prefix naming the kind (so a token found in a log says what it is); only the SHA-256 is stored, as
 * for API keys: such entropy needs no slow hash.
 */
export const TOKEN_PREFIX = { session: 'rwds_', invitation: 'rwinv_', password_reset: 'rwpr_' } as const;
export type TokenKind = keyof typeof TOKEN_PREFIX;

export function newToken(kind: TokenKind): { token: string; hash: string } {
  const token = `${TOKEN_PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

/** The stored hash of a presented token, or null when it cannot be one of this kind (not looked up at all). */
export function presentedHash(kind: TokenKind, token: string | null | undefined): string | null {
  if (!token) return null;
  const shape = new RegExp(`^${TOKEN_PREFIX[kind]}[A-Za-z0-9_-]{43}$`);
  return shape.test(token) ? hashToken(token) : null;
}
