import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient, ProductRule } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { commissionTypeField, commissionValueField, conflictAs409, idFromPath, ruleColumns } from './fields';
import { ok, page, paginationQuery } from './envelope';
import { resourceOperations, type Operation } from './operation';
import { commissionView } from './present';

const createBody = z.object({
  product_id: z.string().trim().min(1).max(255),
  name: z.string().trim().min(1).max(200).optional(),
  commission_type: commissionTypeField,
  commission_value: commissionValueField,
});
const updateBody = createBody.partial();
const listQuery = z.object(paginationQuery);

/** `/api/v1/products`: commission rules per provider product or price id. */
export function productsRouter(prisma: PrismaClient): Router {
  const router = Router();
  const currencyOf = async (projectId: string) =>
    (await prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { currency: true } })).currency;
  const view = (p: ProductRule, currency: string) => ({
    id: p.id,
    product_id: p.productId,
    name: p.name,
    ...commissionView(p, currency),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  });
  async function find(projectId: string, id: unknown) {
    const row = await prisma.productRule.findFirst({ where: { projectId, id: idFromPath(id, 'product rule') } });
    if (!row) throw new HttpError(404, 'product rule not found');
    return row;
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const [rows, total, currency] = await Promise.all([
      prisma.productRule.findMany({ where: { projectId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      prisma.productRule.count({ where: { projectId } }),
      currencyOf(projectId),
    ]);
    res.json(page(rows.map((r) => view(r, currency)), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const currency = await currencyOf(projectId);
    const rule = ruleColumns(body.commission_type, body.commission_value, currency, false);
    if (await prisma.productRule.findUnique({ where: { projectId_productId: { projectId, productId: body.product_id } } })) {
      throw new HttpError(409, 'a rule for this product_id already exists');
    }
    const row = await conflictAs409(
      prisma.productRule.create({ data: { projectId, productId: body.product_id, name: body.name, ...rule, commissionType: rule.commissionType! } }),
      'a rule for this product_id already exists',
    );
    res.status(201).json(ok(view(row, currency)));
  });

  router.get('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    res.json(ok(view(await find(projectId, req.params.id), await currencyOf(projectId))));
  });

  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const current = await find(projectId, req.params.id);
    const body = updateBody.parse(req.body ?? {});
    const currency = await currencyOf(projectId);
    const currentView = commissionView(current, currency);
    const rule =
      body.commission_type !== undefined || body.commission_value !== undefined
        ? ruleColumns(body.commission_type ?? (currentView.commission_type as 'percentage' | 'fixed'), body.commission_value ?? currentView.commission_value, currency, false)
        : null;
    if (body.product_id && body.product_id !== current.productId &&
      (await prisma.productRule.findUnique({ where: { projectId_productId: { projectId, productId: body.product_id } } }))) {
      throw new HttpError(409, 'a rule for this product_id already exists');
    }
    const row = await prisma.productRule.update({
      where: { id: current.id },
      data: { productId: body.product_id, name: body.name, ...(rule ? { ...rule, commissionType: rule.commissionType! } : {}) },
    });
    res.json(ok(view(row, currency)));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    const current = await find(projectIdOf(req), req.params.id);
    await prisma.productRule.delete({ where: { id: current.id } });
    res.status(204).end();
  });

  return router;
}

export const productOperations: Operation[] = resourceOperations({
  path: '/api/v1/products',
  tag: 'Products',
  noun: 'product commission rule',
  key: 'id',
  list: listQuery,
  create: createBody,
  update: updateBody,
  remove: true,
});
