import { Router, type RequestHandler } from 'express';
import type { Store } from 'express-rate-limit';
import { z } from 'zod';
import type { SqlClient } from '../db/sql';
import { sqlSessionOf } from '../db/prisma-session';
import type { PrismaClient, Referral } from '../generated/prisma/client';
import { referralAttributes } from '../domain/referral-status';
import { requirePublishableKey } from '../http/auth';
import { HttpError } from '../http/errors';
import { jsonBody } from '../http/json-body';
import type { FailedAuthLimit } from '../http/rate-limit';
import { clientIpRateLimit } from '../http/rate-limit';
import { clickForSignup, recordScriptClick } from '../ledger/clicks';
import { recomputeCustomersByEmail } from '../ledger/reattribute';
import type { VisitorHasher } from '../security/visitor-hash';
import { emitReferralRecorded } from '../outbound/emit';
import { manualConversionData } from './conversions';
import { publicConversion, publicConversionBody, publicConversionResponse } from './track-conversion';
import { emailField, isUniqueViolation, uuidField } from './fields';
import { instant, ok, uuid } from './envelope';
import { affiliateCodeHeader, oneOf, sameCode } from './field-spellings';
import type { Operation } from './operation';

// navigator.sendBeacon and no-preflight fetches send JSON as text/plain; money is read from its exact text.
const beaconJson = jsonBody({ limit: '16kb', type: ['application/json', 'text/plain'] });

const codeField = z.string().trim().min(1, 'is required').max(64);
const pageUrl = z.string().max(4096).nullable().optional();

const clickBody = z.object({
  project_id: uuidField,
  referral_code: codeField.optional().describe('required, unless given as affiliateCode or the X-Affiliate-Code header'),
  /** Afflixo's click endpoint names the code so (or sends it as its X-Affiliate-Code header) */
  affiliateCode: codeField.optional().describe("referral_code, as Afflixo's click endpoint names it (or its X-Affiliate-Code header)"),
  landing_url: pageUrl,
  referrer: pageUrl,
});
/** click_id: what `Refwire.getClickId()` holds; it ties the referral to the click (and its link) when still valid */
const signupBody = z.object({ project_id: uuidField, email: emailField, referral_code: codeField, click_id: uuidField.nullable().optional() });

/** Any page may call these: the answer is readable from every origin, and a preflight is answered at once. */
export const openCors: RequestHandler = (req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Affiliate-Code');
  if (req.method !== 'OPTIONS') return next();
  res.setHeader('Access-Control-Max-Age', '86400');
  res.status(204).end();
};

/**
 * What a public caller may see of the referral it recorded: not which affiliate holds it. A signup that recorded
 * nothing (the email was referred before, or its payments already credit an affiliate) is answered the same whatever
 * the reason, with neither status nor date: anyone who knows a referral code could otherwise learn whether an address
 * is a customer of the merchant's, and since when.
 */
const publicReferralResponse = z.strictObject({
  email: z.string(),
  // Refwire's `status` of the referral (GET /api/v1/referrals shows it beside conversion_status), not its
  // conversion_status: whether the customer bought is the merchant's to know, not a public caller's
  status: z
    .enum(['active', 'inactive'])
    .nullable()
    .describe("the recorded referral's status as GET /api/v1/referrals shows it: active while it credits an affiliate; null when nothing was recorded"),
  created: z.boolean(),
  created_at: instant.nullable().describe('when the referral was recorded; null when nothing was recorded'),
});

function publicReferral(r: Referral) {
  return { email: r.email, status: referralAttributes(r) ? 'active' : 'inactive', created: true, created_at: r.createdAt.toISOString() };
}

/** The answer to a signup that recorded nothing, whatever the email's history. */
const notRecorded = (email: string) => ({ email, status: null, created: false, created_at: null });

const NO_AFFILIATE = 'no active affiliate has this referral_code';

/**
 * `/api/track`: what the tracking script (static/refwire.js) reports from visitors' browsers. No API key — the
 * project id is public in the merchant's page — so each client address has a budget of its own, and only
 * active affiliates are counted.
 */
