import { Router } from 'express';
import { z } from 'zod';
import { formatMajor } from '../commission/money';
import { computeCommission, selectRule, type CommissionRule } from '../commission/rules';
import type { Conversion, Prisma, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { commissionSettings, ruleFromColumns } from '../projects/settings';
import { currencyCode } from './currency';
import { amountField, conflictAs409, idFromPath, isoDate, moneyField, uuidField } from './fields';
import { ok, page, paginationQuery } from './envelope';
import { resourceOperations, type Operation } from './operation';
import { conversionView } from './present';
import { resolveAffiliate } from './referrals';
import type { SqlClient } from '../db/sql';
import { emitConversionEvents, emitSignup } from '../outbound/emit';

const KINDS = ['signup', 'purchase', 'renewal', 'refund'] as const;
const listQuery = z.object({
  ...paginationQuery,
  type: z.enum(['signup', 'purchase']).optional(),
  kind: z.enum(KINDS).optional(),
  affiliate_id: uuidField.optional(),
  referred_user_id: z.string().trim().min(1).optional(),
  paid: z.enum(['true', 'false']).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
});

const createBody = z.object({
  type: z.enum(['signup', 'purchase']),
  affiliate_id: uuidField.optional(),
  referral_code: z.string().trim().min(1).optional(),
  value: moneyField.optional(),
  base_value: moneyField.optional(),
  base_value_currency: currencyCode.optional(),
  product_id: z.string().trim().min(1).optional(),
  referred_user_id: z.string().trim().min(1).max(320).optional(),
  email: z.email({ message: 'must be an email address' }).optional(),
  reference: z.string().trim().min(1).max(200).optional(),
  coupon_code_used: z.string().trim().min(1).max(100).optional(),
  paid: z.boolean().default(false),
});

const updateBody = z.object({
  value: moneyField.optional(),
  base_value: moneyField.optional(),
  paid: z.boolean().optional(),
  reference: z.string().trim().min(1).max(200).optional(),
  referred_user_id: z.string().trim().min(1).max(320).optional(),
});

const DAY_MS = 86_400_000;

/** PRODUCT.md §11: a commission given by hand is no more than the sale it is paid on. */
function valueWithinBase(value: bigint, base: bigint, currency: string): bigint {
  if (value > base) {
    throw new HttpError(400, `value: must not exceed base_value (${formatMajor(base, currency)} ${currency}); send the sale's base_value with it`);
  }
  return value;
}

export type ManualConversion = {
  projectId: string;
  affiliateId: string;
  kind: 'signup' | 'purchase';
  /** the caller's own key for it, unique in the project */
  reference?: string;
  email: string | null;
  customerId: string | null;
  currency: string;
  baseMinor: bigint;
  valueMinor: bigint;
  reason: string | null;
  ruleSource: string;
  couponCode?: string;
  /** how the affiliate was known: the one step of the trace */
  attribution: { method: string; detail: string };
  at: Date;
  holdDays: number;
  paid: boolean;
};

/** The row of a conversion no provider reported: the API's manual ones, and signups the tracking script records. */
export function manualConversionData(c: ManualConversion): Prisma.ConversionUncheckedCreateInput {
  return {
    projectId: c.projectId,
    affiliateId: c.affiliateId,
    kind: c.kind,
    externalKey: c.reference ? `manual:${c.reference}` : null,
    customerEmail: c.email,
    customerId: c.customerId,
    currency: c.currency,
    amountMinor: c.baseMinor,
    baseValueMinor: c.baseMinor,
    valueMinor: c.valueMinor,
    reason: c.reason,
    ruleSource: c.ruleSource,
    hints: c.couponCode ? { couponIds: [c.couponCode] } : undefined,
    attribution: { method: c.attribution.method, trace: [{ step: c.attribution.method, result: 'hit', detail: c.attribution.detail }] },
    occurredAt: c.at,
    holdUntil: new Date(c.at.getTime() + c.holdDays * DAY_MS),
    paidAt: c.paid ? c.at : null,
  };
}

/**
 * `/api/v1/conversions`: the ledger rows. Provider-driven rows are derived from events (only `paid` may change);
 * manual rows (signups, offline sales) are created here, with the commission computed when `value` is omitted.
 */
export function conversionsRouter(prisma: PrismaClient, sql: SqlClient, clock: () => Date): Router {
  const router = Router();

  async function find(projectId: string, id: unknown): Promise<Conversion> {
    const row = await prisma.conversion.findFirst({ where: { projectId, id: idFromPath(id, 'conversion') } });
    if (!row) throw new HttpError(404, 'conversion not found');
    return row;
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const where: Prisma.ConversionWhereInput = {
      projectId: projectIdOf(req),
      kind: q.kind ?? (q.type === 'signup' ? 'signup' : q.type === 'purchase' ? { in: ['purchase', 'renewal', 'refund'] } : undefined),
      affiliateId: q.affiliate_id,
      OR: q.referred_user_id ? [{ customerEmail: q.referred_user_id.toLowerCase() }, { customerId: q.referred_user_id }] : undefined,
      paidAt: q.paid === 'true' ? { not: null } : q.paid === 'false' ? null : undefined,
      occurredAt: q.from || q.to ? { gte: q.from, lte: q.to } : undefined,
    };
    const [rows, total] = await Promise.all([
      prisma.conversion.findMany({ where, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }], skip: q.offset, take: q.limit }),
      prisma.conversion.count({ where }),
    ]);
    const now = clock();
    res.json(page(rows.map((r) => conversionView(r, now)), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    const settings = commissionSettings(project);
    const affiliate = await resolveAffiliate(prisma, projectId, body.affiliate_id, body.referral_code);
    const currency = body.base_value_currency ?? project.currency;
    const base = body.base_value !== undefined ? amountField('base_value', body.base_value, currency) : 0n;

    let value: bigint;
    let ruleSource = 'manual';
    let reason: string | null = null;
    if (body.value !== undefined) {
      value = valueWithinBase(amountField('value', body.value, currency), base, currency);
    } else if (body.type === 'signup') {
      value = 0n;
    } else {
      if (body.base_value === undefined) throw new HttpError(400, 'base_value: required to compute the commission when value is omitted');
      const productRule = body.product_id
        ? await prisma.productRule.findUnique({ where: { projectId_productId: { projectId, productId: body.product_id } } })
        : null;
      const productRules = new Map<string, CommissionRule>();
      const rule = productRule ? ruleFromColumns(productRule, project.currency) : null;
      if (rule && body.product_id) productRules.set(body.product_id, rule);
      const selected = selectRule({
        affiliateRule: ruleFromColumns(affiliate, project.currency),
        productRules,
        productIds: body.product_id ? [body.product_id] : [],
        projectRule: settings.projectRule,
      });
      const commission = computeCommission(selected.rule, base, currency);
      value = commission.valueMinor;
      reason = commission.reason;
      ruleSource = selected.source;
    }
    if (affiliate.status !== 'active') {
      value = 0n;
      reason = 'affiliate_inactive';
    }
    if (body.reference && (await prisma.conversion.findUnique({ where: { projectId_externalKey: { projectId, externalKey: `manual:${body.reference}` } } }))) {
      throw new HttpError(409, 'a conversion with this reference already exists');
    }
    const now = clock();
    const email = body.email?.toLowerCase() ?? (body.referred_user_id?.includes('@') ? body.referred_user_id.toLowerCase() : null);
    const row = await conflictAs409(
      prisma.conversion.create({
        data: manualConversionData({
          projectId,
          affiliateId: affiliate.id,
          kind: body.type,
          reference: body.reference,
          email,
          customerId: body.referred_user_id && !body.referred_user_id.includes('@') ? body.referred_user_id : null,
          currency,
          baseMinor: base,
          valueMinor: value,
          reason,
          ruleSource,
          couponCode: body.coupon_code_used,
          attribution: { method: 'manual', detail: body.affiliate_id ? `affiliate_id ${affiliate.id}` : `referral_code ${body.referral_code}` },
          at: now,
          holdDays: settings.holdDays,
          paid: body.paid,
        }),
      }),
      'a conversion with this reference already exists',
    );
    if (row.kind === 'signup') {
      await emitSignup(sql, projectId, { email: row.customerEmail, referredUserId: body.referred_user_id ?? row.customerEmail, affiliateId: affiliate.id, source: 'conversion' }, now);
    } else {
      await emitConversionEvents(sql, projectId, [{ type: 'referral_converted', conversionId: row.id }], now);
    }
    res.status(201).json(ok(conversionView(row, now)));
  });

  router.get('/:id', async (req, res) => {
    res.json(ok(conversionView(await find(projectIdOf(req), req.params.id), clock())));
  });

  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const current = await find(projectId, req.params.id);
    const body = updateBody.parse(req.body ?? {});
    const manual = current.provider === null;
    if (current.payoutId) throw new HttpError(409, `this conversion belongs to payout ${current.payoutId}: it changes when that payout completes or fails`);
    if (!manual && Object.keys(body).some((k) => k !== 'paid')) {
      throw new HttpError(409, 'this conversion is derived from provider events: only "paid" can change');
    }
    const data: Prisma.ConversionUpdateInput = {};
    if (body.paid !== undefined) data.paidAt = body.paid ? (current.paidAt ?? clock()) : null;
    if (body.value !== undefined || body.base_value !== undefined) {
      const base = body.base_value !== undefined ? amountField('base_value', body.base_value, current.currency) : current.baseValueMinor;
      const value = body.value !== undefined ? amountField('value', body.value, current.currency) : current.valueMinor;
      data.valueMinor = valueWithinBase(value, base, current.currency);
      data.baseValueMinor = base;
      data.amountMinor = base;
    }
    if (body.reference !== undefined) data.externalKey = `manual:${body.reference}`;
    if (body.referred_user_id !== undefined) {
      if (body.referred_user_id.includes('@')) data.customerEmail = body.referred_user_id.toLowerCase();
      else data.customerId = body.referred_user_id;
    }
    const row = await conflictAs409(prisma.conversion.update({ where: { id: current.id }, data }), 'a conversion with this reference already exists');
    res.json(ok(conversionView(row, clock())));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    const current = await find(projectIdOf(req), req.params.id);
    if (current.provider !== null) throw new HttpError(409, 'this conversion is derived from provider events and cannot be deleted');
    if (current.payoutId) throw new HttpError(409, `this conversion belongs to payout ${current.payoutId}`);
    await prisma.conversion.delete({ where: { id: current.id } });
    res.status(204).end();
  });

  return router;
}

export const conversionOperations: Operation[] = resourceOperations({
  path: '/api/v1/conversions',
  tag: 'Conversions',
  noun: 'conversion',
  key: 'id',
  list: listQuery,
  create: createBody,
  update: updateBody,
  remove: true,
});
