import { randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Affiliate, PrismaClient, TrackingLink } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { checkedTarget } from '../tracking/allowed-domains';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import { emailFromPath, isUniqueViolation, takingBack } from './fields';
import type { Operation } from './operation';

const SLUG_PATTERN = /^[A-Za-z0-9_-]+$/;
export const slugField = z.string().trim().min(3).max(64).regex(SLUG_PATTERN, { message: 'letters, digits, "-" and "_" only' });

const createBody = z.strictObject({
  /** an http(s) URL on one of the project's allowed_domains */
  target_url: z.string().max(2048),
  /** 3 to 64 of letters, digits, "-" and "_"; unique in the installation, case-insensitively; 10 random characters when left out */
  slug: slugField.optional(),
});
export { createBody as linkCreateBody, listQuery as linkListQuery };
const updateFields = z.strictObject({ target_url: z.string().max(2048).optional(), slug: slugField.optional(), active: z.boolean().optional() });
const listQuery = z.object({ ...paginationQuery, active: z.enum(['true', 'false']).optional() });

/** Slugs compare case-insensitively, so generated ones use lower-case letters and digits: 36^10 ≈ 3.7 × 10^15. */
const SLUG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SLUG_LENGTH = 10;

export function generatedSlug(): string {
  let slug = '';
  while (slug.length < SLUG_LENGTH) {
    for (const byte of randomBytes(16)) {
      // 252 = 7 × 36: bytes above it are dropped so every character is equally likely
      if (byte < 252 && slug.length < SLUG_LENGTH) slug += SLUG_ALPHABET[byte % 36];
    }
  }
  return slug;
}

type LinkStats = { signups: number; conversions: number };

/** trackingLinks' view: the merchant's API and the portal answer the same. */
export const linkResponse = z
  .strictObject({
    id: uuid,
    affiliate_id: uuid,
    slug: z.string(),
    url: z.string().describe('the /r/ address to share'),
    target_url: z.string(),
    active: z.boolean(),
    clicks: z.number().int(),
    signups: z.number().int(),
    conversions: z.number().int(),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'TrackingLink' });
const updateBody = takingBack(updateFields, linkResponse);

/**
 * Listing, presenting and creating an affiliate's links: the merchant's API below and the affiliate's own portal
 * (src/api/portal) both go through these, so the rules (allowed_domains, slugs) and the counts are the same.
 */
export function trackingLinks(prisma: PrismaClient, publicUrl: string, clock: () => Date) {
  async function allowedDomains(projectId: string): Promise<string[]> {
    return (await prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { allowedDomains: true } })).allowedDomains;
  }

  /**
   * signups: referrals recorded by a public signup that named a click through the link; conversions: purchases of
   * those customers attributed to the link's affiliate.
   */
  async function stats(ids: string[]): Promise<Map<string, LinkStats>> {
    const found = new Map<string, LinkStats>(ids.map((id) => [id, { signups: 0, conversions: 0 }]));
    if (ids.length === 0) return found;
    const rows = await prisma.$queryRaw<{ link_id: string; signups: bigint; conversions: bigint }[]>`
      SELECT l.id::text AS link_id,
             (SELECT count(*) FROM referrals r WHERE r.link_id = l.id) AS signups,
             (SELECT count(*) FROM referrals r JOIN conversions c ON c.project_id = r.project_id AND c.customer_email = r.email
              WHERE r.link_id = l.id AND c.affiliate_id = l.affiliate_id AND c.kind = 'purchase') AS conversions
      FROM tracking_links l WHERE l.id = ANY(${ids}::uuid[])`;
    for (const r of rows) found.set(r.link_id, { signups: Number(r.signups), conversions: Number(r.conversions) });
    return found;
  }

  const view = (l: TrackingLink, s: LinkStats) => ({
    id: l.id,
    affiliate_id: l.affiliateId,
    slug: l.slug,
    url: `${publicUrl}/r/${l.slug}`,
    target_url: l.targetUrl,
    active: l.active,
    clicks: l.clicks,
    signups: s.signups,
    conversions: s.conversions,
    created_at: l.createdAt.toISOString(),
    updated_at: l.updatedAt.toISOString(),
  });

  async function present(rows: TrackingLink[]) {
    const s = await stats(rows.map((r) => r.id));
    return rows.map((r) => view(r, s.get(r.id)!));
  }

  async function list(affiliateId: string, q: z.infer<typeof listQuery>) {
    const where = { affiliateId, ...(q.active ? { active: q.active === 'true' } : {}) };
    const [rows, total] = await Promise.all([
      prisma.trackingLink.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: q.offset, take: q.limit }),
      prisma.trackingLink.count({ where }),
    ]);
    return { links: await present(rows), total };
  }

  async function create(affiliate: Pick<Affiliate, 'id' | 'projectId'>, body: z.infer<typeof createBody>) {
    const targetUrl = checkedTarget(body.target_url, await allowedDomains(affiliate.projectId));
    // a generated slug that happens to be taken is drawn again; a chosen one is the caller's to change
    for (let attempt = 0; ; attempt++) {
      const slug = body.slug ?? generatedSlug();
      const now = clock();
      try {
        const row = await prisma.trackingLink.create({
          data: { projectId: affiliate.projectId, affiliateId: affiliate.id, slug, slugKey: slug.toLowerCase(), targetUrl, createdAt: now, updatedAt: now },
        });
        return (await present([row]))[0]!;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (body.slug || attempt >= 4) throw new HttpError(409, SLUG_TAKEN);
      }
    }
  }

  return { allowedDomains, present, list, create };
}

