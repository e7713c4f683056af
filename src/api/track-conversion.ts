import type { RequestHandler } from 'express';
import { z } from 'zod';
import { MAX_AMOUNT_MINOR, majorNumber } from '../commission/money';
import { sqlSessionOf } from '../db/prisma-session';
import { referralAttributes, referralWindowMiss } from '../domain/referral-status';
import type { Conversion, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { emitConversionEvents, manualConversionEvents } from '../outbound/emit';
import { manualConversionData } from './conversions';
import { currencyCode } from './currency';
import { affiliateCodeHeader, oneOf, sameCode } from './field-spellings';
import { amountField, emailField, isUniqueViolation, moneyField } from './fields';
import { instant, minor, ok, uuid } from './envelope';
import { manualCommission } from './manual-commission';

/** How a conversion reported by a page is told apart from the merchant's own (the trace's one step). */
export const PUBLIC_CONVERSION_METHOD = 'public_conversion';

const orderIdField = z.string().trim().min(1, 'is required').max(200);
const referralCodeField = z.string().trim().min(1, 'is required').max(64);

export const publicConversionBody = z.object({
  /** the publishable key, for pages that post without an Authorization header (no preflight) */
  publishable_key: z.string().trim().min(1).max(64).optional(),
  /** the merchant's order id: one conversion per order, whoever reports it first (the API's `reference`) */
  order_id: orderIdField.optional().describe('required, unless given as orderId or metadata.orderId'),
  /** the sale, in major units */
  amount: moneyField.optional().describe('the sale in major units; required, unless given as amountCents'),
  currency: currencyCode.optional(),
  /** the code the visitor came with (the script sends its cookie's) */
  referral_code: referralCodeField.optional().describe('required, unless given as referralCode or affiliateCode'),
  email: emailField.optional(),
  product_id: z.string().trim().min(1).max(255).optional(),
  coupon_code: z.string().trim().min(1).max(100).optional(),
  // The spellings of Refferq's and Afflixo's public conversion endpoints, so their pages and backends report here
  // unchanged. Each is the same field as its snake_case twin; two spellings of one field must agree.
  /** Afflixo's order id */
  orderId: orderIdField.optional().describe("order_id, as Afflixo's conversion endpoint names it"),
  /** Refferq sends its order id inside metadata */
  metadata: z.object({ orderId: orderIdField.optional().describe("order_id, as Refferq's conversion endpoint sends it") }).optional(),
  /** Refferq's code */
  referralCode: referralCodeField.optional().describe("referral_code, as Refferq's conversion endpoint names it"),
  /** Afflixo's code */
  affiliateCode: referralCodeField.optional().describe("referral_code, as Afflixo's conversion endpoint names it (or its X-Affiliate-Code header)"),
  /** the click the visitor came through (the script's `Refwire.getClickId()`): its affiliate, when no code is given */
  click_id: z.string().trim().min(1).max(100).optional().describe("without a referral code, the click's affiliate is credited, within cookie_days of the click"),
  /** Afflixo's click id */
  clickId: z.string().trim().min(1).max(100).optional().describe("click_id, as Afflixo's conversion endpoint names it"),
  /** Refferq's amount: an integer of minor units (cents for USD), never a fraction */
  amountCents: z
    .union([z.number(), z.string().trim().min(1)])
    .optional()
    .describe(`the sale in minor units of the currency (Refferq's amountCents: 9900 is 99.00 USD), an integer from 0 to ${MAX_AMOUNT_MINOR}`),
});

type PublicConversionBody = z.infer<typeof publicConversionBody>;

/**
 * The one value of a field that may come under several names: a 400 naming the ones given when they disagree
 * (`same` compares them as the endpoint reads them), and `is required` under the canonical name when none is.
 */

/** Refferq's amountCents in minor units: an integer, exact (no float arithmetic), within the API's bound. */
function minorField(name: string, value: number | string): bigint {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : null) : value;
  if (text === null || !/^\d+$/.test(text)) throw new HttpError(400, `${name}: must be a whole number of minor units (cents), not negative`);
  const minor = BigInt(text);
  if (minor > MAX_AMOUNT_MINOR) throw new HttpError(400, `${name}: must be at most ${MAX_AMOUNT_MINOR} minor units`);
  return minor;
}

