import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { instant, ok, uuid } from './envelope';
import { emailField } from './fields';
import type { Operation } from './operation';
import { commissionFields, commissionView } from '../views/present';

const query = z
  .object({
    scope: z.enum(['project', 'product', 'affiliate', 'group']),
    /** product: the provider product or price id; affiliate: the affiliate's email; group: its id; project: none */
    subject: z.string().trim().min(1).max(320).optional(),
  })
  .strict()
  .refine((q) => q.scope === 'project' || q.subject !== undefined, { message: 'required for product and affiliate', path: ['subject'] });

/**
 * `/api/v1/rule-versions`: how a rule was over time (PRODUCT.md §11). Each entry is in force over
 * [effective_from, effective_to); the last one, with `effective_to` null, is the rule as it is now. Payments are
 * rated with the entry in force when they occurred.
 */
export function ruleVersionsRouter(prisma: PrismaClient): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = query.parse(req.query);
    const projectId = projectIdOf(req);
    const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    let subjectId = '';
    let current: Parameters<typeof commissionView>[0] & { commissionDuration?: string | null; commissionMonths?: number | null; status?: string | null; groupId?: string | null; holdDays?: number | null };
    if (q.scope === 'project') current = project;
    else if (q.scope === 'product') {
      subjectId = q.subject!;
      current = (await prisma.productRule.findUnique({ where: { projectId_productId: { projectId, productId: subjectId } } })) ?? {
        commissionType: null,
        commissionRateBp: null,
        commissionAmountMinor: null,
      };
    } else if (q.scope === 'group') {
      const group = z.uuid().safeParse(q.subject).success ? await prisma.affiliateGroup.findFirst({ where: { projectId, id: q.subject! } }) : null;
      if (!group) throw new HttpError(404, 'group not found');
      subjectId = group.id;
      current = group;
    } else {
      const email = emailField.safeParse(q.subject);
      const affiliate = email.success ? await prisma.affiliate.findUnique({ where: { projectId_email: { projectId, email: email.data } } }) : null;
      if (!affiliate) throw new HttpError(404, 'affiliate not found');
      subjectId = affiliate.id;
      current = affiliate;
    }
    const versions = await prisma.ruleVersion.findMany({ where: { projectId, scope: q.scope, subjectId }, orderBy: { effectiveTo: 'asc' } });
    const entry = (v: typeof current, from: Date | null, to: Date | null) => ({
      // the first entry holds from the beginning
      effective_from: from?.toISOString() ?? null,
      effective_to: to?.toISOString() ?? null,
      ...commissionView(v, project.currency),
      ...(q.scope === 'project' || q.scope === 'group' ? { commission_duration: v.commissionDuration ?? null, commission_months: v.commissionMonths ?? null } : {}),
      ...(q.scope === 'group' ? { hold_days: v.holdDays ?? null } : {}),
      ...(q.scope === 'affiliate' ? { status: v.status ?? null, group_id: v.groupId ?? null } : {}),
    });
    const history = versions.map((v, i) => entry(v, i === 0 ? null : v.effectiveFrom, v.effectiveTo));
    history.push(entry(current, versions.at(-1)?.effectiveTo ?? null, null));
    res.json(ok(history));
  });
  return router;
}

/** One entry of a rule's history; the fields after the rule depend on the scope. */
const ruleVersionResponse = z.strictObject({
  effective_from: instant.nullable(),
  effective_to: instant.nullable(),
  ...commissionFields,
  commission_duration: z.enum(['lifetime', 'first_payment', 'months']).nullable().optional().describe('project and group'),
  commission_months: z.number().int().nullable().optional().describe('project and group'),
  hold_days: z.number().int().nullable().optional().describe('group'),
  status: z.string().nullable().optional().describe("affiliate: the affiliate's status"),
  group_id: uuid.nullable().optional().describe('affiliate'),
});

export const ruleVersionOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/rule-versions',
    tag: 'Settings',
    access: 'api_key',
    summary: "A rule's history: the project default, a product rule (subject: product id) or an affiliate's override and status (subject: email)",
    description:
      'Entries in time order, each in force over [effective_from, effective_to); the first from the beginning (effective_from null), the last (effective_to null) as it is now. Payments are rated with the entry in force when they occurred; changes made before the first payment leave no entry.',
    query,
    errors: [404],
    response: z.array(ruleVersionResponse),
  },
];
