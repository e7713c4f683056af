import { argon2id, hash, verify } from 'argon2';

/**
 * Dashboard passwords, argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): about 0.1 s on
 * one core here. Heavier settings would let a burst of sign-ins starve webhook processing on the small machines
 * Refwire is meant for; the per-address and per-email sign-in budgets bound guessing instead.
 */
const OPTIONS = { type: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// verified against when the email is unknown, so that answer takes as long as a wrong password
let decoy: Promise<string> | null = null;

/** True when `password` matches `hash`; with no hash (unknown user) spends the same time and answers false. */
export async function passwordMatches(stored: string | null, password: string): Promise<boolean> {
  const against = stored ?? (await (decoy ??= hashPassword('refwire-decoy-password')));
  try {
    const ok = await verify(against, password);
    return ok && stored !== null;
  } catch {
    // a malformed stored hash is a refusal, never a crash of the sign-in
    return false;
  }
}
