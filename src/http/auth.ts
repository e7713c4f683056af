import type { Request, RequestHandler } from 'express';
import type { PrismaClient } from '../generated/prisma/client';
import { findApiKey } from '../projects/projects';
import { findPublishableKey, isPublishableKey } from '../projects/publishable-keys';
import { tokensEqual } from '../security/tokens';
import { HttpError } from './errors';
import type { FailedAuthLimit } from './rate-limit';

/** The credential of `Authorization: Bearer <token>`, or null. */
export function bearer(req: Pick<Request, 'headers'>): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function tooMany(seconds: number): HttpError {
  return new HttpError(429, `too many refused credentials from this address; retry in ${seconds} s`, { 'Retry-After': String(seconds) });
}

/** Before any credential is checked: an address past its budget of refused ones is answered 429, whatever it sends. */
export async function notBlocked(req: Request, limit: FailedAuthLimit | undefined): Promise<void> {
  const wait = await limit?.blocked(req);
  if (wait) throw tooMany(wait);
}

/** A credential was presented and refused: 401, or 429 once that used up the address's budget. */
export async function refused(req: Request, limit: FailedAuthLimit | undefined, message: string): Promise<never> {
  const wait = await limit?.failed(req);
  throw wait ? tooMany(wait) : new HttpError(401, message);
}

export function requireAdmin(adminToken: string | null, limit?: FailedAuthLimit): RequestHandler {
  return async (req, _res, next) => {
    if (adminToken === null) throw new HttpError(401, 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    await notBlocked(req, limit);
    const token = bearer(req);
    if (!token) throw new HttpError(401, 'missing admin token: send Authorization: Bearer <ADMIN_TOKEN>');
    if (!tokensEqual(token, adminToken)) await refused(req, limit, 'invalid admin token');
    next();
  };
}

/**
 * For pages a browser opens (the queue dashboard): the admin token as a bearer token or as the password of HTTP
 * Basic auth, which a browser prompts for.
 */
export function requireAdminBrowser(adminToken: string | null, limit?: FailedAuthLimit): RequestHandler {
  return async (req, res, next) => {
    if (adminToken !== null) await notBlocked(req, limit);
    const header = req.headers.authorization ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    const given = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').slice(1).join(':') : bearer(req);
    if (adminToken !== null && given && tokensEqual(given, adminToken)) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="Refwire admin", charset="UTF-8"');
    if (adminToken === null) throw new HttpError(401, 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    // a browser's first request, without credentials, only asks for the prompt: it is not a refusal
    if (given) await refused(req, limit, 'admin token required');
    throw new HttpError(401, 'admin token required');
  };
}

/** Resolves the API key to its project; every handler behind it reads `req.projectId` and nothing else. */
export function requireApiKey(prisma: PrismaClient, limit?: FailedAuthLimit): RequestHandler {
  return async (req, _res, next) => {
    await notBlocked(req, limit);
    const key = bearer(req);
    if (!key) throw new HttpError(401, 'missing API key: send Authorization: Bearer <api_key>');
    if (isPublishableKey(key)) return refused(req, limit, 'a publishable key (pk_…) is only for public endpoints: the API takes a secret API key');
    const found = await findApiKey(prisma, key);
    if (!found) return refused(req, limit, 'invalid API key');
    req.projectId = found.projectId;
    req.apiKeyId = found.keyId;
    next();
  };
}

/**
 * Public endpoints that write (POST /api/track/conversion): a publishable key, as a bearer token or, for pages that
 * post without a preflight, as `publishable_key` in the JSON body (so it runs after the body is parsed). Anything
 * else is refused without being looked up: a secret key is never accepted here, and whether one is valid is not
 * told to a page.
 */
export function requirePublishableKey(prisma: PrismaClient, limit?: FailedAuthLimit): RequestHandler {
  return async (req, _res, next) => {
    await notBlocked(req, limit);
    const fromBody = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>).publishable_key : undefined;
    const inBody = typeof fromBody === 'string' ? fromBody.trim() : null;
    const fromHeader = bearer(req);
    // as for any field named twice: two different keys are a mistake to name, not a choice to make silently
    if (fromHeader && inBody && fromHeader !== inBody) throw new HttpError(400, 'publishable_key: differs from the Authorization header\'s key; send one of them');
    const key = fromHeader ?? inBody;
    if (!key) throw new HttpError(401, 'missing publishable key: send Authorization: Bearer pk_… or "publishable_key" in the body');
    if (!isPublishableKey(key)) return refused(req, limit, 'this endpoint takes a publishable key (pk_…): secret API keys are never accepted on public endpoints');
    const found = await findPublishableKey(prisma, key);
    if (!found) return refused(req, limit, 'invalid publishable key');
    req.projectId = found.projectId;
    next();
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    /** set by requireApiKey, and by requirePublishableKey on public endpoints */
    projectId?: string;
    /** set by requireApiKey: the key's id, what rate limits count by */
    apiKeyId?: string;
  }
}

export function projectIdOf(req: Request): string {
  if (!req.projectId) throw new Error('route is not behind requireApiKey');
  return req.projectId;
}
