import { Router } from 'express';
import { z } from 'zod';
import { holdUntil, reviewState } from '../commission/decide';
import { manualCommission, manualHoldDays } from './manual-commission';
import type { CommissionRule } from '../commission/rules';
import { formatMajor } from '../domain/currency-digits';
import { Prisma, type Conversion, type PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { currencyCode } from './currency';
import { amountField, booleanQuery, checkedPeriod, conflictAs409, idFromPath, isoDate, moneyField, referredUserIdField, uuidField } from './fields';
import { CURSOR_PAGING, cursorOf, cursorQuery, keysetPage, majorText, minor, ok, paginationQuery } from './envelope';
import { resourceOperations, type Operation } from './operation';
import { conversionResponse, conversionView } from '../views/present';
import { explanationsFor, withExplanations } from './explanations';
import { resolveAffiliate } from './referrals';
import { referralAttributes, referralWindowMiss } from '../domain/referral-status';
import type { SqlClient } from '../db/sql';
import { countRows } from '../db/row-counts';
import { inIdOrder, keysetPageIds, offsetPageIds } from '../db/list-pages';
import { sqlSessionOf } from '../db/prisma-session';
import { emitConversionEvents, emitSignup, manualConversionEvents, type ConversionEvent } from '../outbound/emit';
import { recalculate } from '../ledger/recalculate';
import { reviewCommissions } from '../ledger/review';
import { recomputeCustomersOfRows } from '../ledger/reattribute';
import { jsonInteger } from '../util/exact-json';

const KINDS = ['signup', 'purchase', 'renewal', 'refund'] as const;
const listQuery = z.object({
  ...paginationQuery,
  // Refgrow's default page of conversions (its affiliates and referrals take 20)
  limit: z.coerce.number().int().min(1).max(100).default(50),
  ...cursorQuery,
  type: z.enum(['signup', 'purchase']).optional(),
  kind: z.enum(KINDS).optional(),
  affiliate_id: uuidField.optional(),
  referred_user_id: z.string().trim().min(1).optional(),
  paid: booleanQuery.optional(),
  /** under manual review: waiting for a decision, approved or rejected */
  review: z.enum(['pending', 'approved', 'rejected']).optional(),
  from: isoDate.optional().describe('conversions that occurred at or after this instant'),
  // half-open, as the reports and the CSV read a period: a month's "to" is the next month's "from"
  to: isoDate.optional().describe('conversions that occurred before this instant'),
});

const createBody = z.strictObject({
  /** omitted: a purchase when amount or base_value is given (Refgrow's Node example sends none) */
  type: z.enum(['signup', 'purchase']).optional(),
  affiliate_id: uuidField
    .optional()
    .describe('the affiliate credited (or referral_code); without either, the affiliate whose referral of the customer (email or referred_user_id) credits them'),
  referral_code: z.string().trim().min(1).optional(),
  value: moneyField.optional(),
  base_value: moneyField.optional(),
  /** Refgrow's Node example: the sale amount, as base_value */
  amount: moneyField.optional(),
  /** Refgrow's Node example: the customer, as email */
  customer_email: z.email({ message: 'must be an email address' }).optional(),
  base_value_currency: currencyCode.optional(),
  /** as /api/track/conversion names it: the sale's currency, as base_value_currency (dropped, a sale was recorded in the project's) */
  currency: currencyCode.optional(),
  product_id: z.string().trim().min(1).max(255).optional(),
  referred_user_id: referredUserIdField.optional(),
  email: z.email({ message: 'must be an email address' }).optional(),
  reference: z.string().trim().min(1).max(200).optional(),
  /** as /api/track/conversion names it: the reference, one conversion per order */
  order_id: z.string().trim().min(1).max(200).optional().describe('reference, as /api/track/conversion names it'),
  coupon_code_used: z.string().trim().min(1).max(100).optional(),
  paid: z.boolean().default(false),
});

const updateBody = z.object({
  value: moneyField.optional(),
  base_value: moneyField.optional(),
  paid: z.boolean().optional(),
  reference: z.string().trim().min(1).max(200).optional(),
  referred_user_id: referredUserIdField.optional(),
  /** null clears it */
  coupon_code_used: z.string().trim().min(1).max(100).nullable().optional(),
});

/** Refgrow's update takes these; here a conversion keeps them, and saying so beats ignoring them. */
const FIXED_ONCE_RECORDED = ['type', 'base_value_currency'] as const;

/**
 * The fields a PUT sent that say something else than the conversion shows (conversionView, the one place that says
 * how a conversion reads): the others are no change. Amounts are compared in minor units, text trimmed, a currency
 * in any case.
 */
function changedFields(c: Conversion, sent: Record<string, unknown>, now: Date): Record<string, unknown> {
  const shown = conversionView(c, now) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : v);
  const same = (field: string, value: unknown): boolean => {
    if (field === 'value' || field === 'base_value') {
      try {
        return (typeof value === 'number' || typeof value === 'string') && amountField(field, value, c.currency) === BigInt(shown[`${field}_minor`] as number);
      } catch {
        return false;
      }
    }
    if (field === 'base_value_currency') return typeof value === 'string' && value.trim().toUpperCase() === shown.base_value_currency;
    if (!['type', 'paid', 'reference', 'referred_user_id', 'coupon_code_used'].includes(field)) return false;
    return (typeof value === 'boolean' ? value : text(value)) === shown[field];
  };
  return Object.fromEntries(Object.entries(sent).filter(([field, value]) => !same(field, value)));
}

