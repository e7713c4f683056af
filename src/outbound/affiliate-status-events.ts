export type AffiliateStatusEvent = 'affiliate.approved' | 'affiliate.suspended' | 'affiliate.rejected' | 'affiliate.reactivated';

/**
 * Which event a change of an affiliate's status announces, whichever route made it (the merchant's approve,
 * reject, suspend and reactivate, a PATCH of `status`, an application verified under auto_approve): pending (or
 * rejected: an application reconsidered) → active is an approval, any move to rejected a rejection, any move to
 * suspended a suspension, and suspended or inactive → active a reactivation. A move to inactive or pending has none.
 */
export function affiliateStatusEvent(before: string, after: string): AffiliateStatusEvent | null {
  if (before === after) return null;
  if ((before === 'pending' || before === 'rejected') && after === 'active') return 'affiliate.approved';
  if (after === 'rejected') return 'affiliate.rejected';
  if (after === 'suspended') return 'affiliate.suspended';
  if ((before === 'suspended' || before === 'inactive') && after === 'active') return 'affiliate.reactivated';
  return null;
}
