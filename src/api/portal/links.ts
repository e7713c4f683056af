import { Router } from 'express';
import type { PrismaClient } from '../../generated/prisma/client';
import { HttpError } from '../../http/errors';
import { ok, page } from '../envelope';
import { linkCreateBody, linkListQuery, linkResponse, trackingLinks } from '../links';
import type { Operation } from '../operation';
import { portalOf } from './session-auth';

/**
 * The affiliate's own tracking links (PRODUCT.md §12): the merchant's links code with its rules (allowed_domains,
 * slugs unique in the installation) and counts, for the signed-in affiliate only. A slug of someone else's is
 * answered as one that does not exist.
 */
export function portalLinksRouter(prisma: PrismaClient, publicUrl: string, clock: () => Date): Router {
  const router = Router({ mergeParams: true });
  const links = trackingLinks(prisma, publicUrl, clock);

  router.get('/links', async (req, res) => {
    const q = linkListQuery.parse(req.query);
    const { links: rows, total } = await links.list(portalOf(req).affiliate.id, q);
    res.json(page(rows, q.limit, q.offset, total));
  });

  router.post('/links', async (req, res) => {
    const body = linkCreateBody.parse(req.body ?? {});
    const { affiliate } = portalOf(req);
    // a link of an affiliate who earns nothing would send visitors whose purchases pay no one
    if (affiliate.status !== 'active') throw new HttpError(409, `only an active affiliate creates links; this account is ${affiliate.status}`);
    res.status(201).json(ok(await links.create(affiliate, body)));
  });

  router.get('/links/:slug', async (req, res) => {
    const slug = String(req.params.slug);
    const row = /^[A-Za-z0-9_-]{1,64}$/.test(slug) ? await prisma.trackingLink.findUnique({ where: { slugKey: slug.toLowerCase() } }) : null;
    if (!row || row.affiliateId !== portalOf(req).affiliate.id) throw new HttpError(404, 'link not found');
    res.json(ok((await links.present([row]))[0]));
  });

  return router;
}

const base = { tag: 'Affiliate portal', access: 'portal' as const };

export const portalLinkOperations: Operation[] = [
  { ...base, method: 'get', path: '/api/portal/{projectId}/links', summary: "The affiliate's tracking links, each with its /r/ URL, clicks, signups and conversions", query: linkListQuery, answer: 'list', response: linkResponse },
  {
    ...base,
    method: 'post',
    path: '/api/portal/{projectId}/links',
    summary: 'Create a tracking link (an active affiliate): target_url on the project\'s allowed_domains, slug optional',
    description: 'The same rules as POST /api/v1/affiliates/{email}/links: 400 for a target off allowed_domains, 409 for a slug in use or an affiliate that is not active.',
    body: linkCreateBody,
    status: 201,
    errors: [409],
    response: linkResponse,
  },
  { ...base, method: 'get', path: '/api/portal/{projectId}/links/{slug}', summary: 'One of the affiliate\'s links (404 for anyone else\'s)', response: linkResponse },
];
