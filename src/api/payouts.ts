import { Router } from 'express';
import { z } from 'zod';
import { formatMajor } from '../domain/currency-digits';
import { Prisma, type Affiliate, type Conversion, type Payout, type PrismaClient } from '../generated/prisma/client';
import { balance } from '../domain/balances';
import { missingDetails, recipientOf } from './payout-batches';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { approvePayout, completePayout, createPayoutOnce, failPayout, type PayoutOutcome, type PayoutRefusal, type Settlement } from '../ledger/payouts';
import type { SqlClient } from '../db/sql';
import { currencyCode } from './currency';
import { instant, majorText, minor, ok, page, paginationQuery, uuid } from './envelope';
import { idFromPath, minorAmountQueryField, uuidField } from './fields';
import { idempotencyKeyOf, requestDigest, scopedKey } from './idempotency';
import type { Operation } from './operation';
import { PAYOUT_METHODS } from './payout-methods';
import { conversionResponse, conversionView } from '../views/present';
import { jsonInteger } from '../util/exact-json';

const STATUSES = ['pending', 'completed', 'failed'] as const;

const createBody = z.strictObject({
  affiliate_id: uuidField,
  /** default: the project's currency */
  currency: currencyCode.optional(),
  /** default: the affiliate's payout_method, else manual */
  method: z.enum(PAYOUT_METHODS).optional(),
});
const approveBody = z.strictObject({});
const completeBody = z.strictObject({ reference: z.string().trim().min(1).max(255).nullable().optional() });
const failBody = z.strictObject({ reason: z.string().trim().min(1).max(500).nullable().optional() });
const listQuery = z.object({ ...paginationQuery, status: z.enum(STATUSES).optional(), affiliate_id: uuidField.optional() });
const eligibleQuery = z.object({
  ...paginationQuery,
  currency: currencyCode.optional(),
  /** in minor units of `currency` (without it, of the project's currency); default: the program's minimum_payout */
  minimum_minor: minorAmountQueryField.optional(),
});

const eligibleItem = z.object({
  affiliate_id: z.string(),
  affiliate_email: z.string(),
  affiliate_name: z.string().nullable(),
  affiliate_status: z.string(),
  currency: z.string(),
  eligible: z.string(),
  eligible_minor: z.number().int(),
  minimum_minor: z.number().int().nullable(),
  reaches_minimum: z.boolean(),
  payable: z.boolean(),
  not_payable_reason: z.enum(['suspended', 'inactive', 'not_positive', 'below_minimum']).nullable(),
  payout_method: z.string().nullable(),
  payout_details_present: z.boolean(),
  missing_details: z.array(z.string()),
});
type EligibleItemRow = { affiliate_id: string; currency: string; eligible: string; total: bigint };

/** Why a payout was not made, as the merchant's API and the affiliate's portal both answer it (409, or 404). */
export function payoutRefused(result: PayoutRefusal, currency: string, partial = false): HttpError {
  const money = (minor: bigint) => `${formatMajor(minor, currency)} ${currency}`;
  switch (result.refused) {
    case 'unknown_affiliate':
      return new HttpError(404, 'affiliate not found');
    case 'suspended':
      return new HttpError(409, 'the affiliate is suspended: payouts are frozen until it is reactivated');
    case 'nothing_eligible':
      return new HttpError(409, `nothing eligible to pay in ${currency}: commissions still in their hold period, or already paid`);
    case 'above_eligible':
      return new HttpError(409, `amount_minor: ${money(result.requestedMinor)} is above the eligible balance ${money(result.balanceMinor)}`);
    case 'none_within_amount':
      return new HttpError(
        409,
        `amount_minor: no whole commission fits within ${money(result.requestedMinor)} (eligible balance ${money(result.balanceMinor)}); ask for more, or leave amount_minor out to be paid the whole balance`,
      );
    case 'waiting_refunds':
      return new HttpError(
        409,
        `the eligible balance is ${money(result.balanceMinor)} once the refunds of ${money(-result.waitingMinor)} waiting for a pending payout are counted, and no whole commission fits within it: complete or fail that payout first`,
      );
    case 'inactive':
      return new HttpError(409, 'the affiliate is inactive: a batch pays active affiliates (a single payout pays an inactive one)');
    case 'not_positive':
      return new HttpError(409, `the eligible ${currency} balance is ${formatMajor(result.balanceMinor, currency)}: refunds after earlier payouts are carried forward, nothing to pay`);
    case 'too_large':
      return new HttpError(409, `the eligible balance ${money(result.balanceMinor)} is more than one payout can hold`);
    case 'below_minimum':
      return new HttpError(
        409,
        partial
          ? `the payout would be ${money(result.balanceMinor)} (whole commissions within amount_minor), below minimum_payout ${formatMajor(result.minimumMinor, currency)}`
          : `the eligible balance ${money(result.balanceMinor)} is below minimum_payout ${formatMajor(result.minimumMinor, currency)}`,
      );
  }
}

