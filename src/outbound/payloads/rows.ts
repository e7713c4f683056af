import type { SqlSession } from '../../db/sql';
import type { Conversion } from '../../generated/prisma/client';

/**
 * The rows outbound payloads are built from, read in the transaction of the change they announce, each by its
 * primary key (or the referrals' unique (project_id, email)), so that emitting costs a probe per row whatever the
 * size of the tables. BIGINTs arrive as strings over `pg` and as bigints through Prisma: both are read with BigInt.
 */

export type AffiliateRow = {
  id: string;
  email: string;
  name: string | null;
  referral_code: string;
  status: string;
  status_reason: string | null;
  group_id: string | null;
  payout_method: string | null;
  paypal_email: string | null;
  wise_email: string | null;
  payout_details: unknown;
  created_at: Date;
};
const AFFILIATE_COLUMNS = ['id', 'email', 'name', 'referral_code', 'status', 'status_reason', 'group_id', 'payout_method', 'paypal_email', 'wise_email', 'payout_details', 'created_at'] as const;

/** A conversions row as plain SQL returns it. */
type ConversionRow = {
  [K in keyof Conversion as SnakeCase<K & string>]: Conversion[K] extends bigint ? string | bigint : Conversion[K] extends bigint | null ? string | bigint | null : Conversion[K];
};
type SnakeCase<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}` : S;

const big = (v: string | bigint) => BigInt(v);
const bigOrNull = (v: string | bigint | null) => (v === null ? null : BigInt(v));

/** The row in the shape Prisma gives, field by field, so the API's views apply to it. */
function conversionOf(r: ConversionRow): Conversion {
  return {
    id: r.id,
    projectId: r.project_id,
    affiliateId: r.affiliate_id,
    kind: r.kind,
    provider: r.provider,
    externalKey: r.external_key,
    paymentKey: r.payment_key,
    reversesId: r.reverses_id,
    customerKey: r.customer_key,
    customerId: r.customer_id,
    customerEmail: r.customer_email,
    subscriptionId: r.subscription_id,
    oneOff: r.one_off,
    emailLearned: r.email_learned,
    productIds: r.product_ids,
    hints: r.hints,
    currency: r.currency,
    amountMinor: big(r.amount_minor),
    taxMinor: big(r.tax_minor),
    baseValueMinor: big(r.base_value_minor),
    valueMinor: big(r.value_minor),
    refundLevelMinor: bigOrNull(r.refund_level_minor),
    reason: r.reason,
    ruleSource: r.rule_source,
    attribution: r.attribution,
    occurredAt: r.occurred_at,
    holdUntil: r.hold_until,
    paidAt: r.paid_at,
    payoutId: r.payout_id,
    ratedAt: r.rated_at,
    reviewStatus: r.review_status,
    reviewReason: r.review_reason,
    reviewedAt: r.reviewed_at,
    inboundEventId: r.inbound_event_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A conversion with its affiliate, the payment a refund reverses, and the customer's referral if there is one. */
export type ConversionFacts = { conversion: Conversion; affiliate: AffiliateRow | null; reversed: Conversion | null; referralId: string | null };

type Prefixed<P extends string, T> = { [K in keyof T as `${P}${K & string}`]: T[K] | null };

export async function loadConversions(tx: SqlSession, ids: readonly string[]): Promise<Map<string, ConversionFacts>> {
  if (ids.length === 0) return new Map();
  // each joined row probed by its key (OFFSET 0 keeps it a probe, never a join reading a whole table)
  const rows = await tx.query<ConversionRow & Prefixed<'a__', AffiliateRow> & { referral_id: string | null }>(
    `SELECT c.*, ${AFFILIATE_COLUMNS.map((col) => `a.${col} AS a__${col}`).join(', ')}, r.id AS referral_id
     FROM conversions c
     LEFT JOIN LATERAL (SELECT ${AFFILIATE_COLUMNS.join(', ')} FROM affiliates WHERE id = c.affiliate_id OFFSET 0) a ON true
     LEFT JOIN LATERAL (SELECT id FROM referrals WHERE project_id = c.project_id AND email = c.customer_email OFFSET 0) r ON true
     WHERE c.id = ANY($1::uuid[])`,
    [[...ids]],
  );
  const reversedIds = [...new Set(rows.flatMap((r) => (r.reverses_id ? [r.reverses_id] : [])))];
  const reversed =
    reversedIds.length === 0 ? [] : await tx.query<ConversionRow>(`SELECT * FROM conversions WHERE id = ANY($1::uuid[])`, [reversedIds]);
  const payments = new Map(reversed.map((r) => [r.id, conversionOf(r)]));
  return new Map(
    rows.map((row) => [
      row.id,
      {
        conversion: conversionOf(row),
        affiliate: row.a__id ? (Object.fromEntries(AFFILIATE_COLUMNS.map((col) => [col, row[`a__${col}`]])) as AffiliateRow) : null,
        reversed: row.reverses_id ? (payments.get(row.reverses_id) ?? null) : null,
        referralId: row.referral_id,
      },
    ]),
  );
}

export async function loadAffiliates(tx: SqlSession, ids: readonly string[]): Promise<Map<string, AffiliateRow>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<AffiliateRow>(`SELECT ${AFFILIATE_COLUMNS.join(', ')} FROM affiliates WHERE id = ANY($1::uuid[])`, [[...ids]]);
  return new Map(rows.map((r) => [r.id, r]));
}

export type ReferralRow = {
  id: string;
  email: string;
  affiliate_id: string;
  status: string;
  source: string;
  expires_at: Date | null;
  link_id: string | null;
  created_at: Date;
};

export async function loadReferrals(tx: SqlSession, ids: readonly string[]): Promise<ReferralRow[]> {
  if (ids.length === 0) return [];
  return tx.query<ReferralRow>(`SELECT id, email, affiliate_id, conversion_status AS status, source, expires_at, link_id, created_at FROM referrals WHERE id = ANY($1::uuid[])`, [[...ids]]);
}

export type PayoutRow = {
  id: string;
  affiliate_id: string;
  currency: string;
  amount_minor: string | bigint;
  method: string;
  status: string;
  reference: string | null;
  failure_reason: string | null;
  created_at: Date;
  approved_at: Date | null;
  completed_at: Date | null;
  conversions_count: string | bigint | number;
};

export async function loadPayout(tx: SqlSession, id: string): Promise<PayoutRow | null> {
  const [row] = await tx.query<PayoutRow>(
    `SELECT p.id, p.affiliate_id, p.currency, p.amount_minor, p.method, p.status, p.reference, p.failure_reason, p.created_at, p.approved_at, p.completed_at,
       (SELECT count(*) FROM conversions WHERE payout_id = p.id) AS conversions_count
     FROM payouts p WHERE p.id = $1::uuid`,
    [id],
  );
  return row ?? null;
}
