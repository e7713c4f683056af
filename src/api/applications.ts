import { Router, type Request, type RequestHandler } from 'express';
import type { Store } from 'express-rate-limit';
import { z } from 'zod';
import { applicationFlags, APPLICATION_FLAGS, type ApplicationFlag } from '../access/application-checks';
import { issueOneTimeCode, redeemOneTimeCode, REDEEM_ERRORS, CODE_VALID_MINUTES, type RedeemResult } from '../access/one-time-codes';
import { sqlSessionOf } from '../db/prisma-session';
import { queueEmail } from '../email/outbox';
import { emitAffiliateEvent } from '../outbound/emit';
import type { Affiliate, AffiliateApplication, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { jsonBody } from '../http/json-body';
import { clientAddressLimit, keyedRateLimit } from '../http/rate-limit';
import type { VisitorHasher } from '../security/visitor-hash';
import { generatedCode } from './affiliates';
import { openCors } from './track';
import { emailField, idFromPath, mailboxField } from './fields';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import type { Operation } from './operation';
import { portalPageUrl } from '../pages/portal';

const applyBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    email: mailboxField,
    website: z.string().trim().max(2048).nullable().optional(),
    message: z.string().trim().max(2000).nullable().optional(),
  })
  .strict();
const verifyBody = z.object({ email: emailField, code: z.string().trim().min(1).max(12) }).strict();
const listQuery = z.object({
  ...paginationQuery,
  status: z.enum(['unverified', 'verified']).default('verified'),
  flagged: z.enum(['true', 'false']).optional(),
  /** the merchant's decision on the affiliate the application made: waiting (pending), approved (active, inactive or suspended since), rejected */
  decision: z.enum(['pending', 'approved', 'rejected']).optional(),
});
const DECISION_STATUSES = { pending: ['pending'], approved: ['active', 'inactive', 'suspended'], rejected: ['rejected'] } as const;

/** Abuse limits of the public application form (PRODUCT.md §12): per client address and per applicant email. */
/** `store` counts per address, `emailStore` per email: with Redis, every API process draws on one budget (a limiter needs a store of its own). */
export type ApplicationLimits = { perAddressPerHour: number; perEmailPerHour: number; store?: Store; emailStore?: Store };
export const DEFAULT_APPLICATION_LIMITS: ApplicationLimits = { perAddressPerHour: 20, perEmailPerHour: 5 };

const HOUR_MS = 3_600_000;
/** How a refused code answers: each names the problem, and a new code is one request away. */
const REDEEM_STATUS: Record<Exclude<RedeemResult, 'ok'>, number> = { no_code: 404, expired: 410, too_many_attempts: 429, wrong_code: 400 };

function perEmailLimit(limits: ApplicationLimits, what: string): RequestHandler {
  return keyedRateLimit({
    name: what,
    limit: limits.perEmailPerHour,
    windowMs: HOUR_MS,
    // the body is parsed first; a body without a valid email is refused by validation, not counted here
    key: (req) => {
      const email = emailField.safeParse(req.body?.email);
      // the project as its id is, whatever the case of the address's hex: one budget per project and email
      return email.success ? `${String(req.params.projectId).toLowerCase()}:${email.data}` : null;
    },
    message: `too many requests for this email: at most ${limits.perEmailPerHour} an hour; try again later`,
    ...(limits.emailStore ? { store: limits.emailStore } : {}),
  });
}

const applicationResponse = z
  .strictObject({
    id: uuid,
    email: z.string(),
    name: z.string(),
    website: z.string().nullable(),
    message: z.string().nullable(),
    flags: z.array(z.string()).describe('disposable_email | duplicate_address | duplicate_website'),
    flag_descriptions: z.array(z.string()),
    status: z.enum(['unverified', 'verified']),
    affiliate_id: uuid.nullable(),
    affiliate_status: z.enum(['pending', 'active', 'inactive', 'suspended', 'rejected']).nullable(),
    created_at: instant,
    verified_at: instant.nullable(),
  })
  .meta({ id: 'Application' });

function applicationView(a: AffiliateApplication & { affiliate?: { status: string } | null }) {
  return {
    id: a.id,
    email: a.email,
    name: a.name,
    website: a.website,
    message: a.message,
    flags: a.flags,
    flag_descriptions: a.flags.map((f) => APPLICATION_FLAGS[f as ApplicationFlag] ?? f),
    status: a.status,
    affiliate_id: a.affiliateId,
    affiliate_status: a.affiliate?.status ?? null,
    created_at: a.createdAt.toISOString(),
    verified_at: a.verifiedAt?.toISOString() ?? null,
  };
}

