import { jsonTexts } from '../db/text-array';
import { inForceAt, NO_RULE, type RuleState } from '../commission/rule-history';
import type { CommissionRule, Duration } from '../commission/rules';
import type { SqlSession } from '../db/sql';
import type { Hints } from '../domain/normalized-event';
import { durationOf, groupRuleState, productRuleState, projectRuleState, projectTerms, ruleFromColumns } from '../projects/settings';
import { asDatedHints, asHints, type DatedHints } from './hints';
import { asDatedProducts, type DatedProducts } from './subscription-products';
import { loadRuleVersions, versionKey } from './rule-versions';

/** A purchase or renewal as the recompute reads it (plain SQL: BIGINTs come back as strings and are converted). */
/** A group's state after it was deleted: no group (its versions still rate the moments it was in force). */
const DELETED_GROUP: RuleState = { ...NO_RULE };

export type PaymentRow = {
  id: string;
  kind: 'purchase' | 'renewal';
  external_key: string;
  payment_key: string;
  customer_key: string | null;
  customer_id: string | null;
  customer_email: string | null;
  /** customer_email was learned from the customer's or subscription's events, not stated by the payment */
  email_learned: boolean;
  subscription_id: string | null;
  /** the provider said it belongs to no subscription */
  one_off: boolean;
  product_ids: string[] | null;
  hints: unknown;
  currency: string;
  amount_minor: bigint;
  tax_minor: bigint;
  affiliate_id: string | null;
  value_minor: bigint;
  base_value_minor: bigint;
  refund_level_minor: bigint | null;
  reason: string | null;
  rule_source: string | null;
  attribution: unknown;
  occurred_at: Date;
  /** set by an explicit recalculation: rate with the rules of that moment instead of occurred_at's */
  rated_at: Date | null;
  hold_until: Date | null;
  paid_at: Date | null;
  /** set while a payout holds the row: it is frozen like a paid one */
  payout_id: string | null;
  /** pending | approved | rejected under manual review; null: no review */
  review_status: string | null;
};

/**
 * A payment this transaction recorded and has not written yet: its row is written once, by the recompute, with
 * its commission (an insert followed by an update wrote every payment twice, with all of its indexes).
 */
export type NewPayment = {
  id: string;
  kind: 'purchase' | 'renewal';
  externalKey: string;
  paymentKey: string;
  customerKey: string;
  customerId: string | null;
  customerEmail: string | null;
  subscriptionId: string | null;
  oneOff: boolean;
  productIds: string[];
  hints: Hints;
  currency: string;
  amountMinor: bigint;
  taxMinor: bigint;
  occurredAt: Date;
  inboundEventId: string | null;
};

/** The project's rules as they were at any moment (PRODUCT.md §11: rules are not retroactive). */
export type ProjectRules = {
  currency: string;
  holdDays: number;
  /** the project default and its duration in force at `at` */
  projectAt(at: Date): { rule: CommissionRule; duration: Duration };
  /** the rules in force at `at` of those of these product or price ids that had one */
  productRulesAt(productIds: readonly string[], at: Date): Map<string, CommissionRule>;
  /** a partner group's rule, duration and hold in force at `at` (each null where it leaves them to the project) */
  groupAt(groupId: string, at: Date): { rule: CommissionRule | null; duration: Duration | null; holdDays: number | null } | null;
  /** `manual`: a newly earned commission waits as pending for the merchant's review */
  review: 'auto' | 'manual';
};

/** A refund row of a payment: one per refunded level reached. */
export type RefundRow = {
  id: string;
  reverses_id: string;
  refund_level_minor: bigint;
  amount_minor: bigint;
  value_minor: bigint;
  base_value_minor: bigint;
  affiliate_id: string | null;
  hold_until: Date | null;
  paid_at: Date | null;
  /** set while a payout holds the row: it is frozen like a paid one */
  payout_id: string | null;
  /** its payment's review state */
  review_status: string | null;
  /** when its level was reached */
  occurred_at: Date;
  /** the event that reported the refund raising it to its level */
  inbound_event_id: string | null;
};

