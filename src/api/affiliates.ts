import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { Prisma, type Affiliate, type PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { hasCommissions, refuseRejectionOfEarner } from './affiliate-lifecycle';
import { affiliateStats } from '../ledger/earnings';
import { lockRules, recordRuleChange } from '../ledger/rule-versions';
import { overrideRuleState } from '../projects/settings';
import { commissionTypeField, commissionValueField, conflictAs409, emailFromPath, mailboxField, ruleColumns, takingBack, uuidField } from './fields';
import { bankField, PAYOUT_METHODS, payoutEmailField } from './payout-methods';
import { ok, page, paginationQuery } from './envelope';
import { resourceOperations, type Operation } from './operation';
import { affiliateResponse, affiliateView } from '../views/present';
import { sqlSessionOf } from '../db/prisma-session';
import { emitAffiliateEvent } from '../outbound/emit';
import { followStatusChange } from './affiliate-status-change';

const referralCodeField = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'letters, digits, "-" and "_" only' });

/** PRODUCT.md §12: pending (applied), active, inactive (earns nothing), suspended (earns nothing, payouts frozen), rejected */
const statusField = z.enum(['pending', 'active', 'inactive', 'suspended', 'rejected']);

const createBody = z.strictObject({
  email: mailboxField,
  name: z.string().trim().min(1).max(200).optional(),
  referral_code: referralCodeField.optional(),
  status: statusField.default('active'),
  commission_type: commissionTypeField.nullable().optional(),
  commission_value: commissionValueField.nullable().optional(),
  /** the partner group whose rules apply when the affiliate has no override; null: none */
  group_id: uuidField.nullable().optional(),
  /** null: the group's, else the project's hold_days */
  hold_days: z.number().int().min(0).max(365).nullable().optional(),
  payout_method: z.enum(PAYOUT_METHODS).nullable().optional(),
  paypal_email: payoutEmailField.nullable().optional(),
  wise_email: payoutEmailField.nullable().optional(),
  /**
   * whatever the method needs beyond an email (Wise recipient details), kept as given; a bank account (`bank`:
   * account_holder, iban, bic?) is checked and normalized as the portal checks it, since a batch's Wise file pays it
   */
  payout_details: z.looseObject({ bank: bankField.optional() }).nullable().optional(),
});

const updateFields = createBody.partial().extend({
  // null clears it: the affiliate as GET shows it can be sent back (Refgrow's update takes the whole object)
  name: z.string().trim().min(1).max(200).nullable().optional(),
  status: statusField.optional().describe('"rejected" is refused (409) for an affiliate with commissions: set it "inactive" or suspend it instead'),
});
const updateBody = takingBack(updateFields, affiliateResponse);
const listQuery = z.object({
  ...paginationQuery,
  status: statusField.optional(),
  /** part of the email, name or referral code, any case */
  q: z.string().trim().min(1).max(200).optional(),
  group_id: uuidField.optional(),
});

/** The hold override and payout preferences a body sets; a field left out stays as it is. */
function payoutColumns(b: z.infer<typeof updateBody>) {
  return {
    ...(b.hold_days !== undefined ? { holdDays: b.hold_days } : {}),
    ...(b.payout_method !== undefined ? { payoutMethod: b.payout_method } : {}),
    ...(b.paypal_email !== undefined ? { paypalEmail: b.paypal_email } : {}),
    ...(b.wise_email !== undefined ? { wiseEmail: b.wise_email } : {}),
    ...(b.payout_details !== undefined ? { payoutDetails: b.payout_details === null ? Prisma.DbNull : (b.payout_details as Prisma.InputJsonObject) } : {}),
  };
}

/** A readable referral code for an affiliate who did not choose one: the mailbox name and 6 random hex digits. */
export function generatedCode(email: string): string {
  const stem = email.split('@')[0]!.replace(/[^A-Za-z0-9]/g, '').slice(0, 12).toUpperCase() || 'REF';
  return `${stem}-${randomBytes(3).toString('hex').toUpperCase()}`;
}