/**
 * How a payout request is answered, the merchant's and the portal's: 201 with the payout made; 200 with the payout
 * that the first request with the same Idempotency-Key made (a retry); 422 when the key was used for another
 * request; the refusal's error otherwise.
 */
export async function payoutAnswer(
  result: PayoutOutcome,
  currency: string,
  sameFields: string,
  view: (id: string) => Promise<PayoutWithAffiliate>,
  upTo = false,
): Promise<{ status: 200 | 201; body: unknown }> {
  if ('refused' in result) throw payoutRefused(result, currency, upTo);
  if ('conflict' in result) {
    throw new HttpError(422, `Idempotency-Key: already used for another request (payout ${result.conflict.id}); a retry must send the same ${sameFields}`);
  }
  const payout = 'made' in result ? result.made : result.existing;
  return { status: 'made' in result ? 201 : 200, body: ok(payoutView(await view(payout.id))) };
}

/** payoutView's answer, the merchant's and the portal's. */
export const payoutResponse = z
  .strictObject({
    id: uuid,
    affiliate_id: uuid,
    affiliate_email: z.string(),
    amount: majorText,
    amount_minor: minor,
    currency: z.string(),
    method: z.enum(PAYOUT_METHODS),
    status: z.enum(STATUSES),
    requested_by: z.enum(['merchant', 'affiliate']),
    destination: z
      .strictObject({
        paypal_email: z.string().nullable().optional(),
        wise_email: z.string().nullable().optional(),
        details: z.record(z.string(), z.unknown()).nullable().optional(),
      })
      .nullable()
      .describe("the affiliate's payout details when the payout was made: paypal_email (paypal), wise_email and details (wise), details (others)"),
    reference: z.string().nullable(),
    failure_reason: z.string().nullable(),
    conversions_count: z.number().int(),
    created_at: instant,
    approved_at: instant.nullable().describe('when it was approved to be paid: a merchant\'s payout when made; an affiliate\'s request (requested_by affiliate) when the merchant approved or completed it, null until then'),
    completed_at: instant.nullable(),
    failed_at: instant.nullable(),
  })
  .meta({ id: 'Payout' });

type PayoutWithAffiliate = Payout & { affiliate: Pick<Affiliate, 'email'>; _count: { conversions: number } };

export function payoutView(p: PayoutWithAffiliate) {
  return {
    id: p.id,
    affiliate_id: p.affiliateId,
    affiliate_email: p.affiliate.email,
    amount: formatMajor(p.amountMinor, p.currency),
    amount_minor: jsonInteger(p.amountMinor),
    currency: p.currency,
    method: p.method,
    status: p.status,
    requested_by: p.requestedBy,
    destination: p.destination,
    reference: p.reference,
    failure_reason: p.failureReason,
    conversions_count: p._count.conversions,
    created_at: p.createdAt.toISOString(),
    approved_at: p.approvedAt?.toISOString() ?? null,
    completed_at: p.completedAt?.toISOString() ?? null,
    failed_at: p.failedAt?.toISOString() ?? null,
  };
}

export const withAffiliate = { affiliate: { select: { email: true } }, _count: { select: { conversions: true } } } as const;

/** Where the money goes, as the affiliate asked when the payout was made. */
export function destinationOf(a: Affiliate, method: string): Prisma.InputJsonObject {
  if (method === 'paypal') return { paypal_email: a.paypalEmail };
  if (method === 'wise') return { wise_email: a.wiseEmail, details: (a.payoutDetails ?? null) as Prisma.InputJsonValue | null };
  return { details: (a.payoutDetails ?? null) as Prisma.InputJsonValue | null };
}

/**
 * `/api/v1/payouts` (issue 8): a payout takes all of an affiliate's eligible balance in one currency, is sent by
 * the merchant by whatever method, and is then marked completed (its rows become paid) or failed (its rows are
 * eligible again).
 */