/** `hints` reach every payment of the subject; `dated` only those they were learned before (hints.ts#DatedHints). */
export type Subject = {
  type: string;
  hints: Hints | null;
  dated: DatedHints[];
  products: DatedProducts;
  email: string | null;
  /** a payment id's: the subscription whose events named it as its first payment */
  subscriptionId: string | null;
};
export type RefundObservation = {
  observationKey: string;
  cumulative: boolean;
  withdrawal: boolean;
  amountMinor: bigint;
  currency: string;
  occurredAt: Date;
  inboundEventId: string | null;
  /** a refund's failure: when the refund was created (src/commission/reversal.ts) */
  failedSince: Date | null;
  /** the tax within amountMinor, when the provider said (RefundEvent.taxMinor) */
  taxMinor: bigint | null;
};

/** Everything the recompute of a set of customers reads, but the affiliate directory (which depends on it). */
export type LedgerInputs = {
  rules: ProjectRules;
  /** sorted by customer, then time; the new payments among them as a row of theirs will read before its commission */
  payments: PaymentRow[];
  aliasesOf(paymentKey: string): string[];
  /** the payment's subjects, most specific first: its payment ids, its subscription, its customer */
  subjectsOf(payment: PaymentRow): Subject[];
  /** discount id → the coupon ids it was learned to stand for */
  discountCoupons: Map<string, string[]>;
  /** payment ref → the refunds observed for it */
  refundObservations: Map<string, RefundObservation[]>;
  /** payment id → its refund rows by level */
  refundRows: Map<string, RefundRow[]>;
};

const big = (v: unknown): bigint => BigInt(v as string | number | bigint);
const bigOrNull = (v: unknown): bigint | null => (v === null || v === undefined ? null : big(v));
/** A timestamp of a JSON row: PostgreSQL writes it in ISO 8601 with its offset. */
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * A customer's payments in one total order that no arrival order or random id decides (PRODUCT.md §11): time,
 * then at equal times a first payment before renewals (a plan change invoiced in the same second as the first
 * invoice follows it), then the provider's payment id.
 */
export const PAYMENT_ORDER = `occurred_at, CASE kind WHEN 'purchase' THEN 0 ELSE 1 END, external_key`;

const PAYMENT_COLUMNS = `id, external_key, payment_key, customer_key, customer_id, customer_email, email_learned, subscription_id, one_off, product_ids, hints, currency,
  amount_minor, tax_minor, affiliate_id, value_minor, base_value_minor, refund_level_minor, reason, rule_source, attribution, occurred_at,
  rated_at, hold_until, paid_at, payout_id, review_status`;

/** The same columns for a JSON row: its BIGINTs as text, which JSON numbers could not hold exactly. */
const PAYMENT_JSON_COLUMNS = PAYMENT_COLUMNS.replace(/\b(amount_minor|tax_minor|value_minor|base_value_minor|refund_level_minor)\b/g, '$1::text AS $1');

type ProjectRow = {
  currency: string;
  commission_type: string;
  commission_rate_bp: number | null;
  commission_amount_minor: string | null;
  commission_duration: string;
  commission_months: number | null;
  hold_days: number;
  commission_review: string;
  groups: { id: string; commission_type: string | null; commission_rate_bp: number | null; commission_amount_minor: string | null; commission_duration: string | null; commission_months: number | null; hold_days: number | null }[] | null;
  product_rules: { product_id: string; commission_type: string; commission_rate_bp: number | null; commission_amount_minor: string | null }[] | null;
};