/** The body under its canonical names, whichever platform's spelling the caller used (Afflixo's code may be a header). */
function canonical(body: PublicConversionBody, headerValue: string | undefined) {
  const exact = (a: string, b: string) => a === b;
  const header = affiliateCodeHeader(headerValue);
  const codes = [body.referral_code, body.referralCode, body.affiliateCode, header];
  const clicks = [body.click_id, body.clickId];
  // a code credits its affiliate; without one, the click the visitor came through (Afflixo: "required if not sent via
  // cookie or header")
  const coded = codes.some((c) => c !== undefined) || clicks.every((c) => c === undefined);
  return {
    order_id: oneOf(['order_id', 'orderId', 'metadata.orderId'], [body.order_id, body.orderId, body.metadata?.orderId], exact),
    referral_code: coded ? oneOf(['referral_code', 'referralCode', 'affiliateCode', 'X-Affiliate-Code'], codes, sameCode) : null,
    click_id: coded ? null : oneOf(['click_id', 'clickId'], clicks, exact),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The active affiliate of a click of the project made within cookie_days before `now`, or null. */
async function affiliateOfClick(prisma: PrismaClient, projectId: string, clickId: string, now: Date, cookieDays: number) {
  if (!UUID.test(clickId)) return null;
  const click = await prisma.click.findFirst({ where: { projectId, id: clickId, occurredAt: { gte: new Date(now.getTime() - cookieDays * 86_400_000), lte: now } }, select: { affiliateId: true } });
  return click ? prisma.affiliate.findFirst({ where: { projectId, id: click.affiliateId, status: 'active' } }) : null;
}

/** The sale in minor units of `currency`, from amount (major units) or amountCents (minor units), which must agree. */
function saleMinor(body: PublicConversionBody, currency: string): bigint {
  const amount = body.amount === undefined ? undefined : amountField('amount', body.amount, currency);
  const cents = body.amountCents === undefined ? undefined : minorField('amountCents', body.amountCents);
  return oneOf(['amount', 'amountCents'], [amount, cents], (a, b) => a === b);
}

/** answer()'s schema. */
export const publicConversionResponse = z.strictObject({
  conversion_id: uuid,
  order_id: z.string(),
  type: z.literal('purchase'),
  amount: z.number().describe('major units'),
  amount_minor: minor,
  commission: z.number().describe("the affiliate's commission in major units (Afflixo's commissionAmount), pending the merchant's review"),
  commission_minor: minor,
  currency: z.string(),
  status: z.literal('pending').describe("recorded for the merchant's review: it counts in no balance until approved"),
  created_at: instant,
});

/** The answer, built from the row alone, so a repeat of the order answers the same body. */
function answer(row: Conversion) {
  return {
    conversion_id: row.id,
    order_id: row.externalKey!.slice('manual:'.length),
    type: 'purchase',
    amount: majorNumber(row.baseValueMinor, row.currency),
    amount_minor: Number(row.baseValueMinor),
    commission: majorNumber(row.valueMinor, row.currency),
    commission_minor: Number(row.valueMinor),
    currency: row.currency,
    /** recorded for the merchant's review: it counts in no balance until approved */
    status: 'pending',
    created_at: row.createdAt.toISOString(),
  };
}

const NO_AFFILIATE = 'no active affiliate has this referral_code';
const NO_CLICK = 'click_id: no click of an active affiliate within cookie_days has this id';
const MERCHANTS = 'order_id: this order is already recorded by the merchant';

/**
 * `POST /api/track/conversion` (behind requirePublishableKey): a sale a page reports, as Refferq's and Afflixo's
 * public conversion endpoints take them, under their field names too. Idempotent by order_id; always waiting for
 * the merchant's review, whatever commission_review says, since anyone holding the page's key can call it. A public call never moves money
 * already recorded (PRODUCT.md §11): it only adds this one pending commission, and never takes a customer whose
 * referral credits another affiliate: the referral's affiliate is credited instead of the page's code.
 */
export function publicConversion(prisma: PrismaClient, clock: () => Date): RequestHandler {
  return async (req, res) => {
    const parsed = publicConversionBody.parse(req.body ?? {});
    const body = { ...parsed, ...canonical(parsed, req.get('x-affiliate-code')) };
    const projectId = projectIdOf(req);
    const externalKey = `manual:${body.order_id}`;
    const repeat = async () => {
      const existing = await prisma.conversion.findUnique({ where: { projectId_externalKey: { projectId, externalKey } } });
      if (!existing) return null;
      const method = (existing.attribution as { method?: string } | null)?.method;
      if (method !== PUBLIC_CONVERSION_METHOD) throw new HttpError(409, MERCHANTS);
      return answer(existing);
    };
    // the body is checked whole before the repeat answers, so two spellings that disagree are a 400 every time
    const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    const currency = body.currency ?? project.currency;
    const base = saleMinor(parsed, currency);
    const before = await repeat();
    if (before) return res.json(ok(before));

    const now = clock();
    const coded =
      body.referral_code !== null
        ? await prisma.affiliate.findFirst({ where: { projectId, referralCodeKey: body.referral_code.toLowerCase(), status: 'active' } })
        : await affiliateOfClick(prisma, projectId, body.click_id!, now, project.cookieDays);
    if (!coded) throw new HttpError(404, body.referral_code !== null ? NO_AFFILIATE : NO_CLICK);
    const source = body.referral_code !== null ? `referral_code ${body.referral_code}` : `click ${body.click_id}`;
    const referral = body.email ? await prisma.referral.findUnique({ where: { projectId_email: { projectId, email: body.email } } }) : null;
    // the customer's referral, as the ledger's email step would read it for a payment made now: one whose window has
    // closed credits nobody, and the page's code stands
    const holds = referral && referralAttributes(referral) && referralWindowMiss(referral, now) === null && referral.affiliateId !== coded.id;
    const held = holds ? await prisma.affiliate.findUnique({ where: { id: referral.affiliateId! } }) : null;
    const affiliate = held ?? coded;
    const detail = held ? `referral for ${body.email} (the page's ${source} set aside)` : source;

    const decision = await manualCommission(prisma, project, affiliate, { baseMinor: base, currency, productId: body.product_id, email: body.email ?? null }, now);
    try {
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.conversion.create({
          data: {
            ...manualConversionData({
              projectId,
              affiliateId: affiliate.id,
              kind: 'purchase',
              reference: body.order_id,
              email: body.email ?? null,
              customerId: null,
              currency,
              baseMinor: base,
              valueMinor: decision.valueMinor,
              reason: decision.reason,
              ruleSource: decision.ruleSource ?? 'manual',
              couponCode: body.coupon_code,
              attribution: { method: PUBLIC_CONVERSION_METHOD, detail },
              at: now,
              holdDays: decision.holdDays,
              paid: false,
            }),
            reviewStatus: 'pending',
            // on the app's clock, as the answer's created_at
            createdAt: now,
          },
        });
        // announced as the API's manual conversions are: referral_converted, referral_updated, commission.created
        const outbox = sqlSessionOf(tx);
        await emitConversionEvents(outbox, projectId, manualConversionEvents(created, decision.rule), now);
        return created;
      });
      res.status(201).json(ok(answer(row)));
    } catch (err) {
      // the same order reported twice at once: the other request recorded it
      if (!isUniqueViolation(err)) throw err;
      const after = await repeat();
      if (!after) throw err;
      res.json(ok(after));
    }
  };
}