export function payoutsRouter(prisma: PrismaClient, sql: SqlClient, clock: () => Date): Router {
  const router = Router();

  async function find(projectId: string, id: unknown) {
    const row = await prisma.payout.findFirst({ where: { projectId, id: idFromPath(id, 'payout') }, include: withAffiliate });
    if (!row) throw new HttpError(404, 'payout not found');
    return row;
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const where = { projectId: projectIdOf(req), status: q.status, affiliateId: q.affiliate_id };
    const [rows, total] = await Promise.all([
      prisma.payout.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: q.offset, take: q.limit, include: withAffiliate }),
      prisma.payout.count({ where }),
    ]);
    res.json(page(rows.map(payoutView), q.limit, q.offset, total));
  });

  // what a payout batch would take now (POST /api/v1/payout-batches), per affiliate and currency
  router.get('/eligible', async (req, res) => {
    const q = eligibleQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    const minimumCurrency = q.currency ?? project.currency;
    const minimum = q.minimum_minor !== undefined ? BigInt(q.minimum_minor) : minimumCurrency === project.currency ? project.minimumPayoutMinor : 0n;
    const rows = await prisma.$queryRaw<EligibleItemRow[]>`
      SELECT c.affiliate_id::text AS affiliate_id, c.currency, sum(c.value_minor)::text AS eligible, count(*) OVER () AS total
      FROM conversions c
      WHERE c.project_id = ${projectId}::uuid AND c.affiliate_id IS NOT NULL AND c.value_minor <> 0 AND ${balance.eligible(clock())}
        ${q.currency ? Prisma.sql`AND c.currency = ${q.currency}` : Prisma.empty}
      GROUP BY c.affiliate_id, c.currency ORDER BY sum(c.value_minor) DESC, c.affiliate_id, c.currency LIMIT ${q.limit} OFFSET ${q.offset}`;
    const affiliates = new Map((await prisma.affiliate.findMany({ where: { projectId, id: { in: rows.map((r) => r.affiliate_id) } } })).map((a) => [a.id, a]));
    const items = rows.map((r) => {
      const a = affiliates.get(r.affiliate_id)!;
      const eligible = BigInt(r.eligible);
      const min = r.currency === minimumCurrency && minimum > 0n ? minimum : null;
      const reaches = eligible > 0n && (min === null || eligible >= min);
      const reason = a.status === 'suspended' ? 'suspended' : a.status !== 'active' ? 'inactive' : eligible <= 0n ? 'not_positive' : reaches ? null : 'below_minimum';
      const r2 = recipientOf(null, a);
      return {
        affiliate_id: a.id,
        affiliate_email: a.email,
        affiliate_name: a.name,
        affiliate_status: a.status,
        currency: r.currency,
        eligible: formatMajor(eligible, r.currency),
        eligible_minor: jsonInteger(eligible),
        minimum_minor: min === null ? null : Number(min),
        reaches_minimum: reaches,
        payable: reason === null,
        not_payable_reason: reason,
        payout_method: a.payoutMethod,
        payout_details_present: missingDetails(a.payoutMethod, r2).length === 0,
        missing_details: missingDetails(a.payoutMethod, r2),
      } satisfies Omit<z.infer<typeof eligibleItem>, 'eligible_minor'> & { eligible_minor: number | bigint };
    });
    res.json(page(items, q.limit, q.offset, rows.length ? Number(rows[0]!.total) : 0));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const [project, affiliate] = await Promise.all([
      prisma.project.findUniqueOrThrow({ where: { id: projectId } }),
      prisma.affiliate.findFirst({ where: { projectId, id: body.affiliate_id } }),
    ]);
    if (!affiliate) throw new HttpError(404, 'affiliate not found');
    // as a batch does (src/api/payout-batches.ts): an affiliate without a payout method is paid by hand
    const method = body.method ?? affiliate.payoutMethod ?? 'manual';
    if (method === 'paypal' && !affiliate.paypalEmail) throw new HttpError(400, 'method: paypal needs the affiliate\'s paypal_email');
    const currency = body.currency ?? project.currency;
    const now = clock();
    const key = idempotencyKeyOf(req);
    const result = await createPayoutOnce(
      prisma,
      {
        projectId,
        affiliateId: affiliate.id,
        currency,
        method,
        destination: destinationOf(affiliate, method),
        now,
        idempotency: key ? { key: scopedKey('api', key), request: requestDigest([affiliate.id, currency, method]) } : null,
      },
      currency === project.currency ? project.minimumPayoutMinor : null,
    );
    const answer = await payoutAnswer(result, currency, 'affiliate_id, currency and method', (id) => find(projectId, id));
    res.status(answer.status).json(answer.body);
  });

  router.get('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    const payout = await find(projectId, req.params.id);
    const conversions: Conversion[] = await prisma.conversion.findMany({ where: { payoutId: payout.id }, orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] });
    res.json(ok({ ...payoutView(payout), conversions: conversions.map((c) => conversionView(c, clock())) }));
  });

  /**
   * `note` is the reference or reason the request gave, and `kept` reads the one the payout holds: sending the same
   * outcome again (a retried request) is answered as if it were the first, but not one that says something else,
   * which would be answered 200 and dropped.
   */
  async function answer(
    projectId: string,
    settled: Settlement,
    target: 'completed' | 'failed',
    note: { name: 'reference' | 'reason'; given: string | null | undefined; kept: (p: NonNullable<Settlement>) => string | null },
    res: import('express').Response,
  ) {
    if (!settled) throw new HttpError(404, 'payout not found');
    if (settled.status !== target) throw new HttpError(409, `the payout is ${settled.status}; only a pending payout can be ${target}`);
    const kept = note.kept(settled);
    if (note.given !== undefined && note.given !== kept) {
      throw new HttpError(409, `the payout was already ${target} ${kept === null ? `without a ${note.name}` : `with the ${note.name} ${JSON.stringify(kept)}`}; it does not change`);
    }
    res.json(ok(payoutView(await find(projectId, settled.id))));
  }

  router.post('/:id/approve', async (req, res) => {
    approveBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const id = idFromPath(req.params.id, 'payout');
    const approved = await approvePayout(prisma, projectId, id, clock());
    if (!approved) throw new HttpError(404, 'payout not found');
    if (approved.status !== 'pending') throw new HttpError(409, `the payout is ${approved.status}; only a pending payout can be approved`);
    res.json(ok(payoutView(await find(projectId, approved.id))));
  });

  router.post('/:id/complete', async (req, res) => {
    const body = completeBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const id = idFromPath(req.params.id, 'payout');
    const settled = await completePayout(prisma, projectId, id, body.reference ?? null, clock());
    await answer(projectId, settled, 'completed', { name: 'reference', given: body.reference, kept: (p) => p.reference }, res);
  });

  router.post('/:id/fail', async (req, res) => {
    const body = failBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const id = idFromPath(req.params.id, 'payout');
    const settled = await failPayout(prisma, sql, projectId, id, body.reason ?? null, clock());
    await answer(projectId, settled, 'failed', { name: 'reason', given: body.reason, kept: (p) => p.failureReason }, res);
  });

  return router;
}