/** The project's current rules with their versions, answering for any moment. */
async function projectRules(tx: SqlSession, projectId: string, project: ProjectRow): Promise<ProjectRules> {
  const currency = project.currency;
  const current = projectRuleState({
    commissionType: project.commission_type,
    commissionRateBp: project.commission_rate_bp,
    commissionAmountMinor: bigOrNull(project.commission_amount_minor),
    commissionDuration: project.commission_duration,
    commissionMonths: project.commission_months,
  });
  const currentProducts = new Map(
    (project.product_rules ?? []).map((r) => [
      r.product_id,
      productRuleState({ commissionType: r.commission_type, commissionRateBp: r.commission_rate_bp, commissionAmountMinor: bigOrNull(r.commission_amount_minor) }),
    ]),
  );
  const currentGroups = new Map(
    (project.groups ?? []).map((g) => [
      g.id,
      groupRuleState({
        commissionType: g.commission_type,
        commissionRateBp: g.commission_rate_bp,
        commissionAmountMinor: bigOrNull(g.commission_amount_minor),
        commissionDuration: g.commission_duration,
        commissionMonths: g.commission_months,
        holdDays: g.hold_days,
      }),
    ]),
  );
  const projectVersions = await loadRuleVersions(tx, projectId, 'project', ['']);
  const productVersions = await loadRuleVersions(tx, projectId, 'product', null);
  // a group deleted since still rates the payments made while it was in force: its versions are read even when
  // the project has no group now
  const groupVersions = await loadRuleVersions(tx, projectId, 'group', null);
  return {
    currency,
    holdDays: project.hold_days,
    projectAt: (at) => projectTerms(inForceAt(projectVersions.get(versionKey('project', '')), current, at), currency),
    productRulesAt(productIds, at) {
      const rules = new Map<string, CommissionRule>();
      for (const id of productIds) {
        const rule = ruleFromColumns(inForceAt(productVersions.get(versionKey('product', id)), currentProducts.get(id) ?? NO_RULE, at), currency);
        if (rule) rules.set(id, rule);
      }
      return rules;
    },
    groupAt(groupId, at) {
      const state = inForceAt(groupVersions.get(versionKey('group', groupId)), currentGroups.get(groupId) ?? DELETED_GROUP, at);
      if (state === DELETED_GROUP) return null;
      return { rule: ruleFromColumns(state, currency), duration: durationOf(state), holdDays: state.holdDays ?? null };
    },
    review: project.commission_review === 'manual' ? 'manual' : 'auto',
  };
}

/**
 * Loads, in seven queries whatever their number, the facts and rows the given customers' ledgers derive from. Each
 * query probes its index once per key (see record-events.ts): its cost follows the customers, not the tables.
 */
