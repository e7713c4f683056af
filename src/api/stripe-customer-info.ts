import { Router } from 'express';
import { z } from 'zod';
import { formatMajor } from '../domain/currency-digits';
import type { SqlClient } from '../db/sql';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { idFromPath } from './fields';
import { instant, majorText, minor, ok, uuid } from './envelope';
import type { Operation } from './operation';
import { referralResponse, referralRowByEmail, referralView } from './referral-rows';
import { jsonInteger } from '../util/exact-json';

type Payment = { id: string; affiliate_id: string | null; occurred_at: Date; customer_email: string | null; attribution: { method?: string | null } | null };
type Total = { currency: string; sales_minor: string; commission_minor: string };

/**
 * `GET /api/v1/projects/:projectId/stripe-customer-referral-info/:stripeCustomerId` (Refgrow's): who referred a
 * Stripe customer, read from the ledger. The customer is bound to the affiliate of its first attributed payment (the
 * chain's subscription step), so that is the affiliate named; the totals are net of refunds, per currency.
 */
export function stripeCustomerInfoRouter(sql: SqlClient): Router {
  const router = Router();
  router.get('/:projectId/stripe-customer-referral-info/:stripeCustomerId', async (req, res) => {
    const projectId = projectIdOf(req);
    // another project's id: the same answer as none, so a key learns nothing of other projects; one that cannot be
    // an id is the client's bug (400, as every id in an API path)
    if (idFromPath(req.params.projectId, 'project') !== projectId) throw new HttpError(404, 'project not found');
    const customerId = String(req.params.stripeCustomerId);
    const customerKey = `customer:${customerId}`;
    const payments = await sql.query<Payment>(
      `SELECT id, affiliate_id, occurred_at, customer_email, attribution FROM conversions
       WHERE project_id = $1 AND customer_key = $2 AND provider = 'stripe' AND kind IN ('purchase', 'renewal')
       ORDER BY occurred_at, id`,
      [projectId, customerKey],
    );
    const [subject] = await sql.query<{ email: string | null }>(
      `SELECT email FROM attribution_subjects WHERE project_id = $1 AND provider = 'stripe' AND subject_type = 'customer' AND subject_id = $2`,
      [projectId, customerId],
    );
    if (payments.length === 0 && !subject) throw new HttpError(404, `no Stripe customer ${customerId} is known to this project`);

    const email = payments.find((p) => p.customer_email)?.customer_email ?? subject?.email ?? null;
    const first = payments.find((p) => p.affiliate_id !== null) ?? null;
    const [affiliate] = first
      ? await sql.query<{ email: string; referral_code: string }>(`SELECT email, referral_code FROM affiliates WHERE id = $1`, [first.affiliate_id])
      : [];
    const totals = await sql.query<Total>(
      `SELECT currency, sum(base_value_minor)::text AS sales_minor, sum(value_minor)::text AS commission_minor FROM conversions
       WHERE project_id = $1 AND customer_key = $2 AND provider = 'stripe' AND kind IN ('purchase', 'renewal', 'refund')
       GROUP BY currency ORDER BY currency`,
      [projectId, customerKey],
    );
    const referral = email ? await referralRowByEmail(sql, projectId, email) : null;
    res.json(
      ok({
        stripe_customer_id: customerId,
        customer_email: email,
        referred: first !== null,
        affiliate_id: first?.affiliate_id ?? null,
        affiliate_code: affiliate?.referral_code ?? null,
        affiliate_email: affiliate?.email ?? null,
        attribution_method: first?.attribution?.method ?? null,
        first_conversion_date: first?.occurred_at.toISOString() ?? null,
        payments: payments.length,
        totals: totals.map((t) => ({
          currency: t.currency,
          sales: formatMajor(BigInt(t.sales_minor), t.currency),
          sales_minor: jsonInteger(t.sales_minor),
          commission: formatMajor(BigInt(t.commission_minor), t.currency),
          commission_minor: jsonInteger(t.commission_minor),
        })),
        referral: referral ? referralView(referral) : null,
      }),
    );
  });
  return router;
}

const stripeCustomerInfoResponse = z.strictObject({
  stripe_customer_id: z.string(),
  customer_email: z.string().nullable(),
  referred: z.boolean(),
  affiliate_id: uuid.nullable(),
  affiliate_code: z.string().nullable(),
  affiliate_email: z.string().nullable(),
  attribution_method: z.string().nullable(),
  first_conversion_date: instant.nullable(),
  payments: z.number().int(),
  totals: z.array(z.strictObject({ currency: z.string(), sales: majorText, sales_minor: minor, commission: majorText, commission_minor: minor })),
  referral: referralResponse.nullable(),
});

export const stripeCustomerInfoOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/projects/{projectId}/stripe-customer-referral-info/{stripeCustomerId}',
    tag: 'Referrals',
    access: 'api_key',
    summary: "Refgrow's referral information for a Stripe customer: the affiliate it is bound to, how it was attributed, its payments and totals (sales without tax, and commissions) net of refunds",
    description: "projectId must be the API key's own project (else 404, as for an unknown customer).",
    response: stripeCustomerInfoResponse,
  },
];
