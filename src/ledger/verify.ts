import type { PrismaClient } from '../generated/prisma/client';
import { balance } from '../domain/balances';

export type Check = { name: string; ok: boolean; failures: string[] };

const MAX_LISTED = 50;

/**
 * The ledger's invariants, each checked straight in SQL over one project:
 *  - every refund row reverses an existing purchase/renewal of the project, and reverses no more than it earned;
 *  - one conversion per provider payment, one refund row per refunded level;
 *  - refunded levels stay within what was paid;
 *  - every refund a provider reported of a recorded payment is reversed (refund rows up to the refunded total);
 *  - balances (paid + processing + held + eligible) equal the sum of the entries, per affiliate and currency;
 *  - a refund is paid or in a payout only with or after the payment it reverses;
 *  - a payout's amount is the sum of the rows it took, all of its affiliate and currency; a completed payout's rows
 *    are paid, a pending payout's are not, a failed payout holds none (so no row is in two payouts, by construction
 *    and by check); what is paid equals the completed payouts plus rows marked paid by hand;
 *  - what triggers maintain equals what it sums: the summary's per-affiliate totals and the lists' row counts.
 */
export async function verifyLedger(prisma: PrismaClient, projectId: string, now: Date): Promise<{ ok: boolean; checks: Check[] }> {
  const q = <T>(query: TemplateStringsArray, ...values: unknown[]) => prisma.$queryRaw<T[]>(query, ...values);
  const checks: Check[] = [];
  const check = (name: string, rows: { problem: string }[]) =>
    checks.push({ name, ok: rows.length === 0, failures: rows.slice(0, MAX_LISTED).map((r) => r.problem) });

  check(
    'every reversal is linked to a purchase or renewal of this project',
    await q<{ problem: string }>`
      SELECT 'refund ' || r.id::text || ' reverses ' || coalesce(r.reverses_id::text, 'nothing') AS problem
      FROM conversions r LEFT JOIN conversions p ON p.id = r.reverses_id AND p.project_id = r.project_id AND p.kind IN ('purchase', 'renewal')
      WHERE r.project_id = ${projectId}::uuid AND r.kind = 'refund' AND p.id IS NULL`,
  );
  check(
    'no payment is reversed by more than it earned or was paid',
    await q<{ problem: string }>`
      SELECT 'conversion ' || p.id::text || ': commission ' || p.value_minor || ', reversed ' || -sum(r.value_minor)
             || '; amount ' || p.amount_minor || ', refunded ' || -sum(r.amount_minor) AS problem
      FROM conversions p JOIN conversions r ON r.reverses_id = p.id
      WHERE p.project_id = ${projectId}::uuid
      GROUP BY p.id, p.value_minor, p.amount_minor
      HAVING -sum(r.value_minor) > p.value_minor OR -sum(r.amount_minor) > p.amount_minor
          OR sum(r.value_minor) > 0 OR sum(r.amount_minor) > 0`,
  );
  check(
    'one conversion per provider payment',
    await q<{ problem: string }>`
      SELECT provider || ' payment ' || payment_key || ' counted ' || count(*) || ' times' AS problem
      FROM conversions WHERE project_id = ${projectId}::uuid AND kind IN ('purchase', 'renewal') AND provider IS NOT NULL
      GROUP BY provider, payment_key HAVING count(*) > 1`,
  );
  check(
    'one refund row per refunded level, within what was paid',
    await q<{ problem: string }>`
      SELECT 'conversion ' || p.id::text || ': refunded level ' || r.refund_level_minor || ' of ' || p.amount_minor
             || ' (' || count(*) || ' rows)' AS problem
      FROM conversions p JOIN conversions r ON r.reverses_id = p.id
      -- a row earning given-back money again (amount above 0) may come down to level 0; a row adjusting rows settled
      -- after money was given back (key …:adjust-<n>:<level>) may share a level with a settled step
      WHERE p.project_id = ${projectId}::uuid AND r.external_key NOT LIKE '%:adjust-%'
      GROUP BY p.id, p.amount_minor, r.refund_level_minor, r.amount_minor > 0
      HAVING count(*) > 1 OR r.refund_level_minor > p.amount_minor OR r.refund_level_minor < 0 OR (r.refund_level_minor = 0 AND NOT r.amount_minor > 0)`,
  );
  check(
    'every refund a provider reported of a recorded payment is counted',
    // The refunded total as refundedTotal (src/commission/reversal.ts) makes it, in SQL like every check here. Of a
    // refund reported under several ids, the smallest reading counts: a problem is listed only when even it exceeds
    // what the refund rows reverse. A listed refund is counted by replaying its event. A refund that failed counts
    // nowhere, nor in the cumulative totals reported while it was under way (from its creation to its failure).
    await q<{ problem: string }>`
      WITH read AS (
        SELECT a.provider, a.payment_key, o.observation_key, o.currency, o.cumulative, o.withdrawal, o.occurred_at, o.failed_since,
               -- a refund (or a cumulative refunded total) that names its tax counts by its untaxed share of the
               -- payment's base, carried onto the gross (grossShareOf, src/commission/reversal.ts: rounded half away
               -- from zero)
               CASE WHEN o.tax_minor IS NULL OR g.base IS NULL OR g.base <= 0 THEN o.amount_minor
                    ELSE (sign(o.amount_minor - o.tax_minor)
                          * div(abs((o.amount_minor - o.tax_minor)::numeric * g.gross) + div(g.base, 2), g.base))::bigint
               END AS amount_minor,
               -- distinct refunds that name their tax are carried onto the gross together, rounded once (grossSharesOf)
               CASE WHEN o.tax_minor IS NOT NULL AND g.base > 0 THEN (o.amount_minor - o.tax_minor)::numeric END AS untaxed, g.gross, g.base
        FROM refund_observations o
        -- an observation counts for the payment its id points to, and for the payment keyed by that id itself, as
        -- the recompute reads it (aliasesOf, src/ledger/ledger-inputs.ts): the two differ only where one id was
        -- claimed by another key first (a Checkout's payment intent by its invoice)
        CROSS JOIN LATERAL (
          SELECT x.provider, x.payment_key FROM payment_aliases x
          WHERE x.project_id = o.project_id AND x.provider = o.provider AND x.alias = o.payment_ref
          UNION
          SELECT o.provider, o.payment_ref
          WHERE EXISTS (SELECT 1 FROM conversions k WHERE k.project_id = o.project_id AND k.external_key = o.provider || ':' || o.payment_ref
                          AND k.kind IN ('purchase', 'renewal'))) a
        LEFT JOIN LATERAL (SELECT p.amount_minor::numeric AS gross, (p.amount_minor - p.tax_minor)::numeric AS base FROM conversions p
                           WHERE p.project_id = o.project_id AND p.external_key = a.provider || ':' || a.payment_key
                             AND p.kind IN ('purchase', 'renewal')) g ON o.tax_minor IS NOT NULL
        WHERE o.project_id = ${projectId}::uuid),
      observed AS (
        SELECT DISTINCT ON (provider, payment_key, observation_key) * FROM read
        -- the smallest reading: a cumulative report at its earliest time, a failure at its latest (the widest window)
        ORDER BY provider, payment_key, observation_key, amount_minor, CASE WHEN failed_since IS NULL THEN occurred_at END, occurred_at DESC),
      counted AS (
        SELECT o.*,
               CASE WHEN o.cumulative AND NOT o.withdrawal
                    THEN o.amount_minor - coalesce((SELECT sum(f.amount_minor) FROM observed f
                                                    WHERE f.failed_since IS NOT NULL AND f.provider = o.provider AND f.payment_key = o.payment_key
                                                      AND f.failed_since <= o.occurred_at AND o.occurred_at < f.occurred_at), 0)
               END AS standing,
               o.failed_since IS NULL AND NOT EXISTS (SELECT 1 FROM observed f WHERE f.failed_since IS NOT NULL AND f.provider = o.provider
                                                      AND f.payment_key = o.payment_key AND f.observation_key = 'failed:' || o.observation_key) AS stands
        FROM observed o),
      -- money given back returns only what the withdrawals before it took: their running sum floored at zero, which
      -- is the plain sum less the lowest running sum below zero
      withdrawals AS (
        SELECT provider, payment_key, currency, sum(amount_minor) - least(0, min(running)) AS withdrawn
        FROM (SELECT provider, payment_key, currency, amount_minor,
                     sum(amount_minor) OVER (PARTITION BY provider, payment_key, currency
                                             ORDER BY occurred_at, amount_minor < 0, amount_minor, observation_key) AS running
              FROM counted WHERE withdrawal) w
        GROUP BY provider, payment_key, currency),
      refunded AS (
        SELECT c.provider, c.payment_key, c.currency, greatest(coalesce(max(c.standing), 0),
                                              coalesce(sum(c.amount_minor) FILTER (WHERE NOT c.cumulative AND NOT c.withdrawal AND c.stands AND c.untaxed IS NULL), 0)
                                              + coalesce((sign(sum(c.untaxed) FILTER (WHERE NOT c.cumulative AND NOT c.withdrawal AND c.stands))
                                                          * div(abs(sum(c.untaxed) FILTER (WHERE NOT c.cumulative AND NOT c.withdrawal AND c.stands) * max(c.gross))
                                                                + div(max(c.base), 2), max(c.base)))::bigint, 0))
                                      + coalesce(w.withdrawn, 0) AS total
        FROM counted c LEFT JOIN withdrawals w ON w.provider = c.provider AND w.payment_key = c.payment_key AND w.currency = c.currency
        GROUP BY c.provider, c.payment_key, c.currency, w.withdrawn)
      SELECT 'conversion ' || p.id::text || ' (' || p.provider || ' payment ' || p.payment_key || '): refunded '
             || least(f.total, p.amount_minor) || ' of ' || p.amount_minor || ', reversed ' || coalesce(r.net, 0) AS problem
      FROM refunded f
      -- a payment's row is found by its unique external key, provider:payment_key
      -- a refund in another currency is never counted (src/ledger/refund-currency.ts)
      JOIN conversions p ON p.project_id = ${projectId}::uuid AND p.external_key = f.provider || ':' || f.payment_key
                        AND p.kind IN ('purchase', 'renewal') AND p.currency = f.currency
      -- the refund rows' amounts add up to the level they leave the payment at (given-back money counted back)
      LEFT JOIN LATERAL (SELECT -sum(amount_minor) AS net FROM conversions WHERE reverses_id = p.id AND kind = 'refund') r ON true
      WHERE least(f.total, p.amount_minor) > coalesce(r.net, 0)`,
  );
  check(
    'balances equal the sum of their entries',
    await q<{ problem: string }>`
      SELECT 'affiliate ' || affiliate_id::text || ' ' || currency || ': total ' || coalesce(sum(value_minor) FILTER (WHERE ${balance.counted}), 0)
             || ' but paid + processing + held + eligible = ' || (coalesce(sum(value_minor) FILTER (WHERE ${balance.paid}), 0)
             + coalesce(sum(value_minor) FILTER (WHERE ${balance.processing}), 0)
             + coalesce(sum(value_minor) FILTER (WHERE ${balance.held(now)}), 0)
             + coalesce(sum(value_minor) FILTER (WHERE ${balance.eligible(now)}), 0)) AS problem
      FROM conversions WHERE project_id = ${projectId}::uuid AND affiliate_id IS NOT NULL
      GROUP BY affiliate_id, currency
      HAVING coalesce(sum(value_minor) FILTER (WHERE ${balance.counted}), 0) <> coalesce(sum(value_minor) FILTER (WHERE ${balance.paid}), 0)
             + coalesce(sum(value_minor) FILTER (WHERE ${balance.processing}), 0)
             + coalesce(sum(value_minor) FILTER (WHERE ${balance.held(now)}), 0)
             + coalesce(sum(value_minor) FILTER (WHERE ${balance.eligible(now)}), 0)`,
  );
  check(
    'a commission waiting for review or rejected is neither paid nor in a payout, and its refunds share its review',
    await q<{ problem: string }>`
      SELECT 'conversion ' || c.id::text || ': review ' || coalesce(c.review_status, 'none')
             || CASE WHEN p.id IS NOT NULL THEN ', its payment''s ' || coalesce(p.review_status, 'none') ELSE ' but paid or in a payout' END AS problem
      FROM conversions c LEFT JOIN conversions p ON p.id = c.reverses_id
      WHERE c.project_id = ${projectId}::uuid
        AND ((c.review_status IN ('pending', 'rejected') AND (c.paid_at IS NOT NULL OR c.payout_id IS NOT NULL))
             OR (p.id IS NOT NULL AND c.review_status IS DISTINCT FROM p.review_status))`,
  );
  check(
    'a reversal belongs to the affiliate and currency of what it reverses',
    await q<{ problem: string }>`
      SELECT 'refund ' || r.id::text || ' is booked to ' || coalesce(r.affiliate_id::text, 'nobody') || ' ' || r.currency
             || ', its payment to ' || coalesce(p.affiliate_id::text, 'nobody') || ' ' || p.currency AS problem
      FROM conversions r JOIN conversions p ON p.id = r.reverses_id
      WHERE r.project_id = ${projectId}::uuid AND (r.affiliate_id IS DISTINCT FROM p.affiliate_id OR r.currency <> p.currency)
        AND r.paid_at IS NULL AND p.paid_at IS NULL`,
  );
  check(
    'a refund is paid (or in a payout) only with or after the payment it reverses',
    // paid apart, the payment could be re-rated or move to another affiliate while its reversal stayed as paid
    await q<{ problem: string }>`
      SELECT 'refund ' || r.id::text || ' is ' || CASE WHEN r.paid_at IS NOT NULL THEN 'paid' ELSE 'in payout ' || r.payout_id::text END
             || ', conversion ' || p.id::text || ' it reverses is neither paid nor in that payout' AS problem
      FROM conversions r JOIN conversions p ON p.id = r.reverses_id
      WHERE r.project_id = ${projectId}::uuid AND (r.paid_at IS NOT NULL OR r.payout_id IS NOT NULL) AND p.paid_at IS NULL
        AND (r.paid_at IS NOT NULL OR p.payout_id IS DISTINCT FROM r.payout_id)`,
  );
  check(
    "a payout's amount is the sum of the rows it took, of its affiliate and currency",
    await q<{ problem: string }>`
      SELECT 'payout ' || po.id::text || ' (' || po.status || '): amount ' || po.amount_minor || ' ' || po.currency
             || ', its rows ' || coalesce(sum(c.value_minor), 0) || ' in ' || count(c.id) || ' rows'
             || CASE WHEN bool_or(c.affiliate_id IS DISTINCT FROM po.affiliate_id OR c.currency <> po.currency)
                     THEN ', some of another affiliate or currency' ELSE '' END AS problem
      FROM payouts po LEFT JOIN conversions c ON c.payout_id = po.id
      WHERE po.project_id = ${projectId}::uuid AND po.status <> 'failed'
      GROUP BY po.id, po.status, po.amount_minor, po.currency
      HAVING coalesce(sum(c.value_minor), 0) <> po.amount_minor OR count(c.id) = 0
          OR bool_or(c.affiliate_id IS DISTINCT FROM po.affiliate_id OR c.currency <> po.currency)`,
  );
  check(
    "a row is paid exactly when its payout completed; a failed payout holds no row",
    await q<{ problem: string }>`
      SELECT 'conversion ' || c.id::text || ' is ' || CASE WHEN c.paid_at IS NULL THEN 'unpaid' ELSE 'paid' END
             || ' in ' || po.status || ' payout ' || po.id::text AS problem
      FROM conversions c JOIN payouts po ON po.id = c.payout_id
      WHERE c.project_id = ${projectId}::uuid
        AND ((po.status = 'completed') <> (c.paid_at IS NOT NULL) OR po.status = 'failed')`,
  );
  check(
    'paid equals the completed payouts plus rows marked paid by hand',
    await q<{ problem: string }>`
      WITH paid AS (
        SELECT affiliate_id, currency, sum(value_minor) AS paid, sum(value_minor) FILTER (WHERE payout_id IS NULL) AS by_hand
        FROM conversions WHERE project_id = ${projectId}::uuid AND paid_at IS NOT NULL AND affiliate_id IS NOT NULL
        GROUP BY affiliate_id, currency),
      payouts AS (
        SELECT affiliate_id, currency, sum(amount_minor) AS completed
        FROM payouts WHERE project_id = ${projectId}::uuid AND status = 'completed' GROUP BY affiliate_id, currency)
      SELECT 'affiliate ' || coalesce(p.affiliate_id, o.affiliate_id)::text || ' ' || coalesce(p.currency, o.currency)
             || ': paid ' || coalesce(p.paid, 0) || ', completed payouts ' || coalesce(o.completed, 0)
             || ' + by hand ' || coalesce(p.by_hand, 0) AS problem
      FROM paid p FULL JOIN payouts o ON o.affiliate_id = p.affiliate_id AND o.currency = p.currency
      WHERE coalesce(p.paid, 0) <> coalesce(o.completed, 0) + coalesce(p.by_hand, 0)`,
  );
  check(
    "the summary's maintained totals equal the sum of the conversions, per affiliate and currency",
    await q<{ problem: string }>`
      WITH kept AS (
        SELECT affiliate_id, currency, sum(signups) AS signups, sum(purchases) AS purchases, sum(renewals) AS renewals, sum(refunds) AS refunds,
               sum(revenue_minor) AS revenue, sum(refunded_minor) AS refunded, sum(commission_minor) AS commission,
               sum(pending_minor) AS pending, sum(rejected_minor) AS rejected
        FROM affiliate_totals WHERE project_id = ${projectId}::uuid GROUP BY affiliate_id, currency),
      actual AS (
        SELECT affiliate_id, currency, count(*) FILTER (WHERE kind = 'signup') AS signups, count(*) FILTER (WHERE kind = 'purchase') AS purchases,
               count(*) FILTER (WHERE kind = 'renewal') AS renewals, count(*) FILTER (WHERE kind = 'refund' AND amount_minor < 0) AS refunds,
               coalesce(sum(amount_minor) FILTER (WHERE kind IN ('purchase', 'renewal')), 0) AS revenue,
               coalesce(-sum(amount_minor) FILTER (WHERE kind = 'refund'), 0) AS refunded,
               coalesce(sum(value_minor) FILTER (WHERE kind <> 'signup' AND ${balance.counted}), 0) AS commission,
               coalesce(sum(value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'pending'), 0) AS pending,
               coalesce(sum(value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'rejected'), 0) AS rejected
        FROM conversions WHERE project_id = ${projectId}::uuid AND affiliate_id IS NOT NULL GROUP BY affiliate_id, currency)
      SELECT 'affiliate ' || coalesce(k.affiliate_id, a.affiliate_id)::text || ' ' || coalesce(k.currency, a.currency)
             || ': kept (signups, purchases, renewals, refunds, revenue, refunded, commission, pending, rejected) = '
             || row(k.signups, k.purchases, k.renewals, k.refunds, k.revenue, k.refunded, k.commission, k.pending, k.rejected)::text
             || ', conversions = ' || row(a.signups, a.purchases, a.renewals, a.refunds, a.revenue, a.refunded, a.commission, a.pending, a.rejected)::text AS problem
      FROM kept k FULL JOIN actual a ON a.affiliate_id = k.affiliate_id AND a.currency = k.currency
      WHERE (coalesce(k.signups, 0), coalesce(k.purchases, 0), coalesce(k.renewals, 0), coalesce(k.refunds, 0), coalesce(k.revenue, 0), coalesce(k.refunded, 0),
             coalesce(k.commission, 0), coalesce(k.pending, 0), coalesce(k.rejected, 0))
         <> (coalesce(a.signups, 0), coalesce(a.purchases, 0), coalesce(a.renewals, 0), coalesce(a.refunds, 0), coalesce(a.revenue, 0), coalesce(a.refunded, 0),
             coalesce(a.commission, 0), coalesce(a.pending, 0), coalesce(a.rejected, 0))`,
  );
  check(
    "the lists' maintained totals equal their rows, per key",
    await q<{ problem: string }>`
      WITH kept AS (
        SELECT table_name, key_a, key_b, sum(n) AS n FROM row_counts WHERE project_id = ${projectId}::uuid GROUP BY table_name, key_a, key_b),
      actual AS (
        SELECT 'inbound_events'::text AS table_name, provider::text AS key_a, status::text AS key_b, count(*)::numeric AS n
        FROM inbound_events WHERE project_id = ${projectId}::uuid GROUP BY provider, status
        UNION ALL
        SELECT 'conversions', kind, '', count(*) FROM conversions WHERE project_id = ${projectId}::uuid GROUP BY kind)
      SELECT coalesce(k.table_name, a.table_name) || ' ' || coalesce(k.key_a, a.key_a) || ' ' || coalesce(k.key_b, a.key_b)
             || ': kept ' || coalesce(k.n, 0) || ', rows ' || coalesce(a.n, 0) AS problem
      FROM kept k FULL JOIN actual a ON a.table_name = k.table_name AND a.key_a = k.key_a AND a.key_b = k.key_b
      WHERE coalesce(k.n, 0) <> coalesce(a.n, 0)`,
  );
  return { ok: checks.every((c) => c.ok), checks };
}
