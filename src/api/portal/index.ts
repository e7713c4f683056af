import { Router, type RequestHandler } from 'express';
import type { Database } from '../../db/database';
import type { FailedAuthLimit } from '../../http/rate-limit';
import type { Operation } from '../operation';
import { portalConfigRouter, portalDashboardOperations, portalDashboardRouter } from './dashboard';
import { portalLinkOperations, portalLinksRouter } from './links';
import { portalPayoutOperations, portalPayoutsRouter } from './payouts';
import { portalReferralOperations, portalReferralsRouter } from './referrals';
import { requirePortalAffiliate } from './session-auth';
import { portalSignInOperations, portalSignInRouter, type PortalSignInLimits } from './sign-in';

export { DEFAULT_PORTAL_SIGN_IN_LIMITS, type PortalSignInLimits } from './sign-in';

/**
 * The merchant's page calls the portal API from its own origin with an embed token, so any origin may read the
 * answers; credentials are never allowed cross-origin (no Access-Control-Allow-Credentials), so the session cookie
 * works only on Refwire's own hosted page.
 */
export const portalCors: RequestHandler = (req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  // the embedded portal says when a refused sign-in may be tried again
  res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
  if (req.method !== 'OPTIONS') return next();
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key');
  res.setHeader('Access-Control-Max-Age', '600');
  res.status(204).end();
};

/** `/api/portal/:projectId/…` (PRODUCT.md §13): sign-in and config in public, the rest for the signed-in affiliate. */
export function portalRouter(deps: { db: Database; clock: () => Date; publicUrl: string; limits: PortalSignInLimits; failedAuth?: FailedAuthLimit }): Router {
  const { prisma } = deps.db;
  const router = Router({ mergeParams: true });
  router.use(portalSignInRouter(deps), portalConfigRouter(prisma));
  router.use(
    requirePortalAffiliate(deps.db, deps.clock, deps.publicUrl, deps.failedAuth),
    portalDashboardRouter(prisma, deps.publicUrl, deps.clock),
    portalLinksRouter(prisma, deps.publicUrl, deps.clock),
    portalReferralsRouter(deps.db.sql, deps.clock),
    portalPayoutsRouter(prisma, deps.clock),
  );
  return router;
}

export const portalOperations: Operation[] = [...portalSignInOperations, ...portalDashboardOperations, ...portalLinkOperations, ...portalReferralOperations, ...portalPayoutOperations];
