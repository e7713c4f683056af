import type { PrismaClient } from '../generated/prisma/client';
import { recomputeGroup } from './apply-events';

/**
 * A referral recorded for an email after that customer paid: recompute the customers whose unattributed payments
 * carry the email, so they are attributed now (the chain's email step finds the new referral).
 */
export async function attributeLaterByEmail(prisma: PrismaClient, projectId: string, email: string): Promise<number> {
  const groups = await prisma.conversion.findMany({
    where: { projectId, customerEmail: email.toLowerCase(), affiliateId: null, kind: { in: ['purchase', 'renewal'] }, customerKey: { not: null } },
    distinct: ['provider', 'customerKey'],
    select: { provider: true, customerKey: true },
  });
  for (const g of groups) await recomputeGroup(prisma, projectId, g.provider!, g.customerKey!);
  return groups.length;
}
