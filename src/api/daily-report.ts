import { balance } from '../domain/balances';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { formatMajor } from '../domain/currency-digits';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { instant, majorText, minor, ok, uuid } from './envelope';
import { isoDate, uuidField } from './fields';
import type { Operation } from './operation';
import { jsonInteger } from '../util/exact-json';

const DAY = 86_400_000;
const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

const wholeDay = isoDate.refine((d) => d.getTime() % DAY === 0, { message: 'must be a whole UTC day (YYYY-MM-DD)' });

/** A period of whole UTC days, [from, to). */
export const dailyPeriodQuery = z.object({
  /** the first day, included (UTC); default: 30 days before `to` */
  from: wholeDay.optional(),
  /** the day after the last one (UTC), as [from, to) elsewhere in the reports; default: tomorrow */
  to: wholeDay.optional(),
});

export const dailyQuery = dailyPeriodQuery.extend({ affiliate_id: uuidField.optional() });

type ClickRow = { day: string; clicks: bigint };
type ConversionRow = {
  day: string;
  currency: string;
  signups: bigint;
  purchases: bigint;
  renewals: bigint;
  refunds: bigint;
  revenue: bigint;
  refunded: bigint;
  commission: bigint;
  money_rows: bigint;
};

type Money = { value: string; value_minor: number | bigint };
const money = (minor: bigint, currency: string): Money => ({ value: formatMajor(minor, currency), value_minor: jsonInteger(minor) });

type CurrencyFigures = { currency: string; revenue: bigint; refunded: bigint; commission: bigint };
export type DayFigures = { clicks: bigint; signups: bigint; purchases: bigint; renewals: bigint; refunds: bigint; money: Map<string, CurrencyFigures> };

const emptyDay = (): DayFigures => ({ clicks: 0n, signups: 0n, purchases: 0n, renewals: 0n, refunds: 0n, money: new Map() });

/** A conversion rate in basis points: purchases per 10,000 clicks, rounded down; null without clicks. */
export const rateBp = (purchases: bigint, clicks: bigint) => (clicks === 0n ? null : Number((purchases * 10_000n) / clicks));

/** An amount both ways: `value` "50.00" and `value_minor` 5000. */
export const moneyResponse = z.strictObject({ value: majorText, value_minor: minor });

/** view()'s answer: a day's (or a period's) figures. */
export const dayFiguresFields = {
  clicks: z.number().int(),
  signups: z.number().int(),
  purchases: z.number().int(),
  renewals: z.number().int(),
  refunds: z.number().int(),
  sales: z.number().int(),
  conversion_rate_bp: z.number().int().nullable().describe('purchases per 10,000 clicks; null without clicks'),
  by_currency: z.array(
    z.strictObject({ currency: z.string(), revenue: moneyResponse, refunded: moneyResponse, net_revenue: moneyResponse, commission: moneyResponse }),
  ),
};

const dailyReportResponse = z.strictObject({
  from: instant,
  to: instant,
  affiliate_id: uuid.nullable(),
  days: z.array(z.strictObject({ date: z.string().describe('YYYY-MM-DD (UTC)'), ...dayFiguresFields })),
  totals: z.strictObject(dayFiguresFields),
});

function view(f: DayFigures) {
  return {
    clicks: Number(f.clicks),
    signups: Number(f.signups),
    purchases: Number(f.purchases),
    renewals: Number(f.renewals),
    refunds: Number(f.refunds),
    sales: Number(f.purchases + f.renewals),
    conversion_rate_bp: rateBp(f.purchases, f.clicks),
    by_currency: [...f.money.values()]
      .sort((a, b) => a.currency.localeCompare(b.currency))
      .map((m) => ({
        currency: m.currency,
        revenue: money(m.revenue, m.currency),
        refunded: money(m.refunded, m.currency),
        net_revenue: money(m.revenue - m.refunded, m.currency),
        commission: money(m.commission, m.currency),
      })),
  };
}

function add(into: DayFigures, from: DayFigures) {
  into.clicks += from.clicks;
  into.signups += from.signups;
  into.purchases += from.purchases;
  into.renewals += from.renewals;
  into.refunds += from.refunds;
  for (const m of from.money.values()) {
    const t = into.money.get(m.currency) ?? { currency: m.currency, revenue: 0n, refunded: 0n, commission: 0n };
    into.money.set(m.currency, { currency: m.currency, revenue: t.revenue + m.revenue, refunded: t.refunded + m.refunded, commission: t.commission + m.commission });
  }
}

/** A period of whole UTC days [from, to): 30 days up to today by default, at most 366. */
export function dailyPeriod(q: { from?: Date; to?: Date }, now: Date): { from: Date; to: Date } {
  const to = q.to ?? new Date(Math.floor(now.getTime() / DAY) * DAY + DAY);
  const from = q.from ?? new Date(to.getTime() - DEFAULT_DAYS * DAY);
  if (from.getTime() >= to.getTime()) throw new HttpError(400, 'from: must be before to');
  if (to.getTime() - from.getTime() > MAX_DAYS * DAY) throw new HttpError(400, `to: the period is at most ${MAX_DAYS} days`);
  return { from, to };
}