const SLUG_TAKEN = 'slug is already in use';

/**
 * `/api/v1/affiliates/:email/links` (86d's tracking links): `{ target_url, slug? }`; `GET /r/<slug>` sends a
 * visitor to the target with the affiliate's code (src/tracking/redirect.ts). Links are keyed by slug.
 */
export function linksRouter(prisma: PrismaClient, publicUrl: string, clock: () => Date): Router {
  const router = Router({ mergeParams: true });
  const links = trackingLinks(prisma, publicUrl, clock);

  async function affiliateOf(req: Request): Promise<Affiliate> {
    const email = emailFromPath((req.params as { email?: string }).email);
    const row = await prisma.affiliate.findUnique({ where: { projectId_email: { projectId: projectIdOf(req), email } } });
    if (!row) throw new HttpError(404, 'affiliate not found');
    return row;
  }

  async function linkOf(req: Request): Promise<TrackingLink> {
    const affiliate = await affiliateOf(req);
    const slug = String((req.params as { slug?: string }).slug);
    const row = SLUG_PATTERN.test(slug) ? await prisma.trackingLink.findUnique({ where: { slugKey: slug.toLowerCase() } }) : null;
    if (!row || row.affiliateId !== affiliate.id) throw new HttpError(404, 'link not found');
    return row;
  }

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const { links: rows, total } = await links.list((await affiliateOf(req)).id, q);
    res.json(page(rows, q.limit, q.offset, total));
  });

  router.post('/', async (req, res) => {
    const affiliate = await affiliateOf(req);
    res.status(201).json(ok(await links.create(affiliate, createBody.parse(req.body ?? {}))));
  });

  router.get('/:slug', async (req, res) => {
    res.json(ok((await links.present([await linkOf(req)]))[0]));
  });

  const update = async (req: Request, res: import('express').Response) => {
    const body = updateBody.parse(req.body ?? {});
    const link = await linkOf(req);
    const data: Partial<Pick<TrackingLink, 'targetUrl' | 'slug' | 'slugKey' | 'active' | 'updatedAt'>> = { updatedAt: clock() };
    if (body.target_url !== undefined) data.targetUrl = checkedTarget(body.target_url, await links.allowedDomains(link.projectId));
    if (body.slug !== undefined) Object.assign(data, { slug: body.slug, slugKey: body.slug.toLowerCase() });
    if (body.active !== undefined) data.active = body.active;
    let row: TrackingLink;
    try {
      row = await prisma.trackingLink.update({ where: { id: link.id }, data });
    } catch (err) {
      if (isUniqueViolation(err)) throw new HttpError(409, SLUG_TAKEN);
      throw err;
    }
    res.json(ok((await links.present([row]))[0]));
  };
  router.put('/:slug', update);
  router.patch('/:slug', update);

  // Its clicks stay (without the link); to keep its counts, PATCH it to active: false instead.
  router.delete('/:slug', async (req, res) => {
    const link = await linkOf(req);
    await prisma.trackingLink.delete({ where: { id: link.id } });
    res.status(204).end();
  });

  return router;
}

const PATH = '/api/v1/affiliates/{email}/links';
const base = { tag: 'Tracking links', access: 'api_key' as const };

export const linkOperations: Operation[] = [
  { ...base, method: 'get', path: PATH, summary: "An affiliate's tracking links, with clicks, signups and conversions each", query: listQuery, answer: 'list', response: linkResponse },
  {
    ...base,
    method: 'post',
    path: PATH,
    summary: 'Create a tracking link: /r/<slug> redirects to target_url with ref=<code>',
    description:
      "target_url must be an http(s) URL on the project's allowed_domains (\"example.com\" exactly, \"*.example.com\" its subdomains); " +
      'slug: 10 random characters when left out, unique in the installation (409 when taken).',
    body: createBody,
    status: 201,
    errors: [409],
    response: linkResponse,
  },
  { ...base, method: 'get', path: `${PATH}/{slug}`, summary: 'Get a tracking link', response: linkResponse },
  ...(['put', 'patch'] as const).map((method) => ({
    ...base,
    method,
    path: `${PATH}/{slug}`,
    summary: 'Change a tracking link: its target, its slug (the old /r/ address stops working) or whether it is active',
    body: updateBody,
    errors: [409],
    response: linkResponse,
  })),
  { ...base, method: 'delete', path: `${PATH}/{slug}`, summary: 'Delete a tracking link (its clicks stay, without the link)', status: 204 },
];
