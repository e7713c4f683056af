import { conversionView } from '../views/present';
import type { SqlSession } from '../db/sql';
import type { Conversion } from '../generated/prisma/client';

/** Refgrow's outbound event names (PRODUCT.md §9). */
export const OUTBOUND_EVENTS = ['referral_signed_up', 'referral_converted', 'referral_canceled', 'referral_updated'] as const;
export type OutboundEvent = (typeof OUTBOUND_EVENTS)[number];

export type ConversionEvent = { type: OutboundEvent; conversionId: string };

/** A conversions row as plain SQL returns it (BIGINTs as strings over `pg`, bigints through Prisma). */
type ConversionRow = {
  [K in keyof Conversion as SnakeCase<K & string>]: Conversion[K] extends bigint ? string | bigint : Conversion[K] extends bigint | null ? string | bigint | null : Conversion[K];
};
type SnakeCase<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}` : S;

const big = (v: string | bigint) => BigInt(v);
const bigOrNull = (v: string | bigint | null) => (v === null ? null : BigInt(v));

/** The row in the shape the API presents, field by field. */
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

type Subscribed = { id: string; events: string[] };

async function subscribedEndpoints(tx: SqlSession, projectId: string): Promise<Subscribed[]> {
  return tx.query<Subscribed>(`SELECT id, events FROM webhook_endpoints WHERE project_id = $1 AND status = 'active'`, [projectId]);
}

/** Queues one delivery per subscribed endpoint and event, in the caller's transaction. */
async function enqueue(tx: SqlSession, projectId: string, endpoints: Subscribed[], messages: { type: OutboundEvent; data: unknown }[], at: Date): Promise<number> {
  const rows = endpoints.flatMap((e) => messages.filter((m) => e.events.includes(m.type)).map((m) => ({ endpointId: e.id, ...m })));
  if (rows.length === 0) return 0;
  await tx.query(
    `INSERT INTO webhook_deliveries (project_id, endpoint_id, event_type, message_id, payload, status, next_attempt_at)
     SELECT $1, e, t, m, jsonb_set(p::jsonb, '{id}', to_jsonb(m)), 'pending', $6
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS u(e, t, p, m)`,
    [
      projectId,
      rows.map((r) => r.endpointId),
      rows.map((r) => r.type),
      rows.map((r) => JSON.stringify({ id: null, event: r.type, created_at: at.toISOString(), data: r.data })),
      rows.map(() => `msg_${crypto.randomUUID().replace(/-/g, '')}`),
      at.toISOString(),
    ],
  );
  return rows.length;
}

/** What a payload says of the affiliate: who, and how they want to be paid (as Refgrow's payloads do). */
const AFFILIATE_COLUMNS = ['email', 'referral_code', 'status', 'payout_method', 'paypal_email', 'wise_email'] as const;

/**
 * Outbound events about conversions (a referral converted, was refunded, changed), written as pending
 * deliveries in the transaction that changed the ledger: they exist exactly when the change committed. The
 * payload is fixed now — what the merchant receives describes the change as it was made — and carries the
 * conversion as the API shows it and the affiliate it belongs to.
 */
export async function emitConversionEvents(tx: SqlSession, projectId: string, events: readonly ConversionEvent[], at: Date): Promise<number> {
  if (events.length === 0) return 0;
  const endpoints = await subscribedEndpoints(tx, projectId);
  if (!endpoints.some((e) => events.some((ev) => e.events.includes(ev.type)))) return 0;
  const rows = await tx.query<ConversionRow & Record<`affiliate__${(typeof AFFILIATE_COLUMNS)[number]}`, unknown>>(
    // each row's affiliate probed by its id (OFFSET 0 keeps it a probe, never a join reading every affiliate)
    `SELECT c.*, ${AFFILIATE_COLUMNS.map((col) => `a.${col} AS affiliate__${col}`).join(', ')}
     FROM conversions c LEFT JOIN LATERAL (SELECT ${AFFILIATE_COLUMNS.join(', ')} FROM affiliates WHERE id = c.affiliate_id OFFSET 0) a ON true
     WHERE c.id = ANY($1::uuid[])`,
    [events.map((e) => e.conversionId)],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const messages = events.flatMap((e) => {
    const row = byId.get(e.conversionId);
    if (!row) return [];
    const conversion = conversionView(conversionOf(row), at);
    const affiliate = row.affiliate_id
      ? Object.fromEntries([['id', row.affiliate_id], ...AFFILIATE_COLUMNS.map((col) => [col, row[`affiliate__${col}`]])])
      : null;
    return [{ type: e.type, data: { referral: { email: conversion.email, referred_user_id: conversion.referred_user_id }, affiliate, conversion } }];
  });
  return enqueue(tx, projectId, endpoints, messages, at);
}

/** `referral_signed_up`: a referred user was recorded (a referral, a signup conversion, or the tracking script). */
export async function emitSignup(
  tx: SqlSession,
  projectId: string,
  signup: { email: string | null; referredUserId: string | null; affiliateId: string; source: string },
  at: Date,
): Promise<number> {
  const endpoints = await subscribedEndpoints(tx, projectId);
  if (!endpoints.some((e) => e.events.includes('referral_signed_up'))) return 0;
  const [affiliate] = await tx.query<Record<string, unknown>>(`SELECT id, ${AFFILIATE_COLUMNS.join(', ')} FROM affiliates WHERE id = $1`, [
    signup.affiliateId,
  ]);
  const data = { referral: { email: signup.email, referred_user_id: signup.referredUserId ?? signup.email, source: signup.source, created_at: at.toISOString() }, affiliate: affiliate ?? null };
  return enqueue(tx, projectId, endpoints, [{ type: 'referral_signed_up', data }], at);
}