const bulkApproveBody = z.object({ ids: z.array(uuidField).min(1).max(500) }).strict();
const rejectBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

const recalculateBody = z
  .object({ from: isoDate, to: isoDate, affiliate_id: uuidField.optional() })
  .strict()
  // compared only once both are dates: zod runs an object's refinements beside its fields' issues
  // [from, to): an equal pair is an empty period, refused as a mistake rather than answered with nothing re-rated
  .refine((b) => b.from.getTime() < b.to.getTime(), { message: 'must be before "to"', path: ['from'], when: (payload) => payload.issues.length === 0 });


/** PRODUCT.md §11: a commission given by hand is no more than the sale it is paid on. */
function valueWithinBase(value: bigint, base: bigint, currency: string): bigint {
  if (value > base) {
    throw new HttpError(400, `value: must not exceed base_value (${formatMajor(base, currency)} ${currency}); send the sale's base_value with it`);
  }
  return value;
}

/**
 * A field named two ways (base_value or amount, email or customer_email, base_value_currency or currency): either, or both
 * when they agree.
 */
function oneOf<I, O>(name: string, a: I | undefined, alias: string, b: I | undefined, read: (v: I, name: string) => O): O | undefined {
  const first = a === undefined ? undefined : read(a, name);
  const second = b === undefined ? undefined : read(b, alias);
  if (first !== undefined && second !== undefined && first !== second) throw new HttpError(400, `${alias}: differs from ${name}; send one of them`);
  return first ?? second;
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
  /** the product sold, as the merchant named it (it chose the product rule) */
  productId?: string;
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
    productIds: c.productId ? [c.productId] : undefined,
    attribution: { method: c.attribution.method, trace: [{ step: c.attribution.method, result: 'hit', detail: c.attribution.detail }] },
    occurredAt: c.at,
    holdUntil: holdUntil(c.at, c.holdDays),
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

  /**
   * The conversion as this transaction holds it, with the rows its paid state depends on (its payment, for a refund;
   * its refunds, for a payment), locked in id order as a payout takes them. A payout, a batch or another change of
   * these rows then waits for this transaction, or it for them, and what is checked is what they committed: checked
   * before the lock, a row a payout had just taken could be deleted, edited or marked paid by hand (paid twice).
   */
  async function lockForChange(tx: Prisma.TransactionClient, projectId: string, row: Conversion): Promise<Conversion> {
    const related = row.reversesId ? [row.reversesId] : (await tx.conversion.findMany({ where: { reversesId: row.id }, select: { id: true } })).map((r) => r.id);
    await tx.$queryRaw`SELECT id FROM conversions WHERE id = ANY(${[row.id, ...related]}::uuid[]) ORDER BY id FOR UPDATE`;
    const locked = await tx.conversion.findFirst({ where: { projectId, id: row.id } });
    if (!locked) throw new HttpError(404, 'conversion not found');
    return locked;
  }

  /** Why this change may not be made to the conversion as it is now (its payment and refunds locked with it). */
  async function refuseChange(tx: Prisma.TransactionClient, current: Conversion, body: z.infer<typeof updateBody>): Promise<void> {
    if (current.payoutId) throw new HttpError(409, `this conversion belongs to payout ${current.payoutId}: it changes when that payout completes or fails`);
    if (body.paid === true && (current.reviewStatus === 'pending' || current.reviewStatus === 'rejected')) {
      throw new HttpError(409, `this commission is ${current.reviewStatus === 'pending' ? 'waiting for review: approve it first' : 'rejected: it never pays'}`);
    }
    // A refund of an unpaid commission is settled with it, and a paid commission's paid refunds keep it paid: paid
    // apart, the payment could be re-rated or move to another affiliate while its reversal stayed as it was paid.
    if (body.paid === undefined || body.paid === (current.paidAt !== null)) return;
    if (body.paid && current.reversesId) {
      // in a pending payout is not paid yet: the payout may fail
      const payment = await tx.conversion.findUnique({ where: { id: current.reversesId }, select: { paidAt: true } });
      if (payment && payment.paidAt === null) {
        throw new HttpError(409, `this refund reverses conversion ${current.reversesId}, which is not paid: mark that one paid first (or pay both in a payout)`);
      }
    }
    if (!body.paid && !current.reversesId) {
      const paidRefund = await tx.conversion.findFirst({ where: { reversesId: current.id, OR: [{ paidAt: { not: null } }, { payoutId: { not: null } }] }, select: { id: true } });
      if (paidRefund) throw new HttpError(409, `refund ${paidRefund.id} of this conversion is paid or in a payout: unmark it first`);
    }
  }

  /**
   * The customer a `referred_user_id` names: an email; a referral's id (Refgrow links a conversion to its referred
   * user by that id), read as the referral's email; else the client's or a provider's own customer id.
   */
  async function referredCustomer(projectId: string, referredUserId: string): Promise<{ email: string } | { customerId: string }> {
    if (referredUserId.includes('@')) return { email: referredUserId.toLowerCase() };
    const referral = uuidField.safeParse(referredUserId).success ? await prisma.referral.findFirst({ where: { projectId, id: referredUserId.toLowerCase() }, select: { email: true } }) : null;
    return referral ? { email: referral.email } : { customerId: referredUserId };
  }

  /** The affiliate a referral of `email` credits now (src/domain/referral-status.ts), if any. */
  async function referrerOf(projectId: string, email: string, now: Date) {
    const referral = await prisma.referral.findUnique({ where: { projectId_email: { projectId, email } }, include: { affiliate: true } });
    if (!referral || !referral.affiliate || !referralAttributes(referral) || referralWindowMiss(referral, now)) return null;
    return referral.affiliate;
  }

  /** The affiliate whose active coupon has this code (any case), if any. */
  async function couponOwnerOf(projectId: string, code: string) {
    const coupon = await prisma.coupon.findUnique({ where: { projectId_couponCodeKey: { projectId, couponCodeKey: code.toLowerCase() } }, include: { affiliate: true } });
    return coupon && coupon.status === 'active' ? coupon.affiliate : null;
  }

  router.get('/', async (req, res) => {
    const q = checkedPeriod(listQuery.parse(req.query));
    const projectId = projectIdOf(req);
    const referred = q.referred_user_id ? await referredCustomer(projectId, q.referred_user_id) : null;
    const where: Prisma.ConversionWhereInput = {
      projectId,
      kind: q.kind ?? (q.type === 'signup' ? 'signup' : q.type === 'purchase' ? { in: ['purchase', 'renewal', 'refund'] } : undefined),
      affiliateId: q.affiliate_id,
      OR: referred ? ('email' in referred ? [{ customerEmail: referred.email }] : [{ customerEmail: referred.customerId.toLowerCase() }, { customerId: referred.customerId }]) : undefined,
      paidAt: q.paid === true ? { not: null } : q.paid === false ? null : undefined,
      reviewStatus: q.review,
      occurredAt: q.from || q.to ? { gte: q.from, lt: q.to } : undefined,
    };
    const orderBy: Prisma.ConversionOrderByWithRelationInput[] = [{ occurredAt: 'desc' }, { id: 'desc' }];
    // by kind alone (or no filter), the total is the project's maintained count; other filters count their rows
    const byKindOnly = !q.affiliate_id && !q.referred_user_id && q.paid === undefined && !q.review && !q.from && !q.to;
    const kinds = where.kind as string | { in: string[] } | undefined;
    const cursor = await cursorOf(q, req.query, 'conversions', async (id) => (await prisma.conversion.count({ where: { id, projectId } })) > 0);
    // a page of the whole list reads its ids from the index alone, then its rows by id (src/db/list-pages.ts)
    const whole = byKindOnly && !kinds;
    const byIds = async (ids: string[]) => inIdOrder(ids, await prisma.conversion.findMany({ where: { projectId, id: { in: ids } } }));
    if (cursor) {
      let rows: Conversion[];
      if (whole) rows = await byIds(await keysetPageIds(sql, 'conversions', projectId, cursor, q.limit + 1));
      else {
        // two seeks, each an index range on (project_id, occurred_at, id): the rows of the cursor's own instant
        // after it (ties broken by id), then the older ones; an OR of both would scan every row of a shared instant
        const tied = await prisma.conversion.findMany({ where: { AND: [where, { occurredAt: cursor.at, id: { lt: cursor.id } }] }, orderBy, take: q.limit + 1 });
        const older =
          tied.length > q.limit ? [] : await prisma.conversion.findMany({ where: { AND: [where, { occurredAt: { lt: cursor.at } }] }, orderBy, take: q.limit + 1 - tied.length });
        rows = [...tied, ...older];
      }
      const now = clock();
      const words = await explanationsFor(prisma, where.projectId as string, rows);
      res.json(keysetPage('conversions', rows, (r) => ({ ...conversionView(r, now), ...words.get(r.id)! }), (r) => ({ at: r.occurredAt, id: r.id }), q, cursor, null));
      return;
    }
    const [rows, total] = await Promise.all([
      whole ? offsetPageIds(sql, 'conversions', projectId, q.offset, q.limit).then(byIds) : prisma.conversion.findMany({ where, orderBy, skip: q.offset, take: q.limit }),
      byKindOnly
        ? countRows(sql, projectId, 'conversions', { keyA: typeof kinds === 'object' ? kinds.in : kinds })
        : prisma.conversion.count({ where }),
    ]);
    const now = clock();
    const words = await explanationsFor(prisma, where.projectId as string, rows);
    res.json(keysetPage('conversions', rows, (r) => ({ ...conversionView(r, now), ...words.get(r.id)! }), (r) => ({ at: r.occurredAt, id: r.id }), q, null, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    const currency = oneOf('base_value_currency', body.base_value_currency, 'currency', body.currency, (v) => v) ?? project.currency;
    const saleAmount = oneOf('base_value', body.base_value, 'amount', body.amount, (v, name) => amountField(name, v, currency));
    const type = body.type ?? (saleAmount !== undefined ? 'purchase' : undefined);
    if (!type) throw new HttpError(400, 'type: required (signup or purchase) unless amount or base_value is given');
    const base = saleAmount ?? 0n;
    const givenEmail = oneOf('email', body.email, 'customer_email', body.customer_email, (v) => v.toLowerCase());
    const reference = oneOf('reference', body.reference, 'order_id', body.order_id, (v) => v);

    const referred = body.referred_user_id !== undefined ? await referredCustomer(projectId, body.referred_user_id) : null;
    const email = givenEmail ?? (referred && 'email' in referred ? referred.email : null);
    // Refgrow: affiliate_id is "required for attributed conversions"; without one (or a referral_code), the chain's
    // order credits the affiliate whose active coupon was used, else the referred customer's referrer, as the ledger
    // credits a provider's payments
    const named = Boolean(body.affiliate_id || body.referral_code);
    const byCoupon = !named && body.coupon_code_used ? await couponOwnerOf(projectId, body.coupon_code_used) : null;
    const byReferral = !named && !byCoupon && email ? await referrerOf(projectId, email, clock()) : null;
    const affiliate = byCoupon ?? byReferral ?? (await resolveAffiliate(prisma, projectId, body.affiliate_id, body.referral_code, email !== null, body.coupon_code_used !== undefined));
    // what credited it, for the conversion's trace
    const creditedBy = byCoupon
      ? `coupon ${body.coupon_code_used}`
      : byReferral
        ? `referral ${email}`
        : body.affiliate_id
          ? `affiliate_id ${affiliate.id}`
          : `referral_code ${body.referral_code}`;
    let value: bigint;
    let ruleSource = 'manual';
    let reason: string | null = null;
    // the affiliate's own, else its group's, else the project's, whether the value is given or computed
    let holdDays = await manualHoldDays(prisma, project, affiliate);
    // what rated it, for the outbound payload: a value given by hand is a fixed amount
    let ratedBy: CommissionRule | null = null;
    if (body.value !== undefined) {
      value = valueWithinBase(amountField('value', body.value, currency), base, currency);
      ratedBy = { type: 'fixed', amountMinor: value, currency };
    } else if (type === 'signup') {
      value = 0n;
    } else {
      if (saleAmount === undefined) throw new HttpError(400, 'base_value: required to compute the commission when value is omitted');
      const decision = await manualCommission(prisma, project, affiliate, { baseMinor: base, currency, productId: body.product_id, email }, clock());
      value = decision.valueMinor;
      reason = decision.reason;
      ratedBy = decision.rule;
      ruleSource = decision.ruleSource ?? 'manual';
      holdDays = decision.holdDays;
    }
    if (affiliate.status !== 'active') {
      value = 0n;
      // as the ledger names it (src/commission/decide.ts): affiliate_inactive, affiliate_suspended, …
      reason = `affiliate_${affiliate.status}`;
    }
    // PRODUCT.md §12: under manual review a new commission waits for the merchant's decision, whoever recorded it;
    // one recorded as already paid was decided by the merchant who recorded it
    const reviewSetting = project.commissionReview === 'manual' ? 'manual' : 'auto';
    const review = body.paid && value > 0n && reviewSetting === 'manual' ? 'approved' : reviewState(null, value, reviewSetting, false);
    if (reference && (await prisma.conversion.findUnique({ where: { projectId_externalKey: { projectId, externalKey: `manual:${reference}` } } }))) {
      throw new HttpError(409, 'a conversion with this reference already exists');
    }
    const now = clock();
    // the conversion and the deliveries announcing it commit together (outbox)
    const row = await conflictAs409(
      prisma.$transaction(async (tx) => {
        const created = await tx.conversion.create({
          data: {
            ...manualConversionData({
              projectId,
              affiliateId: affiliate.id,
              kind: type,
              reference,
              email,
              customerId: referred && 'customerId' in referred ? referred.customerId : null,
              currency,
              baseMinor: base,
              valueMinor: value,
              reason,
              ruleSource,
              couponCode: body.coupon_code_used,
              productId: body.product_id,
              attribution: {
                method: 'manual',
                detail: creditedBy,
              },
              at: now,
              holdDays,
              paid: body.paid,
            }),
            reviewStatus: review,
          },
        });
        const outbox = sqlSessionOf(tx);
        if (created.kind === 'signup') {
          const signup = { email: created.customerEmail, referredUserId: body.referred_user_id ?? created.customerEmail, affiliateId: affiliate.id, source: 'conversion' };
          await emitSignup(outbox, projectId, signup, now);
        }
        await emitConversionEvents(outbox, projectId, manualConversionEvents(created, ratedBy), now);
        return created;
      }),
      'a conversion with this reference already exists',
    );
    res.status(201).json(ok(conversionView(row, now)));
  });

  // The merchant's review under commission_review: manual (src/ledger/review.ts)
  const REVIEW_PROBLEMS = {
    not_found: [404, 'conversion not found'],
    refund: [409, 'a refund follows the review of the payment it reverses: review that payment'],
    not_under_review: [409, 'this commission is not under review (it was earned with commission_review "auto", or earns nothing)'],
    paid: [409, 'this commission is already paid or in a payout: it can no longer be reviewed'],
    rejected: [409, 'this commission was rejected: a rejected commission cannot be approved'],
  } as const;
  async function review(req: import('express').Request, ids: string[], decision: 'approved' | 'rejected', reason: string | null) {
    const projectId = projectIdOf(req);
    const result = await reviewCommissions(prisma, projectId, ids, { decision, reason }, clock());
    if ('refused' in result) {
      const [status, message] = REVIEW_PROBLEMS[result.refused.problem];
      throw new HttpError(status, ids.length > 1 ? `${result.refused.id}: ${message}` : message);
    }
    const rows = await prisma.conversion.findMany({ where: { projectId, id: { in: ids } }, orderBy: { id: 'asc' } });
    return rows.map((r) => conversionView(r, clock()));
  }
  router.post('/approve', async (req, res) => {
    const body = bulkApproveBody.parse(req.body ?? {});
    res.json(ok(await review(req, [...new Set(body.ids)], 'approved', null)));
  });
  router.post('/:id/approve', async (req, res) => {
    res.json(ok((await review(req, [idFromPath(req.params.id, 'conversion')], 'approved', null))[0]));
  });
  router.post('/:id/reject', async (req, res) => {
    const id = idFromPath(req.params.id, 'conversion');
    const body = rejectBody.parse(req.body ?? {});
    res.json(ok((await review(req, [id], 'rejected', body.reason))[0]));
  });

  // Explicit re-rating with today's rules (PRODUCT.md §11): a rule change alone never moves a commission.
  router.post('/recalculate', async (req, res) => {
    const body = recalculateBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    if (body.affiliate_id && !(await prisma.affiliate.findFirst({ where: { projectId, id: body.affiliate_id }, select: { id: true } }))) {
      throw new HttpError(404, 'affiliate not found');
    }
    const result = await recalculate(sql, projectId, { from: body.from, to: body.to, affiliateId: body.affiliate_id ?? null }, clock());
    res.json(
      ok({
        conversions: result.conversions,
        changed: result.changed,
        totals: result.totals.map((t) => ({
          currency: t.currency,
          before: formatMajor(t.before_minor, t.currency),
          after: formatMajor(t.after_minor, t.currency),
          before_minor: jsonInteger(t.before_minor),
          after_minor: jsonInteger(t.after_minor),
          difference_minor: jsonInteger(t.after_minor - t.before_minor),
        })),
      }),
    );
  });

  router.get('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    const [view] = await withExplanations(prisma, projectId, [await find(projectId, req.params.id)], (c) => conversionView(c, clock()));
    res.json(ok(view));
  });

  const update = async (req: import('express').Request, res: import('express').Response) => {
    const projectId = projectIdOf(req);
    const current = await find(projectId, req.params.id);
    if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) throw new HttpError(400, 'request body must be a JSON object');
    const given = (req.body ?? {}) as Record<string, unknown>;
    // Refgrow's update takes the whole conversion: fields sent as the conversion shows them are no change, to make or
    // to refuse (a client that sends it back to mark it paid was refused for its own type, or its provider values)
    const sent = changedFields(current, given, clock());
    const fixed = FIXED_ONCE_RECORDED.find((field) => sent[field] !== undefined);
    if (fixed) throw new HttpError(400, `${fixed}: fixed once recorded; delete the conversion and record it again (a conversion recorded by hand)`);
    const body = updateBody.parse(sent);
    const manual = current.provider === null;
    if (!manual && Object.keys(body).some((k) => k !== 'paid')) {
      throw new HttpError(409, 'this conversion is derived from provider events: only "paid" can change');
    }
    const customer = body.referred_user_id !== undefined ? await referredCustomer(projectId, body.referred_user_id) : null;
    const now = clock();
    // the change and its referral_updated (Refgrow: every PUT sends one) commit together, with commission.paid when it was marked paid
    const { before, row } = await conflictAs409(
      prisma.$transaction(async (tx) => {
        // what may change is decided on the rows as this transaction holds them, not as they were read before it
        const before = await lockForChange(tx, projectId, current);
        await refuseChange(tx, before, body);
        const data: Prisma.ConversionUpdateInput = {};
        if (body.paid !== undefined) data.paidAt = body.paid ? (before.paidAt ?? now) : null;
        if (body.value !== undefined || body.base_value !== undefined) {
          const base = body.base_value !== undefined ? amountField('base_value', body.base_value, before.currency) : before.baseValueMinor;
          const value = body.value !== undefined ? amountField('value', body.value, before.currency) : before.valueMinor;
          data.valueMinor = valueWithinBase(value, base, before.currency);
          data.baseValueMinor = base;
          data.amountMinor = base;
        }
        if (body.reference !== undefined) data.externalKey = `manual:${body.reference}`;
        if (customer && 'email' in customer) data.customerEmail = customer.email;
        else if (customer) data.customerId = customer.customerId;
        if (body.coupon_code_used !== undefined) data.hints = body.coupon_code_used === null ? Prisma.DbNull : { couponIds: [body.coupon_code_used] };
        const updated = await tx.conversion.update({ where: { id: before.id }, data });
        if (updated.affiliateId) {
          const events: ConversionEvent[] = [{ type: 'referral_updated', conversionId: updated.id }];
          if (!before.paidAt && updated.paidAt && updated.valueMinor > 0n) events.push({ type: 'commission.paid', conversionId: updated.id });
          await emitConversionEvents(sqlSessionOf(tx), projectId, events, now);
        }
        return { before, row: updated };
      }),
      'a conversion with this reference already exists',
    );
    // unmarked paid: a provider payment's rows may move again, as after a failed payout
    if (before.paidAt && !row.paidAt && !manual) {
      await recomputeCustomersOfRows(sql, projectId, [row.id], now);
      return res.json(ok(conversionView(await prisma.conversion.findUniqueOrThrow({ where: { id: row.id } }), now)));
    }
    res.json(ok(conversionView(row, now)));
  };
  router.put('/:id', update);
  router.patch('/:id', update);

  router.delete('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    const found = await find(projectId, req.params.id);
    if (found.provider !== null) throw new HttpError(409, 'this conversion is derived from provider events and cannot be deleted');
    // a deleted conversion is canceled for Refgrow's receivers: announced (from the row as it was) with the delete
    await prisma.$transaction(async (tx) => {
      // decided on the row as this transaction holds it: a payout may have taken it since it was read
      const current = await lockForChange(tx, projectId, found);
      if (current.payoutId) throw new HttpError(409, `this conversion belongs to payout ${current.payoutId}`);
      if (current.affiliateId) {
        await emitConversionEvents(sqlSessionOf(tx), current.projectId, [{ type: 'referral_canceled', conversionId: current.id, reason: 'conversion deleted' }], clock());
      }
      await tx.conversion.delete({ where: { id: current.id } });
    });
    res.status(204).end();
  });

  return router;
}

