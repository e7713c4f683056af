import { balance } from '../domain/balances';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { formatMajor } from '../domain/currency-digits';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { dailyReport, dailyReportOperations, moneyResponse } from './daily-report';
import { instant, ok, uuid } from './envelope';
import { checkedPeriod, isoDate } from './fields';
import type { Operation } from './operation';
import { conversionStatus } from '../views/present';
import { csvField } from '../util/csv';
import { affiliateTotals, type AffiliateTotals } from '../db/affiliate-totals';
import { sqlSessionOf } from '../db/prisma-session';
import { jsonInteger } from '../util/exact-json';

const periodQuery = z.object({ from: isoDate.optional(), to: isoDate.optional() });

const healthQuery = z.object({ newest: z.coerce.number().int().min(0).max(50).default(5) });
const DAY_MS = 86_400_000;
const healthAnswer = z.object({
  since: z.string(),
  ok: z.boolean(),
  events: z.object({
    failed_total: z.number().int(),
    failed_last_24h: z.number().int(),
    newest: z.array(z.object({ id: z.string(), provider: z.string(), type: z.string(), error: z.string().nullable(), received_at: z.string(), failed_at: z.string().nullable() })),
  }),
  webhook_deliveries: z.object({
    failing_total: z.number().int(),
    failing_last_24h: z.number().int(),
    dead_total: z.number().int(),
    dead_last_24h: z.number().int(),
    newest: z.array(
      z.object({
        id: z.string(),
        endpoint_id: z.string(),
        url: z.string(),
        type: z.string(),
        status: z.enum(['failing', 'dead']),
        attempts: z.number().int(),
        last_status_code: z.number().int().nullable(),
        error: z.string().nullable(),
        next_attempt_at: z.string().nullable(),
        at: z.string(),
      }),
    ),
  }),
});
const summaryQuery = periodQuery.extend({ top: z.coerce.number().int().min(1).max(100).default(10) });

type Counts = { signups: bigint; purchases: bigint; renewals: bigint; refunds: bigint };
/** sums arrive as text: a sum of bigints is numeric in SQL, and cast back to bigint it could overflow */
type MoneyRow = { currency: string; revenue: string; refunded: string; commission: string; commission_pending: string; commission_rejected: string };
type TopRow = { affiliate_id: string; email: string; referral_code: string; currency: string; commission: string; sales: bigint; revenue: string };

/** `column` (a timestamp) within [from, to): a missing bound is open. */
function period(q: { from?: Date; to?: Date }, column = 'occurred_at') {
  const c = Prisma.raw(column);
  return Prisma.sql`${q.from ? Prisma.sql`AND ${c} >= ${q.from}` : Prisma.empty} ${q.to ? Prisma.sql`AND ${c} < ${q.to}` : Prisma.empty}`;
}

/**
 * The summary's figures for all time from the maintained per-affiliate totals, the same as the period queries below
 * give over every row (test/api/reports-totals.test.ts holds the two equal): counts of attributed rows; per currency
 * with a sale or refund, revenue, refunded and commission (counted, pending, rejected; signups left out); the top
 * affiliates by commission of every review state, then by rows, then by id.
 */