export function trackRouter(
  prisma: PrismaClient,
  sql: SqlClient,
  clock: () => Date,
  rateLimit: { perMinute: number; store?: Store },
  hashVisitor: VisitorHasher,
  failedAuth?: FailedAuthLimit,
): Router {
  const router = Router();
  router.use(openCors, clientIpRateLimit(rateLimit), beaconJson);

  async function projectOr404(projectId: string) {
    const project = await prisma.project.findUnique({ where: { id: projectId } });
    if (!project) throw new HttpError(404, 'project not found');
    return project;
  }

  // A referral link was followed: a dated click row (its id is the click id the script keeps) and one more on the
  // affiliate's all-time counter, in one statement so concurrent clicks cannot lose one.
  router.post('/click', async (req, res) => {
    const body = clickBody.parse(req.body ?? {});
    const code = oneOf(['referral_code', 'affiliateCode', 'X-Affiliate-Code'], [body.referral_code, body.affiliateCode, affiliateCodeHeader(req.get('x-affiliate-code'))], sameCode);
    const recorded = await recordScriptClick(sql, body.project_id, code.toLowerCase(), {
      at: clock(),
      landingUrl: body.landing_url || null,
      referrer: body.referrer || null,
      visitorHash: hashVisitor(body.project_id, req.ip ?? req.socket.remoteAddress ?? '', req.get('user-agent') ?? ''),
    });
    if (!recorded) {
      await projectOr404(body.project_id);
      throw new HttpError(404, NO_AFFILIATE);
    }
    // Afflixo's answer: the click id, and how long the project's attribution window is
    res.status(201).json(ok({ recorded: true, click_id: recorded.clickId, cookie_days: recorded.cookieDays }));
  });

  // A referred visitor signed up: the referral (as store-attribution records it) and the signup conversion
  // (as POST /api/v1/conversions records it), together or not at all. An email already referred keeps its
  // referral: a public caller must not move a customer to another affiliate.
  router.post('/signup', async (req, res) => {
    const body = signupBody.parse(req.body ?? {});
    const project = await projectOr404(body.project_id);
    const affiliate = await prisma.affiliate.findFirst({ where: { projectId: project.id, referralCodeKey: body.referral_code.toLowerCase(), status: 'active' } });
    if (!affiliate) throw new HttpError(404, NO_AFFILIATE);
    const key = { projectId_email: { projectId: project.id, email: body.email } };
    const existing = await prisma.referral.findUnique({ where: key, select: { id: true } });
    if (existing) return res.json(ok(notRecorded(body.email)));
    // PRODUCT.md §11: a public call never takes a customer over. One whose payments already went to an affiliate
    // keeps them; the answer does not say which affiliate, nor whether anything was recorded.
    const customer = await prisma.conversion.findFirst({
      where: { projectId: project.id, customerEmail: body.email, kind: { in: ['purchase', 'renewal'] }, affiliateId: { not: null } },
      select: { id: true },
    });
    if (customer) return res.json(ok(notRecorded(body.email)));

    const now = clock();
    // The window is fixed now, with the cookie_days in force: a later settings change never moves a commission.
    const expiresAt = new Date(now.getTime() + project.cookieDays * 86_400_000);
    const click = body.click_id
      ? await clickForSignup(sql, { projectId: project.id, affiliateId: affiliate.id, clickId: body.click_id, now, cookieDays: project.cookieDays })
      : null;
    let referral: Referral;
    try {
      // the referral, the signup conversion and the delivery announcing them commit together (outbox)
      referral = await prisma.$transaction(async (tx) => {
        const created = await tx.referral.create({
          data: { projectId: project.id, affiliateId: affiliate.id, email: body.email, source: 'signup', createdAt: now, expiresAt, clickId: click?.clickId, linkId: click?.linkId },
        });
        await tx.conversion.create({
          data: manualConversionData({
            projectId: project.id,
            affiliateId: affiliate.id,
            kind: 'signup',
            email: body.email,
            customerId: null,
            currency: project.currency,
            baseMinor: 0n,
            valueMinor: 0n,
            reason: null,
            ruleSource: 'manual',
            attribution: { method: 'tracking_script', detail: `referral_code ${body.referral_code}` },
            at: now,
            holdDays: project.holdDays,
            paid: false,
          }),
        });
        // from the visitor's browser: Refgrow's referral_signed_up carries their user agent and address
        const visitor = { userAgent: req.get('user-agent') ?? null, ipAddress: req.ip ?? req.socket.remoteAddress ?? null };
        await emitReferralRecorded(sqlSessionOf(tx), project.id, { ...created, affiliateId: affiliate.id }, { source: 'signup', ...visitor }, now);
        return created;
      });
    } catch (err) {
      // the same signup sent twice at once: the other request recorded it
      if (!isUniqueViolation(err)) throw err;
      return res.json(ok(notRecorded(body.email)));
    }
    // A payment made after the signup may have been processed before it was reported; earlier payments are out of
    // a public call's reach (the ledger checks the referral's time against each payment's).
    await recomputeCustomersByEmail(sql, project.id, body.email, now);
    res.status(201).json(ok(publicReferral(referral)));
  });

  router.post('/conversion', requirePublishableKey(prisma, failedAuth), publicConversion(prisma, clock));

  return router;
}

