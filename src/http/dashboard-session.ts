import type { Request, RequestHandler, Response } from 'express';
import { csrfTokenMatches, findSession, roleIn } from '../access/user-sessions';
import { canWrite, type Role } from '../access/roles';
import type { PrismaClient } from '../generated/prisma/client';
import { HttpError } from './errors';
import { cookieValue } from './cookies';

/** The dashboard's session cookie (docs/dashboard.md); the affiliate portal's is `refwire_portal`, a separate thing. */
export const SESSION_COOKIE = 'refwire_session';
/** Which project a session's /api/v1 request is about. */
export const PROJECT_HEADER = 'x-refwire-project';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type SessionCookieOptions = { publicUrl: string; clock: () => Date };

/**
 * SameSite=Lax, not Strict: Strict withholds the cookie when the merchant follows a link to the dashboard from
 * another site (an email, Stripe, a chat), so each such visit would look signed out. Lax still withholds it from
 * other sites' POST, PUT, PATCH, DELETE and fetch() calls; the CSRF token and the Origin check cover the rest.
 * Secure whenever PUBLIC_URL is https; not on plain-http localhost, where a Secure cookie would never come back.
 */
export function setSessionCookie(res: Response, token: string, expiresAt: Date, publicUrl: string): void {
  res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https:'), path: '/', expires: expiresAt });
}

export function clearSessionCookie(res: Response, publicUrl: string): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https:'), path: '/' });
}

/** The session token the request's Cookie header carries, or null. */
export function sessionTokenOf(req: Request): string | null {
  return cookieValue(req, SESSION_COOKIE);
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * A write made with the cookie must come from the dashboard's own page: it carries the session's CSRF token in
 * X-CSRF-Token (a page on another site cannot read it), and, when the browser names an Origin, that origin is
 * PUBLIC_URL's or the one the request was addressed to. The token is the protection; the Origin check is a second
 * lock for browsers, which always send Origin on such writes.
 */
function checkCsrf(req: Request, sessionToken: string, publicUrl: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  if (!csrfTokenMatches(sessionToken, req.get(CSRF_HEADER))) {
    throw new HttpError(403, 'missing or wrong CSRF token: send the csrf_token of the sign-in (or of GET /api/dashboard/me) in X-CSRF-Token');
  }
  const origin = req.get('origin');
  if (origin === undefined) return;
  const allowed = [originOf(publicUrl), originOf(`${req.protocol}://${req.get('host') ?? ''}`)];
  if (!allowed.includes(origin)) throw new HttpError(403, `cross-origin request refused: ${origin} is not this dashboard's origin`);
}

/** A signed-in user with a live session: sets req.dashboardUser; checks CSRF on writes. 401 without one. */
export function requireSession(prisma: PrismaClient, options: SessionCookieOptions): RequestHandler {
  return async (req, _res, next) => {
    const token = sessionTokenOf(req);
    const session = token ? await findSession(prisma, token, options.clock()) : null;
    if (!token || !session) throw new HttpError(401, 'not signed in, or the session expired: sign in again');
    checkCsrf(req, token, options.publicUrl);
    req.dashboardUser = { id: session.user.id, email: session.user.email, sessionId: session.id, sessionExpiresAt: session.expiresAt, sessionToken: token };
    next();
  };
}

/**
 * Dashboard routes of one project (`/api/dashboard/projects/:projectId/…`), behind requireSession: the user must be
 * a member. A non-member learns nothing more than for a project that does not exist.
 */
export function requireMembership(prisma: PrismaClient): RequestHandler {
  return async (req, _res, next) => {
    const user = req.dashboardUser;
    if (!user) throw new Error('route is not behind requireSession');
    const projectId = String(req.params.projectId ?? '');
    const role = UUID.test(projectId) ? await roleIn(prisma, user.id, projectId.toLowerCase()) : null;
    if (!role) throw new HttpError(404, 'project not found (or you are not a member of it)');
    req.projectId = projectId.toLowerCase();
    req.projectRole = role;
    next();
  };
}

/**
 * `/api/v1`, two ways in (PRODUCT.md §14): a request with an Authorization header is an API key's, as it has
 * always been (`apiKey` is requireApiKey); one without it may be a dashboard session's, about the project named in
 * X-Refwire-Project, of which the user must be a member. A viewer may only read.
 */
export function requireApiKeyOrSession(prisma: PrismaClient, apiKey: RequestHandler, options: SessionCookieOptions): RequestHandler {
  const session = requireSession(prisma, options);
  return async (req, res, next) => {
    if (req.headers.authorization !== undefined || sessionTokenOf(req) === null) return apiKey(req, res, next);
    await session(req, res, () => undefined);
    const user = req.dashboardUser!;
    const projectId = req.get(PROJECT_HEADER)?.trim() ?? '';
    if (!projectId) throw new HttpError(400, 'select a project: send its id in the X-Refwire-Project header');
    const role = UUID.test(projectId) ? await roleIn(prisma, user.id, projectId.toLowerCase()) : null;
    if (!role) throw new HttpError(403, 'you are not a member of this project');
    if (!SAFE_METHODS.has(req.method) && !canWrite(role)) throw new HttpError(403, `your role in this project is ${role}: it may read, not change anything`);
    req.projectId = projectId.toLowerCase();
    req.projectRole = role;
    next();
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    /** set by requireSession: the signed-in dashboard user and their session */
    dashboardUser?: { id: string; email: string; sessionId: string; sessionExpiresAt: Date; sessionToken: string };
    /** the dashboard user's role in req.projectId */
    projectRole?: Role;
  }
}
