/**
 * Which of Refferq's events a change of an affiliate's status announces, whichever route made it (the merchant's
 * approve and suspend, a PATCH of `status`, an application verified under auto_approve): pending → active is an
 * approval; any move to suspended a suspension. Other moves (reactivate, reject, inactive) have no event.
 */
export function affiliateStatusEvent(before: string, after: string): 'affiliate.approved' | 'affiliate.suspended' | null {
  if (before === after) return null;
  if (before === 'pending' && after === 'active') return 'affiliate.approved';
  if (after === 'suspended') return 'affiliate.suspended';
  return null;
}