export const payoutOperations: Operation[] = [
  { method: 'get', path: '/api/v1/payouts', tag: 'Payouts', access: 'api_key', summary: 'List payouts, newest first', query: listQuery, answer: 'list', response: payoutResponse },
  {
    method: 'post',
    path: '/api/v1/payouts',
    tag: 'Payouts',
    access: 'api_key',
    summary: "Take an affiliate's whole eligible balance in one currency into a pending payout",
    description:
      'Refused (409) when nothing is eligible, when refunds carried forward leave nothing to pay, or below minimum_payout. An ' +
      'Idempotency-Key header makes a retry answer the payout the first request made (200), and the key with another ' +
      'affiliate_id, currency or method 422.',
    body: createBody,
    status: 201,
    repeat: 'a retry with the Idempotency-Key of a payout already made: that payout',
    errors: [404, 409, 422],
    response: payoutResponse,
  },
  {
    method: 'get',
    path: '/api/v1/payouts/{id}',
    tag: 'Payouts',
    access: 'api_key',
    summary: 'A payout with the conversions it took',
    response: z.strictObject({ ...payoutResponse.shape, conversions: z.array(conversionResponse) }),
  },
  {
    method: 'get',
    path: '/api/v1/payouts/eligible',
    tag: 'Payouts',
    access: 'api_key',
    summary: 'What a payout batch would take now: per affiliate and currency, the eligible balance, whether it reaches the minimum, and whether the affiliate gave payout details',
    description: 'Largest balances first. An affiliate not active (suspended: payouts frozen) or below the minimum is listed with payable false and the reason.',
    query: eligibleQuery,
    answer: 'list',
    response: eligibleItem,
  },
  {
    method: 'post',
    path: '/api/v1/payouts/{id}/approve',
    tag: 'Payouts',
    access: 'api_key',
    summary: "Approve an affiliate's payout request (Refferq's review step): it stays pending until completed or failed",
    description:
      'Emits payout.approved. A payout the merchant made was approved when made, and one approved already is answered as it is; a payout ' +
      'completed without approval is approved as it completes (payout.approved, then payout.completed). A payout no longer pending: 409.',
    body: approveBody,
    errors: [409],
    response: payoutResponse,
  },
  {
    method: 'post',
    path: '/api/v1/payouts/{id}/complete',
    tag: 'Payouts',
    access: 'api_key',
    summary: 'Mark a pending payout sent: its conversions become paid',
    description: 'Sent again for a completed payout, answers it as it is (a retry), unless the request names another reference: 409.',
    body: completeBody,
    errors: [409],
    response: payoutResponse,
  },
  {
    method: 'post',
    path: '/api/v1/payouts/{id}/fail',
    tag: 'Payouts',
    access: 'api_key',
    summary: 'Mark a pending payout failed: its conversions are eligible again',
    description: 'Sent again for a failed payout, answers it as it is (a retry), unless the request names another reason: 409.',
    body: failBody,
    errors: [409],
    response: payoutResponse,
  },
];

/** The schemas above, for the MCP tools that call these routes (src/mcp/tools.ts). */
export { eligibleQuery as payoutEligibleQuery, createBody as payoutCreateBody, completeBody as payoutCompleteBody, failBody as payoutFailBody, listQuery as payoutListQuery };
