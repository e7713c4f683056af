import { z } from 'zod';
import type { SqlClient } from '../db/sql';
import { instant, uuid } from './envelope';
import { ATTRIBUTING_STATUSES, referralAttributes } from '../domain/referral-status';

/** A referral as the API shows it, with its conversion status as the ledger makes it. */
export type ReferralRow = {
  id: string;
  email: string;
  affiliate_id: string | null;
  affiliate_code: string | null;
  /** stored: what the merchant (or the script) set */
  conversion_status: string;
  conversion_date: Date | null;
  /** shown: a pending referral whose affiliate has a purchase of this customer is converted since the first one */
  shown_status: string;
  shown_date: Date | null;
  source: string;
  expires_at: Date | null;
  link_id: string | null;
  created_at: Date;
  updated_at: Date;
};

export type ReferralFilter = {
  affiliateId?: string;
  email?: string;
  /** shown statuses to keep */
  statuses?: string[];
  /** true: only referrals that credit their affiliate; false: only those that do not (the legacy active/inactive) */
  attributing?: boolean;
  /** only those whose signup window is still open at `at` (no window counts as open), or only those past it */
  window?: { at: Date; open: boolean };
};

/**
 * The filter on stored columns alone: $1 project, $2 affiliate, $3 email, $4 stored statuses, $5 attributing, $6 those
 * that attribute, $7 the time a window is judged at, $8 whether it must be open then.
 */
const STORED = `r.project_id = $1 AND ($2::uuid IS NULL OR r.affiliate_id = $2::uuid) AND ($3::text IS NULL OR r.email = $3::text)
  AND ($4::text[] IS NULL OR r.conversion_status = ANY($4::text[]))
  AND ($5::boolean IS NULL OR (r.affiliate_id IS NOT NULL AND r.conversion_status = ANY($6::text[])) = $5::boolean)
  AND ($7::timestamptz IS NULL OR (r.expires_at IS NULL OR r.expires_at >= $7::timestamptz) = $8::boolean)`;

// Converted is read from the ledger rather than stored, so it can never disagree with the payments: the customer's
// first purchase or renewal credited to the referral's own affiliate (each referral probes its email's index).
const shownFrom = (rows: string) => `
  SELECT r.id, r.email, r.affiliate_id, a.referral_code AS affiliate_code, r.conversion_status, r.conversion_date,
         CASE WHEN f.first_at IS NOT NULL THEN 'converted' ELSE r.conversion_status END AS shown_status,
         coalesce(f.first_at, r.conversion_date) AS shown_date,
         r.source, r.expires_at, r.link_id, r.created_at, r.updated_at
  FROM ${rows} r
  LEFT JOIN LATERAL (SELECT referral_code FROM affiliates WHERE id = r.affiliate_id OFFSET 0) a ON true
  LEFT JOIN LATERAL (SELECT min(occurred_at) AS first_at FROM conversions c
                     WHERE c.project_id = r.project_id AND c.customer_email = r.email AND c.affiliate_id = r.affiliate_id
                       AND c.kind IN ('purchase', 'renewal') AND r.conversion_status = 'pending') f ON true`;

/** A shown pending or converted depends on the ledger; every other filter is one of stored columns. */
const DERIVED: readonly string[] = ['pending', 'converted'];

function plan(projectId: string, f: ReferralFilter) {
  const derived = (f.statuses ?? []).filter((s) => DERIVED.includes(s));
  // a shown status comes from the same stored one, or converted from a stored pending
  const stored = f.statuses ? [...new Set([...f.statuses, ...(derived.length > 0 ? ['pending'] : [])])] : null;
  return { derived: derived.length > 0, params: [projectId, f.affiliateId ?? null, f.email ?? null, stored, f.attributing ?? null, ATTRIBUTING_STATUSES, f.window?.at ?? null, f.window?.open ?? null],
  };
}

export async function referralRows(sql: SqlClient, projectId: string, f: ReferralFilter, page: { limit: number; offset: number }): Promise<ReferralRow[]> {
  const { derived, params } = plan(projectId, f);
  if (!derived) {
    // the page first, then the ledger's probes for its rows only
    return sql.query<ReferralRow>(
      `${shownFrom(`(SELECT * FROM referrals r WHERE ${STORED} ORDER BY r.created_at, r.id LIMIT $9 OFFSET $10)`)} ORDER BY r.created_at, r.id`,
      [...params, page.limit, page.offset],
    );
  }
  return sql.query<ReferralRow>(
    `SELECT * FROM (${shownFrom('referrals')} WHERE ${STORED}) x WHERE x.shown_status = ANY($9::text[]) ORDER BY x.created_at, x.id LIMIT $10 OFFSET $11`,
    [...params, f.statuses, page.limit, page.offset],
  );
}

export async function countReferrals(sql: SqlClient, projectId: string, f: ReferralFilter): Promise<number> {
  const { derived, params } = plan(projectId, f);
  const [row] = derived
    ? await sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${shownFrom('referrals')} WHERE ${STORED}) x WHERE x.shown_status = ANY($9::text[])`, [
        ...params,
        f.statuses,
      ])
    : await sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM referrals r WHERE ${STORED}`, params);
  return Number(row!.n);
}

export async function referralRowByEmail(sql: SqlClient, projectId: string, email: string): Promise<ReferralRow | null> {
  return (await referralRows(sql, projectId, { email }, { limit: 1, offset: 0 }))[0] ?? null;
}

/** referralView's answer. */
export const referralResponse = z
  .strictObject({
    id: uuid,
    email: z.string(),
    user_email: z.string(),
    affiliate_id: uuid.nullable(),
    affiliate_code: z.string().nullable(),
    conversion_status: z.enum(['pending', 'converted', 'direct', 'direct_signup']),
    conversion_date: instant.nullable(),
    status: z.enum(['active', 'inactive']),
    source: z.string().describe('api, store_attribution, script, …'),
    expires_at: instant.nullable(),
    link_id: uuid.nullable(),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'Referral' });

export function referralView(r: ReferralRow) {
  return {
    id: r.id,
    email: r.email,
    user_email: r.email,
    affiliate_id: r.affiliate_id,
    affiliate_code: r.affiliate_code,
    conversion_status: r.shown_status,
    conversion_date: r.shown_date?.toISOString() ?? null,
    /** Refwire's: active while the referral credits its affiliate with this customer's payments */
    status: referralAttributes({ conversionStatus: r.conversion_status, affiliateId: r.affiliate_id }) ? 'active' : 'inactive',
    source: r.source,
    /** a public signup's attribution window ends here; null: not windowed */
    expires_at: r.expires_at?.toISOString() ?? null,
    link_id: r.link_id,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}
