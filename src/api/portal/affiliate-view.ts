import { z } from 'zod';
import type { Affiliate, PrismaClient } from '../../generated/prisma/client';
import { instant, uuid } from '../envelope';

/**
 * Where the affiliate sends people: their first active tracking link (`/r/<slug>`, which records a dated click),
 * else the merchant's site on its first exact allowed domain with `?ref=<code>` (the tracking script's parameter);
 * null while the merchant has set neither, since Refwire does not know the merchant's site otherwise.
 */
export async function referralLinkOf(prisma: PrismaClient, publicUrl: string, affiliate: Affiliate): Promise<string | null> {
  const [link, project] = await Promise.all([
    prisma.trackingLink.findFirst({ where: { affiliateId: affiliate.id, active: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: { slug: true } }),
    prisma.project.findUniqueOrThrow({ where: { id: affiliate.projectId }, select: { allowedDomains: true } }),
  ]);
  if (link) return `${publicUrl}/r/${link.slug}`;
  const domain = project.allowedDomains.find((d) => !d.startsWith('*.'));
  return domain ? `https://${domain}/?ref=${encodeURIComponent(affiliate.referralCode)}` : null;
}

/** portalAffiliateView's answer. */
export const portalAffiliateResponse = z
  .strictObject({
    id: uuid,
    email: z.string(),
    name: z.string().nullable(),
    status: z.enum(['pending', 'active', 'inactive', 'suspended', 'rejected']),
    referral_code: z.string(),
    referral_link: z.string().nullable().describe('their first active /r/ link, else the merchant\'s site with ?ref=<code>; null when neither is known'),
    group_id: uuid.nullable(),
    payout_method: z.enum(['paypal', 'wise', 'bank_transfer', 'manual']).nullable(),
    paypal_email: z.string().nullable(),
    wise_email: z.string().nullable(),
    payout_details: z.record(z.string(), z.unknown()).nullable(),
    created_at: instant,
  })
  .meta({ id: 'PortalAffiliate' });

/** The affiliate as they see themselves in the portal: no review notes, overrides or counters of the merchant's. */
export function portalAffiliateView(a: Affiliate, referralLink: string | null) {
  return {
    id: a.id,
    email: a.email,
    name: a.name,
    status: a.status,
    referral_code: a.referralCode,
    referral_link: referralLink,
    group_id: a.groupId,
    payout_method: a.payoutMethod,
    paypal_email: a.paypalEmail,
    wise_email: a.wiseEmail,
    payout_details: a.payoutDetails ?? null,
    created_at: a.createdAt.toISOString(),
  };
}
