import type { Request, RequestHandler } from 'express';
import type { PrismaClient } from '../generated/prisma/client';
import { findApiKey } from '../projects/projects';
import { tokensEqual } from '../security/tokens';
import { HttpError } from './errors';

function bearer(req: Request): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export function requireAdmin(adminToken: string | null): RequestHandler {
  return (req, _res, next) => {
    if (adminToken === null) throw new HttpError(401, 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    const token = bearer(req);
    if (!token) throw new HttpError(401, 'missing admin token: send Authorization: Bearer <ADMIN_TOKEN>');
    if (!tokensEqual(token, adminToken)) throw new HttpError(401, 'invalid admin token');
    next();
  };
}

/**
 * For pages a browser opens (the queue dashboard): the admin token as a bearer token or as the password of HTTP
 * Basic auth, which a browser prompts for.
 */
export function requireAdminBrowser(adminToken: string | null): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    const given = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').slice(1).join(':') : bearer(req);
    if (adminToken !== null && given && tokensEqual(given, adminToken)) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="Refwire admin", charset="UTF-8"');
    throw new HttpError(401, adminToken === null ? 'the admin API is disabled: set ADMIN_TOKEN to enable it' : 'admin token required');
  };
}

/** Resolves the API key to its project; every handler behind it reads `req.projectId` and nothing else. */
export function requireApiKey(prisma: PrismaClient): RequestHandler {
  return async (req, _res, next) => {
    const key = bearer(req);
    if (!key) throw new HttpError(401, 'missing API key: send Authorization: Bearer <api_key>');
    const found = await findApiKey(prisma, key);
    if (!found) throw new HttpError(401, 'invalid API key');
    req.projectId = found.projectId;
    req.apiKeyId = found.keyId;
    next();
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    /** set by requireApiKey */
    projectId?: string;
    /** set by requireApiKey: the key's id, what rate limits count by */
    apiKeyId?: string;
  }
}

export function projectIdOf(req: Request): string {
  if (!req.projectId) throw new Error('route is not behind requireApiKey');
  return req.projectId;
}
