import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient, ProductRule } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { lockRules, recordRuleChange } from '../ledger/rule-versions';
import { productRuleState } from '../projects/settings';
import { commissionTypeField, commissionValueField, conflictAs409, idFromPath, ruleColumns, takingBack } from './fields';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import { resourceOperations, type Operation } from './operation';
import { commissionFields, commissionView } from '../views/present';

const createBody = z.strictObject({
  product_id: z.string().trim().min(1).max(255),
  name: z.string().trim().min(1).max(200).optional(),
  commission_type: commissionTypeField,
  commission_value: commissionValueField,
});
// null clears the name: the rule as GET shows it can be sent back
const updateFields = createBody.partial().extend({ name: z.string().trim().min(1).max(200).nullable().optional() });
const listQuery = z.object(paginationQuery);

/**
 * `/api/v1/products`: commission rules per provider product or price id. Creating, changing or deleting one
 * rates payments that occur from then on; the rule in force before is kept as a version (rule-versions.ts).
 */
export function productsRouter(prisma: PrismaClient, clock: () => Date): Router {
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
  async function find(projectId: string, id: unknown, db: Pick<PrismaClient, 'productRule'> = prisma) {
    const row = await db.productRule.findFirst({ where: { projectId, id: idFromPath(id, 'product rule') } });
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
    const row = await prisma.$transaction(async (tx) => {
      await lockRules(tx, projectId);
      if (await tx.productRule.findUnique({ where: { projectId_productId: { projectId, productId: body.product_id } } })) {
        throw new HttpError(409, 'a rule for this product_id already exists');
      }
      const created = await tx.productRule.create({ data: { projectId, productId: body.product_id, name: body.name, ...rule, commissionType: rule.commissionType! } });
      await recordRuleChange(tx, { projectId, scope: 'product', subjectId: created.productId, before: productRuleState(null), after: productRuleState(created), at: clock() });
      return created;
    });
    res.status(201).json(ok(view(row, currency)));
  });

  router.get('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    res.json(ok(view(await find(projectId, req.params.id), await currencyOf(projectId))));
  });

  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const body = updateBody.parse(req.body ?? {});
    const currency = await currencyOf(projectId);
    const row = await prisma.$transaction(async (tx) => {
      await lockRules(tx, projectId);
      const current = await find(projectId, req.params.id, tx);
      const currentView = commissionView(current, currency);
      const rule =
        body.commission_type !== undefined || body.commission_value !== undefined
          ? ruleColumns(body.commission_type ?? (currentView.commission_type as 'percentage' | 'fixed'), body.commission_value ?? currentView.commission_value, currency, false)
          : null;
      const moved = body.product_id !== undefined && body.product_id !== current.productId;
      if (moved && (await tx.productRule.findUnique({ where: { projectId_productId: { projectId, productId: body.product_id! } } }))) {
        throw new HttpError(409, 'a rule for this product_id already exists');
      }
      const updated = await tx.productRule.update({
        where: { id: current.id },
        data: { productId: body.product_id, name: body.name, ...(rule ? { ...rule, commissionType: rule.commissionType! } : {}) },
      });
      const at = clock();
      // a rule moved to another product id: the old id has no rule from now on, the new one this rule
      if (moved) await recordRuleChange(tx, { projectId, scope: 'product', subjectId: current.productId, before: productRuleState(current), after: productRuleState(null), at });
      await recordRuleChange(tx, {
        projectId,
        scope: 'product',
        subjectId: updated.productId,
        before: moved ? productRuleState(null) : productRuleState(current),
        after: productRuleState(updated),
        at,
      });
      return updated;
    });
    res.json(ok(view(row, currency)));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    await prisma.$transaction(async (tx) => {
      await lockRules(tx, projectId);
      const current = await find(projectId, req.params.id, tx);
      await tx.productRule.delete({ where: { id: current.id } });
      await recordRuleChange(tx, { projectId, scope: 'product', subjectId: current.productId, before: productRuleState(current), after: productRuleState(null), at: clock() });
    });
    res.status(204).end();
  });

  return router;
}

const productRuleResponse = z
  .strictObject({
    id: uuid,
    product_id: z.string(),
    name: z.string().nullable(),
    ...commissionFields,
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'ProductRule' });
const updateBody = takingBack(updateFields, productRuleResponse);

export const productOperations: Operation[] = resourceOperations({
  path: '/api/v1/products',
  tag: 'Products',
  noun: 'product commission rule',
  key: 'id',
  list: listQuery,
  create: createBody,
  update: updateBody,
  remove: true,
  response: productRuleResponse,
});
