import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AffiliateGroup, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { NO_RULE } from '../commission/rule-history';
import { lockRules, recordRuleChange } from '../ledger/rule-versions';
import { groupRuleState } from '../projects/settings';
import { commissionFields, commissionView } from '../views/present';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import { commissionTypeField, commissionValueField, conflictAs409, idFromPath, ruleColumns } from './fields';
import { resourceOperations, type Operation } from './operation';

const NAME_TAKEN = 'a group with this name already exists';

const createBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    /** both null (or left out): the group leaves the rate to product rules and the project default */
    commission_type: commissionTypeField.nullable().optional(),
    commission_value: commissionValueField.nullable().optional(),
    /** null: the project's */
    commission_duration: z.enum(['lifetime', 'first_payment', 'months']).nullable().optional(),
    commission_months: z.number().int().min(1).max(120).nullable().optional(),
    /** null: the project's */
    hold_days: z.number().int().min(0).max(365).nullable().optional(),
  })
  .strict();
const updateBody = createBody.partial();
const listQuery = z.object(paginationQuery);

const groupResponse = z
  .strictObject({
    id: uuid,
    name: z.string(),
    ...commissionFields,
    commission_duration: z.enum(['lifetime', 'first_payment', 'months']).nullable(),
    commission_months: z.number().int().nullable(),
    hold_days: z.number().int().nullable(),
    affiliates: z.number().int().describe('members'),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'Group' });

function groupView(g: AffiliateGroup, currency: string, members: number) {
  return {
    id: g.id,
    name: g.name,
    ...commissionView(g, currency),
    commission_duration: g.commissionDuration,
    commission_months: g.commissionMonths,
    hold_days: g.holdDays,
    affiliates: members,
    created_at: g.createdAt.toISOString(),
    updated_at: g.updatedAt.toISOString(),
  };
}

/**
 * `/api/v1/groups`: partner groups (Refferq). An affiliate in a group earns by the group's rule unless it has an
 * override of its own (affiliate → group → product → project), within the group's duration, held for its
 * hold_days. A change rates payments that occur after it; the group as it was is kept as a version.
 */
