import type { RequestHandler } from 'express';
import { z } from 'zod';
import { majorNumber } from '../commission/money';
import { sqlSessionOf } from '../db/prisma-session';
import { referralAttributes } from '../domain/referral-status';
import type { Conversion, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { emitConversionEvents, manualConversionEvents } from '../outbound/emit';
import { manualConversionData } from './conversions';
import { currencyCode } from './currency';
import { amountField, emailField, isUniqueViolation, moneyField } from './fields';
import { ok } from './envelope';
import { manualCommission } from './manual-commission';

/** How a conversion reported by a page is told apart from the merchant's own (the trace's one step). */
export const PUBLIC_CONVERSION_METHOD = 'public_conversion';

export const publicConversionBody = z.object({
  /** the publishable key, for pages that post without an Authorization header (no preflight) */
  publishable_key: z.string().trim().min(1).max(64).optional(),
  /** the merchant's order id: one conversion per order, whoever reports it first (the API's `reference`) */
  order_id: z.string().trim().min(1, 'is required').max(200),
  /** the sale, in major units */
  amount: moneyField,
  currency: currencyCode.optional(),
  /** the code the visitor came with (the script sends its cookie's) */
  referral_code: z.string().trim().min(1, 'is required').max(64),
  email: emailField.optional(),
  product_id: z.string().trim().min(1).max(255).optional(),
  coupon_code: z.string().trim().min(1).max(100).optional(),
});

/** The answer, built from the row alone, so a repeat of the order answers the same body. */
function answer(row: Conversion) {
  return {
    conversion_id: row.id,
    order_id: row.externalKey!.slice('manual:'.length),
    type: 'purchase',
    amount: majorNumber(row.baseValueMinor, row.currency),
    amount_minor: Number(row.baseValueMinor),
    currency: row.currency,
    /** recorded for the merchant's review: it counts in no balance until approved */
    status: 'pending',
    created_at: row.createdAt.toISOString(),
  };
}

const NO_AFFILIATE = 'no active affiliate has this referral_code';
const MERCHANTS = 'order_id: this order is already recorded by the merchant';

/**
 * `POST /api/track/conversion` (behind requirePublishableKey): a sale a page reports, as Refferq's and Afflixo's
 * public conversion endpoints take them. Idempotent by order_id; always waiting for the merchant's review, whatever
 * commission_review says, since anyone holding the page's key can call it. A public call never moves money
 * already recorded (PRODUCT.md §11): it only adds this one pending commission, and never takes a customer whose
 * referral credits another affiliate: the referral's affiliate is credited instead of the page's code.
 */
export function publicConversion(prisma: PrismaClient, clock: () => Date): RequestHandler {
  return async (req, res) => {
    const body = publicConversionBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const externalKey = `manual:${body.order_id}`;
    const repeat = async () => {
      const existing = await prisma.conversion.findUnique({ where: { projectId_externalKey: { projectId, externalKey } } });
      if (!existing) return null;
      const method = (existing.attribution as { method?: string } | null)?.method;
      if (method !== PUBLIC_CONVERSION_METHOD) throw new HttpError(409, MERCHANTS);
      return answer(existing);
    };
    const before = await repeat();
    if (before) return res.json(ok(before));

    const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId } });
    const currency = body.currency ?? project.currency;
    const base = amountField('amount', body.amount, currency);
    const coded = await prisma.affiliate.findFirst({ where: { projectId, referralCodeKey: body.referral_code.toLowerCase(), status: 'active' } });
    if (!coded) throw new HttpError(404, NO_AFFILIATE);
    const referral = body.email ? await prisma.referral.findUnique({ where: { projectId_email: { projectId, email: body.email } } }) : null;
    const held = referral && referralAttributes(referral) && referral.affiliateId !== coded.id ? await prisma.affiliate.findUnique({ where: { id: referral.affiliateId! } }) : null;
    const affiliate = held ?? coded;
    const detail = held ? `referral for ${body.email} (the page's referral_code ${body.referral_code} set aside)` : `referral_code ${body.referral_code}`;

    const now = clock();
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
        await emitConversionEvents(sqlSessionOf(tx), projectId, manualConversionEvents(created, decision.rule), now);
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
