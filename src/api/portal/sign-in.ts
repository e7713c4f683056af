import { Router } from 'express';
import type { Store } from 'express-rate-limit';
import { z } from 'zod';
import { CODE_VALID_MINUTES, issueOneTimeCode, redeemOneTimeCode } from '../../access/one-time-codes';
import { findPortalSession, issuePortalCredential, revokePortalSession } from '../../access/portal-sessions';
import type { Database } from '../../db/database';
import { sqlSessionOf } from '../../db/prisma-session';
import { queueEmail } from '../../email/outbox';
import { bearer } from '../../http/auth';
import { HttpError } from '../../http/errors';
import { clientIpRateLimit, keyedRateLimit } from '../../http/rate-limit';
import { instant, ok } from '../envelope';
import { emailField } from '../fields';
import type { Operation } from '../operation';
import { portalAffiliateResponse, portalAffiliateView, referralLinkOf } from './affiliate-view';
import { clearSessionCookie, cookieToken, CROSS_ORIGIN_COOKIE, fromOwnOrigin, portalProjectId, setSessionCookie } from './session-auth';

/** Abuse limits of the sign-in: requests a minute per client address, codes an hour per email of a project. */
export type PortalSignInLimits = { perAddressPerMinute: number; perEmailPerHour: number; store?: Store; emailStore?: Store };
export const DEFAULT_PORTAL_SIGN_IN_LIMITS: PortalSignInLimits = { perAddressPerMinute: 10, perEmailPerHour: 5 };

const loginBody = z.object({ email: emailField }).strict();
// any string is looked at: a malformed code is as wrong as a wrong one, and answered the same
const verifyBody = z.object({ email: emailField, code: z.string().max(32) }).strict();

/** The one answer to a code that does not sign in, whatever the reason: nothing says whether the email is an affiliate. */
const CODE_REFUSED = 'the code is not correct or has expired: ask for a new one';

/**
 * `POST /api/portal/:projectId/login`, `/login/verify`, `/logout` (PRODUCT.md §13): sign-in by emailed code.
 * The login answer is the same 202 whether or not the email belongs to an affiliate; a code is emailed only to
 * an affiliate who is not rejected, in the transaction that issues it (src/access/one-time-codes.ts).
 */