/**
 * An application from an address that is an affiliate's already. A rejected one is told so: signing in sends it no
 * code (src/api/portal/sign-in.ts), so "sign in instead" would send the person to a code that never comes.
 */
function memberConflict(status: string): HttpError {
  return new HttpError(409, status === 'rejected' ? 'this email was not accepted into the program: it cannot apply again' : 'this email is already an affiliate of the program');
}

/**
 * `/api/public/projects/:projectId/applications`: anyone may apply to a program. Applying emails a 6-digit code
 * (src/access/one-time-codes.ts); the application counts once the code comes back, so an address nobody reads
 * never reaches the merchant. Verified, it is an affiliate: `pending` for the merchant's decision, or `active` at
 * once under the project's `auto_approve`.
 */
export function publicApplicationsRouter(prisma: PrismaClient, clock: () => Date, hashVisitor: VisitorHasher, limits: ApplicationLimits, publicUrl: string): Router {
  const router = Router({ mergeParams: true });
  const json = jsonBody({ limit: '16kb' });
  const perAddress = clientIpRateLimitPerHour(limits);

  async function projectOf(req: Request) {
    // an id that cannot be one is 400, as on every path (README, API)
    const id = idFromPath(req.params.projectId, 'project');
    const project = await prisma.project.findUnique({ where: { id }, select: { id: true, name: true, autoApprove: true, notificationEmail: true } });
    if (!project) throw new HttpError(404, 'project not found');
    return project;
  }

  // an application form may sit on the merchant's own site: any origin may post, as to /api/track
  router.use(openCors);

  router.post('/', perAddress, json, perEmailLimit(limits, 'apply'), async (req, res) => {
    const body = applyBody.parse(req.body ?? {});
    const project = await projectOf(req);
    const at = clock();
    const addressHash = hashVisitor(project.id, req.ip ?? req.socket.remoteAddress ?? '', '');
    await prisma.$transaction(async (tx) => {
      const member = await tx.affiliate.findUnique({ where: { projectId_email: { projectId: project.id, email: body.email } }, select: { status: true } });
      if (member) throw memberConflict(member.status);
      const sql = sqlSessionOf(tx);
      const flags = await applicationFlags(sql, { projectId: project.id, email: body.email, website: body.website ?? null, addressHash, at });
      const fields = { name: body.name, website: body.website || null, message: body.message || null, flags, addressHash, createdAt: at };
      // one waiting application per email: applying again replaces what it says and sends a new code
      const waiting = await tx.affiliateApplication.findFirst({ where: { projectId: project.id, email: body.email, status: 'unverified' }, select: { id: true } });
      if (waiting) await tx.affiliateApplication.update({ where: { id: waiting.id }, data: fields });
      else await tx.affiliateApplication.create({ data: { projectId: project.id, email: body.email, ...fields } });
      const code = await issueOneTimeCode(sql, { projectId: project.id, email: body.email, purpose: 'application', at });
      await queueEmail(sql, { projectId: project.id, to: body.email, template: 'one_time_code', data: { projectName: project.name, code, purpose: 'application' } }, at);
    });
    res.status(202).json(ok({ email: body.email, status: 'code_sent', code_expires_at: new Date(at.getTime() + CODE_VALID_MINUTES * 60_000).toISOString() }));
  });

  // no budget per email here: each code allows 5 tries, and codes are limited per email where they are issued
  router.post('/verify', perAddress, json, async (req, res) => {
    const body = verifyBody.parse(req.body ?? {});
    const project = await projectOf(req);
    const at = clock();
    // a refused code is answered after the transaction commits, so the try it used stays counted
    type Outcome = { refused: Exclude<RedeemResult, 'ok'> } | { conflict: string } | { affiliate: Affiliate };
    const outcome = await prisma.$transaction(async (tx): Promise<Outcome> => {
      const sql = sqlSessionOf(tx);
      const redeemed = await redeemOneTimeCode(sql, { projectId: project.id, email: body.email, purpose: 'application', code: body.code, at });
      if (redeemed !== 'ok') return { refused: redeemed };
      const application = await tx.affiliateApplication.findFirst({ where: { projectId: project.id, email: body.email, status: 'unverified' }, orderBy: { createdAt: 'desc' } });
      if (!application) return { refused: 'no_code' };
      const member = await tx.affiliate.findUnique({ where: { projectId_email: { projectId: project.id, email: body.email } }, select: { status: true } });
      if (member) return { conflict: member.status };
      let referralCode = generatedCode(body.email);
      while (await tx.affiliate.findFirst({ where: { projectId: project.id, referralCodeKey: referralCode.toLowerCase() }, select: { id: true } })) {
        referralCode = generatedCode(body.email);
      }
      const affiliate = await tx.affiliate.create({
        data: {
          projectId: project.id,
          email: body.email,
          name: application.name,
          referralCode,
          referralCodeKey: referralCode.toLowerCase(),
          status: project.autoApprove ? 'active' : 'pending',
        },
      });
      await tx.affiliateApplication.update({ where: { id: application.id }, data: { status: 'verified', verifiedAt: at, affiliateId: affiliate.id } });
      await emitAffiliateEvent(sql, project.id, 'affiliate.created', affiliate.id, at);
      // approved by the project's rule rather than by a person: receivers that act on approval still hear it
      if (project.autoApprove) await emitAffiliateEvent(sql, project.id, 'affiliate.approved', affiliate.id, at);
      if (project.notificationEmail) {
        await queueEmail(
          sql,
          {
            projectId: project.id,
            to: project.notificationEmail,
            template: 'application_received',
            data: {
              projectName: project.name,
              applicantName: application.name,
              applicantEmail: application.email,
              website: application.website,
              message: application.message,
              flags: application.flags.map((f) => APPLICATION_FLAGS[f as ApplicationFlag] ?? f),
              autoApproved: project.autoApprove,
              // the affiliate's page in the dashboard, where the merchant approves, rejects or suspends
              reviewUrl: `${publicUrl.replace(/\/+$/, '')}/dashboard/projects/${project.id}/affiliates/${encodeURIComponent(affiliate.email)}`,
            },
          },
          at,
        );
      }
      if (project.autoApprove) {
        await queueEmail(
          sql,
          {
            projectId: project.id,
            to: affiliate.email,
            template: 'application_approved',
            data: { projectName: project.name, affiliateName: affiliate.name, referralCode, portalUrl: portalPageUrl(publicUrl, project.id) },
          },
          at,
        );
      }
      return { affiliate };
    });
    if ('refused' in outcome) throw new HttpError(REDEEM_STATUS[outcome.refused], REDEEM_ERRORS[outcome.refused]);
    if ('conflict' in outcome) throw memberConflict(outcome.conflict);
    const a = outcome.affiliate;
    res.status(201).json(ok({ id: a.id, email: a.email, name: a.name, status: a.status, referral_code: a.referralCode, created_at: a.createdAt.toISOString() }));
  });

  return router;
}

