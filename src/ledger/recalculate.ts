import type { SqlClient, SqlSession } from '../db/sql';
import { countedSql, notFrozenSql } from '../domain/balances';
import { yieldToIo } from '../util/yield-to-io';
import { recomputeGroupsIn } from './apply-events';

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
 * Customers whose ledgers one transaction recomputes. Each transaction holds its customers' locks, and on the
 * embedded database its one connection, so webhooks wait for it: at about half a millisecond a payment on PGlite,
 * 500 customers keep that wait well under a provider's timeout (Paddle's 5 s), where 10,000 in one held it 6–7 s.
 */
export const RECALCULATION_CUSTOMERS_PER_TRANSACTION = 500;

// the payments a recalculation re-rates ($1 project, $2 from, $3 to, $4 affiliate or null)
const RERATED = `project_id = $1 AND kind IN ('purchase', 'renewal') AND provider IS NOT NULL AND customer_key IS NOT NULL
  AND ${notFrozenSql()} AND review_status IS DISTINCT FROM 'rejected' AND occurred_at >= $2 AND occurred_at < $3
  AND ($4::uuid IS NULL OR affiliate_id = $4::uuid)`;

type Marked = { id: string; currency: string; value_minor: string; counted: boolean };
type Totals = Map<string, { currency: string; before_minor: bigint; after_minor: bigint }>;

/**
 * The one way a rule change reaches payments that occurred before it (PRODUCT.md §11): the merchant asks. The
 * payments that occurred in [from, to) (`to` excluded, as in every period of the API; of one affiliate, if given)
 * and are neither paid nor in a payout are marked to be rated with the rules in force `at`, then their customers' ledgers are recomputed; refunds follow
 * their payments. The mark is a stored fact, so a later event or replay keeps the new rating. Manual conversions
 * keep the value they were created with (PUT changes them), and a rejected commission the value it was rejected
 * with: rejected never pays (PRODUCT.md §12), so no rule reaches it. One pending review is re-rated (approved, it
 * pays by today's rules) but moves no balance until then, so the totals leave it out.
 *
 * Customers are taken a transaction per `customersPerTransaction`, each marking and recomputing its own customers'
 * payments together, so every customer's ledger is either re-rated whole or not at all, and webhooks are stored
 * and events applied in between.
 */
export async function recalculate(sql: SqlClient, projectId: string, r: Recalculation, at: Date, customersPerTransaction = RECALCULATION_CUSTOMERS_PER_TRANSACTION): Promise<RecalculationResult> {
  const params = [projectId, r.from, r.to, r.affiliateId];
  const customers = await sql.query<{ provider: string; customer_key: string }>(
    `SELECT DISTINCT provider, customer_key FROM conversions WHERE ${RERATED} ORDER BY provider, customer_key`,
    params,
  );
  const totals: Totals = new Map();
  let conversions = 0;
  let changed = 0;
  for (let i = 0; i < customers.length; i += customersPerTransaction) {
    if (i > 0) await yieldToIo();
    const chunk = customers.slice(i, i + customersPerTransaction);
    const groups = chunk.map((c) => ({ projectId, provider: c.provider, customerKey: c.customer_key }));
    await sql.transaction(async (tx) => {
      let marked: Marked[] = [];
      let reversedBefore = new Map<string, bigint>();
      await recomputeGroupsIn(tx, groups, at, async () => {
        // marked holding the customers' locks: no event of theirs is applied between the mark and the recompute.
        // The payments and their refunds' rows are locked first, in one pass in id order, the order payouts, reviews
        // and the recompute's writes lock rows in: locked in the scan's order, a payout or an approval taking some
        // of the same rows deadlocked with it, and PostgreSQL cancelled one of the two.
        await tx.query(
          `WITH rerated AS (SELECT id FROM conversions
                            WHERE ${RERATED} AND (provider, customer_key) IN (SELECT * FROM unnest($5::text[], $6::text[])))
           SELECT c.id FROM conversions c
           WHERE c.id = ANY(ARRAY(SELECT id FROM rerated UNION ALL SELECT r.id FROM conversions r WHERE r.reverses_id IN (SELECT id FROM rerated)))
           ORDER BY c.id FOR UPDATE`,
          [...params, chunk.map((c) => c.provider), chunk.map((c) => c.customer_key)],
        );
        marked = await tx.query<Marked>(
          `UPDATE conversions c SET rated_at = $5, updated_at = now()
           FROM (SELECT id, value_minor, ${countedSql} AS counted FROM conversions
                 WHERE ${RERATED} AND (provider, customer_key) IN (SELECT * FROM unnest($6::text[], $7::text[]))
                 FOR UPDATE) AS before
           WHERE c.id = before.id
           RETURNING c.id, c.currency, before.value_minor::text, before.counted`,
          [...params, at, chunk.map((c) => c.provider), chunk.map((c) => c.customer_key)],
        );
        reversedBefore = await reversals(tx, projectId, marked);
      });
      if (marked.length === 0) return;
      const after = new Map(
        (await tx.query<{ id: string; value_minor: string }>('SELECT id, value_minor::text FROM conversions WHERE id = ANY($1::uuid[])', [marked.map((m) => m.id)])).map(
          (row) => [row.id, BigInt(row.value_minor)],
        ),
      );
      const reversedAfter = await reversals(tx, projectId, marked);
      conversions += marked.length;
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
    });
  }
  return { conversions, changed, totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)) };
}

/** A refund of a re-rated payment reverses the new commission in its share: the totals say what the balances move by. */
async function reversals(tx: SqlSession, projectId: string, marked: readonly Marked[]): Promise<Map<string, bigint>> {
  if (marked.length === 0) return new Map();
  const rows = await tx.query<{ id: string; value_minor: string }>(
    `SELECT reverses_id::text AS id, sum(value_minor)::text AS value_minor FROM conversions
      WHERE project_id = $1 AND reverses_id = ANY($2::uuid[]) GROUP BY reverses_id`,
    [projectId, marked.map((m) => m.id)],
  );
  return new Map(rows.map((row) => [row.id, BigInt(row.value_minor)]));
}
