import { Router } from 'express';
import { z } from 'zod';
import type { Coupon, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { conflictAs409, idFromPath, uuidField } from './fields';
import { ok, page, paginationQuery } from './envelope';
import { resourceOperations, type Operation } from './operation';

const providerId = z.string().trim().min(1).max(255).nullable().optional();

const createBody = z.object({
  affiliate_id: uuidField,
  coupon_code: z
    .string()
    .trim()
    .min(3)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'letters, digits, "-" and "_" only' }),
  stripe_coupon_id: providerId,
  lemonsqueezy_discount_code: providerId,
  paddle_discount_id: providerId,
  polar_discount_id: providerId,
  status: z.enum(['active', 'inactive']).default('active'),
});
const updateBody = createBody.partial().extend({ status: z.enum(['active', 'inactive']).optional() });
const listQuery = z.object({
  ...paginationQuery,
  status: z.enum(['active', 'inactive']).optional(),
  affiliate_id: uuidField.optional(),
  coupon_code: z.string().trim().min(1).optional(),
});

type CouponWithAffiliate = Coupon & { affiliate: { email: string; referralCode: string } };

function couponView(c: CouponWithAffiliate) {
  return {
    id: c.id,
    affiliate_id: c.affiliateId,
    coupon_code: c.couponCode,
    stripe_coupon_id: c.stripeCouponId,
    lemonsqueezy_discount_code: c.lemonsqueezyDiscountCode,
    paddle_discount_id: c.paddleDiscountId,
    polar_discount_id: c.polarDiscountId,
    status: c.status,
    affiliate_email: c.affiliate.email,
    affiliate_referral_code: c.affiliate.referralCode,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

const include = { affiliate: { select: { email: true, referralCode: true } } } as const;

/** `/api/v1/coupons`: codes linked to affiliates, the chain's first step, matched by any provider's id. */
export function couponsRouter(prisma: PrismaClient): Router {
  const router = Router();

  async function find(projectId: string, id: unknown) {
    const row = await prisma.coupon.findFirst({ where: { projectId, id: idFromPath(id, 'coupon') }, include });
    if (!row) throw new HttpError(404, 'coupon not found');
    return row;
  }

  /** 409 naming the field, when a code or provider id already belongs to another coupon of the project. */
  async function assertFree(projectId: string, body: z.infer<typeof updateBody>, except?: string) {
    const checks: [string, object][] = [
      ['coupon_code', body.coupon_code ? { couponCodeKey: body.coupon_code.toLowerCase() } : {}],
      ['stripe_coupon_id', body.stripe_coupon_id ? { stripeCouponId: body.stripe_coupon_id } : {}],
      ['lemonsqueezy_discount_code', body.lemonsqueezy_discount_code ? { lemonsqueezyDiscountCode: body.lemonsqueezy_discount_code } : {}],
      ['paddle_discount_id', body.paddle_discount_id ? { paddleDiscountId: body.paddle_discount_id } : {}],
      ['polar_discount_id', body.polar_discount_id ? { polarDiscountId: body.polar_discount_id } : {}],
    ];
    for (const [field, where] of checks) {
      if (Object.keys(where).length === 0) continue;
      if (await prisma.coupon.findFirst({ where: { projectId, id: { not: except }, ...where } })) {
        throw new HttpError(409, `${field} already belongs to another coupon`);
      }
    }
  }

  async function assertAffiliate(projectId: string, affiliateId: string | undefined) {
    if (affiliateId && !(await prisma.affiliate.findFirst({ where: { projectId, id: affiliateId } }))) {
      throw new HttpError(404, 'affiliate not found');
    }
  }

  const columns = (b: z.infer<typeof updateBody>) => ({
    affiliateId: b.affiliate_id,
    ...(b.coupon_code ? { couponCode: b.coupon_code, couponCodeKey: b.coupon_code.toLowerCase() } : {}),
    stripeCouponId: b.stripe_coupon_id,
    lemonsqueezyDiscountCode: b.lemonsqueezy_discount_code,
    paddleDiscountId: b.paddle_discount_id,
    polarDiscountId: b.polar_discount_id,
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
      prisma.coupon.create({ data: { projectId, affiliateId: affiliateId!, couponCode: couponCode!, couponCodeKey: couponCodeKey!, ...rest }, include }),
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
      prisma.coupon.update({ where: { id: current.id }, data: columns(body), include }),
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
});
