import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { SqlSession } from '../db/sql';

/** What a code confirms: an application to a program, or an affiliate signing in to the portal. */
export type CodePurpose = 'application' | 'sign_in';

/** PRODUCT.md §12: a code is valid 10 minutes and allows 5 tries. */
export const CODE_VALID_MINUTES = 10;
export const CODE_MAX_TRIES = 5;

export type RedeemResult = 'ok' | 'no_code' | 'expired' | 'too_many_attempts' | 'wrong_code';

// bound to its project, address and purpose, so a code's hash proves nothing anywhere else
const hashOf = (projectId: string, email: string, purpose: CodePurpose, code: string) =>
  createHash('sha256').update(`${projectId}\n${email}\n${purpose}\n${code}`).digest('hex');

const keyOf = (email: string) => email.trim().toLowerCase();

/**
 * Makes a new 6-digit code for the address, replacing any earlier one for the same project and purpose (a resend
 * ends the previous code, and with it the tries it had used). Only its hash is stored; the caller emails the
 * code in the same transaction.
 */
export async function issueOneTimeCode(tx: SqlSession, args: { projectId: string; email: string; purpose: CodePurpose; at: Date }): Promise<string> {
  const email = keyOf(args.email);
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(args.at.getTime() + CODE_VALID_MINUTES * 60_000);
  await tx.query(
    `INSERT INTO one_time_codes (project_id, email, purpose, code_hash, attempts, expires_at, consumed_at, created_at)
     VALUES ($1::uuid, $2, $3, $4, 0, $5::timestamptz, NULL, $6::timestamptz)
     ON CONFLICT (project_id, email, purpose)
     DO UPDATE SET code_hash = EXCLUDED.code_hash, attempts = 0, expires_at = EXCLUDED.expires_at, consumed_at = NULL, created_at = EXCLUDED.created_at`,
    [args.projectId, email, args.purpose, hashOf(args.projectId, email, args.purpose, code), expiresAt, args.at],
  );
  return code;
}

/**
 * Checks a code. The right one is consumed (it works once); a wrong one uses a try, and the fifth wrong try ends
 * the code, so a sixth attempt answers `too_many_attempts` even with the right code. The row is locked while it
 * is judged: two guesses at once cannot both use the same try.
 */
export async function redeemOneTimeCode(
  tx: SqlSession,
  args: { projectId: string; email: string; purpose: CodePurpose; code: string; at: Date },
): Promise<RedeemResult> {
  const email = keyOf(args.email);
  const [row] = await tx.query<{ id: string; code_hash: string; attempts: number; expires_at: Date; consumed_at: Date | null }>(
    `SELECT id, code_hash, attempts, expires_at, consumed_at FROM one_time_codes
      WHERE project_id = $1::uuid AND email = $2 AND purpose = $3 FOR UPDATE`,
    [args.projectId, email, args.purpose],
  );
  if (!row || row.consumed_at) return 'no_code';
  if (row.attempts >= CODE_MAX_TRIES) return 'too_many_attempts';
  if (new Date(row.expires_at).getTime() <= args.at.getTime()) return 'expired';
  const given = Buffer.from(hashOf(args.projectId, email, args.purpose, args.code.trim()), 'hex');
  if (/^\d{6}$/.test(args.code.trim()) && timingSafeEqual(given, Buffer.from(row.code_hash, 'hex'))) {
    await tx.query(`UPDATE one_time_codes SET consumed_at = $2::timestamptz WHERE id = $1::uuid`, [row.id, args.at]);
    return 'ok';
  }
  await tx.query(`UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = $1::uuid`, [row.id]);
  return 'wrong_code';
}

/** The answer a person reads for each refusal (the status is the caller's: 400/401 as its contract says). */
export const REDEEM_ERRORS: Record<Exclude<RedeemResult, 'ok'>, string> = {
  no_code: 'no code is waiting for this email: ask for a new one',
  expired: `the code has expired (codes are valid ${CODE_VALID_MINUTES} minutes): ask for a new one`,
  too_many_attempts: `the code was tried ${CODE_MAX_TRIES} times: ask for a new one`,
  wrong_code: 'the code is not correct',
};
