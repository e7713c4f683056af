import type { Request, RequestHandler, Response } from 'express';
import { findPortalSession } from '../../access/portal-sessions';
import type { Database } from '../../db/database';
import type { Affiliate } from '../../generated/prisma/client';
import { bearer, notBlocked, refused } from '../../http/auth';
import { HttpError } from '../../http/errors';
import type { FailedAuthLimit } from '../../http/rate-limit';
import { idFromPath } from '../fields';
import { cookieValue } from '../../http/cookies';

export const PORTAL_COOKIE = 'refwire_portal';

/** One answer for every refused credential: unknown, expired, revoked, of another project, of a rejected affiliate. */
export const NOT_SIGNED_IN = 'not signed in, or the sign-in has expired: sign in again';

export type PortalAccess = { projectId: string; affiliate: Affiliate; sessionId: string; via: 'cookie' | 'bearer' };

declare module 'express-serve-static-core' {
  interface Request {
    /** set by requirePortalAffiliate */
    portal?: PortalAccess;
  }
}

/** The project of a portal path; an id that cannot be one is 400, as on every path (README, API). */
export function portalProjectId(req: Request): string {
  return idFromPath((req.params as { projectId?: string }).projectId, 'project');
}

export function portalOf(req: Request): PortalAccess {
  if (!req.portal) throw new Error('route is not behind requirePortalAffiliate');
  return req.portal;
}

export function cookieToken(req: Request): string | null {
  return cookieValue(req, PORTAL_COOKIE);
}

/** Secure whenever the request came over https or Refwire is published under https (behind a TLS proxy). */
export function setSessionCookie(req: Request, res: Response, publicUrl: string, token: string, expiresAt: Date, now: Date): void {
  res.cookie(PORTAL_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure || publicUrl.startsWith('https:'),
    path: '/',
    maxAge: Math.max(0, expiresAt.getTime() - now.getTime()),
  });
}

export function clearSessionCookie(req: Request, res: Response, publicUrl: string): void {
  res.clearCookie(PORTAL_COOKIE, { httpOnly: true, sameSite: 'lax', secure: req.secure || publicUrl.startsWith('https:'), path: '/' });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CROSS_ORIGIN_COOKIE = 'a request from another origin must send its embed token as Authorization: Bearer, not the session cookie';

/**
 * A change sent with the cookie must come from Refwire's own pages. SameSite=Lax already keeps the cookie off
 * other sites' requests; the Origin check also covers sibling subdomains, which count as the same site. Requests
 * without Origin (curl, same-origin navigations of old browsers) carry no page to distrust.
 */
export function fromOwnOrigin(req: Request, publicUrl: string): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  return origin === new URL(publicUrl).origin || origin === `${req.protocol}://${req.get('host')}`;
}

/**
 * The signed-in affiliate of `/api/portal/:projectId/…`: an embed token as `Authorization: Bearer` (cross-origin,
 * from the merchant's page), else the session cookie (same origin, the hosted page). A refused credential counts
 * against the address's budget of refused credentials, as a wrong API key does.
 */
export function requirePortalAffiliate(db: Database, clock: () => Date, publicUrl: string, limit?: FailedAuthLimit): RequestHandler {
  return async (req, _res, next) => {
    const projectId = portalProjectId(req);
    await notBlocked(req, limit);
    const fromHeader = bearer(req);
    const token = fromHeader ?? cookieToken(req);
    if (!token) throw new HttpError(401, NOT_SIGNED_IN);
    if (!fromHeader && !SAFE_METHODS.has(req.method) && !fromOwnOrigin(req, publicUrl)) throw new HttpError(403, CROSS_ORIGIN_COOKIE);
    const session = await findPortalSession(db.sql, { projectId, token, at: clock() });
    const affiliate = session ? await db.prisma.affiliate.findFirst({ where: { id: session.affiliateId, projectId } }) : null;
    // PRODUCT.md §13: a rejected affiliate cannot sign in, and a session it held before ends with the rejection
    if (!session || !affiliate || affiliate.status === 'rejected') return refused(req, limit, NOT_SIGNED_IN);
    req.portal = { projectId, affiliate, sessionId: session.id, via: fromHeader ? 'bearer' : 'cookie' };
    next();
  };
}
