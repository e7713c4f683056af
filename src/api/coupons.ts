import { Router } from 'express';
import { z } from 'zod';
import type { Coupon, CouponProviderId, Prisma, PrismaClient } from '../generated/prisma/client';
import { couponIdFields } from '../providers/registry';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { conflictAs409, idFromPath, takingBack, uuidField } from './fields';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import { resourceOperations, type Operation } from './operation';

const providerId = z.string().trim().min(1).max(255).nullable().optional();
/** `stripe_coupon_id`, `paddle_discount_id`, …: one field per provider, named by its adapter */
const PROVIDER_FIELDS = couponIdFields();
const providerIdFields = Object.fromEntries(PROVIDER_FIELDS.map(({ field }) => [field, providerId])) as Record<string, typeof providerId>;

const createBody = z.strictObject({
  affiliate_id: uuidField,
  coupon_code: z
    .string()
    .trim()
    .min(3)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'letters, digits, "-" and "_" only' }),
  ...providerIdFields,
  status: z.enum(['active', 'inactive']).default('active'),
});
type Body = z.infer<typeof updateBody>;
/** The provider ids a body sets: a string sets it, null removes it, a field left out stays as it is. */
const providerIdsOf = (b: Body) =>
  PROVIDER_FIELDS.flatMap(({ provider, field }) => ((b as Record<string, unknown>)[field] === undefined ? [] : [{ provider, field, value: (b as Record<string, string | null>)[field]! }]));
const updateFields = createBody.partial().extend({ status: z.enum(['active', 'inactive']).optional() });
const listQuery = z.object({
  ...paginationQuery,
  status: z.enum(['active', 'inactive']).optional(),
  affiliate_id: uuidField.optional(),
  coupon_code: z.string().trim().min(1).optional(),
});

type CouponWithAffiliate = Coupon & { affiliate: { email: string; referralCode: string }; providerIds: CouponProviderId[] };

const couponResponse = z
  .strictObject({
    id: uuid,
    affiliate_id: uuid,
    coupon_code: z.string(),
    ...(Object.fromEntries(PROVIDER_FIELDS.map(({ field }) => [field, z.string().nullable()])) as Record<string, z.ZodNullable<z.ZodString>>),
    status: z.enum(['active', 'inactive']),
    affiliate_email: z.string(),
    affiliate_referral_code: z.string(),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'Coupon' });
const updateBody = takingBack(updateFields, couponResponse);

function couponView(c: CouponWithAffiliate) {
  return {
    id: c.id,
    affiliate_id: c.affiliateId,
    coupon_code: c.couponCode,
    ...Object.fromEntries(PROVIDER_FIELDS.map(({ provider, field }) => [field, c.providerIds.find((p) => p.provider === provider)?.providerCouponId ?? null])),
    status: c.status,
    affiliate_email: c.affiliate.email,
    affiliate_referral_code: c.affiliate.referralCode,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

const include = { affiliate: { select: { email: true, referralCode: true } }, providerIds: true } as const;

/** `/api/v1/coupons`: codes linked to affiliates, the chain's first step, matched by any provider's id. */
export function couponsRouter(prisma: PrismaClient): Router {
  const router = Router();

  async function find(projectId: string, id: unknown) {
    const row = await prisma.coupon.findFirst({ where: { projectId, id: idFromPath(id, 'coupon') }, include });
    if (!row) throw new HttpError(404, 'coupon not found');
    return row;
  }

  /** 409 naming the field, when a code or provider id already belongs to another coupon of the project. */
  async function assertFree(projectId: string, body: Body, except?: string) {
    if (body.coupon_code && (await prisma.coupon.findFirst({ where: { projectId, id: { not: except }, couponCodeKey: body.coupon_code.toLowerCase() } }))) {
      throw new HttpError(409, 'coupon_code already belongs to another coupon');
    }
    for (const { provider, field, value } of providerIdsOf(body)) {
      if (value === null) continue;
      if (await prisma.couponProviderId.findFirst({ where: { projectId, provider, providerCouponId: value, couponId: { not: except } } })) {
        throw new HttpError(409, `${field} already belongs to another coupon`);
      }
    }
  }

  /** Writes the provider ids a body sets, in the transaction that writes the coupon. */
  async function writeProviderIds(tx: Prisma.TransactionClient, projectId: string, couponId: string, body: Body) {
    for (const { provider, value } of providerIdsOf(body)) {
      await tx.couponProviderId.deleteMany({ where: { couponId, provider } });
      if (value !== null) await tx.couponProviderId.create({ data: { projectId, couponId, provider, providerCouponId: value } });
    }
  }

  async function assertAffiliate(projectId: string, affiliateId: string | undefined) {
    if (affiliateId && !(await prisma.affiliate.findFirst({ where: { projectId, id: affiliateId } }))) {
      throw new HttpError(404, 'affiliate not found');
    }
  }

  const columns = (b: Body) => ({
    affiliateId: b.affiliate_id,
    ...(b.coupon_code ? { couponCode: b.coupon_code, couponCodeKey: b.coupon_code.toLowerCase() } : {}),
    status: b.status,
  });

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const where = {
      projectId: projectIdOf(req),
      status: q.status,
      affiliateId: q.affiliate_id,
      couponCodeKey: q.coupon_code ? { contains: q.coupon_code.toLowerCase() } : undefined,
    };
    const [rows, total] = await Promise.all([
      prisma.coupon.findMany({ where, include, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      prisma.coupon.count({ where }),
    ]);
    res.json(page(rows.map(couponView), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    await assertAffiliate(projectId, body.affiliate_id);
    await assertFree(projectId, body);
    const { affiliateId, couponCode, couponCodeKey, ...rest } = columns(body);
    const row = await conflictAs409(
      prisma.$transaction(async (tx) => {
        const created = await tx.coupon.create({ data: { projectId, affiliateId: affiliateId!, couponCode: couponCode!, couponCodeKey: couponCodeKey!, ...rest } });
        await writeProviderIds(tx, projectId, created.id, body);
        return tx.coupon.findUniqueOrThrow({ where: { id: created.id }, include });
      }),
      'this coupon code or provider id already belongs to another coupon',
    );
    res.status(201).json(ok(couponView(row)));
  });

  router.get('/:id', async (req, res) => {
    res.json(ok(couponView(await find(projectIdOf(req), req.params.id))));
  });

  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const current = await find(projectId, req.params.id);
    const body = updateBody.parse(req.body ?? {});
    await assertAffiliate(projectId, body.affiliate_id);
    await assertFree(projectId, body, current.id);
    const row = await conflictAs409(
      prisma.$transaction(async (tx) => {
        await tx.coupon.update({ where: { id: current.id }, data: columns(body) });
        await writeProviderIds(tx, projectId, current.id, body);
        return tx.coupon.findUniqueOrThrow({ where: { id: current.id }, include });
      }),
      'this coupon code or provider id already belongs to another coupon',
    );
    res.json(ok(couponView(row)));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    const current = await find(projectIdOf(req), req.params.id);
    await prisma.coupon.delete({ where: { id: current.id } });
    res.status(204).end();
  });

  return router;
}

export const couponOperations: Operation[] = resourceOperations({
  path: '/api/v1/coupons',
  tag: 'Coupons',
  noun: 'coupon',
  key: 'id',
  list: listQuery,
  create: createBody,
  update: updateBody,
  remove: true,
  response: couponResponse,
  // affiliate_id names no affiliate of the project
  createErrors: [404],
});

/** The schemas above, for the MCP tools that call these routes (src/mcp/tools.ts). */
export { createBody as couponCreateBody, updateFields as couponUpdateBody, listQuery as couponListQuery };
