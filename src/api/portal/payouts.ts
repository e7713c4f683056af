import { Router } from 'express';
import { z } from 'zod';
import { Prisma, type PrismaClient } from '../../generated/prisma/client';
import { HttpError } from '../../http/errors';
import { createPayoutOnce } from '../../ledger/payouts';
import { currencyCode } from '../currency';
import { ok, page, paginationQuery } from '../envelope';
import { emailField, idFromPath, minorAmountField } from '../fields';
import type { Operation } from '../operation';
import { bankField, PAYOUT_METHODS, payoutEmailField } from '../payout-methods';
import { idempotencyKeyOf, requestDigest, scopedKey } from '../idempotency';
import { destinationOf, payoutAnswer, payoutRefused, payoutResponse, payoutView, withAffiliate } from '../payouts';
import { missingDetails, recipientOf } from '../payout-batches';
import { portalOf } from './session-auth';

const requestBody = z
  .object({
    /** default: the project's currency */
    currency: currencyCode.optional(),
    /** at most this much, in minor units; default: the whole eligible balance */
    amount_minor: minorAmountField.min(1).optional(),
  })
  .strict();
const listQuery = z.object(paginationQuery);

/** How the affiliate wants to be paid; the method's own field is required, the others are dropped. */
const payoutDetailsBody = z
  .object({
    method: z.enum(['paypal', 'wise', 'bank_transfer']),
    paypal_email: payoutEmailField.optional(),
    wise_email: payoutEmailField.optional(),
    bank: bankField.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const needs = { paypal: 'paypal_email', wise: 'wise_email', bank_transfer: 'bank' } as const;
    // an unknown method is its own field's issue (zod runs this beside it)
    if (Object.hasOwn(needs, b.method) && b[needs[b.method]] === undefined) ctx.addIssue({ code: 'custom', path: [needs[b.method]], message: `required for ${b.method}` });
  });

type Bank = z.infer<typeof bankField>;

/**
 * The affiliate's payouts (Refferq: the affiliate requests, the merchant pays): a request takes eligible
 * commissions into a pending payout through the same code as the merchant's `POST /api/v1/payouts`, marked
 * `requested_by: affiliate` and announced as Refferq's `payout.requested` (the merchant's own payouts as
 * `payout.approved`); the merchant completes or fails it with the payouts API. Payout details are the
 * affiliate's to keep current; each payout keeps the destination it was made with.
 */
export function portalPayoutsRouter(prisma: PrismaClient, clock: () => Date): Router {
  const router = Router({ mergeParams: true });

  router.get('/payouts', async (req, res) => {
    const { affiliate } = portalOf(req);
    const q = listQuery.parse(req.query);
    const where = { affiliateId: affiliate.id };
    const [rows, total] = await Promise.all([
      prisma.payout.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: q.offset, take: q.limit, include: withAffiliate }),
      prisma.payout.count({ where }),
    ]);
    res.json(page(rows.map(payoutView), q.limit, q.offset, total));
  });

  router.get('/payouts/:id', async (req, res) => {
    const { affiliate } = portalOf(req);
    const row = await prisma.payout.findFirst({ where: { id: idFromPath(req.params.id, 'payout'), affiliateId: affiliate.id }, include: withAffiliate });
    if (!row) throw new HttpError(404, 'payout not found');
    res.json(ok(payoutView(row)));
  });

  router.post('/payouts', async (req, res) => {
    const body = requestBody.parse(req.body ?? {});
    const { projectId, affiliate } = portalOf(req);
    const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    if (affiliate.status === 'suspended') throw payoutRefused({ refused: 'suspended' }, project.currency);
    const method = affiliate.payoutMethod;
    if (!method) throw new HttpError(409, 'no payout method yet: set your payout details first (PUT /api/portal/{projectId}/payout-details)');
    // what a payout batch would list as missing (a bank transfer without an IBAN included): no payout nobody can send
    const missing = missingDetails(method, recipientOf(null, affiliate));
    if (missing.length > 0) throw new HttpError(409, `the payout method is ${method} but no ${missing.join(', ')} is set`);
    const currency = body.currency ?? project.currency;
    const key = idempotencyKeyOf(req);
    const result = await createPayoutOnce(
      prisma,
      {
        projectId,
        affiliateId: affiliate.id,
        currency,
        method,
        destination: destinationOf(affiliate, method),
        now: clock(),
        requestedBy: 'affiliate',
        ...(body.amount_minor !== undefined ? { upToMinor: BigInt(body.amount_minor) } : {}),
        // a key is the affiliate's own: another affiliate's same key is another request
        idempotency: key ? { key: scopedKey(`portal:${affiliate.id}`, key), request: requestDigest([currency, body.amount_minor ?? null]) } : null,
      },
      currency === project.currency ? project.minimumPayoutMinor : null,
    );
    const answer = await payoutAnswer(
      result,
      currency,
      'currency and amount_minor',
      (id) => prisma.payout.findUniqueOrThrow({ where: { id }, include: withAffiliate }),
      body.amount_minor !== undefined,
    );
    res.status(answer.status).json(answer.body);
  });

  const detailsView = (a: { payoutMethod: string | null; paypalEmail: string | null; wiseEmail: string | null; payoutDetails: unknown }) => ({
    method: a.payoutMethod,
    paypal_email: a.paypalEmail,
    wise_email: a.wiseEmail,
    bank: ((a.payoutDetails as { bank?: Bank } | null)?.bank ?? null) as Bank | null,
  });

  router.get('/payout-details', (req, res) => {
    res.json(ok(detailsView(portalOf(req).affiliate)));
  });

  router.put('/payout-details', async (req, res) => {
    const body = payoutDetailsBody.parse(req.body ?? {});
    const { affiliate } = portalOf(req);
    // a PUT says all of it: details of another method are not kept behind the affiliate's back
    const row = await prisma.affiliate.update({
      where: { id: affiliate.id },
      data: {
        payoutMethod: body.method,
        paypalEmail: body.method === 'paypal' ? body.paypal_email! : null,
        wiseEmail: body.method === 'wise' ? body.wise_email! : null,
        payoutDetails: body.method === 'bank_transfer' ? ({ bank: body.bank! } as Prisma.InputJsonObject) : Prisma.DbNull,
      },
    });
    res.json(ok(detailsView(row)));
  });

  return router;
}

