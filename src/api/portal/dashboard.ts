import { Router } from 'express';
import { z } from 'zod';
import { selectRule } from '../../commission/rules';
import type { AffiliateGroup, Conversion, PrismaClient, Project } from '../../generated/prisma/client';
import { HttpError } from '../../http/errors';
import { isStorableDate } from '../../domain/bounds';
import { affiliateStats } from '../../ledger/earnings';
import { durationOf, groupRuleState, projectRuleState, ruleFromColumns } from '../../projects/settings';
import { conversionStatus, conversionStatusResponse, emptyEarnings, type Earnings } from '../../views/present';
import { dailyFigures, dailyPeriod, dailyPeriodQuery, rateBp, type DayFigures } from '../daily-report';
import { instant, minor, ok, uuid } from '../envelope';
import type { Operation } from '../operation';
import { portalSettingsOf, portalSettingsResponse } from '../portal-settings';
import { portalAffiliateResponse, portalAffiliateView, referralLinkOf } from './affiliate-view';
import { portalOf, portalProjectId } from './session-auth';
import { jsonInteger } from '../../util/exact-json';

/**
 * The terms the affiliate earns under now, as the ledger would pick them for a payment without a product rule:
 * the affiliate's override, else its group's, else the project's (src/commission/rules.ts); the duration of the
 * group or the project; the hold of the affiliate, the group or the project, in that order, as the recompute does.
 */
function termsInForce(project: Project, affiliate: Parameters<typeof ruleFromColumns>[0] & { holdDays: number | null }, group: AffiliateGroup | null) {
  const projectRule = ruleFromColumns(projectRuleState(project), project.currency) ?? { type: 'percentage' as const, rateBp: 0 };
  const groupState = group ? groupRuleState(group) : null;
  const { source, rule } = selectRule({
    affiliateRule: ruleFromColumns(affiliate, project.currency),
    groupRule: groupState ? ruleFromColumns(groupState, project.currency) : null,
    productRules: new Map(),
    productIds: [],
    projectRule,
  });
  const duration = (groupState && durationOf(groupState)) ?? durationOf(projectRuleState(project)) ?? { kind: 'lifetime' as const };
  return {
    source,
    type: rule.type,
    rate_bp: rule.type === 'percentage' ? rule.rateBp : null,
    amount_minor: rule.type === 'fixed' ? Number(rule.amountMinor) : null,
    currency: project.currency,
    duration: duration.kind,
    duration_months: duration.kind === 'months' ? duration.months : null,
    hold_days: affiliate.holdDays ?? group?.holdDays ?? project.holdDays,
  };
}

function balanceView(e: Earnings) {
  return {
    earned_minor: jsonInteger(e.total),
    pending_minor: jsonInteger(e.pending),
    held_minor: jsonInteger(e.held),
    eligible_minor: jsonInteger(e.eligible),
    processing_minor: jsonInteger(e.processing),
    paid_minor: jsonInteger(e.paid),
    next_release_at: e.nextRelease?.toISOString() ?? null,
  };
}

/** Money per currency as `{ USD: 1234 }`: currencies are never added together. */
function byCurrency(d: DayFigures, pick: (m: { revenue: bigint; refunded: bigint; commission: bigint }) => bigint): Record<string, number | bigint> {
  return Object.fromEntries([...d.money.values()].sort((a, b) => a.currency.localeCompare(b.currency)).map((m) => [m.currency, jsonInteger(pick(m))]));
}

function dayView(d: DayFigures) {
  return {
    clicks: Number(d.clicks),
    signups: Number(d.signups),
    purchases: Number(d.purchases),
    renewals: Number(d.renewals),
    refunds: Number(d.refunds),
    revenue_minor: byCurrency(d, (m) => m.revenue),
    refunded_minor: byCurrency(d, (m) => m.refunded),
    commission_minor: byCurrency(d, (m) => m.commission),
  };
}

const commissionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** next_cursor of the page before */
  cursor: z.string().max(200).optional(),
});

type Cursor = { at: Date; id: string };
const encodeCursor = (c: Conversion) => Buffer.from(`${c.occurredAt.toISOString()}|${c.id}`).toString('base64url');
function decodeCursor(raw: string): Cursor {
  const parts = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const [at, id] = parts;
  const date = new Date(at ?? '');
  // as encodeCursor wrote it: any other date JavaScript reads (the year 0, 275760) reached PostgreSQL, which cannot
  // hold it, and failed the query with a 500
  const valid = parts.length === 2 && !Number.isNaN(date.getTime()) && date.toISOString() === at && isStorableDate(date) && /^[0-9a-f-]{36}$/.test(id ?? '');
  if (!valid) throw new HttpError(400, 'cursor: not a cursor this API gave');
  return { at: date, id: id! };
}

