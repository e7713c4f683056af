import type { PrismaClient } from '../generated/prisma/client';
import { recomputeGroup } from './apply-events';

/**
 * A referral recorded (or changed) for an email: recompute the customers whose payments carry it, so a payment
 * made before the referral existed is attributed now through the chain's email step, and one attributed by
 * email follows the change. Earlier steps of the chain still win where they hit.
 */
export async function recomputeCustomersByEmail(prisma: PrismaClient, projectId: string, email: string): Promise<number> {
  const groups = await prisma.conversion.findMany({
    where: { projectId, customerEmail: email.toLowerCase(), kind: { in: ['purchase', 'renewal'] }, customerKey: { not: null }, provider: { not: null } },
    distinct: ['provider', 'customerKey'],
    select: { provider: true, customerKey: true },
  });
  for (const g of groups) await recomputeGroup(prisma, projectId, g.provider!, g.customerKey!);
  return groups.length;
}
