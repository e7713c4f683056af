import { Router } from 'express';
import { z } from 'zod';
import type { SqlClient } from '../../db/sql';
import { instant, page, paginationQuery, uuid } from '../envelope';
import type { Operation } from '../operation';
import { countReferrals, referralRows, type ReferralFilter, type ReferralRow } from '../referral-rows';
import { portalOf } from './session-auth';

/**
 * The customers an affiliate referred (Refferq's "My referrals"), as the affiliate may see them: the merchant's
 * customers are not the affiliate's, so an address is shown masked (`j***@example.com`), enough to tell one's own
 * contacts apart, and never a name, a payment or a provider id. Only referrals that credit the affiliate are listed:
 * one the merchant marked direct is no longer theirs.
 */
function maskedEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${[...email.slice(0, at)][0]}***${email.slice(at)}`;
}

const SHOWN = ['pending', 'converted', 'expired'] as const;
type Shown = (typeof SHOWN)[number];

const referralsQuery = z.object({
  ...paginationQuery,
  status: z.enum(SHOWN).optional().describe('pending: signed up, no purchase yet; converted: purchased; expired: the signup\'s window passed without one'),
});

/** A pending referral whose public signup window has closed no longer credits a payment: it is shown expired. */
function shownStatus(r: ReferralRow, now: Date): Shown {
  if (r.shown_status === 'converted') return 'converted';
  // as the filter reads it (referral-rows.ts): open until expires_at, included
  return r.expires_at && r.expires_at.getTime() < now.getTime() ? 'expired' : 'pending';
}

function portalReferralView(r: ReferralRow, now: Date) {
  const status = shownStatus(r, now);
  return {
    id: r.id,
    email: maskedEmail(r.email),
    status,
    converted_at: status === 'converted' ? (r.shown_date?.toISOString() ?? null) : null,
    expires_at: r.expires_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
  };
}

export function portalReferralsRouter(sql: SqlClient, clock: () => Date): Router {
  const router = Router({ mergeParams: true });
  router.get('/referrals', async (req, res) => {
    const q = referralsQuery.parse(req.query);
    const { projectId, affiliate } = portalOf(req);
    const now = clock();
    // pending and expired are one shown status split by the signup window's end
    const filter: ReferralFilter = {
      affiliateId: affiliate.id,
      attributing: true,
      ...(q.status ? { statuses: [q.status === 'expired' ? 'pending' : q.status] } : {}),
      ...(q.status === 'pending' || q.status === 'expired' ? { window: { at: now, open: q.status === 'pending' } } : {}),
    };
    const [rows, total] = await Promise.all([referralRows(sql, projectId, filter, q), countReferrals(sql, projectId, filter)]);
    res.json(page(rows.map((r) => portalReferralView(r, now)), q.limit, q.offset, total));
  });
  return router;
}

export const portalReferralOperations: Operation[] = [
  {
    tag: 'Affiliate portal',
    access: 'portal',
    method: 'get',
    path: '/api/portal/{projectId}/referrals',
    summary: "The customers the affiliate referred, oldest first: the address masked (j***@example.com), pending, converted (with its first purchase's time) or expired",
    description: 'Only referrals that credit the affiliate. expired: a signup whose cookie_days window ended without a purchase.',
    query: referralsQuery,
    answer: 'list',
    response: z
      .strictObject({
        id: uuid,
        email: z.string().describe('masked: the first character and the domain'),
        status: z.enum(SHOWN),
        converted_at: instant.nullable(),
        expires_at: instant.nullable(),
        created_at: instant,
      })
      .meta({ id: 'PortalReferral' }),
  },
];
