import type { Affiliate, Prisma } from '../generated/prisma/client';
import { sqlSessionOf } from '../db/prisma-session';
import { revokeAffiliatePortalSessions } from '../access/portal-sessions';
import { queueEmail, type EmailToQueue } from '../email/outbox';
import { emitAffiliateEvent } from '../outbound/emit';
import { affiliateStatusEvent, type AffiliateStatusEvent } from '../outbound/affiliate-status-events';
import { portalPageUrl } from '../pages/portal';

/**
 * What follows a change of an affiliate's status, in the transaction that makes it, whichever route made it (the
 * merchant's approve, reject, suspend and reactivate, or a PATCH of `status`): the outbound event, the end of the
 * portal sessions of an affiliate turned away, and the email that tells the affiliate. The email follows the event:
 * a move that announces nothing (to inactive, to pending) emails nobody.
 */
export async function followStatusChange(
  tx: Prisma.TransactionClient,
  change: { projectId: string; before: Pick<Affiliate, 'status'>; after: Affiliate; reason: string | null; publicUrl: string; at: Date },
): Promise<void> {
  const { projectId, after, at } = change;
  const event = affiliateStatusEvent(change.before.status, after.status);
  if (!event) return;
  const sql = sqlSessionOf(tx);
  await emitAffiliateEvent(sql, projectId, event, after.id, at);
  if (event === 'affiliate.rejected') await revokeAffiliatePortalSessions(sql, { affiliateId: after.id, at });
  const { name: projectName } = await tx.project.findUniqueOrThrow({ where: { id: projectId }, select: { name: true } });
  // turned away after being let in (a PATCH of status can do it): told the account closed, not that an application failed
  const member = change.before.status !== 'pending';
  await queueEmail(sql, statusEmail(event, { projectId, projectName, affiliate: after, reason: change.reason, member, portalUrl: portalPageUrl(change.publicUrl, projectId) }), at);
}

function statusEmail(
  event: AffiliateStatusEvent,
  d: { projectId: string; projectName: string; affiliate: Affiliate; reason: string | null; member: boolean; portalUrl: string },
): EmailToQueue {
  const common = { projectId: d.projectId, to: d.affiliate.email };
  const names = { projectName: d.projectName, affiliateName: d.affiliate.name };
  // the affiliate let in (again) is told where to sign in and see their links and earnings
  const welcome = { ...names, referralCode: d.affiliate.referralCode, portalUrl: d.portalUrl };
  switch (event) {
    case 'affiliate.approved':
      return { ...common, template: 'application_approved', data: welcome };
    case 'affiliate.reactivated':
      return { ...common, template: 'affiliate_reactivated', data: welcome };
    case 'affiliate.rejected':
      return { ...common, template: 'application_rejected', data: { ...names, reason: d.reason, member: d.member } };
    case 'affiliate.suspended':
      return { ...common, template: 'affiliate_suspended', data: { ...names, reason: d.reason } };
  }
}