/** What POST /api/v1/conversions/recalculate answers. */
const recalculationResponse = z.strictObject({
  conversions: z.number().int().describe('payments marked to be rated with the current rules'),
  changed: z.number().int().describe('commissions whose value changed'),
  /** per currency, what those payments earn net of their refunds' reversals, those pending review left out: what the balances move by */
  totals: z.array(
    z.strictObject({
      currency: z.string(),
      before: majorText,
      after: majorText,
      before_minor: minor,
      after_minor: minor,
      difference_minor: minor,
    }),
  ),
});

export const conversionOperations: Operation[] = [
  ...resourceOperations({
    path: '/api/v1/conversions',
    tag: 'Conversions',
    noun: 'conversion',
    key: 'id',
    list: listQuery,
    listDescription: CURSOR_PAGING,
    create: createBody,
    update: updateBody,
    remove: true,
    response: conversionResponse,
    // no affiliate with this affiliate_id or referral_code in the project
    createErrors: [404],
  }),
  {
    method: 'post',
    path: '/api/v1/conversions/approve',
    tag: 'Conversions',
    access: 'api_key',
    summary: 'Approve pending commissions in bulk (all or none): each then counts, held then eligible',
    body: bulkApproveBody,
    errors: [404, 409],
    response: z.array(conversionResponse),
  },
  {
    method: 'post',
    path: '/api/v1/conversions/{id}/approve',
    tag: 'Conversions',
    access: 'api_key',
    summary: 'Approve a pending commission (commission_review: manual)',
    errors: [409],
    response: conversionResponse,
  },
  {
    method: 'post',
    path: '/api/v1/conversions/{id}/reject',
    tag: 'Conversions',
    access: 'api_key',
    summary: 'Reject a commission with a reason: it never pays',
    body: rejectBody,
    errors: [409],
    response: conversionResponse,
  },
  {
    method: 'post',
    path: '/api/v1/conversions/recalculate',
    tag: 'Conversions',
    access: 'api_key',
    summary: 'Re-rate unpaid commissions of payments that occurred in [from, to) with the rules in force now',
    description:
      'Rule changes never move recorded commissions by themselves. This marks the period\'s provider payments that are neither paid nor in a payout (of one affiliate, with affiliate_id) to be rated with the current rules, recomputes them and their refunds, and answers how many changed with the totals before and after per currency (what the balances move by: a commission pending review is re-rated but left out of the totals until approved). A rejected commission is not re-rated: it never pays.',
    body: recalculateBody,
    // affiliate_id names no affiliate of the project
    errors: [404],
    response: recalculationResponse,
  },
];

/** The schemas above, for the MCP tools that call these routes (src/mcp/tools.ts). */
export { createBody as conversionCreateBody, updateBody as conversionUpdateBody, listQuery as conversionListQuery };