function clientIpRateLimitPerHour(limits: ApplicationLimits): RequestHandler {
  return clientAddressLimit({ limit: limits.perAddressPerHour, windowMs: HOUR_MS, window: 'an hour', ...(limits.store ? { store: limits.store } : {}) });
}

/** `/api/v1/applications`: the merchant reads who applied, with what the checks noticed. */
export function applicationsRouter(prisma: PrismaClient): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const projectId = projectIdOf(req);
    const where = {
      projectId,
      status: q.status,
      ...(q.flagged === 'true' ? { NOT: { flags: { isEmpty: true } } } : q.flagged === 'false' ? { flags: { isEmpty: true } } : {}),
      ...(q.decision ? { affiliate: { status: { in: [...DECISION_STATUSES[q.decision]] } } } : {}),
    };
    const [rows, total] = await Promise.all([
      prisma.affiliateApplication.findMany({ where, include: { affiliate: { select: { status: true } } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: q.offset, take: q.limit }),
      prisma.affiliateApplication.count({ where }),
    ]);
    res.json(page(rows.map(applicationView), q.limit, q.offset, total));
  });
  return router;
}

export const applicationOperations: Operation[] = [
  {
    method: 'post',
    path: '/api/public/projects/{projectId}/applications',
    tag: 'Applications',
    access: 'public',
    summary: 'Apply to the affiliate program: emails a 6-digit code (valid 10 minutes, 5 tries) to confirm the address',
    body: applyBody,
    status: 202,
    errors: [404, 409, 429],
    response: z.strictObject({ email: z.string(), status: z.literal('code_sent'), code_expires_at: instant }),
  },
  {
    method: 'post',
    path: '/api/public/projects/{projectId}/applications/verify',
    tag: 'Applications',
    access: 'public',
    summary: 'Confirm an application with its code: the applicant becomes an affiliate, pending (or active under auto_approve)',
    body: verifyBody,
    status: 201,
    errors: [404, 409, 410, 429],
    response: z.strictObject({
      id: uuid,
      email: z.string(),
      name: z.string().nullable(),
      status: z.enum(['pending', 'active']),
      referral_code: z.string(),
      created_at: instant,
    }),
  },
  { method: 'get', path: '/api/v1/applications', tag: 'Applications', access: 'api_key', summary: 'List applications with the flags their checks raised', query: listQuery, answer: 'list', response: applicationResponse },
];
