import { Router } from 'express';
import { z } from 'zod';
import type { SqlClient } from '../db/sql';
import type { PrismaClient, Referral } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { recomputeCustomersByEmail } from '../ledger/reattribute';
import { sqlSessionOf } from '../db/prisma-session';
import { emitReferralRecorded } from '../outbound/emit';
import { conflictAs409, emailField, uuidField } from './fields';
import { ok, page, paginationQuery } from './envelope';
import { resourceOperations, type Operation } from './operation';

const statusField = z.enum(['active', 'inactive']);

const createBody = z.object({
  email: emailField,
  affiliate_id: uuidField.optional(),
  referral_code: z.string().trim().min(1).optional(),
  status: statusField.default('active'),
});

const updateBody = z.object({ affiliate_id: uuidField.optional(), referral_code: z.string().trim().min(1).optional(), status: statusField.optional() });
const listQuery = z.object({ ...paginationQuery, affiliate_id: uuidField.optional(), status: statusField.optional() });

export function referralView(r: Referral) {
  return {
    id: r.id,
    email: r.email,
    user_email: r.email,
    affiliate_id: r.affiliateId,
    status: r.status,
    source: r.source,
    /** a public signup's attribution window ends here; null: not windowed */
    expires_at: r.expiresAt?.toISOString() ?? null,
    link_id: r.linkId,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** The affiliate named by affiliate_id or referral_code, in this project only. */
export async function resolveAffiliate(prisma: PrismaClient, projectId: string, affiliateId?: string, referralCode?: string) {
  if (!affiliateId && !referralCode) throw new HttpError(400, 'affiliate_id or referral_code is required');
  const affiliate = await prisma.affiliate.findFirst({
    where: affiliateId ? { projectId, id: affiliateId } : { projectId, referralCodeKey: referralCode!.toLowerCase() },
  });
  if (!affiliate) throw new HttpError(404, affiliateId ? 'affiliate not found' : 'no affiliate has this referral_code');
  return affiliate;
}

/**
 * `/api/v1/referrals`: customers known by email, the chain's last step. Creating or changing one recomputes that
 * customer's payments, so a payment made before the referral was recorded is attributed now.
 */
export function referralsRouter(prisma: PrismaClient, sql: SqlClient, clock: () => Date): Router {
  const router = Router();

  async function findByEmail(projectId: string, email: unknown) {
    const parsed = emailField.safeParse(String(email));
    const row = parsed.success ? await prisma.referral.findUnique({ where: { projectId_email: { projectId, email: parsed.data } } }) : null;
    if (!row) throw new HttpError(404, 'referral not found');
    return row;
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const where = { projectId: projectIdOf(req), affiliateId: q.affiliate_id, status: q.status };
    const [rows, total] = await Promise.all([
      prisma.referral.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      prisma.referral.count({ where }),
    ]);
    res.json(page(rows.map(referralView), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const affiliate = await resolveAffiliate(prisma, projectId, body.affiliate_id, body.referral_code);
    if (await prisma.referral.findUnique({ where: { projectId_email: { projectId, email: body.email } } })) {
      throw new HttpError(409, 'a referral for this email already exists');
    }
    // the referral and the deliveries announcing it commit together (outbox)
    const row = await conflictAs409(
      prisma.$transaction(async (tx) => {
        const created = await tx.referral.create({ data: { projectId, affiliateId: affiliate.id, email: body.email, status: body.status } });
        await emitReferralRecorded(sqlSessionOf(tx), projectId, created, { source: 'api' }, clock());
        return created;
      }),
      'a referral for this email already exists',
    );
    await recomputeCustomersByEmail(sql, projectId, row.email, clock());
    res.status(201).json(ok(referralView(row)));
  });

  router.get('/:email', async (req, res) => {
    res.json(ok(referralView(await findByEmail(projectIdOf(req), req.params.email))));
  });

  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const current = await findByEmail(projectId, req.params.email);
    const body = updateBody.parse(req.body ?? {});
    const affiliateId =
      body.affiliate_id || body.referral_code ? (await resolveAffiliate(prisma, projectId, body.affiliate_id, body.referral_code)).id : undefined;
    const row = await prisma.referral.update({ where: { id: current.id }, data: { affiliateId, status: body.status } });
    await recomputeCustomersByEmail(sql, projectId, row.email, clock());
    res.json(ok(referralView(row)));
  };
  router.put('/:email', update);
  router.patch('/:email', update);

  return router;
}

const storeBody = z.object({ email: emailField, referral_code: z.string().trim().min(1, 'is required') });

/**
 * `POST /api/store-attribution`: the merchant's backend tells Refwire which referral code a signed-up email came
 * with; it becomes (or moves) that email's referral.
 */
export function storeAttributionRouter(prisma: PrismaClient, sql: SqlClient, clock: () => Date): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = storeBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const affiliate = await resolveAffiliate(prisma, projectId, undefined, body.referral_code);
    const existing = await prisma.referral.findUnique({ where: { projectId_email: { projectId, email: body.email } } });
    const row = existing
      ? // the merchant recorded it now: no longer a public signup's windowed referral
        await prisma.referral.update({ where: { id: existing.id }, data: { affiliateId: affiliate.id, status: 'active', expiresAt: null } })
      : await conflictAs409(
          prisma.$transaction(async (tx) => {
            const created = await tx.referral.create({ data: { projectId, affiliateId: affiliate.id, email: body.email, source: 'store_attribution' } });
            await emitReferralRecorded(sqlSessionOf(tx), projectId, created, { source: 'store_attribution' }, clock());
            return created;
          }),
          'a referral for this email already exists',
        );
    await recomputeCustomersByEmail(sql, projectId, row.email, clock());
    res.status(existing ? 200 : 201).json(ok(referralView(row)));
  });
  return router;
}

export const referralOperations: Operation[] = [
  ...resourceOperations({ path: '/api/v1/referrals', tag: 'Referrals', noun: 'referral', key: 'email', list: listQuery, create: createBody, update: updateBody }),
  {
    method: 'post',
    path: '/api/store-attribution',
    tag: 'Referrals',
    access: 'api_key',
    summary: "Record (or move) the referral of a signed-up email by its referral code; that customer's payments are attributed again",
    body: storeBody,
    status: 201,
    description: '200 when the email already had a referral (it now belongs to the affiliate named), 201 when it is new.',
  },
];

/** The schemas above, for the MCP tools that call these routes (src/mcp/tools.ts). */
export { createBody as referralCreateBody, updateBody as referralUpdateBody, listQuery as referralListQuery };