export const trackOperations: Operation[] = [
  {
    method: 'post',
    path: '/api/track/conversion',
    tag: 'Tracking',
    access: 'publishable_key',
    summary: "Report a sale from a page with the project's publishable key: a commission waiting for the merchant's review (201; a repeated order_id answers 200 with the same body)",
    description:
      'The key goes in Authorization: Bearer pk_… or as publishable_key in the body (a text/plain JSON body is accepted, so a page posts without a preflight). ' +
      "Refferq's and Afflixo's field names are the same fields: orderId and metadata.orderId for order_id, referralCode, affiliateCode and the X-Affiliate-Code header for referral_code, clickId for click_id, " +
      "Without a code, click_id credits the affiliate of that click (made within cookie_days; 404 otherwise). " +
      'amountCents (an integer of minor units) for amount (major units); two names of one field with different values answer 400 naming both. ' +
      'Secret API keys are refused here (401). The commission is computed like a manual conversion\'s, and always waits for review, whatever commission_review says. ' +
      "An email whose referral credits another affiliate credits that affiliate, not the page's referral_code. 409 when the merchant already recorded that order_id as a conversion's reference. " +
      'Rate limited per client address, like the other tracking endpoints.',
    body: publicConversionBody,
    status: 201,
    repeat: 'the order_id was reported before: the same body, and no second commission',
    errors: [404, 409, 429],
    response: publicConversionResponse,
  },
  {
    method: 'post',
    path: '/api/track/click',
    tag: 'Tracking',
    access: 'public',
    summary: 'Record a followed referral link as a dated click: 201 with the click id and the cookie_days window (rate limited per client address)',
    body: clickBody,
    status: 201,
    errors: [404, 429],
    response: z.strictObject({ recorded: z.literal(true), click_id: uuid, cookie_days: z.number().int() }),
    description:
      'Sent by /js/refwire.js; a text/plain JSON body (navigator.sendBeacon) is accepted too. The click row keeps the time, the landing URL, ' +
      'the referrer and a keyed hash of the client address and user agent, never the address itself.',
  },
  {
    method: 'post',
    path: '/api/track/signup',
    tag: 'Tracking',
    access: 'public',
    summary: 'Record a referred signup: the referral and a signup conversion (201; 200 when the email was already referred)',
    description: 'The referral attributes payments made from the signup until cookie_days (as set then) after it; click_id ties it to the click and its tracking link.',
    body: signupBody,
    status: 201,
    repeat: 'the email was already referred, or its payments already credit an affiliate: the same answer for either (created false, status and created_at null), and nothing changes',
    errors: [404, 429],
    response: publicReferralResponse,
  },
];
