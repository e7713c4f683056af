import { Router } from 'express';
import { issuePortalCredential, EMBED_TOKEN_MINUTES } from '../access/portal-sessions';
import type { Database } from '../db/database';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { z } from 'zod';
import { instant, ok, uuid } from './envelope';
import { emailFromPath } from './fields';
import type { Operation } from './operation';

/**
 * `POST /api/v1/affiliates/:email/embed-tokens` (PRODUCT.md §13): the merchant's backend, which knows its signed-in
 * user is this affiliate, mints a short-lived token for the embedded portal, so the user needs no second sign-in
 * and no page can claim to be someone by writing an email into an attribute.
 */
export function embedTokensRouter(db: Database, clock: () => Date): Router {
  const router = Router({ mergeParams: true });
  router.post('/', async (req, res) => {
    const projectId = projectIdOf(req);
    const email = emailFromPath((req.params as { email?: string }).email);
    const affiliate = await db.prisma.affiliate.findUnique({ where: { projectId_email: { projectId, email } } });
    if (!affiliate) throw new HttpError(404, 'affiliate not found');
    if (affiliate.status === 'rejected') throw new HttpError(409, 'the affiliate is rejected: it cannot sign in to the portal');
    const issued = await issuePortalCredential(db.sql, { projectId, affiliateId: affiliate.id, kind: 'embed_token', at: clock() });
    res.status(201).json(ok({ token: issued.token, expires_at: issued.expiresAt.toISOString(), affiliate_id: affiliate.id, project_id: projectId }));
  });
  return router;
}

export const embedTokenOperations: Operation[] = [
  {
    method: 'post',
    path: '/api/v1/affiliates/{email}/embed-tokens',
    tag: 'Affiliate portal',
    access: 'api_key',
    summary: `Mint an embed token for the affiliate's portal widget: one affiliate, this project, ${EMBED_TOKEN_MINUTES} minutes`,
    description: 'Pass it as data-token on the embed (or Authorization: Bearer to /api/portal/{projectId}/…). 409 for a rejected affiliate.',
    status: 201,
    errors: [409],
    response: z.strictObject({ token: z.string().describe('rwpe_…'), expires_at: instant, affiliate_id: uuid, project_id: uuid }),
  },
];