const payoutDetailsResponse = z.strictObject({
  method: z.enum(PAYOUT_METHODS).nullable(),
  paypal_email: z.string().nullable(),
  wise_email: z.string().nullable(),
  bank: z.strictObject({ account_holder: z.string(), iban: z.string(), bic: z.string().optional() }).nullable(),
});

const base = { tag: 'Affiliate portal', access: 'portal' as const };

export const portalPayoutOperations: Operation[] = [
  { ...base, method: 'get', path: '/api/portal/{projectId}/payouts', summary: "The affiliate's payouts, newest first", query: listQuery, answer: 'list', response: payoutResponse },
  { ...base, method: 'get', path: '/api/portal/{projectId}/payouts/{id}', summary: 'One of the affiliate\'s payouts (404 for anyone else\'s)', response: payoutResponse },
  {
    ...base,
    method: 'post',
    path: '/api/portal/{projectId}/payouts',
    summary: 'Request a payout: eligible commissions into a pending payout (requested_by: affiliate) that the merchant completes',
    description:
      'Without amount_minor, the whole eligible balance in the currency; with it, whole commissions (refunds carried forward first, then the oldest; a refund of an unpaid commission goes with it) ' +
      'each taken when it still fits within what is left of amount_minor. 409 when amount_minor is above the eligible balance, when the payout would be below minimum_payout, when nothing ' +
      'is eligible, when the affiliate is suspended, or without payout details. An Idempotency-Key header (the affiliate\'s own) makes a retry ' +
      'answer the payout the first request made (200), and the key with another currency or amount_minor 422.',
    body: requestBody,
    status: 201,
    repeat: 'a retry with the Idempotency-Key of a payout already requested: that payout',
    errors: [409, 422],
    response: payoutResponse,
  },
  { ...base, method: 'get', path: '/api/portal/{projectId}/payout-details', summary: 'How the affiliate is paid: method, paypal_email, wise_email, bank', response: payoutDetailsResponse },
  {
    ...base,
    method: 'put',
    path: '/api/portal/{projectId}/payout-details',
    summary: 'Set how the affiliate is paid: paypal (paypal_email), wise (wise_email) or bank_transfer (bank: account_holder, iban, bic?)',
    description: 'An invalid email, IBAN (ISO 13616 check digits) or BIC answers 400 naming the field.',
    body: payoutDetailsBody,
    response: payoutDetailsResponse,
  },
];
