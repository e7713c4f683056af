import type { Request, RequestHandler } from 'express';
import { recordAudit, type AuditActor } from '../access/audit-log';
import type { SqlClient } from '../db/sql';
import type { Logger } from 'pino';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

function actorOf(req: Request): AuditActor | null {
  if (req.dashboardUser) return { type: 'user', userId: req.dashboardUser.id, email: req.dashboardUser.email };
  if (req.apiKeyId) return { type: 'api_key', apiKeyId: req.apiKeyId };
  return null;
}

/**
 * What a write was about: the id of the row its answer names, else its route's most specific parameter
 * (`/affiliates/:email/links/:id` → the link; the project itself is never the target).
 */
function targetOf(routeParams: Record<string, unknown>, body: unknown): string | null {
  const data = (body as { data?: unknown } | null)?.data;
  const id = data && typeof data === 'object' && !Array.isArray(data) ? (data as { id?: unknown }).id : undefined;
  if (typeof id === 'string' || typeof id === 'number') return String(id);
  const params = Object.entries(routeParams).filter(([name, v]) => name !== 'projectId' && typeof v === 'string' && v !== '');
  return (params.at(-1)?.[1] as string | undefined) ?? null;
}

/**
 * Records every write to a project (anything but GET/HEAD/OPTIONS) once its answer is ready, whatever its status:
 * who (user or API key), method, path, status, target, when. Behind the authentication, so `req.projectId` is
 * known. The row is written before the answer leaves, so a client that reads the audit log after an answer finds
 * the entry; a failure to record is logged and does not change the answer.
 */
export function auditWrites(sql: SqlClient, clock: () => Date, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const actor = actorOf(req);
    const projectId = req.projectId;
    if (READS.has(req.method) || !actor || !projectId) return next();
    // The route's parameters as its router matched them: a refusal thrown from the route reaches the error handler
    // with the app's own (none), and a refused write was recorded without its target. Each router sets req.params
    // as it matches (a nested one with its parent's too): the last set with the most names is the route's.
    let params: Record<string, unknown> = {};
    let current: unknown = req.params;
    Object.defineProperty(req, 'params', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (value: unknown) => {
        current = value;
        if (value && typeof value === 'object' && Object.keys(value).length >= Object.keys(params).length) params = value as Record<string, unknown>;
      },
    });
    let body: unknown = null;
    const json = res.json.bind(res);
    res.json = (value: unknown) => {
      body = value;
      return json(value);
    };
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    let recorded = false;
    res.end = ((...args: unknown[]) => {
      if (recorded) return end(...args);
      recorded = true;
      const path = (req.originalUrl ?? req.url).split('?')[0]!;
      recordAudit(sql, { projectId, actor, method: req.method, path, status: res.statusCode, target: targetOf(params, body), at: clock() })
        .catch((err: unknown) => logger.error({ err }, 'audit log entry not recorded'))
        .finally(() => end(...args));
      return res;
    }) as typeof res.end;
    next();
  };
}
