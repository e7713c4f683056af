import type { CommissionRule } from '../commission/rules';
import type { SqlSession } from '../db/sql';
import type { RefgrowEvent, RefferqEvent } from './events';
import type { AffiliateStatusEvent } from './affiliate-status-events';
import { enqueue, subscribedEndpoints, wanted, type OutboundMessage } from './outbox';
import { refgrowCanceled, refgrowConverted, refgrowSignup, refgrowUpdated } from './payloads/refgrow';
import { refferqAffiliate, refferqCommission, refferqConversionData, refferqEnvelope, refferqPayout, refferqReferral } from './payloads/refferq';
import { refwireV1Conversion, refwireV1Signup } from './payloads/refwire-v1';
import { loadAffiliates, loadConversions, loadPayout, loadReferrals, type ConversionFacts } from './payloads/rows';

/**
 * The outbox writers: every function here writes pending deliveries in the caller's transaction (a `SqlSession`
 * of the ledger's recompute, or `sqlSessionOf(tx)` inside a Prisma transaction), so an event exists exactly when
 * the change it announces committed. Each reads what its payloads need by primary key, and only when some active
 * endpoint of the project receives the event. Each returns the number of deliveries queued.
 */

/** The events about one conversion row (a payment, a refund row, a manual conversion). */
export type ConversionEventType = Exclude<RefgrowEvent, 'referral_signed_up'> | 'referral.converted' | 'commission.created' | 'commission.approved' | 'commission.paid';

export type ConversionEvent = {
  type: ConversionEventType;
  conversionId: string;
  /** referral_converted: the rule that rated it (Refgrow's commission_type and commission_rate) */
  rule?: CommissionRule | null;
  /** referral_canceled: why (a rejection's reason; a refund says so itself) */
  reason?: string | null;
  /**
   * referral_canceled of a refund: what the payment's refunded total rose by (untaxed, minor units), when refunds
   * reported out of time order rearranged rows already announced; the row's own step otherwise
   */
  refundMinor?: bigint;
};

function conversionMessage(projectId: string, e: ConversionEvent, f: ConversionFacts, at: Date): OutboundMessage | null {
  const { type } = e;
  switch (type) {
    case 'referral_converted':
    case 'referral_canceled':
    case 'referral_updated': {
      const refgrow =
        type === 'referral_converted'
          ? () => refgrowConverted(projectId, f, at, e.rule ?? null)
          : type === 'referral_canceled'
            ? () => refgrowCanceled(projectId, f, at, e.reason ?? null, e.refundMinor)
            : () => refgrowUpdated(projectId, f, at);
      return { type, payload: (format) => (format === 'refgrow-v1' ? refgrow() : refwireV1Conversion(type, f, at)) };
    }
    case 'referral.converted': {
      if (!f.affiliate) return null;
      const data = refferqConversionData({ ...f, affiliate: f.affiliate });
      return { type, payload: () => refferqEnvelope(type, projectId, at, data) };
    }
    default: {
      const data = { commission: refferqCommission(f.conversion), affiliate: f.affiliate ? refferqAffiliate(f.affiliate) : null };
      return { type, payload: () => refferqEnvelope(type, projectId, at, data) };
    }
  }
}

/**
 * A conversion recorded through the API (Refgrow: "also triggers referral_converted and referral_updated"): a
 * purchase is converted (its customer's referral too, `referral.converted`, when it is the customer's first
 * attributed payment: emitConversionEvents decides), every one is updated, and a commission is created when it earns.
 */
export function manualConversionEvents(c: { id: string; kind: string; valueMinor: bigint; paidAt: Date | null; customerEmail: string | null }, rule: CommissionRule | null): ConversionEvent[] {
  const events: ConversionEvent[] = [];
  if (c.kind !== 'signup') events.push({ type: 'referral_converted', conversionId: c.id, rule });
  // without an email there is no customer to have converted
  if (c.kind !== 'signup' && c.customerEmail !== null) events.push({ type: 'referral.converted', conversionId: c.id });
  events.push({ type: 'referral_updated', conversionId: c.id });
  if (c.valueMinor > 0n) events.push({ type: 'commission.created', conversionId: c.id });
  if (c.valueMinor > 0n && c.paidAt) events.push({ type: 'commission.paid', conversionId: c.id });
  return events;
}

/** Events about conversions: a payment attributed, refunded, changed, reviewed or paid. */
export async function emitConversionEvents(tx: SqlSession, projectId: string, events: readonly ConversionEvent[], at: Date): Promise<number> {
  if (events.length === 0) return 0;
  const endpoints = await subscribedEndpoints(tx, projectId);
  const receive = wanted(endpoints);
  const wantedNow = events.filter((e) => receive.has(e.type));
  const alreadyConverted = await customersConvertedBefore(tx, wantedNow.filter((e) => e.type === 'referral.converted').map((e) => e.conversionId));
  const needed = wantedNow.filter((e) => !(e.type === 'referral.converted' && alreadyConverted.has(e.conversionId)));
  if (needed.length === 0) return 0;
  const facts = await loadConversions(tx, [...new Set(needed.map((e) => e.conversionId))]);
  const messages = needed.flatMap((e) => {
    const f = facts.get(e.conversionId);
    const message = f ? conversionMessage(projectId, e, f, at) : null;
    return message ? [message] : [];
  });
  return enqueue(tx, projectId, endpoints, messages, at);
}

/**
 * Of payments announced as their customer's first (`referral.converted`, once per customer), those whose customer, by
 * email, already has an attributed payment elsewhere: through another provider (the recompute counts one provider's
 * customer at a time), or recorded by hand. A provider's own customer's other payments are its recompute's to order.
 */
