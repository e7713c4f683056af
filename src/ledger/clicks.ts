import type { SqlSession } from '../db/sql';

/** The parts of a click the request gives; the visitor is already hashed (src/security/visitor-hash.ts). */
export type ClickInput = { at: Date; landingUrl: string | null; referrer: string | null; visitorHash: string };

/** Page URLs are kept up to the column's 4096 characters; longer ones are cut, not refused. */
const cut = (value: string | null) => (value === null ? null : value.slice(0, 4096));

/**
 * A followed referral link reported by the script: the dated click row and one more on the affiliate's all-time
 * counter, in one statement (so concurrent clicks cannot lose one), for the project's active affiliate with the
 * code. Null when there is none.
 */
export async function recordScriptClick(
  sql: SqlSession,
  projectId: string,
  codeKey: string,
  click: ClickInput,
): Promise<{ clickId: string; cookieDays: number } | null> {
  const [row] = await sql.query<{ click_id: string; cookie_days: number }>(
    `WITH a AS (
       UPDATE affiliates SET clicks = clicks + 1 WHERE project_id = $1 AND referral_code_key = $2 AND status = 'active' RETURNING id, project_id
     ), c AS (
       INSERT INTO clicks (project_id, affiliate_id, link_id, occurred_at, source, landing_url, referrer, visitor_hash)
       SELECT project_id, id, NULL, $3, 'script', $4, $5, $6 FROM a RETURNING id, project_id
     )
     SELECT c.id::text AS click_id, p.cookie_days FROM c JOIN projects p ON p.id = c.project_id`,
    [projectId, codeKey, click.at, cut(click.landingUrl), cut(click.referrer), click.visitorHash],
  );
  return row ? { clickId: row.click_id, cookieDays: row.cookie_days } : null;
}

/** What `/r/:slug` needs to know about a link, in one query. */
export type LinkTarget = {
  id: string;
  project_id: string;
  affiliate_id: string;
  target_url: string;
  active: boolean;
  referral_code: string;
  affiliate_status: string;
  allowed_domains: string[] | null;
};

export async function linkBySlug(sql: SqlSession, slugKey: string): Promise<LinkTarget | null> {
  const [row] = await sql.query<LinkTarget>(
    `SELECT l.id::text AS id, l.project_id::text AS project_id, l.affiliate_id::text AS affiliate_id, l.target_url, l.active,
            a.referral_code, a.status AS affiliate_status, p.allowed_domains
     FROM tracking_links l JOIN affiliates a ON a.id = l.affiliate_id JOIN projects p ON p.id = l.project_id
     WHERE l.slug_key = $1`,
    [slugKey],
  );
  return row ?? null;
}

/** A click through a tracking link: the dated row, and one more on the link's and the affiliate's counters. */
export async function recordLinkClick(sql: SqlSession, link: Pick<LinkTarget, 'id' | 'project_id' | 'affiliate_id'>, click: ClickInput): Promise<string | null> {
  const [row] = await sql.query<{ click_id: string }>(
    `WITH l AS (UPDATE tracking_links SET clicks = clicks + 1 WHERE id = $1 RETURNING id),
          a AS (UPDATE affiliates SET clicks = clicks + 1 WHERE id = $3 RETURNING id)
     INSERT INTO clicks (project_id, affiliate_id, link_id, occurred_at, source, landing_url, referrer, visitor_hash)
     SELECT $2, a.id, l.id, $4, 'link', $5, $6, $7 FROM l, a
     RETURNING id::text AS click_id`,
    [link.id, link.project_id, link.affiliate_id, click.at, cut(click.landingUrl), cut(click.referrer), click.visitorHash],
  );
  // null: the link or its affiliate was deleted meanwhile
  return row?.click_id ?? null;
}

/**
 * The click a public signup names, if it is this project's and this affiliate's and still within its window
 * (`cookieDays` from the click): the signup's referral then remembers the click and its link. An unknown, foreign
 * or expired click id links nothing; the signup itself is judged by its own window.
 */
export async function clickForSignup(
  sql: SqlSession,
  q: { projectId: string; affiliateId: string; clickId: string; now: Date; cookieDays: number },
): Promise<{ clickId: string; linkId: string | null } | null> {
  const [row] = await sql.query<{ id: string; link_id: string | null; occurred_at: Date }>(
    `SELECT id::text AS id, link_id::text AS link_id, occurred_at FROM clicks WHERE id = $1 AND project_id = $2 AND affiliate_id = $3`,
    [q.clickId, q.projectId, q.affiliateId],
  );
  if (!row) return null;
  const at = new Date(row.occurred_at).getTime();
  if (at > q.now.getTime() || q.now.getTime() > at + q.cookieDays * 86_400_000) return null;
  return { clickId: row.id, linkId: row.link_id };
}

/**
 * The retention sweep: click rows older than their project's click_retention_days go, at most `batch` a
 * statement so no transaction grows long. The all-time counters on affiliates and links stay. Returns how many
 * rows went.
 */
export async function sweepClicks(sql: SqlSession, now: Date, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await sql.query<{ n: number }>(
      `WITH doomed AS (
         SELECT c.id FROM projects p
         JOIN LATERAL (
           SELECT id FROM clicks WHERE project_id = p.id AND occurred_at < $1::timestamptz - make_interval(days => p.click_retention_days) LIMIT $2
         ) c ON true
         LIMIT $2
       ), gone AS (DELETE FROM clicks WHERE id IN (SELECT id FROM doomed) RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [now, batch],
    );
    const n = rows[0]?.n ?? 0;
    total += n;
    if (n < batch) return total;
  }
}