async function totalsFigures(prisma: PrismaClient, projectId: string, topN: number): Promise<{ counts: Counts; money: MoneyRow[]; top: TopRow[] }> {
  const [rows, project] = await Promise.all([affiliateTotals(sqlSessionOf(prisma), projectId), prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { currency: true } })]);
  const n = (text: string) => BigInt(text);
  const counts: Counts = { signups: 0n, purchases: 0n, renewals: 0n, refunds: 0n };
  const money = new Map<string, { revenue: bigint; refunded: bigint; commission: bigint; pending: bigint; rejected: bigint }>();
  const ranked: { r: AffiliateTotals; home: boolean; commission: bigint; rows: bigint }[] = [];
  for (const r of rows) {
    counts.signups += n(r.signups);
    counts.purchases += n(r.purchases);
    counts.renewals += n(r.renewals);
    counts.refunds += n(r.refunds);
    const moneyRows = n(r.purchases) + n(r.renewals) + n(r.refunds);
    if (moneyRows === 0n) continue;
    const m = money.get(r.currency) ?? { revenue: 0n, refunded: 0n, commission: 0n, pending: 0n, rejected: 0n };
    m.revenue += n(r.revenue_minor);
    m.refunded += n(r.refunded_minor);
    m.commission += n(r.commission_minor);
    m.pending += n(r.pending_minor);
    m.rejected += n(r.rejected_minor);
    money.set(r.currency, m);
    ranked.push({ r, home: r.currency === project.currency, commission: n(r.commission_minor), rows: moneyRows });
  }
  // amounts compare only within a currency: the program's currency first, then the others by code; within one, by
  // the commission shown, then by rows (the period's query orders alike)
  const order = (x: (typeof ranked)[number]) => [x.home ? 0 : 1, x.r.currency, -x.commission, -x.rows, x.r.affiliate_id] as const;
  ranked.sort((a, b) => {
    const [ka, kb] = [order(a), order(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
  // (a deleted affiliate's rows lose their affiliate_id, and with it their place in the totals)
  const first = ranked.slice(0, topN);
  const named = await prisma.affiliate.findMany({ where: { projectId, id: { in: first.map((x) => x.r.affiliate_id) } }, select: { id: true, email: true, referralCode: true } });
  const byId = new Map(named.map((a) => [a.id, a]));
  const top: TopRow[] = first
    .filter((x) => byId.has(x.r.affiliate_id))
    .map(({ r }) => ({
      affiliate_id: r.affiliate_id,
      email: byId.get(r.affiliate_id)!.email,
      referral_code: byId.get(r.affiliate_id)!.referralCode,
      currency: r.currency,
      commission: r.commission_minor,
      sales: n(r.purchases) + n(r.renewals),
      revenue: (n(r.revenue_minor) - n(r.refunded_minor)).toString(),
    }));
  return {
    counts,
    money: [...money.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([currency, m]) => ({
        currency,
        revenue: m.revenue.toString(),
        refunded: m.refunded.toString(),
        commission: m.commission.toString(),
        commission_pending: m.pending.toString(),
        commission_rejected: m.rejected.toString(),
      })),
    top,
  };
}

const money = (minor: string | bigint, currency: string) => ({ value: formatMajor(BigInt(minor), currency), value_minor: jsonInteger(minor) });

/** A conversion rate in basis points: referred sales per 10,000 clicks, rounded down (integers, never floats). */
function rateBp(sales: bigint, clicks: bigint): number | null {
  return clicks === 0n ? null : Number((sales * 10_000n) / clicks);
}

const CSV_COLUMNS = [
  'id', 'occurred_at', 'kind', 'status', 'affiliate_id', 'affiliate_email', 'customer_email', 'customer_id', 'provider', 'payment_key',
  'currency', 'amount', 'amount_minor', 'base_value', 'base_value_minor', 'value', 'value_minor', 'reverses_id', 'payout_id', 'paid_at', 'reason',
  // appended, so a reader of the earlier columns by position reads them as before
  'reviewed_at', 'review_reason',
] as const;
const CSV_PAGE = 1000;

/** `/api/v1/reports` (issue 8): the program's summary over a period, and the conversions as CSV. */
export function reportsRouter(prisma: PrismaClient, clock: () => Date): Router {
  const router = Router();

  router.get('/summary', async (req, res) => {
    const q = checkedPeriod(summaryQuery.parse(req.query));
    const projectId = projectIdOf(req);
    const scope = Prisma.sql`project_id = ${projectId}::uuid AND affiliate_id IS NOT NULL ${period(q)}`;
    // for all time, the maintained per-affiliate totals (src/db/affiliate-totals.ts): in proportion to the affiliates,
    // not to every conversion ever made; a period reads its own rows through the (project_id, occurred_at) index
    const totals = !q.from && !q.to ? totalsFigures(prisma, projectId, q.top) : null;
    const [[counts], [clicks], moneyRows, top] = await Promise.all([
      totals ? totals.then((f) => [f.counts]) : prisma.$queryRaw<Counts[]>`
        SELECT count(*) FILTER (WHERE kind = 'signup') AS signups, count(*) FILTER (WHERE kind = 'purchase') AS purchases,
               count(*) FILTER (WHERE kind = 'renewal') AS renewals, count(*) FILTER (WHERE kind = 'refund' AND amount_minor < 0) AS refunds
        FROM conversions WHERE ${scope}`,
      // dated click rows (kept click_retention_days): the clicks of the period, like the conversions
      prisma.$queryRaw<{ clicks: bigint }[]>`SELECT count(*)::bigint AS clicks FROM clicks WHERE project_id = ${projectId}::uuid ${period(q)}`,
      totals ? totals.then((f) => f.money) : prisma.$queryRaw<MoneyRow[]>`
        SELECT currency, coalesce(sum(amount_minor) FILTER (WHERE kind IN ('purchase', 'renewal')), 0)::text AS revenue,
               coalesce(-sum(amount_minor) FILTER (WHERE kind = 'refund'), 0)::text AS refunded,
               coalesce(sum(value_minor) FILTER (WHERE ${balance.counted}), 0)::text AS commission,
               coalesce(sum(value_minor) FILTER (WHERE review_status = 'pending'), 0)::text AS commission_pending,
               coalesce(sum(value_minor) FILTER (WHERE review_status = 'rejected'), 0)::text AS commission_rejected
        FROM conversions WHERE ${scope} AND kind <> 'signup' GROUP BY currency ORDER BY currency`,
      totals ? totals.then((f) => f.top) : prisma.$queryRaw<TopRow[]>`
        SELECT c.affiliate_id::text AS affiliate_id, a.email, a.referral_code, c.currency, coalesce(sum(c.value_minor) FILTER (WHERE ${balance.counted}), 0)::text AS commission,
               count(*) FILTER (WHERE c.kind IN ('purchase', 'renewal')) AS sales,
               coalesce(sum(c.amount_minor) FILTER (WHERE c.kind <> 'signup'), 0)::text AS revenue
        FROM conversions c JOIN affiliates a ON a.id = c.affiliate_id
        WHERE c.project_id = ${projectId}::uuid ${period(q, 'c.occurred_at')}
          AND c.kind <> 'signup'
        GROUP BY c.affiliate_id, a.email, a.referral_code, c.currency
        ORDER BY c.currency = (SELECT currency FROM projects WHERE id = ${projectId}::uuid) DESC, c.currency COLLATE "C",
                 -- an affiliate with no counted commission in the period has none (0), not a null sorted first
                 coalesce(sum(c.value_minor) FILTER (WHERE ${balance.counted}), 0) DESC, count(*) DESC, c.affiliate_id LIMIT ${q.top}`,
    ]);
    const sales = BigInt(counts!.purchases) + BigInt(counts!.renewals);
    const clickCount = BigInt(clicks!.clicks);
    const bp = rateBp(BigInt(counts!.purchases), clickCount);
    res.json(
      ok({
        from: q.from?.toISOString() ?? null,
        to: q.to?.toISOString() ?? null,
        clicks: Number(clickCount),
        clicks_scope: 'period',
        signups: Number(counts!.signups),
        purchases: Number(counts!.purchases),
        renewals: Number(counts!.renewals),
        refunds: Number(counts!.refunds),
        sales: Number(sales),
        conversion_rate_bp: bp,
        conversion_rate: bp === null ? null : bp / 100,
        by_currency: moneyRows.map((m) => ({
          currency: m.currency,
          revenue: money(m.revenue, m.currency),
          refunded: money(m.refunded, m.currency),
          net_revenue: money(BigInt(m.revenue) - BigInt(m.refunded), m.currency),
          commission: money(m.commission, m.currency),
          // under manual review (PRODUCT.md §12): waiting for the merchant, and turned down; neither is in `commission`
          commission_pending: money(m.commission_pending, m.currency),
          commission_rejected: money(m.commission_rejected, m.currency),
        })),
        top_affiliates: top.map((r) => ({
          affiliate_id: r.affiliate_id,
          email: r.email,
          referral_code: r.referral_code,
          currency: r.currency,
          sales: Number(r.sales),
          net_revenue: money(r.revenue, r.currency),
          commission: money(r.commission, r.currency),
        })),
      }),
    );
  });

  router.get('/daily', dailyReport(prisma, clock));

  // what an overview page calls out now: failed events, failing and dead outbound deliveries
  router.get('/health', async (req, res) => {
    const q = healthQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const since = new Date(clock().getTime() - DAY_MS);
    const failing = { projectId, status: 'pending', attempts: { gt: 0 } };
    const dead = { projectId, status: 'failed' };
    const [failedTotal, failed24h, failedNewest, failingTotal, failing24h, deadTotal, dead24h, deliveriesNewest] = await Promise.all([
      prisma.inboundEvent.count({ where: { projectId, status: 'failed' } }),
      prisma.inboundEvent.count({ where: { projectId, status: 'failed', receivedAt: { gte: since } } }),
      prisma.inboundEvent.findMany({
        where: { projectId, status: 'failed' },
        select: { id: true, provider: true, eventType: true, statusReason: true, receivedAt: true, processedAt: true },
        orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
        take: q.newest,
      }),
      prisma.webhookDelivery.count({ where: failing }),
      prisma.webhookDelivery.count({ where: { ...failing, updatedAt: { gte: since } } }),
      prisma.webhookDelivery.count({ where: dead }),
      prisma.webhookDelivery.count({ where: { ...dead, updatedAt: { gte: since } } }),
      prisma.webhookDelivery.findMany({
        where: { projectId, OR: [{ status: 'failed' }, { status: 'pending', attempts: { gt: 0 } }] },
        select: { id: true, endpointId: true, eventType: true, status: true, attempts: true, lastStatusCode: true, lastError: true, nextAttemptAt: true, updatedAt: true, endpoint: { select: { url: true } } },
        orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
        take: q.newest,
      }),
    ]);
    res.json(
      ok({
        since: since.toISOString(),
        ok: failedTotal === 0 && failingTotal === 0 && deadTotal === 0,
        events: {
          failed_total: failedTotal,
          failed_last_24h: failed24h,
          newest: failedNewest.map((e) => ({ id: e.id, provider: e.provider, type: e.eventType, error: e.statusReason, received_at: e.receivedAt.toISOString(), failed_at: e.processedAt?.toISOString() ?? null })),
        },
        webhook_deliveries: {
          failing_total: failingTotal,
          failing_last_24h: failing24h,
          dead_total: deadTotal,
          dead_last_24h: dead24h,
          newest: deliveriesNewest.map((d) => ({
            id: d.id,
            endpoint_id: d.endpointId,
            url: d.endpoint.url,
            type: d.eventType,
            status: d.status === 'failed' ? ('dead' as const) : ('failing' as const),
            attempts: d.attempts,
            last_status_code: d.lastStatusCode,
            error: d.lastError,
            next_attempt_at: d.status === 'pending' ? (d.nextAttemptAt?.toISOString() ?? null) : null,
            at: d.updatedAt.toISOString(),
          })),
        },
      } satisfies z.infer<typeof healthAnswer>),
    );
  });

  // Paged by id so a large export streams in constant memory and no row is skipped or repeated.
  router.get('/conversions.csv', async (req, res: Response) => {
    const q = checkedPeriod(periodQuery.parse(req.query));
    const projectId = projectIdOf(req);
    const now = clock();
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="conversions.csv"');
    res.write(`${CSV_COLUMNS.join(',')}\r\n`);
    let after: string | undefined;
    for (;;) {
      const rows = await prisma.conversion.findMany({
        where: { projectId, occurredAt: { gte: q.from, lt: q.to }, ...(after ? { id: { gt: after } } : {}) },
        orderBy: { id: 'asc' },
        take: CSV_PAGE,
        include: { affiliate: { select: { email: true } } },
      });
      for (const c of rows) {
        const line = {
          id: c.id,
          occurred_at: c.occurredAt.toISOString(),
          kind: c.kind,
          status: conversionStatus(c, now),
          affiliate_id: c.affiliateId,
          affiliate_email: c.affiliate?.email ?? null,
          customer_email: c.customerEmail,
          customer_id: c.customerId,
          provider: c.provider,
          payment_key: c.paymentKey,
          currency: c.currency,
          amount: formatMajor(c.amountMinor, c.currency),
          amount_minor: c.amountMinor,
          base_value: formatMajor(c.baseValueMinor, c.currency),
          base_value_minor: c.baseValueMinor,
          value: formatMajor(c.valueMinor, c.currency),
          value_minor: c.valueMinor,
          reverses_id: c.reversesId,
          payout_id: c.payoutId,
          paid_at: c.paidAt?.toISOString() ?? null,
          reason: c.reason === 'pending' ? null : c.reason,
          reviewed_at: c.reviewedAt?.toISOString() ?? null,
          review_reason: c.reviewReason,
        };
        res.write(`${CSV_COLUMNS.map((k) => csvField(line[k])).join(',')}\r\n`);
      }
      if (rows.length < CSV_PAGE) break;
      after = rows.at(-1)!.id;
    }
    res.end();
  });

  return router;
}

const summaryResponse = z.strictObject({
  from: instant.nullable(),
  to: instant.nullable(),
  clicks: z.number().int(),
  clicks_scope: z.literal('period'),
  signups: z.number().int(),
  purchases: z.number().int(),
  renewals: z.number().int(),
  refunds: z.number().int(),
  sales: z.number().int(),
  conversion_rate_bp: z.number().int().nullable().describe('purchases per 10,000 clicks; null without clicks'),
  conversion_rate: z.number().nullable().describe('percent'),
  by_currency: z.array(
    z.strictObject({
      currency: z.string(),
      revenue: moneyResponse,
      refunded: moneyResponse,
      net_revenue: moneyResponse,
      commission: moneyResponse,
      commission_pending: moneyResponse,
      commission_rejected: moneyResponse,
    }),
  ),
  top_affiliates: z.array(
    z.strictObject({
      affiliate_id: uuid,
      email: z.string(),
      referral_code: z.string(),
      currency: z.string(),
      sales: z.number().int(),
      net_revenue: moneyResponse,
      commission: moneyResponse,
    }),
  ),
});

export const reportOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/reports/summary',
    tag: 'Reports',
    access: 'api_key',
    summary: 'Clicks, signups, sales, refunds, conversion rate, revenue and commission per currency, top affiliates',
    query: summaryQuery,
    response: summaryResponse,
  },
  ...dailyReportOperations,
  {
    method: 'get',
    path: '/api/v1/reports/health',
    tag: 'Reports',
    access: 'api_key',
    summary: 'What needs attention now: failed events and failing or dead outbound webhook deliveries (open, and of the last 24 hours), with the newest of each',
    description: 'Failed events are those whose processing failed (status failed) until replayed; a failing delivery is pending after at least one refused attempt, a dead one gave up (status failed). Cheap by index, for an overview page to poll.',
    query: healthQuery,
    response: healthAnswer,
  },
  { method: 'get', path: '/api/v1/reports/conversions.csv', tag: 'Reports', access: 'api_key', summary: 'The conversions of a period as CSV', query: periodQuery, answer: 'csv' },
];

/** The schema above, for the MCP tool that calls this route (src/mcp/tools.ts). */
export { summaryQuery as reportSummaryQuery, healthQuery as reportHealthQuery };
