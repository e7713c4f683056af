import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { followStatusChange } from './affiliate-status-change';
import { lockRules, recordRuleChange } from '../ledger/rule-versions';
import { overrideRuleState } from '../projects/settings';
import { commissionTypeField, commissionValueField, emailFromPath, ruleColumns, uuidField } from './fields';
import { uuid } from './envelope';
import type { Operation } from './operation';

/** PRODUCT.md §12: which statuses each merchant action moves an affiliate from, and to what. */
const ACTIONS = {
  // a rejected application reconsidered, as PATCH status allows and affiliate.approved announces (docs/webhooks.md)
  approve: { from: ['pending', 'rejected'], to: 'active' },
  reject: { from: ['pending'], to: 'rejected' },
  suspend: { from: ['active', 'inactive'], to: 'suspended' },
  reactivate: { from: ['suspended', 'inactive'], to: 'active' },
} as const;
export type AffiliateAction = keyof typeof ACTIONS;

const approveBody = z
  .object({ commission_type: commissionTypeField.nullable().optional(), commission_value: commissionValueField.nullable().optional(), group_id: uuidField.nullable().optional() })
  .strict();
const reasonBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();
const optionalReasonBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();
const BODIES = { approve: approveBody, reject: reasonBody, suspend: optionalReasonBody, reactivate: z.object({}).strict() } as const;

/**
 * The merchant's decisions on an affiliate: approve an application (optionally with a rate or a group), reject it
 * with a reason, suspend (earns nothing, payouts frozen), reactivate. A status is part of the affiliate's terms:
 * the change applies to payments from now on, the status before is kept as a version. Repeating a decision that
 * already holds answers 200 and changes nothing (an approval of an active affiliate with other terms is 409: PATCH
 * changes them); any other move the table does not allow answers 409.
 */
export function affiliateLifecycleRouter(prisma: PrismaClient, clock: () => Date, publicUrl: string): Router {
  const router = Router();
  for (const action of Object.keys(ACTIONS) as AffiliateAction[]) {
    router.post(`/:email/${action}`, async (req: Request, res) => {
      const projectId = projectIdOf(req);
      // the path first: a malformed address is named before the body's fields
      const email = emailFromPath(req.params.email);
      const body = BODIES[action].parse(req.body ?? {}) as z.infer<typeof approveBody> & { reason?: string };
      const { from, to } = ACTIONS[action];
      const row = await prisma.$transaction(async (tx) => {
        await lockRules(tx, projectId);
        const current = await tx.affiliate.findUnique({ where: { projectId_email: { projectId, email } } });
        if (!current) throw new HttpError(404, 'affiliate not found');
        // the terms an approval brings are checked whatever the status: a repeat is not a way past them
        const data: Prisma.AffiliateUpdateInput = { status: to, statusReason: body.reason ?? null };
        let otherTerms = false;
        if (body.commission_type !== undefined || body.commission_value !== undefined) {
          const { currency } = await tx.project.findUniqueOrThrow({ where: { id: projectId }, select: { currency: true } });
          const rule = ruleColumns(body.commission_type, body.commission_value, currency, true);
          Object.assign(data, rule);
          otherTerms ||= (Object.keys(rule) as (keyof typeof rule)[]).some((k) => rule[k] !== current[k]);
        }
        if (body.group_id !== undefined) {
          if (body.group_id && !(await tx.affiliateGroup.findFirst({ where: { projectId, id: body.group_id }, select: { id: true } }))) {
            throw new HttpError(404, 'group_id: no such group in this project');
          }
          data.group = body.group_id === null ? { disconnect: true } : { connect: { id: body.group_id } };
          otherTerms ||= body.group_id !== current.groupId;
        }
        if (current.status === to) {
          // a repeat answers as the first did; one bringing other terms would be answered 200 and dropped
          if (otherTerms) throw new HttpError(409, `the affiliate is already ${to}: change its rate or group with PATCH /api/v1/affiliates/{email}`);
          return current;
        }
        if (!(from as readonly string[]).includes(current.status)) {
          throw new HttpError(409, `cannot ${action} an affiliate that is ${current.status}`);
        }
        if (to === 'rejected') await refuseRejectionOfEarner(tx, current.id);
        const updated = await tx.affiliate.update({ where: { id: current.id }, data });
        await recordRuleChange(tx, { projectId, scope: 'affiliate', subjectId: updated.id, before: overrideRuleState(current), after: overrideRuleState(updated), at: clock() });
        // the affiliate hears every decision, in the transaction that records it (src/email/outbox.ts)
        await followStatusChange(tx, { projectId, before: current, after: updated, reason: body.reason ?? null, publicUrl, at: clock() });
        return updated;
      });
      res.json({ success: true, data: { id: row.id, email: row.email, status: row.status, status_reason: row.statusReason, group_id: row.groupId } });
    });
  }
  return router;
}

/**
 * Rejection turns down an application: it ends the affiliate's portal sessions and leaves nothing to pay. An
 * affiliate with commissions (an active one set back to pending included) has a balance to settle, so it is set
 * inactive or suspended instead, as it is deactivated rather than deleted.
 */
export async function refuseRejectionOfEarner(tx: Prisma.TransactionClient, affiliateId: string): Promise<void> {
  if (await hasCommissions(tx, affiliateId)) throw new HttpError(409, 'this affiliate has commissions: set status "inactive" or suspend it instead of rejecting it');
}

/** Whether any row credits or debits the affiliate: the ledger keeps such an affiliate (never rejected, never deleted). */
export async function hasCommissions(db: Prisma.TransactionClient, affiliateId: string): Promise<boolean> {
  return (await db.conversion.count({ where: { affiliateId, valueMinor: { not: 0n } }, take: 1 })) > 0;
}

/** What each decision answers: the affiliate's status after it. */
const lifecycleResponse = z.strictObject({
  id: uuid,
  email: z.string(),
  status: z.enum(['pending', 'active', 'inactive', 'suspended', 'rejected']),
  status_reason: z.string().nullable(),
  group_id: uuid.nullable(),
});

export const affiliateLifecycleOperations: Operation[] = (Object.keys(ACTIONS) as AffiliateAction[]).map((action) => ({
  method: 'post' as const,
  path: `/api/v1/affiliates/{email}/${action}`,
  tag: 'Affiliates',
  access: 'api_key' as const,
  summary: {
    approve: 'Approve an application: pending → active, optionally with a rate (commission_type, commission_value) or a group',
    reject: 'Reject an application with a reason: pending → rejected',
    suspend: 'Suspend: earns nothing from now on and payouts are frozen (active or inactive → suspended)',
    reactivate: 'Reactivate: suspended or inactive → active',
  }[action],
  body: BODIES[action],
  errors: [404, 409],
  response: lifecycleResponse,
}));
