import { randomBytes } from 'node:crypto';
import type { SqlSession } from '../db/sql';
import { hashToken } from '../security/tokens';

/**
 * How an affiliate is signed in to the portal (PRODUCT.md §13). Two kinds of credential, one table and one check:
 *  - `sign_in`: the affiliate entered an emailed code (src/access/one-time-codes.ts); a session cookie, 30 days;
 *  - `embed_token`: the merchant's backend minted it with its API key for a user it has signed in; a bearer token,
 *    10 minutes, so a token copied out of a page is soon worth nothing. Refgrow trusts an email in an HTML
 *    attribute, which anyone can write; a token names its affiliate and project and cannot be forged.
 * Tokens are 32 random bytes; only their SHA-256 is stored, as for API keys.
 */
export type PortalCredentialKind = 'sign_in' | 'embed_token';

export const PORTAL_SESSION_DAYS = 30;
export const EMBED_TOKEN_MINUTES = 10;

const LIFETIME_MS: Record<PortalCredentialKind, number> = {
  sign_in: PORTAL_SESSION_DAYS * 86_400_000,
  embed_token: EMBED_TOKEN_MINUTES * 60_000,
};

// a prefix per kind, so a token found in a log or a page says what it is
const PREFIX: Record<PortalCredentialKind, string> = { sign_in: 'rwps_', embed_token: 'rwpe_' };

export type IssuedCredential = { token: string; expiresAt: Date };

export async function issuePortalCredential(
  tx: SqlSession,
  args: { projectId: string; affiliateId: string; kind: PortalCredentialKind; at: Date },
): Promise<IssuedCredential> {
  const token = `${PREFIX[args.kind]}${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(args.at.getTime() + LIFETIME_MS[args.kind]);
  await tx.query(
    `INSERT INTO portal_sessions (project_id, affiliate_id, kind, token_hash, expires_at, created_at)
     VALUES ($1::uuid, $2::uuid, $3, $4, $5::timestamptz, $6::timestamptz)`,
    [args.projectId, args.affiliateId, args.kind, hashToken(token), expiresAt, args.at],
  );
  return { token, expiresAt };
}

export type PortalSession = { id: string; affiliateId: string; kind: PortalCredentialKind; expiresAt: Date };

/**
 * The session a token stands for, in this project, at `at`; null when it is unknown, of another project, expired
 * or revoked (one answer for all: the caller says 401 and nothing more).
 */
export async function findPortalSession(db: SqlSession, args: { projectId: string; token: string; at: Date }): Promise<PortalSession | null> {
  if (!/^rwp[se]_[A-Za-z0-9_-]{43}$/.test(args.token)) return null;
  const [row] = await db.query<{ id: string; affiliate_id: string; kind: PortalCredentialKind; expires_at: Date }>(
    `SELECT id, affiliate_id, kind, expires_at FROM portal_sessions
      WHERE token_hash = $1 AND project_id = $2::uuid AND revoked_at IS NULL AND expires_at > $3::timestamptz`,
    [hashToken(args.token), args.projectId, args.at],
  );
  return row ? { id: row.id, affiliateId: row.affiliate_id, kind: row.kind, expiresAt: new Date(row.expires_at) } : null;
}

/** Signs a session out: the token stops working at once, whatever its expiry. Revoking it again changes nothing. */
export async function revokePortalSession(db: SqlSession, args: { sessionId: string; at: Date }): Promise<void> {
  await db.query(`UPDATE portal_sessions SET revoked_at = $2::timestamptz WHERE id = $1::uuid AND revoked_at IS NULL`, [args.sessionId, args.at]);
}

/**
 * Ends every credential an affiliate holds (a rejection, PRODUCT.md §13): they stay ended if the merchant later sets
 * the affiliate back to active, which asks for a new sign-in or token.
 */
export async function revokeAffiliatePortalSessions(db: SqlSession, args: { affiliateId: string; at: Date }): Promise<void> {
  await db.query(`UPDATE portal_sessions SET revoked_at = $2::timestamptz WHERE affiliate_id = $1::uuid AND revoked_at IS NULL`, [args.affiliateId, args.at]);
}