export function portalSignInRouter(deps: { db: Database; clock: () => Date; publicUrl: string; limits: PortalSignInLimits }): Router {
  const { prisma } = deps.db;
  const router = Router({ mergeParams: true });
  const perAddress = clientIpRateLimit({ perMinute: deps.limits.perAddressPerMinute, ...(deps.limits.store ? { store: deps.limits.store } : {}) });
  const perEmail = keyedRateLimit({
    name: 'portal-sign-in',
    limit: deps.limits.perEmailPerHour,
    windowMs: 3_600_000,
    key: (req) => {
      const email = emailField.safeParse((req.body as { email?: unknown } | undefined)?.email);
      return email.success ? `${String((req.params as { projectId?: string }).projectId).toLowerCase()}:${email.data}` : null;
    },
    message: `too many sign-in codes asked for this email: at most ${deps.limits.perEmailPerHour} an hour`,
    ...(deps.limits.emailStore ? { store: deps.limits.emailStore } : {}),
  });

  router.post('/login', perAddress, perEmail, async (req, res) => {
    const projectId = portalProjectId(req);
    const { email } = loginBody.parse(req.body ?? {});
    const at = deps.clock();
    await prisma.$transaction(async (tx) => {
      const project = await tx.project.findUnique({ where: { id: projectId }, select: { name: true } });
      if (!project) throw new HttpError(404, 'project not found');
      const affiliate = await tx.affiliate.findUnique({ where: { projectId_email: { projectId, email } }, select: { status: true } });
      if (!affiliate || affiliate.status === 'rejected') return;
      const sql = sqlSessionOf(tx);
      const code = await issueOneTimeCode(sql, { projectId, email, purpose: 'sign_in', at });
      await queueEmail(sql, { projectId, to: email, template: 'one_time_code', data: { projectName: project.name, code, purpose: 'sign_in', validMinutes: CODE_VALID_MINUTES } }, at);
    });
    res.status(202).json(ok({ email, message: 'if this email belongs to an affiliate of the program, a sign-in code is on its way', code_valid_minutes: CODE_VALID_MINUTES }));
  });

  router.post('/login/verify', perAddress, async (req, res) => {
    const projectId = portalProjectId(req);
    const { email, code } = verifyBody.parse(req.body ?? {});
    const at = deps.clock();
    // a wrong try is committed whatever is answered: the code's five tries must be used up by guessing
    const signedIn = await prisma.$transaction(async (tx) => {
      const sql = sqlSessionOf(tx);
      if ((await redeemOneTimeCode(sql, { projectId, email, purpose: 'sign_in', code, at })) !== 'ok') return null;
      const affiliate = await tx.affiliate.findUnique({ where: { projectId_email: { projectId, email } } });
      if (!affiliate || affiliate.status === 'rejected') return null;
      return { affiliate, credential: await issuePortalCredential(sql, { projectId, affiliateId: affiliate.id, kind: 'sign_in', at }) };
    });
    if (!signedIn) throw new HttpError(401, CODE_REFUSED);
    setSessionCookie(req, res, deps.publicUrl, signedIn.credential.token, signedIn.credential.expiresAt, at);
    const link = await referralLinkOf(prisma, deps.publicUrl, signedIn.affiliate);
    res.json(ok({ affiliate: portalAffiliateView(signedIn.affiliate, link), expires_at: signedIn.credential.expiresAt.toISOString() }));
  });

  // signing out twice, or without a session, is still signed out
  router.post('/logout', async (req, res) => {
    const projectId = portalProjectId(req);
    const fromHeader = bearer(req);
    // ending a session is a change like any other: with the cookie, only from Refwire's own pages
    if (!fromHeader && cookieToken(req) && !fromOwnOrigin(req, deps.publicUrl)) throw new HttpError(403, CROSS_ORIGIN_COOKIE);
    const token = fromHeader ?? cookieToken(req);
    const at = deps.clock();
    const session = token ? await findPortalSession(deps.db.sql, { projectId, token, at }) : null;
    if (session) await revokePortalSession(deps.db.sql, { sessionId: session.id, at });
    clearSessionCookie(req, res, deps.publicUrl);
    res.status(204).end();
  });

  return router;
}

const base = { tag: 'Affiliate portal' } as const;

const codeSentResponse = z.strictObject({ email: z.string(), message: z.string(), code_valid_minutes: z.number().int() });
const portalSignedInResponse = z.strictObject({ affiliate: portalAffiliateResponse, expires_at: instant });

export const portalSignInOperations: Operation[] = [
  {
    ...base,
    method: 'post',
    path: '/api/portal/{projectId}/login',
    access: 'public',
    summary: 'Ask for a sign-in code: emailed to an affiliate of the program who is not rejected; the same 202 for any email',
    description: `The code has 6 digits, is valid ${CODE_VALID_MINUTES} minutes and allows 5 tries. Rate limited per client address and per email (429).`,
    body: loginBody,
    status: 202,
    errors: [404, 429],
    response: codeSentResponse,
  },
  {
    ...base,
    method: 'post',
    path: '/api/portal/{projectId}/login/verify',
    access: 'public',
    summary: 'Sign in with the emailed code: sets the refwire_portal session cookie (httpOnly, SameSite=Lax, 30 days) and answers the affiliate',
    description: 'A wrong, expired, used up or unknown code answers 401 with one message that says nothing about whether the email is an affiliate.',
    body: verifyBody,
    errors: [401, 429],
    response: portalSignedInResponse,
  },
  {
    ...base,
    method: 'post',
    path: '/api/portal/{projectId}/logout',
    access: 'public',
    summary: 'Sign out: the session (cookie or bearer token) stops working at once and the cookie is cleared',
    status: 204,
  },
];
