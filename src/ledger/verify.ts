import type { PrismaClient } from '../generated/prisma/client';

export type Check = { name: string; ok: boolean; failures: string[] };

const MAX_LISTED = 50;

/**
 * The ledger's invariants, each checked straight in SQL over one project:
 *  - every refund row reverses an existing purchase/renewal of the project, and reverses no more than it earned;
 *  - one conversion per provider payment, one refund row per refunded level;
 *  - refunded levels stay within what was paid;
 *  - balances (paid + held + eligible) equal the sum of the entries, per affiliate and currency.
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
      WHERE p.project_id = ${projectId}::uuid
      GROUP BY p.id, p.amount_minor, r.refund_level_minor
      HAVING count(*) > 1 OR r.refund_level_minor > p.amount_minor OR r.refund_level_minor <= 0`,
  );
  check(
    'balances equal the sum of their entries',
    await q<{ problem: string }>`
      SELECT 'affiliate ' || affiliate_id::text || ' ' || currency || ': total ' || sum(value_minor)
             || ' but paid + held + eligible = ' || (coalesce(sum(value_minor) FILTER (WHERE paid_at IS NOT NULL), 0)
             + coalesce(sum(value_minor) FILTER (WHERE paid_at IS NULL AND hold_until > ${now}), 0)
             + coalesce(sum(value_minor) FILTER (WHERE paid_at IS NULL AND (hold_until IS NULL OR hold_until <= ${now})), 0)) AS problem
      FROM conversions WHERE project_id = ${projectId}::uuid AND affiliate_id IS NOT NULL
      GROUP BY affiliate_id, currency
      HAVING sum(value_minor) <> coalesce(sum(value_minor) FILTER (WHERE paid_at IS NOT NULL), 0)
             + coalesce(sum(value_minor) FILTER (WHERE paid_at IS NULL AND hold_until > ${now}), 0)
             + coalesce(sum(value_minor) FILTER (WHERE paid_at IS NULL AND (hold_until IS NULL OR hold_until <= ${now})), 0)`,
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
  return { ok: checks.every((c) => c.ok), checks };
}
