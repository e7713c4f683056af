import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { formatMajor } from '../domain/currency-digits';
import { Prisma, type Affiliate, type Payout, type PayoutBatch, type PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { createPayoutBatch, settleBatch, skippedOf, type Skipped } from '../ledger/payout-batches';
import type { SqlClient } from '../db/sql';
import { csvLine } from '../util/csv';
import { currencyCode } from './currency';
import { ok, page, paginationQuery } from './envelope';
import { emailField, idFromPath, minorAmountField } from './fields';
import type { Operation } from './operation';
import { destinationOf, payoutRefused } from './payouts';
import { idempotencyKeyOf, requestDigest } from './idempotency';
import { jsonInteger } from '../util/exact-json';

const createBody = z
  .object({
    /** default: every currency with an eligible balance */
    currency: currencyCode.optional(),
    /** in minor units of `currency` (without it, of the project's currency); default: the program's minimum_payout */
    minimum_minor: minorAmountField.optional(),
    /** only these affiliates, whatever their status but suspended; default: every active affiliate */
    affiliate_emails: z.array(emailField).min(1).max(1000).optional(),
  })
  .strict();
const completeBody = z.object({ reference: z.string().trim().min(1).max(255).nullable().optional() }).strict();
const failBody = z.object({ reason: z.string().trim().min(1).max(500).nullable().optional() }).strict();
const listQuery = z.object(paginationQuery);
const exportQuery = z.object({
  /** required when the batch holds several currencies: PayPal and Wise take one currency per file */
  currency: currencyCode.optional(),
});
/** What a batch request asks for, whatever the order of its emails or its keys: a retry must ask for the same. */
function batchDigest(body: z.infer<typeof createBody>): string {
  const emails = body.affiliate_emails ? [...new Set(body.affiliate_emails)].sort() : null;
  return requestDigest([body.currency ?? null, body.minimum_minor === undefined ? null : String(body.minimum_minor), emails]);
}

/** Bank details as the portal stores them (`payout_details.bank`), or given flat by the merchant's API. */
type Bank = { account_holder?: string; iban?: string; bic?: string };

function bankOf(details: unknown): Bank | null {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return null;
  const d = details as Record<string, unknown>;
  const source = (d.bank && typeof d.bank === 'object' ? d.bank : d) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const bank: Bank = {};
  const holder = text(source.account_holder);
  const iban = text(source.iban);
  const bic = text(source.bic);
  if (holder) bank.account_holder = holder;
  if (iban) bank.iban = iban;
  if (bic) bank.bic = bic;
  return iban ? bank : null;
}

/** Where a payout goes: what its destination recorded when it was made, else the affiliate's details now. */
export function recipientOf(payout: Pick<Payout, 'destination'> | null, a: Pick<Affiliate, 'email' | 'name' | 'paypalEmail' | 'wiseEmail' | 'payoutDetails'>) {
  const d = (payout?.destination ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    email: a.email,
    name: a.name,
    paypalEmail: str(d.paypal_email) ?? a.paypalEmail,
    wiseEmail: str(d.wise_email) ?? a.wiseEmail,
    bank: bankOf(d.details) ?? bankOf(a.payoutDetails),
  };
}

/** What a payout by `method` lacks to be sent, by field name (empty: nothing). */
export function missingDetails(method: string | null, r: ReturnType<typeof recipientOf>): string[] {
  switch (method) {
    case 'paypal':
      return r.paypalEmail ? [] : ['paypal_email'];
    case 'wise':
      return r.wiseEmail || r.bank ? [] : ['wise_email'];
    case 'bank_transfer':
      return r.bank ? (r.bank.account_holder || r.name ? [] : ['bank.account_holder']) : ['bank.iban'];
    case 'manual':
      return [];
    default:
      return ['payout_method'];
  }
}

/** A batch pays each affiliate by their payout_method; one without is paid `manual`, and the line says so. */
function routeOf(a: Affiliate) {
  const method = a.payoutMethod ?? 'manual';
  return { method, destination: destinationOf(a, method) };
}

/** PayPal's custom id holds at most 30 characters: the payout id's first 30 hex digits, unique in practice. */
export const paypalItemId = (payoutId: string) => payoutId.replace(/-/g, '').slice(0, 30);
/** Wise's payment reference: short enough for every currency's limit (18 characters for GBP). */
export const wiseReference = (payoutId: string) => `RW${payoutId.replace(/-/g, '').slice(0, 16)}`;

type Line = Payout & { affiliate: Affiliate };

const money = (minor: bigint | string, currency: string) => ({ amount: formatMajor(BigInt(minor), currency), amount_minor: jsonInteger(minor) });

function lineView(p: Line) {
  const r = recipientOf(p, p.affiliate);
  return {
    payout_id: p.id,
    affiliate_id: p.affiliateId,
    affiliate_email: p.affiliate.email,
    affiliate_name: p.affiliate.name,
    currency: p.currency,
    ...money(p.amountMinor, p.currency),
    method: p.method,
    status: p.status,
    destination: p.destination,
    reference: p.reference,
    failure_reason: p.failureReason,
    paypal_item_id: paypalItemId(p.id),
    wise_reference: wiseReference(p.id),
    missing_details: missingDetails(p.affiliate.payoutMethod === null && p.method === 'manual' ? null : p.method, r),
  };
}

type Totals = Record<string, { count: number; amount_minor: string }>;
type StatusCounts = { pending: number; completed: number; failed: number };

function batchView(b: PayoutBatch, counts: StatusCounts) {
  const totals = b.totals as Totals;
  const status = counts.pending > 0 ? 'pending' : counts.failed === 0 ? 'completed' : counts.completed === 0 ? 'failed' : 'settled';
  return {
    id: b.id,
    status,
    created_at: b.createdAt.toISOString(),
    created_by: b.createdBy,
    currencies: b.currencies,
    payouts_count: b.payoutsCount,
    totals: Object.entries(totals).map(([currency, t]) => ({ currency, count: t.count, ...money(t.amount_minor, currency) })),
    minimum: b.minimumMinor === null || b.minimumCurrency === null ? null : { currency: b.minimumCurrency, ...money(b.minimumMinor, b.minimumCurrency) },
    statuses: counts,
  };
}

function skippedView(s: Skipped, emails: Map<string, string>) {
  return {
    affiliate_id: s.affiliateId,
    affiliate_email: emails.get(s.affiliateId) ?? null,
    currency: s.currency,
    eligible: formatMajor(s.eligibleMinor, s.currency),
    eligible_minor: jsonInteger(s.eligibleMinor),
    reason: s.refusal.refused,
    message: payoutRefused(s.refusal, s.currency).message,
  };
}

function createdByOf(req: Request): Prisma.InputJsonObject {
  if (req.dashboardUser) return { type: 'user', id: req.dashboardUser.id, email: req.dashboardUser.email };
  return { type: 'api_key', id: req.apiKeyId ?? null };
}

const answerShape = {
  batch: z.object({
    id: z.string(),
    status: z.enum(['pending', 'completed', 'failed', 'settled']),
    created_at: z.string(),
    created_by: z.object({ type: z.enum(['user', 'api_key']), id: z.string().nullable(), email: z.string().optional() }),
    currencies: z.array(z.string()),
    payouts_count: z.number().int(),
    totals: z.array(z.object({ currency: z.string(), count: z.number().int(), amount: z.string(), amount_minor: z.number().int() })),
    minimum: z.object({ currency: z.string(), amount: z.string(), amount_minor: z.number().int() }).nullable(),
    statuses: z.object({ pending: z.number().int(), completed: z.number().int(), failed: z.number().int() }),
  }),
};
const lineShape = z.object({
  payout_id: z.string(),
  affiliate_id: z.string(),
  affiliate_email: z.string(),
  affiliate_name: z.string().nullable(),
  currency: z.string(),
  amount: z.string(),
  amount_minor: z.number().int(),
  method: z.string(),
  status: z.enum(['pending', 'completed', 'failed']),
  destination: z.unknown(),
  reference: z.string().nullable(),
  failure_reason: z.string().nullable(),
  paypal_item_id: z.string(),
  wise_reference: z.string(),
  missing_details: z.array(z.string()),
});
const missingShape = z.object({ payout_id: z.string(), affiliate_email: z.string(), method: z.string(), missing: z.array(z.string()) });
const skippedShape = z.object({
  affiliate_id: z.string(),
  affiliate_email: z.string().nullable(),
  currency: z.string(),
  eligible: z.string(),
  eligible_minor: z.number().int(),
  reason: z.string(),
  message: z.string(),
});
const batchDetail = answerShape.batch.extend({ lines: z.array(lineShape), missing_details: z.array(missingShape) });
const createdAnswer = batchDetail.extend({ skipped: z.array(skippedShape), replayed: z.boolean() });
const settledAnswer = batchDetail.extend({ settled: z.number().int() });

/**
 * `/api/v1/payout-batches` (PRODUCT.md §14, Refferq's "process payouts"): every active affiliate's eligible balance
 * per currency into one pending payout each, under one batch; the batch's lines, settled together; PayPal Payouts
 * and Wise batch CSV files of its pending lines.
 */
export function payoutBatchesRouter(prisma: PrismaClient, sql: SqlClient, clock: () => Date): Router {
  const router = Router();

  async function counts(batchIds: string[]): Promise<Map<string, StatusCounts>> {
    const rows = batchIds.length
      ? await prisma.payout.groupBy({ by: ['batchId', 'status'], where: { batchId: { in: batchIds } }, _count: { _all: true } })
      : [];
    const map = new Map<string, StatusCounts>();
    for (const id of batchIds) map.set(id, { pending: 0, completed: 0, failed: 0 });
    for (const r of rows) {
      const c = map.get(r.batchId!)!;
      if (r.status === 'pending' || r.status === 'completed' || r.status === 'failed') c[r.status] = r._count._all;
    }
    return map;
  }

  async function detail(projectId: string, batch: PayoutBatch) {
    const lines = await prisma.payout.findMany({ where: { projectId, batchId: batch.id }, include: { affiliate: true }, orderBy: [{ currency: 'asc' }, { id: 'asc' }] });
    const views = lines.map(lineView);
    return {
      ...batchView(batch, (await counts([batch.id])).get(batch.id)!),
      lines: views,
      // lines that cannot be sent as they are: the exports fall back to the affiliate's email, and say so here
      missing_details: views
        .filter((l) => l.status === 'pending' && l.missing_details.length > 0)
        .map((l) => ({ payout_id: l.payout_id, affiliate_email: l.affiliate_email, method: l.method, missing: l.missing_details })),
    };
  }

  async function find(projectId: string, rawId: unknown) {
    const batch = await prisma.payoutBatch.findFirst({ where: { projectId, id: idFromPath(rawId, 'payout batch') } });
    if (!batch) throw new HttpError(404, 'payout batch not found');
    return batch;
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const [rows, total] = await Promise.all([
      prisma.payoutBatch.findMany({ where: { projectId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: q.offset, take: q.limit }),
      prisma.payoutBatch.count({ where: { projectId } }),
    ]);
    const statuses = await counts(rows.map((b) => b.id));
    res.json(page(rows.map((b) => batchView(b, statuses.get(b.id)!)), q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const body = createBody.parse(req.body ?? {});
    const key = idempotencyKeyOf(req);
    const projectId = projectIdOf(req);
    const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    let affiliateIds: string[] | null = null;
    if (body.affiliate_emails) {
      const emails = [...new Set(body.affiliate_emails)];
      const found = await prisma.affiliate.findMany({ where: { projectId, email: { in: emails } }, select: { id: true, email: true } });
      const unknown = emails.filter((e) => !found.some((a) => a.email === e));
      if (unknown.length > 0) throw new HttpError(400, `affiliate_emails: no affiliate ${unknown.join(', ')}`);
      affiliateIds = found.map((a) => a.id);
    }
    const minimumCurrency = body.currency ?? project.currency;
    const minimumMinor = body.minimum_minor !== undefined ? BigInt(body.minimum_minor) : minimumCurrency === project.currency ? project.minimumPayoutMinor : 0n;
    const outcome = await createPayoutBatch(prisma, {
      projectId,
      currency: body.currency ?? null,
      minimum: minimumMinor > 0n ? { minor: minimumMinor, currency: minimumCurrency } : null,
      affiliateIds,
      createdBy: createdByOf(req),
      idempotency: key ? { key, request: batchDigest(body) } : null,
      route: routeOf,
      now: clock(),
    });
    if ('conflict' in outcome) {
      throw new HttpError(422, `Idempotency-Key: already used for another request (batch ${outcome.conflict.id}); a retry must send the same currency, minimum_minor and affiliate_emails`);
    }
    const skipped = 'existing' in outcome ? skippedOf(outcome.existing) : 'nothing' in outcome ? outcome.nothing : outcome.skipped;
    const skippedIds = skipped.map((s) => s.affiliateId);
    const emails = new Map((await prisma.affiliate.findMany({ where: { id: { in: skippedIds } }, select: { id: true, email: true } })).map((a) => [a.id, a.email]));
    if ('nothing' in outcome) {
      const reasons = outcome.nothing.map((s) => `${emails.get(s.affiliateId)} ${s.currency}: ${payoutRefused(s.refusal, s.currency).message}`);
      throw new HttpError(409, reasons.length ? `nothing to pay: ${reasons.slice(0, 5).join('; ')}${reasons.length > 5 ? `; and ${reasons.length - 5} more` : ''}` : 'nothing to pay: no active affiliate has an eligible balance');
    }
    if ('existing' in outcome) {
      // a retry is answered as the request it repeats was, what the batch left out included
      res.status(200).json(ok({ ...(await detail(projectId, outcome.existing)), skipped: skipped.map((s) => skippedView(s, emails)), replayed: true }));
      return;
    }
    res.status(201).json(ok({ ...(await detail(projectId, outcome.made)), skipped: skipped.map((s) => skippedView(s, emails)), replayed: false }));
  });

  router.get('/:id', async (req, res) => {
    const projectId = projectIdOf(req);
    res.json(ok(await detail(projectId, await find(projectId, req.params.id))));
  });

  const settle = (outcome: 'completed' | 'failed') => async (req: Request, res: Response) => {
    const body = outcome === 'completed' ? completeBody.parse(req.body ?? {}) : failBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const batch = await find(projectId, req.params.id);
    const result = await settleBatch(
      prisma,
      sql,
      projectId,
      batch.id,
      outcome === 'completed' ? { completed: { reference: (body as z.infer<typeof completeBody>).reference ?? null } } : { failed: { reason: (body as z.infer<typeof failBody>).reason ?? null } },
      clock(),
    );
    if (!result) throw new HttpError(404, 'payout batch not found');
    // A repeat (some line already has this outcome) changes nothing and says so; a batch with no line pending and
    // none of this outcome cannot take it, as a single payout cannot (src/api/payouts.ts)
    const answer = await detail(projectId, batch);
    if (result.settled === 0 && answer.statuses[outcome] === 0) {
      throw new HttpError(409, `the payout batch is ${answer.status}: only a batch with pending lines can be ${outcome}`);
    }
    // a repeat that says something else (another reference or reason) would be answered 200 and dropped: refused, as a
    // single payout's is (src/api/payouts.ts)
    const note = outcome === 'completed' ? { name: 'reference', given: (body as z.infer<typeof completeBody>).reference } : { name: 'reason', given: (body as z.infer<typeof failBody>).reason };
    const kept = (l: (typeof answer.lines)[number]) => (outcome === 'completed' ? l.reference : l.failure_reason);
    const other = note.given === undefined ? undefined : answer.lines.find((l) => l.status === outcome && kept(l) !== note.given);
    if (result.settled === 0 && other) {
      const was = kept(other);
      throw new HttpError(409, `the payout batch was already ${outcome} ${was === null ? `without a ${note.name}` : `with the ${note.name} ${JSON.stringify(was)}`}; it does not change`);
    }
    res.json(ok({ ...answer, settled: result.settled }));
  };
  router.post('/:id/complete', settle('completed'));
  router.post('/:id/fail', settle('failed'));

  /** The pending lines of one currency of the batch, for a provider's file. */
  async function exportLines(req: Request): Promise<{ batch: PayoutBatch; currency: string; lines: Line[] }> {
    const q = exportQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const batch = await find(projectId, req.params.id);
    if (q.currency === undefined && batch.currencies.length > 1) {
      throw new HttpError(400, `currency: required, the batch holds ${batch.currencies.join(' and ')} and a file takes one currency`);
    }
    const currency = q.currency ?? batch.currencies[0]!;
    if (!batch.currencies.includes(currency)) throw new HttpError(400, `currency: the batch holds no ${currency} payouts (${batch.currencies.join(', ')})`);
    const lines = await prisma.payout.findMany({ where: { projectId, batchId: batch.id, currency, status: 'pending' }, include: { affiliate: true }, orderBy: { id: 'asc' } });
    return { batch, currency, lines };
  }

  const sendCsv = (res: Response, filename: string, text: string, missing: number) => {
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    // lines whose affiliate lacks the method's details (GET /api/v1/payout-batches/{id} lists them)
    res.setHeader('X-Refwire-Missing-Details', String(missing));
    res.send(text);
  };

  // PayPal Payouts Web: no header row; recipient, amount, currency, customer id (≤ 30 characters), note
  router.get('/:id/paypal.csv', async (req, res) => {
    const { batch, currency, lines } = await exportLines(req);
    const project = await prisma.project.findUniqueOrThrow({ where: { id: batch.projectId }, select: { name: true } });
    let text = '';
    let missing = 0;
    for (const p of lines) {
      const r = recipientOf(p, p.affiliate);
      if (!r.paypalEmail) missing += 1;
      text += csvLine([r.paypalEmail ?? r.email, paypalAmount(p.amountMinor, currency), currency, paypalItemId(p.id), `Affiliate commission from ${project.name}`]);
    }
    sendCsv(res, `payout-batch-${batch.id}-${currency}-paypal.csv`, text, missing);
  });

  // Wise batch payments: a header row; an IBAN (with BIC) when the affiliate gave one, else a transfer to an email
  router.get('/:id/wise.csv', async (req, res) => {
    const { batch, currency, lines } = await exportLines(req);
    let text = csvLine(WISE_COLUMNS);
    let missing = 0;
    for (const p of lines) {
      const r = recipientOf(p, p.affiliate);
      const email = r.wiseEmail ?? r.email;
      if (!r.bank && !r.wiseEmail) missing += 1;
      text += csvLine([
        r.bank?.account_holder ?? r.name ?? email,
        email,
        wiseReference(p.id),
        'PRIVATE',
        'target',
        formatMajor(p.amountMinor, currency),
        currency,
        currency,
        r.bank?.iban ?? '',
        r.bank?.bic ?? '',
        r.bank ? '' : 'EMAIL',
      ]);
    }
    sendCsv(res, `payout-batch-${batch.id}-${currency}-wise.csv`, text, missing);
  });

  return router;
}

/**
 * PayPal takes no decimals in HUF and TWD, whose ISO minor unit is the hundredth ("decimal amounts cause an error"):
 * a whole amount is written without them. A payout with a fraction of a unit stays as it is, exact; PayPal refuses
 * that line and the merchant pays it another way (docs/earnings.md).
 */
const PAYPAL_WHOLE_UNITS = new Set(['HUF', 'TWD']);
function paypalAmount(minor: bigint, currency: string): string {
  const text = formatMajor(minor, currency);
  return PAYPAL_WHOLE_UNITS.has(currency) && /\.0+$/.test(text) ? text.replace(/\.0+$/, '') : text;
}

export const WISE_COLUMNS = ['name', 'recipientEmail', 'paymentReference', 'receiverType', 'amountCurrency', 'amount', 'sourceCurrency', 'targetCurrency', 'IBAN', 'BIC', 'type'] as const;

const base = { tag: 'Payouts', access: 'api_key' as const };
const one = '/api/v1/payout-batches/{id}';
export const payoutBatchOperations: Operation[] = [
  { ...base, method: 'get', path: '/api/v1/payout-batches', summary: 'List payout batches, newest first', query: listQuery, answer: 'list', response: answerShape.batch },
  {
    ...base,
    method: 'post',
    path: '/api/v1/payout-batches',
    summary: "Process payouts: every active affiliate's eligible balance per currency that reaches the minimum, one pending payout each, under one batch",
    description:
      'In one transaction. Suspended affiliates are skipped (payouts frozen), as are balances below the minimum (minimum_minor, default the ' +
      "program's minimum_payout in its currency) or not positive; `skipped` says why. An Idempotency-Key header makes a retry answer the " +
      'same batch (200, replayed: true, with the skipped it first listed), and the key with another currency, minimum_minor or affiliate_emails 422; without one, a second ' +
      'request finds the conversions taken and answers 409 when nothing is left.',
    body: createBody,
    status: 201,
    repeat: 'a retry with the Idempotency-Key of a batch already made: that batch, replayed true',
    errors: [409, 422],
    response: createdAnswer,
  },
  { ...base, method: 'get', path: one, summary: 'A payout batch with its lines (one payout per affiliate and currency) and the details they lack', response: batchDetail },
  {
    ...base,
    method: 'post',
    path: `${one}/complete`,
    summary: 'Mark every pending line sent: their conversions become paid',
    description:
      'A repeat answers 200 with settled 0, and 409 when it gives another reference than the completed lines keep; a batch with no line pending and none completed (every line failed) answers 409.',
    body: completeBody,
    errors: [409],
    response: settledAnswer,
  },
  {
    ...base,
    method: 'post',
    path: `${one}/fail`,
    summary: 'Mark every pending line failed: their conversions are eligible again',
    description:
      'A repeat answers 200 with settled 0, and 409 when it gives another reason than the failed lines keep; a batch with no line pending and none failed (every line sent) answers 409.',
    body: failBody,
    errors: [409],
    response: settledAnswer,
  },
  {
    ...base,
    method: 'get',
    path: `${one}/paypal.csv`,
    summary: 'The pending lines of one currency as a PayPal Payouts Web file',
    description:
      'No header row; columns: recipient (the PayPal email, else the affiliate\'s email), amount in major units, currency, customer id ' +
      '(paypal_item_id: the payout id\'s first 30 hex digits), note. X-Refwire-Missing-Details counts lines without a PayPal email.',
    query: exportQuery,
    answer: 'csv',
  },
  {
    ...base,
    method: 'get',
    path: `${one}/wise.csv`,
    summary: 'The pending lines of one currency as a Wise batch payment file',
    description: `Header ${WISE_COLUMNS.join(',')}: an IBAN/BIC transfer when the affiliate gave bank details, else type EMAIL to their Wise email (or email). Amounts are fixed in the target currency.`,
    query: exportQuery,
    answer: 'csv',
  },
];

/** The schemas above, for MCP tools. */
export { createBody as payoutBatchCreateBody };
