import type { SqlSession } from '../db/sql';
import { isDisposableEmail } from './disposable-email';

/** What the checks of an application notice. Flags inform the merchant's decision; none refuses an application. */
export const APPLICATION_FLAGS = {
  disposable_email: 'disposable email domain',
  duplicate_address: 'another application came from the same network address',
  duplicate_website: 'another application gave the same website',
} as const;
export type ApplicationFlag = keyof typeof APPLICATION_FLAGS;

/** Applications from one address with other emails count as duplicates for this long. */
const SAME_ADDRESS_DAYS = 30;

/** The host a website names, without `www.`, so `https://www.jane.blog/` and `jane.blog/about` match. */
export function websiteHost(website: string | null | undefined): string | null {
  if (!website) return null;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(website) ? website : `https://${website}`);
    return url.hostname.toLowerCase().replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

/**
 * The flags of an application by `email`: a throwaway mailbox; other applications with other emails from the same
 * address (by its keyed hash) in the last 30 days; another application to the project with the same
 * website host.
 */
export async function applicationFlags(
  tx: SqlSession,
  a: { projectId: string; email: string; website: string | null; addressHash: string | null; at: Date },
): Promise<ApplicationFlag[]> {
  const flags: ApplicationFlag[] = [];
  if (isDisposableEmail(a.email)) flags.push('disposable_email');
  if (a.addressHash) {
    const since = new Date(a.at.getTime() - SAME_ADDRESS_DAYS * 86_400_000);
    const [same] = await tx.query(
      `SELECT 1 FROM affiliate_applications WHERE project_id = $1::uuid AND address_hash = $2 AND email <> $3 AND created_at >= $4::timestamptz LIMIT 1`,
      [a.projectId, a.addressHash, a.email, since],
    );
    if (same) flags.push('duplicate_address');
  }
  const host = websiteHost(a.website);
  if (host) {
    // a website is short; comparing hosts in SQL would need a stored host column for little gain at this size
    const rows = await tx.query<{ website: string }>(
      `SELECT website FROM affiliate_applications WHERE project_id = $1::uuid AND email <> $2 AND website IS NOT NULL AND website ILIKE '%' || $3 || '%'`,
      [a.projectId, a.email, host],
    );
    if (rows.some((r) => websiteHost(r.website) === host)) flags.push('duplicate_website');
  }
  return flags;
}
