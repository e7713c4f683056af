import type { SqlClient } from '../db/sql';
import type { NormalizedEvent, RefundEvent } from '../domain/normalized-event';

/**
 * Why a refund cannot be counted against its payment, when the payment is known and in another currency; else null.
 * A provider refunds in the currency it charged, so another one is a malformed report: reversing 30.00 EUR of a
 * USD payment as 30.00 USD would move money by an exchange rate nobody stated. The ledger never counts such a
 * refund (refundLevelsOf compares currencies too, for a refund recorded before its payment); this names it on the
 * event, which is marked failed.
 */
export async function foreignCurrencyRefund(sql: SqlClient, projectId: string, provider: string, events: readonly NormalizedEvent[]): Promise<string | null> {
  const refunds = events.filter((e): e is RefundEvent => e.kind === 'refund');
  if (refunds.length === 0) return null;
  const paid = await sql.query<{ alias: string; currency: string }>(
    // each alias sought by the key's index (OFFSET 0 keeps the planner from folding it into one scan of the project's)
    `SELECT a.alias, c.currency FROM unnest($3::text[]) AS k(alias)
     CROSS JOIN LATERAL (SELECT alias, provider, payment_key FROM payment_aliases WHERE project_id = $1 AND provider = $2 AND alias = k.alias OFFSET 0) a
     JOIN conversions c ON c.project_id = $1 AND c.external_key = a.provider || ':' || a.payment_key AND c.kind IN ('purchase', 'renewal')`,
    [projectId, provider, [...new Set(refunds.flatMap((r) => r.paymentRefs))]],
  );
  const currencyOf = new Map(paid.map((p) => [p.alias, p.currency]));
  for (const r of refunds) {
    const other = r.paymentRefs.map((ref) => currencyOf.get(ref)).find((c) => c !== undefined && c !== r.currency);
    if (other) return `refund in ${r.currency} of a payment in ${other}: not counted (a provider refunds in the currency it charged)`;
  }
  return null;
}