export function groupsRouter(prisma: PrismaClient, clock: () => Date): Router {
  const router = Router();
  const currencyOf = async (projectId: string) => (await prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { currency: true } })).currency;
  const membersOf = async (ids: string[], db: Pick<PrismaClient, 'affiliate'> = prisma) => {
    const counts = await db.affiliate.groupBy({ by: ['groupId'], where: { groupId: { in: ids } }, _count: { _all: true } });
    return new Map(counts.map((c) => [c.groupId!, c._count._all]));
  };
  async function find(db: Pick<PrismaClient, 'affiliateGroup'>, projectId: string, id: unknown) {
    const row = await db.affiliateGroup.findFirst({ where: { projectId, id: idFromPath(id, 'group') } });
    if (!row) throw new HttpError(404, 'group not found');
    return row;
  }
  /** The columns a body sets: a rule only with both fields, a duration of months only with its count. */
  function columns(body: z.infer<typeof updateBody>, current: AffiliateGroup | null, currency: string) {
    const data: Partial<Pick<AffiliateGroup, 'name' | 'commissionType' | 'commissionRateBp' | 'commissionAmountMinor' | 'commissionDuration' | 'commissionMonths' | 'holdDays'>> = {};
    if (body.name !== undefined) data.name = body.name;
    if (body.commission_type !== undefined || body.commission_value !== undefined) {
      // a new value alone keeps the group's type, as for product rules
      const type = body.commission_type !== undefined ? body.commission_type : ((current?.commissionType ?? undefined) as 'percentage' | 'fixed' | undefined);
      Object.assign(data, ruleColumns(type, body.commission_value, currency, true));
    }
    const duration = body.commission_duration !== undefined ? body.commission_duration : (current?.commissionDuration ?? null);
    const months = body.commission_months !== undefined ? body.commission_months : (current?.commissionMonths ?? null);
    if (duration === 'months' && !months) throw new HttpError(400, 'commission_months: required when commission_duration is "months"');
    data.commissionDuration = duration;
    data.commissionMonths = duration === 'months' ? months : null;
    if (body.hold_days !== undefined) data.holdDays = body.hold_days;
    return data;
  }
  // `db`: the transaction a caller is in (the embedded database is one connection: a read through `prisma` from inside
  // a transaction would wait for it)
  const nameTaken = async (projectId: string, name: string | undefined, except?: string, db: Pick<PrismaClient, 'affiliateGroup'> = prisma) =>
    name !== undefined && (await db.affiliateGroup.findFirst({ where: { projectId, name, id: { not: except } } })) !== null;

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const [rows, total, currency] = await Promise.all([
      prisma.affiliateGroup.findMany({ where: { projectId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      prisma.affiliateGroup.count({ where: { projectId } }),
      currencyOf(projectId),
    ]);
    const members = await membersOf(rows.map((r) => r.id));
    res.json(page(rows.map((r) => groupView(r, currency, members.get(r.id) ?? 0)), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const currency = await currencyOf(projectId);
    if (await nameTaken(projectId, body.name)) throw new HttpError(409, NAME_TAKEN);
    // two creations of one name at once both pass the check: the unique index decides, and the loser hears the same
    const row = await conflictAs409(prisma.affiliateGroup.create({ data: { projectId, ...columns(body, null, currency), name: body.name } }), NAME_TAKEN);
    res.status(201).json(ok(groupView(row, currency, 0)));
  });

  router.get('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    const row = await find(prisma, projectId, req.params.id);
    res.json(ok(groupView(row, await currencyOf(projectId), (await membersOf([row.id])).get(row.id) ?? 0)));
  });

  const update = async (req: Request, res: Response) => {
    const projectId = projectIdOf(req);
    const body = updateBody.parse(req.body ?? {});
    const currency = await currencyOf(projectId);
    const row = await conflictAs409(
      prisma.$transaction(async (tx) => {
        await lockRules(tx, projectId);
        const current = await find(tx, projectId, req.params.id);
        if (await nameTaken(projectId, body.name, current.id, tx)) throw new HttpError(409, NAME_TAKEN);
        const updated = await tx.affiliateGroup.update({ where: { id: current.id }, data: columns(body, current, currency) });
        await recordRuleChange(tx, { projectId, scope: 'group', subjectId: current.id, before: groupRuleState(current), after: groupRuleState(updated), at: clock() });
        return updated;
      }),
      NAME_TAKEN,
    );
    res.json(ok(groupView(row, currency, (await membersOf([row.id])).get(row.id) ?? 0)));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    await prisma.$transaction(async (tx) => {
      await lockRules(tx, projectId);
      const row = await find(tx, projectId, req.params.id);
      const members = (await membersOf([row.id], tx)).get(row.id) ?? 0;
      // moving affiliates out is a change of their rules: the merchant does it, one by one, on purpose
      if (members > 0) throw new HttpError(409, `this group has ${members} affiliate(s): move them to another group (group_id) first`);
      await tx.affiliateGroup.delete({ where: { id: row.id } });
      // its former members' payments made while they were in it keep its rule, duration and hold: what it was until
      // now becomes a version (rules are not retroactive, PRODUCT.md §11)
      await recordRuleChange(tx, { projectId, scope: 'group', subjectId: row.id, before: groupRuleState(row), after: NO_RULE, at: clock() });
    });
    res.status(204).end();
  });

  return router;
}

export const groupOperations: Operation[] = resourceOperations({
  path: '/api/v1/groups',
  tag: 'Groups',
  noun: 'partner group',
  key: 'id',
  list: listQuery,
  create: createBody,
  update: updateBody,
  remove: true,
  response: groupResponse,
});
