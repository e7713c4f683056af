import type { SqlClient } from '../db/sql';
import { countedSql, notFrozenSql } from '../domain/balances';
import { recomputeGroups } from './apply-events';

export type Recalculation = { from: Date; to: Date; affiliateId: string | null };

export type RecalculationResult = {
  /** payments re-rated: provider payments in the period, neither paid nor in a payout */
  conversions: number;
  /** of those, how many commissions changed */
  changed: number;
  /**
   * per currency, the commissions of those payments that count in the balances (not pending review) net of their
   * refunds' reversals, before and after, in minor units: what the balances move by
   */
  totals: { currency: string; before_minor: bigint; after_minor: bigint }[];
};

/**
 * The one way a rule change reaches payments that occurred before it (PRODUCT.md §11): the merchant asks. The
 * payments that occurred in [from, to] (of one affiliate, if given) and are neither paid nor in a payout are
 * marked to be rated with the rules in force `at`, then their customers' ledgers are recomputed; refunds follow
 * their payments. The mark is a stored fact, so a later event or replay keeps the new rating. Manual conversions
 * keep the value they were created with (PUT changes them), and a rejected commission the value it was rejected
 * with: rejected never pays (PRODUCT.md §12), so no rule reaches it. One pending review is re-rated (approved, it
 * pays by today's rules) but moves no balance until then, so the totals leave it out.
 */
export async function recalculate(sql: SqlClient, projectId: string, r: Recalculation, at: Date): Promise<RecalculationResult> {
  const marked = await sql.query<{ id: string; provider: string; customer_key: string; currency: string; value_minor: string; counted: boolean }>(
    `UPDATE conversions c SET rated_at = $5, updated_at = now()
     FROM (SELECT id, value_minor, ${countedSql} AS counted FROM conversions
           WHERE project_id = $1 AND kind IN ('purchase', 'renewal') AND provider IS NOT NULL AND customer_key IS NOT NULL
             AND ${notFrozenSql()} AND review_status IS DISTINCT FROM 'rejected' AND occurred_at >= $2 AND occurred_at <= $3
             AND ($4::uuid IS NULL OR affiliate_id = $4::uuid)
           FOR UPDATE) AS before
     WHERE c.id = before.id
     RETURNING c.id, c.provider, c.customer_key, c.currency, before.value_minor::text, before.counted`,
    [projectId, r.from, r.to, r.affiliateId, at],
  );
  if (marked.length === 0) return { conversions: 0, changed: 0, totals: [] };
  // a refund of a re-rated payment reverses the new commission in its share: the totals say what the balances move by
  const reversals = async () =>
    new Map(
      (
        await sql.query<{ id: string; value_minor: string }>(
          `SELECT reverses_id::text AS id, sum(value_minor)::text AS value_minor FROM conversions
            WHERE project_id = $1 AND reverses_id = ANY($2::uuid[]) GROUP BY reverses_id`,
          [projectId, marked.map((m) => m.id)],
        )
      ).map((row) => [row.id, BigInt(row.value_minor)]),
    );
  const reversedBefore = await reversals();
  await recomputeGroups(
    sql,
    marked.map((m) => ({ projectId, provider: m.provider, customerKey: m.customer_key })),
    at,
  );
  const after = new Map(
    (await sql.query<{ id: string; value_minor: string }>('SELECT id, value_minor::text FROM conversions WHERE id = ANY($1::uuid[])', [marked.map((m) => m.id)])).map(
      (row) => [row.id, BigInt(row.value_minor)],
    ),
  );
  const reversedAfter = await reversals();
  const totals = new Map<string, { currency: string; before_minor: bigint; after_minor: bigint }>();
  let changed = 0;
  for (const m of marked) {
    const before = BigInt(m.value_minor);
    const now = after.get(m.id) ?? before;
    if (now !== before) changed += 1;
    if (!m.counted) continue;
    const total = totals.get(m.currency) ?? { currency: m.currency, before_minor: 0n, after_minor: 0n };
    total.before_minor += before + (reversedBefore.get(m.id) ?? 0n);
    total.after_minor += now + (reversedAfter.get(m.id) ?? 0n);
    totals.set(m.currency, total);
  }
  return { conversions: marked.length, changed, totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)) };
}