export type DailyFigures = { days: [string, DayFigures][]; totals: DayFigures };

/**
 * One row per UTC day of [from, to), with the clicks (dated rows, so days older than the project's
 * click_retention_days show none), the referred signups, purchases, renewals and refunds, and revenue and
 * commission per currency, of the whole program or of one affiliate; the period's totals beside them. Two grouped
 * queries, served by the (project_id, occurred_at) and (project_id, affiliate_id, occurred_at) indexes of clicks
 * and conversions. The merchant's daily report and the affiliate portal's stats both read it.
 */
export async function dailyFigures(prisma: PrismaClient, q: { projectId: string; affiliateId: string | null; from: Date; to: Date }): Promise<DailyFigures> {
  const { projectId, from, to } = q;
  const ofAffiliate = q.affiliateId ? Prisma.sql`AND affiliate_id = ${q.affiliateId}::uuid` : Prisma.sql`AND affiliate_id IS NOT NULL`;
  const day = Prisma.sql`to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  const [clicks, conversions] = await Promise.all([
    prisma.$queryRaw<ClickRow[]>`
      SELECT ${day} AS day, count(*) AS clicks FROM clicks
      WHERE project_id = ${projectId}::uuid AND occurred_at >= ${from} AND occurred_at < ${to} ${ofAffiliate}
      GROUP BY 1`,
    prisma.$queryRaw<ConversionRow[]>`
      SELECT ${day} AS day, currency,
             count(*) FILTER (WHERE kind = 'signup') AS signups, count(*) FILTER (WHERE kind = 'purchase') AS purchases,
             count(*) FILTER (WHERE kind = 'renewal') AS renewals, count(*) FILTER (WHERE kind = 'refund' AND amount_minor < 0) AS refunds,
             coalesce(sum(amount_minor) FILTER (WHERE kind IN ('purchase', 'renewal')), 0)::bigint AS revenue,
             coalesce(-sum(amount_minor) FILTER (WHERE kind = 'refund'), 0)::bigint AS refunded,
             coalesce(sum(value_minor) FILTER (WHERE kind <> 'signup' AND ${balance.counted}), 0)::bigint AS commission,
             count(*) FILTER (WHERE kind <> 'signup') AS money_rows
      FROM conversions
      WHERE project_id = ${projectId}::uuid AND occurred_at >= ${from} AND occurred_at < ${to} ${ofAffiliate}
      GROUP BY 1, 2`,
  ]);

  const days = new Map<string, DayFigures>();
  for (let t = from.getTime(); t < to.getTime(); t += DAY) days.set(new Date(t).toISOString().slice(0, 10), emptyDay());
  for (const c of clicks) days.get(c.day)!.clicks += BigInt(c.clicks);
  for (const c of conversions) {
    const d = days.get(c.day)!;
    d.signups += BigInt(c.signups);
    d.purchases += BigInt(c.purchases);
    d.renewals += BigInt(c.renewals);
    d.refunds += BigInt(c.refunds);
    // a currency appears on a day when money moved in it (signups carry none)
    if (BigInt(c.money_rows) > 0n) {
      d.money.set(c.currency, { currency: c.currency, revenue: BigInt(c.revenue), refunded: BigInt(c.refunded), commission: BigInt(c.commission) });
    }
  }
  const totals = emptyDay();
  for (const d of days.values()) add(totals, d);
  return { days: [...days], totals };
}

/** `GET /api/v1/reports/daily`: dailyFigures of the program or of one affiliate. */
export function dailyReport(prisma: PrismaClient, clock: () => Date): RequestHandler {
  return async (req, res) => {
    const q = dailyQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const { from, to } = dailyPeriod(q, clock());
    if (q.affiliate_id && !(await prisma.affiliate.findFirst({ where: { id: q.affiliate_id, projectId }, select: { id: true } }))) {
      throw new HttpError(404, 'affiliate not found');
    }
    const figures = await dailyFigures(prisma, { projectId, affiliateId: q.affiliate_id ?? null, from, to });
    res.json(
      ok({
        from: from.toISOString(),
        to: to.toISOString(),
        affiliate_id: q.affiliate_id ?? null,
        days: figures.days.map(([date, f]) => ({ date, ...view(f) })),
        totals: view(figures.totals),
      }),
    );
  };
}

export const dailyReportOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/reports/daily',
    tag: 'Reports',
    access: 'api_key',
    summary: 'One row per UTC day: clicks, signups, purchases, renewals, refunds, conversion rate, revenue and commission per currency',
    description: 'from (included) and to (excluded) are UTC days, at most 366 apart; default the 30 days up to today. affiliate_id: one affiliate\'s stats.',
    query: dailyQuery,
    // affiliate_id names no affiliate of the project
    errors: [404],
    response: dailyReportResponse,
  },
];