export async function loadLedgerInputs(
  tx: SqlSession,
  projectId: string,
  provider: string,
  customerKeys: readonly string[],
  /** of these customers */
  newPayments: readonly NewPayment[] = [],
): Promise<LedgerInputs> {
  const [project] = await tx.query<ProjectRow>(
    `SELECT currency, commission_type, commission_rate_bp, commission_amount_minor, commission_duration, commission_months, hold_days, commission_review,
            (SELECT json_agg(json_build_object('id', id, 'commission_type', commission_type, 'commission_rate_bp', commission_rate_bp,
                    'commission_amount_minor', commission_amount_minor::text, 'commission_duration', commission_duration,
                    'commission_months', commission_months, 'hold_days', hold_days))
             FROM affiliate_groups WHERE project_id = projects.id) AS groups,
            (SELECT json_agg(json_build_object('product_id', product_id, 'commission_type', commission_type,
                    'commission_rate_bp', commission_rate_bp, 'commission_amount_minor', commission_amount_minor::text))
             FROM product_rules WHERE project_id = projects.id) AS product_rules
     FROM projects WHERE id = $1`,
    [projectId],
  );
  if (!project) throw new Error(`project ${projectId} not found`);
  const rules = await projectRules(tx, projectId, project);
  const customers = new Set(customerKeys);
  // The new payments are sorted among the stored ones by PostgreSQL, in the same ORDER BY, so their order is the
  // one they will have once stored, whatever the database's collation.
  //
  // The rows come back as one JSON text (BIGINTs as strings in it): the embedded database's driver copies every
  // field of every row into a buffer of its own before decoding it, and a customer's payments are a wide row each;
  // one value per query read 2,000 of them in 33 ms against 72–93 ms, and spends less of node-postgres's CPU too.
  const [paymentsJson] = await tx.query<{ rows: string }>(
    `SELECT coalesce(json_agg(p ORDER BY customer_key, ${PAYMENT_ORDER}), '[]')::text AS rows FROM (
       SELECT ${PAYMENT_JSON_COLUMNS}, kind FROM (
         SELECT ${PAYMENT_COLUMNS}, kind FROM unnest($3::text[]) AS k(key)
         CROSS JOIN LATERAL (SELECT ${PAYMENT_COLUMNS}, kind FROM conversions
                             WHERE project_id = $1 AND customer_key = k.key AND provider = $2 AND kind IN ('purchase', 'renewal') OFFSET 0) c
         UNION ALL
         SELECT id, external_key, payment_key, customer_key, customer_id, customer_email, false, subscription_id, one_off,
           ARRAY(SELECT jsonb_array_elements_text(product_ids::jsonb)), hints::jsonb, currency, amount_minor, tax_minor,
           NULL::uuid, 0::bigint, amount_minor - tax_minor, NULL::bigint, 'pending', NULL, '{"method":null,"trace":[]}'::jsonb,
           occurred_at, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::uuid, NULL, kind
         FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                     $13::text[], $14::bigint[], $15::bigint[], $16::timestamptz[], $17::text[], $18::boolean[])
           AS n(id, external_key, payment_key, customer_key, customer_id, customer_email, subscription_id, product_ids, hints,
                currency, amount_minor, tax_minor, occurred_at, kind, one_off)
       ) u
     ) p`,
    [
      projectId,
      provider,
      [...customers],
      newPayments.map((p) => p.id),
      newPayments.map((p) => p.externalKey),
      newPayments.map((p) => p.paymentKey),
      newPayments.map((p) => p.customerKey),
      newPayments.map((p) => p.customerId),
      newPayments.map((p) => p.customerEmail),
      newPayments.map((p) => p.subscriptionId),
      jsonTexts(newPayments.map((p) => p.productIds)),
      jsonTexts(newPayments.map((p) => p.hints)),
      newPayments.map((p) => p.currency),
      newPayments.map((p) => p.amountMinor.toString()),
      newPayments.map((p) => p.taxMinor.toString()),
      newPayments.map((p) => p.occurredAt.toISOString()),
      newPayments.map((p) => p.kind),
      newPayments.map((p) => p.oneOff),
    ],
  );
  const payments = (JSON.parse(paymentsJson!.rows) as Record<keyof PaymentRow, unknown>[]).map(
    (r): PaymentRow => ({
      ...(r as unknown as PaymentRow),
      amount_minor: big(r.amount_minor),
      tax_minor: big(r.tax_minor),
      value_minor: big(r.value_minor),
      base_value_minor: big(r.base_value_minor),
      refund_level_minor: bigOrNull(r.refund_level_minor),
      occurred_at: new Date(r.occurred_at as string),
      rated_at: dateOrNull(r.rated_at),
      hold_until: dateOrNull(r.hold_until),
      paid_at: dateOrNull(r.paid_at),
    }),
  );
  const empty = { rules, payments, aliasesOf: () => [], subjectsOf: () => [], discountCoupons: new Map(), refundObservations: new Map(), refundRows: new Map() };
  if (payments.length === 0) return empty;

  const paymentKeys = [...new Set(payments.map((p) => p.payment_key))];
  const aliasRows = await tx.query<{ alias: string; payment_key: string }>(
    // probed by payment key alone (its index), the project and provider tested outside: the primary key also
    // starts with them, and an unanalyzed table's planner could take it for this lookup and read every alias
    `SELECT a.alias, a.payment_key FROM unnest($3::text[]) AS k(key)
     CROSS JOIN LATERAL (SELECT alias, payment_key, project_id, provider FROM payment_aliases WHERE payment_key = k.key OFFSET 0) a
     WHERE a.project_id = $1 AND a.provider = $2
     ORDER BY a.alias`,
    [projectId, provider, paymentKeys],
  );
  const aliases = new Map<string, string[]>(paymentKeys.map((k) => [k, [k]]));
  for (const row of aliasRows) if (row.alias !== row.payment_key) aliases.get(row.payment_key)!.push(row.alias);
  const aliasesOf = (paymentKey: string) => aliases.get(paymentKey) ?? [paymentKey];

  const subjectKeysOf = (p: PaymentRow): [string, string][] => [
    ...aliasesOf(p.payment_key).map((id): [string, string] => ['payment', id]),
    ...(p.subscription_id ? [['subscription', p.subscription_id] as [string, string]] : []),
    ...(p.customer_id ? [['customer', p.customer_id] as [string, string]] : []),
  ];
  const keys = [...new Map(payments.flatMap(subjectKeysOf).map((k) => [`${k[0]}:${k[1]}`, k])).values()];
  const subjectRows = await tx.query<{
    subject_type: string;
    subject_id: string;
    hints: unknown;
    dated_hints: unknown;
    product_ids: unknown;
    email: string | null;
    subscription_id: string | null;
  }>(
    `SELECT s.subject_type, s.subject_id, s.hints, s.dated_hints, s.product_ids, s.email, s.subscription_id FROM unnest($3::text[], $4::text[]) AS k(t, i)
     CROSS JOIN LATERAL (SELECT subject_type, subject_id, hints, dated_hints, product_ids, email, subscription_id FROM attribution_subjects
                         WHERE project_id = $1 AND provider = $2 AND subject_type = k.t AND subject_id = k.i OFFSET 0) s`,
    [projectId, provider, keys.map((k) => k[0]), keys.map((k) => k[1])],
  );
  const subjects = new Map(
    subjectRows.map((s) => [
      `${s.subject_type}:${s.subject_id}`,
      {
        type: s.subject_type,
        hints: asHints(s.hints),
        dated: asDatedHints(s.dated_hints),
        products: asDatedProducts(s.product_ids),
        email: s.email,
        subscriptionId: s.subscription_id,
      },
    ]),
  );
  const subjectsOf = (p: PaymentRow) => subjectKeysOf(p).flatMap((k) => subjects.get(`${k[0]}:${k[1]}`) ?? []);

  const discountIds = [...new Set([...payments.map((p) => asHints(p.hints)), ...[...subjects.values()].flatMap((s) => [s.hints, ...s.dated.map((d) => d.hints)])].flatMap((h) => h?.discountIds ?? []))];
  const discountCoupons = new Map<string, string[]>();
  if (discountIds.length > 0) {
    const rows = await tx.query<{ subject_id: string; hints: unknown }>(
      `SELECT s.subject_id, s.hints FROM unnest($3::text[]) AS k(id)
       CROSS JOIN LATERAL (SELECT subject_id, hints FROM attribution_subjects
                           WHERE project_id = $1 AND provider = $2 AND subject_type = 'discount' AND subject_id = k.id OFFSET 0) s`,
      [projectId, provider, discountIds],
    );
    for (const row of rows) discountCoupons.set(row.subject_id, asHints(row.hints)?.couponIds ?? []);
  }

  const refundObservations = new Map<string, RefundObservation[]>();
  const observationRows = await tx.query<{
    payment_ref: string;
    observation_key: string;
    cumulative: boolean;
    withdrawal: boolean;
    amount_minor: string;
    currency: string;
    occurred_at: Date;
    inbound_event_id: string | null;
    failed_since: Date | null;
    tax_minor: string | null;
  }>(
    `SELECT o.payment_ref, o.observation_key, o.cumulative, o.withdrawal, o.amount_minor, o.currency, o.occurred_at, o.inbound_event_id, o.failed_since, o.tax_minor
     FROM unnest($3::text[]) AS k(ref)
     CROSS JOIN LATERAL (SELECT payment_ref, observation_key, cumulative, withdrawal, amount_minor, currency, occurred_at, inbound_event_id, failed_since, tax_minor
                         FROM refund_observations
                         WHERE project_id = $1 AND provider = $2 AND payment_ref = k.ref OFFSET 0) o`,
    [projectId, provider, [...new Set([...aliases.values()].flat())]],
  );
  for (const r of observationRows) {
    push(refundObservations, r.payment_ref, {
      observationKey: r.observation_key,
      cumulative: r.cumulative,
      withdrawal: r.withdrawal,
      amountMinor: big(r.amount_minor),
      currency: r.currency,
      occurredAt: r.occurred_at,
      inboundEventId: r.inbound_event_id,
      failedSince: r.failed_since,
      taxMinor: r.tax_minor === null ? null : big(r.tax_minor),
    });
  }

  const refundRows = new Map<string, RefundRow[]>();
  const rows = await tx.query<RefundRow>(
    `SELECT r.* FROM unnest($1::uuid[]) AS k(id)
     CROSS JOIN LATERAL (SELECT id, reverses_id, refund_level_minor, amount_minor, value_minor, base_value_minor, affiliate_id, hold_until, paid_at, payout_id, review_status,
                                occurred_at, inbound_event_id
                         FROM conversions WHERE reverses_id = k.id OFFSET 0) r
     ORDER BY r.reverses_id, r.refund_level_minor`,
    [payments.map((p) => p.id)],
  );
  for (const r of rows) {
    push(refundRows, r.reverses_id, {
      ...r,
      refund_level_minor: big(r.refund_level_minor),
      amount_minor: big(r.amount_minor),
      value_minor: big(r.value_minor),
      base_value_minor: big(r.base_value_minor),
    });
  }

  return { rules, payments, aliasesOf, subjectsOf, discountCoupons, refundObservations, refundRows };
}