/** A commission as the affiliate sees it: no customer, provider or attribution details of the merchant's. */
function commissionView(c: Conversion, now: Date) {
  return {
    id: c.id,
    kind: c.kind,
    status: conversionStatus(c, now),
    reason: c.reason === 'pending' ? null : c.reason,
    currency: c.currency,
    amount_minor: Number(c.amountMinor),
    commission_minor: Number(c.valueMinor),
    hold_until: c.holdUntil?.toISOString() ?? null,
    paid_at: c.paidAt?.toISOString() ?? null,
    payout_id: c.payoutId,
    occurred_at: c.occurredAt.toISOString(),
    created_at: c.createdAt.toISOString(),
  };
}

/** `GET /api/portal/:projectId/config`: what the sign-in page needs before anyone is signed in. */
export function portalConfigRouter(prisma: PrismaClient): Router {
  const router = Router({ mergeParams: true });
  router.get('/config', async (req, res) => {
    const projectId = portalProjectId(req);
    const project = await prisma.project.findUnique({ where: { id: projectId }, select: { id: true, name: true, currency: true } });
    if (!project) throw new HttpError(404, 'project not found');
    res.json(ok({ project, portal: await portalSettingsOf(prisma, projectId) }));
  });
  return router;
}

/** The signed-in affiliate's own numbers: me, stats, coupons, commissions. Each reads the ledger's one definition. */
export function portalDashboardRouter(prisma: PrismaClient, publicUrl: string, clock: () => Date): Router {
  const router = Router({ mergeParams: true });

  router.get('/me', async (req, res) => {
    const { projectId, affiliate } = portalOf(req);
    const now = clock();
    const [project, group, stats, link, portal] = await Promise.all([
      prisma.project.findUniqueOrThrow({ where: { id: projectId } }),
      affiliate.groupId ? prisma.affiliateGroup.findUnique({ where: { id: affiliate.groupId } }) : null,
      affiliateStats(prisma, projectId, [affiliate.id], now),
      referralLinkOf(prisma, publicUrl, affiliate),
      portalSettingsOf(prisma, projectId),
    ]);
    const earnings = stats.get(affiliate.id)!.earnings;
    // the program's currency is always shown, at zero before the first commission
    if (!earnings.some((e) => e.currency === project.currency)) earnings.unshift(emptyEarnings(project.currency));
    res.json(
      ok({
        affiliate: portalAffiliateView(affiliate, link),
        project: {
          id: project.id,
          name: project.name,
          currency: project.currency,
          cookie_days: project.cookieDays,
          payout_minimum_minor: Number(project.minimumPayoutMinor),
          commission_review: project.commissionReview,
        },
        commission: termsInForce(project, affiliate, group),
        balances: Object.fromEntries(earnings.map((e) => [e.currency, balanceView(e)])),
        portal,
      }),
    );
  });

  router.get('/stats', async (req, res) => {
    const { projectId, affiliate } = portalOf(req);
    const { from, to } = dailyPeriod(dailyPeriodQuery.parse(req.query), clock());
    const figures = await dailyFigures(prisma, { projectId, affiliateId: affiliate.id, from, to });
    res.json(
      ok({
        from: from.toISOString(),
        to: to.toISOString(),
        totals: { ...dayView(figures.totals), conversion_rate_bp: rateBp(figures.totals.purchases, figures.totals.clicks) },
        daily: figures.days.map(([date, d]) => ({ date, ...dayView(d) })),
      }),
    );
  });

  router.get('/coupons', async (req, res) => {
    const { affiliate } = portalOf(req);
    const rows = await prisma.coupon.findMany({ where: { affiliateId: affiliate.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    res.json(ok(rows.map((c) => ({ id: c.id, coupon_code: c.couponCode, status: c.status, created_at: c.createdAt.toISOString() }))));
  });

  router.get('/commissions', async (req, res) => {
    const { affiliate } = portalOf(req);
    const q = commissionsQuery.parse(req.query);
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    const rows = await prisma.conversion.findMany({
      where: {
        affiliateId: affiliate.id,
        kind: { not: 'signup' },
        ...(after ? { OR: [{ occurredAt: { lt: after.at } }, { occurredAt: after.at, id: { lt: after.id } }] } : {}),
      },
      orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
      take: q.limit + 1,
    });
    const now = clock();
    const pageRows = rows.slice(0, q.limit);
    res.json({
      success: true,
      data: pageRows.map((c) => commissionView(c, now)),
      pagination: { limit: q.limit, next_cursor: rows.length > q.limit ? encodeCursor(pageRows[pageRows.length - 1]!) : null },
    });
  });

  return router;
}

const projectSummaryResponse = z.strictObject({ id: uuid, name: z.string(), currency: z.string() });

const balanceResponse = z.strictObject({
  earned_minor: minor,
  pending_minor: minor.describe('under review'),
  held_minor: minor,
  eligible_minor: minor,
  processing_minor: minor.describe('in a pending payout'),
  paid_minor: minor,
  next_release_at: instant.nullable(),
});

const meResponse = z.strictObject({
  affiliate: portalAffiliateResponse,
  project: z.strictObject({
    id: uuid,
    name: z.string(),
    currency: z.string(),
    cookie_days: z.number().int(),
    payout_minimum_minor: minor,
    commission_review: z.enum(['auto', 'manual']),
  }),
  commission: z.strictObject({
    source: z.string().describe('affiliate | group | project'),
    type: z.enum(['percentage', 'fixed']),
    rate_bp: z.number().int().nullable(),
    amount_minor: minor.nullable(),
    currency: z.string(),
    duration: z.enum(['lifetime', 'first_payment', 'months']),
    duration_months: z.number().int().nullable(),
    hold_days: z.number().int(),
  }),
  balances: z.record(z.string(), balanceResponse).describe('per currency'),
  portal: portalSettingsResponse,
});

/** dayView's answer: money per currency as { "USD": 4000 } (minor units). */
const portalDayFields = {
  clicks: z.number().int(),
  signups: z.number().int(),
  purchases: z.number().int(),
  renewals: z.number().int(),
  refunds: z.number().int(),
  revenue_minor: z.record(z.string(), minor),
  refunded_minor: z.record(z.string(), minor),
  commission_minor: z.record(z.string(), minor),
};

const statsResponse = z.strictObject({
  from: instant,
  to: instant,
  totals: z.strictObject({ ...portalDayFields, conversion_rate_bp: z.number().int().nullable() }),
  daily: z.array(z.strictObject({ date: z.string().describe('YYYY-MM-DD (UTC)'), ...portalDayFields })),
});

const portalCommissionResponse = z
  .strictObject({
    id: uuid,
    kind: z.enum(['purchase', 'renewal', 'refund']),
    status: conversionStatusResponse,
    reason: z.string().nullable(),
    currency: z.string(),
    amount_minor: minor,
    commission_minor: minor,
    hold_until: instant.nullable(),
    paid_at: instant.nullable(),
    payout_id: uuid.nullable(),
    occurred_at: instant,
    created_at: instant,
  })
  .meta({ id: 'PortalCommission' });

const base = { tag: 'Affiliate portal', access: 'portal' as const };

export const portalDashboardOperations: Operation[] = [
  {
    tag: 'Affiliate portal',
    access: 'public',
    method: 'get',
    path: '/api/portal/{projectId}/config',
    summary: "The program's name and currency and the portal's blocks, appearance and materials, for the sign-in page",
    response: z.strictObject({ project: projectSummaryResponse, portal: portalSettingsResponse }),
  },
  {
    ...base,
    method: 'get',
    path: '/api/portal/{projectId}/me',
    summary: 'The signed-in affiliate: profile and referral link, the program, the commission terms in force, balances per currency, the portal settings',
    description:
      'balances: { <currency>: { earned_minor, pending_minor (under review), held_minor, eligible_minor, processing_minor (in a pending payout), paid_minor, next_release_at } }.',
    response: meResponse,
  },
  {
    ...base,
    method: 'get',
    path: '/api/portal/{projectId}/stats',
    summary: "The affiliate's clicks, signups, purchases, revenue and commission per UTC day of [from, to), with totals and conversion_rate_bp",
    description: 'Money per currency ({ "USD": 4000 }). from (included) and to (excluded) are UTC days, at most 366 apart; default the 30 days up to today.',
    query: dailyPeriodQuery,
    response: statsResponse,
  },
  { ...base, method: 'get', path: '/api/portal/{projectId}/coupons', summary: 'The coupon codes assigned to the affiliate',
    response: z.array(z.strictObject({ id: uuid, coupon_code: z.string(), status: z.enum(['active', 'inactive']), created_at: instant })),
  },
  {
    ...base,
    method: 'get',
    path: '/api/portal/{projectId}/commissions',
    summary: "The affiliate's commissions, newest first, with status (pending, held, eligible, processing, paid, rejected, reversed, none) and hold_until",
    description: 'Paged by cursor: pass pagination.next_cursor as cursor for the next page (null on the last).',
    query: commissionsQuery,
    answer: 'list',
    response: portalCommissionResponse,
  },
];