async function customersConvertedBefore(tx: SqlSession, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.query<{ id: string }>(
    `SELECT c.id FROM conversions c
      WHERE c.id = ANY($1::uuid[]) AND c.customer_email IS NOT NULL AND EXISTS (
        SELECT 1 FROM conversions o
         WHERE o.project_id = c.project_id AND o.customer_email = c.customer_email AND o.id <> c.id
           AND o.kind IN ('purchase', 'renewal') AND o.affiliate_id IS NOT NULL
           AND (c.customer_key IS NULL OR o.provider IS DISTINCT FROM c.provider OR o.customer_key IS DISTINCT FROM c.customer_key))`,
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

export type Signup = {
  email: string | null;
  referredUserId: string | null;
  affiliateId: string;
  /** api | store_attribution | conversion | signup */
  source: string;
  /** the visitor's, when the signup came from their browser (the tracking script); Refgrow's data.user_agent and data.ip_address */
  userAgent?: string | null;
  ipAddress?: string | null;
};

/** `referral_signed_up`: a referred user was recorded (a referral, a signup conversion, or the tracking script). */
export async function emitSignup(tx: SqlSession, projectId: string, signup: Signup, at: Date): Promise<number> {
  const endpoints = await subscribedEndpoints(tx, projectId);
  if (!wanted(endpoints).has('referral_signed_up')) return 0;
  const affiliate = (await loadAffiliates(tx, [signup.affiliateId])).get(signup.affiliateId);
  if (!affiliate) return 0;
  const facts = { affiliate, email: signup.email, referredUserId: signup.referredUserId, source: signup.source, at, userAgent: signup.userAgent ?? null, ipAddress: signup.ipAddress ?? null };
  const message: OutboundMessage = {
    type: 'referral_signed_up',
    payload: (format) => (format === 'refgrow-v1' ? refgrowSignup(projectId, facts) : refwireV1Signup(facts)),
  };
  return enqueue(tx, projectId, endpoints, [message], at);
}

async function emitRefferq(tx: SqlSession, projectId: string, type: RefferqEvent, at: Date, data: () => Promise<Record<string, unknown>[]>): Promise<number> {
  const endpoints = await subscribedEndpoints(tx, projectId);
  if (!wanted(endpoints).has(type)) return 0;
  const messages = (await data()).map((d): OutboundMessage => ({ type, payload: () => refferqEnvelope(type, projectId, at, d) }));
  return enqueue(tx, projectId, endpoints, messages, at);
}

/**
 * `affiliate.created` (an affiliate added by the merchant, or an application verified), and the status events of
 * affiliate-status-events.ts (approved, suspended, rejected, reactivated). Call it in the transaction that made
 * the change, after the write.
 */
export function emitAffiliateEvent(tx: SqlSession, projectId: string, type: 'affiliate.created' | AffiliateStatusEvent, affiliateId: string, at: Date): Promise<number> {
  return emitRefferq(tx, projectId, type, at, async () => {
    const affiliate = (await loadAffiliates(tx, [affiliateId])).get(affiliateId);
    return affiliate ? [{ affiliate: refferqAffiliate(affiliate) }] : [];
  });
}

/** `referral.created` (a referral recorded) and `referral.expired` (a windowed signup's window passed without a payment). */
export function emitReferralEvents(tx: SqlSession, projectId: string, type: 'referral.created' | 'referral.expired', referralIds: readonly string[], at: Date): Promise<number> {
  if (referralIds.length === 0) return Promise.resolve(0);
  return emitRefferq(tx, projectId, type, at, async () => {
    const referrals = await loadReferrals(tx, referralIds);
    const affiliates = await loadAffiliates(tx, [...new Set(referrals.map((r) => r.affiliate_id))]);
    return referrals.map((r) => {
      const affiliate = affiliates.get(r.affiliate_id);
      // the referral keeps Refgrow's status (pending) in the API; the event says what happened to it
      const referral = type === 'referral.expired' ? { ...refferqReferral(r), status: 'EXPIRED' } : refferqReferral(r);
      return { referral, affiliate: affiliate ? refferqAffiliate(affiliate) : null };
    });
  });
}

/**
 * A referral recorded (by the merchant, or a public signup): Refgrow's `referral_signed_up` and Refferq's
 * `referral.created`, in the transaction that recorded it.
 */
export async function emitReferralRecorded(
  tx: SqlSession,
  projectId: string,
  referral: { id: string; email: string; affiliateId: string },
  signup: Pick<Signup, 'source' | 'userAgent' | 'ipAddress'>,
  at: Date,
): Promise<number> {
  const signedUp = await emitSignup(tx, projectId, { ...signup, email: referral.email, referredUserId: referral.email, affiliateId: referral.affiliateId }, at);
  return signedUp + (await emitReferralEvents(tx, projectId, 'referral.created', [referral.id], at));
}

/**
 * `payout.requested` (an affiliate asked to be paid), `payout.approved` (the merchant took a balance into a payout),
 * `payout.completed` (the merchant marked it sent). Call it in the transaction that wrote the payout.
 */
export function emitPayoutEvent(tx: SqlSession, projectId: string, type: 'payout.requested' | 'payout.approved' | 'payout.completed', payoutId: string, at: Date): Promise<number> {
  return emitRefferq(tx, projectId, type, at, async () => {
    const payout = await loadPayout(tx, payoutId);
    if (!payout) return [];
    const affiliate = (await loadAffiliates(tx, [payout.affiliate_id])).get(payout.affiliate_id);
    return [{ payout: refferqPayout(payout), affiliate: affiliate ? refferqAffiliate(affiliate) : null }];
  });
}