/** `/api/v1/affiliates`, keyed by email in the path as Refgrow does (URL-encoded). */
export function affiliatesRouter(prisma: PrismaClient, clock: () => Date, publicUrl: string): Router {
  const router = Router();

  const currencyOf = async (projectId: string) =>
    (await prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { currency: true } })).currency;

  async function present(projectId: string, rows: Affiliate[]) {
    const [currency, stats] = await Promise.all([currencyOf(projectId), affiliateStats(prisma, projectId, rows.map((r) => r.id), clock())]);
    return rows.map((a) => affiliateView(a, currency, stats.get(a.id)!));
  }

  async function findByEmail(projectId: string, email: unknown, db: Pick<PrismaClient, 'affiliate'> = prisma): Promise<Affiliate> {
    const row = await db.affiliate.findUnique({ where: { projectId_email: { projectId, email: emailFromPath(email) } } });
    if (!row) throw new HttpError(404, 'affiliate not found');
    return row;
  }

  // `db`: the transaction a caller is in. The embedded database is one connection, so a read through `prisma` from
  // inside a transaction waits for that transaction to end, which it never does.
  async function assertFree(projectId: string, email: string | undefined, code: string | undefined, except?: string, db: Pick<PrismaClient, 'affiliate'> = prisma) {
    if (email && (await db.affiliate.findFirst({ where: { projectId, email, id: { not: except } } }))) {
      throw new HttpError(409, 'an affiliate with this email already exists');
    }
    if (code && (await db.affiliate.findFirst({ where: { projectId, referralCodeKey: code.toLowerCase(), id: { not: except } } }))) {
      throw new HttpError(409, 'referral_code is already in use');
    }
  }

  async function assertGroup(projectId: string, groupId: string | null | undefined, db: Pick<PrismaClient, 'affiliateGroup'> = prisma) {
    if (groupId && !(await db.affiliateGroup.findFirst({ where: { projectId, id: groupId }, select: { id: true } }))) {
      throw new HttpError(404, 'group_id: no such group in this project');
    }
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const where: Prisma.AffiliateWhereInput = {
      projectId,
      status: q.status,
      groupId: q.group_id,
      ...(q.q
        ? { OR: [{ email: { contains: q.q, mode: 'insensitive' } }, { name: { contains: q.q, mode: 'insensitive' } }, { referralCode: { contains: q.q, mode: 'insensitive' } }] }
        : {}),
    };
    const [rows, total] = await Promise.all([
      prisma.affiliate.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      prisma.affiliate.count({ where }),
    ]);
    res.json(page(await present(projectId, rows), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const rule = ruleColumns(body.commission_type, body.commission_value, await currencyOf(projectId), true);
    const referralCode = body.referral_code ?? generatedCode(body.email);
    await assertFree(projectId, body.email, referralCode);
    await assertGroup(projectId, body.group_id);
    // the affiliate and affiliate.created commit together (outbox)
    const row = await conflictAs409(
      prisma.$transaction(async (tx) => {
        const created = await tx.affiliate.create({
          data: {
            projectId,
            email: body.email,
            name: body.name,
            referralCode,
            referralCodeKey: referralCode.toLowerCase(),
            status: body.status,
            groupId: body.group_id ?? null,
            ...rule,
            ...payoutColumns(body),
          },
        });
        await emitAffiliateEvent(sqlSessionOf(tx), projectId, 'affiliate.created', created.id, clock());
        return created;
      }),
      'an affiliate with this email or referral_code already exists',
    );
    res.status(201).json(ok((await present(projectId, [row]))[0]));
  });

  router.get('/:email', async (req, res) => {
    const projectId = projectIdOf(req);
    res.json(ok((await present(projectId, [await findByEmail(projectId, req.params.email)]))[0]));
  });

  // A new override or status rates payments that occur from now on; the terms they replace stay in force for
  // the payments before (rule-versions.ts).
  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const body = updateBody.parse(req.body ?? {});
    const currency = await currencyOf(projectId);
    const row = await prisma.$transaction(async (tx) => {
      await lockRules(tx, projectId);
      const current = await findByEmail(projectId, req.params.email, tx);
      await assertFree(projectId, body.email, body.referral_code, current.id, tx);
      const data: Prisma.AffiliateUpdateInput = { ...payoutColumns(body) };
      if (body.email) data.email = body.email;
      if (body.name !== undefined) data.name = body.name;
      if (body.status === 'rejected' && current.status !== 'rejected') await refuseRejectionOfEarner(tx, current.id);
      if (body.status) data.status = body.status;
      // a reason belongs to the decision it came with (…/reject, …/suspend); a status set here has none
      if (body.status && body.status !== current.status) data.statusReason = null;
      if (body.group_id !== undefined) {
        await assertGroup(projectId, body.group_id, tx);
        data.group = body.group_id === null ? { disconnect: true } : { connect: { id: body.group_id } };
      }
      if (body.referral_code) Object.assign(data, { referralCode: body.referral_code, referralCodeKey: body.referral_code.toLowerCase() });
      if (body.commission_type !== undefined || body.commission_value !== undefined) {
        // a new value alone keeps the override's type, as for groups and product rules (without an override, it needs
        // one); a null value alone still clears the override
        const kept = body.commission_value === null ? null : ((current.commissionType ?? undefined) as 'percentage' | 'fixed' | undefined);
        const type = body.commission_type !== undefined ? body.commission_type : kept;
        Object.assign(data, ruleColumns(type, body.commission_value, currency, true));
      }
      const updated = await conflictAs409(tx.affiliate.update({ where: { id: current.id }, data }), 'email or referral_code already in use');
      await recordRuleChange(tx, { projectId, scope: 'affiliate', subjectId: current.id, before: overrideRuleState(current), after: overrideRuleState(updated), at: clock() });
      // a status set here is told and announced as the merchant's decisions are (approve, reject, …), with no reason
      await followStatusChange(tx, { projectId, before: current, after: updated, reason: null, publicUrl, at: clock() });
      return updated;
    });
    res.json(ok((await present(projectId, [row]))[0]));
  };
  router.put('/:email', update);
  router.patch('/:email', update);

  router.delete('/:email', async (req, res) => {
    const projectId = projectIdOf(req);
    const affiliate = await findByEmail(projectId, req.params.email);
    await prisma.$transaction(async (tx) => {
      // the affiliate's row first, as a payout or a review takes it: nothing is credited to it meanwhile
      await tx.$queryRaw`SELECT id FROM affiliates WHERE id = ${affiliate.id}::uuid FOR UPDATE`;
      // The ledger keeps money that was earned: an affiliate with commissions is deactivated, never deleted.
      if (await hasCommissions(tx, affiliate.id)) throw new HttpError(409, 'this affiliate has commissions, which the ledger keeps: set its status "inactive" or suspend it instead');
      // Refgrow deletes "an affiliate and all associated data": its referrals and links go with it (cascade), and so
      // do the conversions recorded for it by hand (signups); a provider's payment stays, its own fact, credited to
      // nobody until its customer's payments are next recomputed
      await tx.conversion.deleteMany({ where: { affiliateId: affiliate.id, provider: null } });
      await tx.affiliate.delete({ where: { id: affiliate.id } });
    });
    res.status(204).end();
  });

  return router;
}

export const affiliateOperations: Operation[] = resourceOperations({
  path: '/api/v1/affiliates',
  tag: 'Affiliates',
  noun: 'affiliate',
  key: 'email',
  list: listQuery,
  create: createBody,
  update: updateBody,
  remove: true,
  response: affiliateResponse,
  // group_id names no group of the project
  createErrors: [404],
});

/** The schemas above, for the MCP tools that call these routes (src/mcp/tools.ts). */
export { createBody as affiliateCreateBody, updateFields as affiliateUpdateBody, listQuery as affiliateListQuery };
