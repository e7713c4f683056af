import { attribute, type AffiliateRef, type AttributionLookups } from '../attribution/chain';
import { mulDivRound } from '../commission/money';
import { refundedTotal, reversedAt } from '../commission/reversal';
import { computeCommission, selectRule, withinDuration, type CommissionRule } from '../commission/rules';
import type { SqlSession } from '../db/sql';
import type { Hints } from '../pipeline/normalized-event';
import { commissionSettings, ruleFromColumns } from '../projects/settings';
import { asHints, mergeHints } from './hints';

type Tx = SqlSession;
type Affiliate = AffiliateRef & { rule: CommissionRule | null };

const DAY_MS = 86_400_000;

/** A ledger row as the recompute reads it (plain SQL: BIGINTs may come back as strings). */
type Row = {
  id: string;
  project_id: string;
  provider: string;
  external_key: string;
  payment_key: string;
  customer_key: string | null;
  customer_id: string | null;
  customer_email: string | null;
  subscription_id: string | null;
  product_ids: string[] | null;
  hints: unknown;
  currency: string;
  amount_minor: bigint;
  tax_minor: bigint;
  attribution: unknown;
  occurred_at: Date;
  hold_until: Date | null;
  paid_at: Date | null;
};

const big = (v: unknown): bigint => BigInt(v as string | number | bigint);

/**
 * Derives a customer's ledger from the recorded facts: every payment's attribution, commission and refund
 * reversals, recomputed together, in payment time order. Being a function of the facts alone, it gives the same
 * rows whatever order and however often events arrived. Rows already paid out are never rewritten.
 * The caller holds the group's lock (see apply-events.ts).
 */
export async function recomputeCustomer(tx: Tx, projectId: string, provider: string, customerKey: string): Promise<void> {
  // The project's settings and product rules in one round trip.
  const [project] = await tx.query<{
    currency: string;
    commission_type: string;
    commission_rate_bp: number | null;
    commission_amount_minor: string | null;
    commission_duration: string;
    commission_months: number | null;
    hold_days: number;
    product_rules: { product_id: string; commission_type: string; commission_rate_bp: number | null; commission_amount_minor: string | number | null }[] | null;
  }>(
    `SELECT currency, commission_type, commission_rate_bp, commission_amount_minor, commission_duration, commission_months, hold_days,
            (SELECT json_agg(json_build_object('product_id', product_id, 'commission_type', commission_type,
                    'commission_rate_bp', commission_rate_bp, 'commission_amount_minor', commission_amount_minor::text))
             FROM product_rules WHERE project_id = projects.id) AS product_rules
     FROM projects WHERE id = $1`,
    [projectId],
  );
  if (!project) throw new Error(`project ${projectId} not found`);
  const settings = commissionSettings({
    currency: project.currency,
    commissionType: project.commission_type,
    commissionRateBp: project.commission_rate_bp,
    commissionAmountMinor: project.commission_amount_minor === null ? null : big(project.commission_amount_minor),
    commissionDuration: project.commission_duration,
    commissionMonths: project.commission_months,
    holdDays: project.hold_days,
  });
  const payments = (
    await tx.query<Row>(
      `SELECT id, project_id, provider, external_key, payment_key, customer_key, customer_id, customer_email, subscription_id,
              product_ids, hints, currency, amount_minor, tax_minor, attribution, occurred_at, hold_until, paid_at
       FROM conversions WHERE project_id = $1 AND provider = $2 AND customer_key = $3 AND kind IN ('purchase', 'renewal')
       ORDER BY occurred_at, id`,
      [projectId, provider, customerKey],
    )
  ).map((r) => ({ ...r, amount_minor: big(r.amount_minor), tax_minor: big(r.tax_minor) }));
  if (payments.length === 0) return;

  const lookups = new Lookups(tx, projectId, provider, settings.currency);
  const productRules = productRulesOf(project.product_rules ?? [], settings.currency);
  let bound: Affiliate | null = null;
  let firstAttributedAt: Date | null = null;

  for (const payment of payments) {
    const aliases = await lookups.aliasesOf(payment.payment_key);
    // What other events taught us (a checkout's referral code, a subscription's coupon) belongs to the sale that
    // started the relationship; once a payment is attributed, later ones use their own hints, then the binding.
    const { hints, email } = await lookups.learnedHints(payment, aliases, { ownOnly: bound !== null });
    const attribution = await attribute({ hints, email }, lookups.forChain(bound));
    const affiliate = attribution.affiliate ? await lookups.affiliateById(attribution.affiliate.id) : null;
    if (affiliate && !bound) {
      bound = affiliate;
      firstAttributedAt = payment.occurred_at;
    }

    const base = payment.amount_minor - payment.tax_minor;
    let value = 0n;
    let reason: string | null = null;
    let ruleSource: string | null = null;
    if (!affiliate) reason = 'unattributed';
    else if (affiliate.status !== 'active') reason = 'affiliate_inactive';
    else if (email !== null && email === affiliate.email) reason = 'self_referral';
    else if (!withinDuration(settings.duration, firstAttributedAt!, payment.occurred_at)) reason = 'duration_ended';
    else {
      const selected = selectRule({ affiliateRule: affiliate.rule, productRules, productIds: payment.product_ids ?? [], projectRule: settings.projectRule });
      const commission = computeCommission(selected.rule, base, payment.currency);
      value = commission.valueMinor;
      reason = commission.reason;
      ruleSource = selected.source;
    }

    const holdUntil = payment.hold_until ?? new Date(payment.occurred_at.getTime() + settings.holdDays * DAY_MS);
    const refunded = await refundedFor(tx, projectId, provider, aliases, payment.amount_minor);
    const trace = { method: attribution.method, trace: attribution.trace };
    if (payment.paid_at === null) {
      await tx.query(
        `UPDATE conversions SET affiliate_id = $2, value_minor = $3, base_value_minor = $4, reason = $5, rule_source = $6,
           attribution = $7::jsonb, hold_until = $8, refund_level_minor = $9, customer_email = coalesce(customer_email, $10), updated_at = now()
         WHERE id = $1`,
        [payment.id, affiliate?.id ?? null, value.toString(), base.toString(), reason, ruleSource, JSON.stringify(trace), holdUntil, refunded.total.toString(), email],
      );
    }
    await reconcileRefunds(tx, { ...payment, affiliateId: affiliate?.id ?? null, value, holdUntil, attribution: trace }, refunded);
  }
}

function productRulesOf(
  rows: { product_id: string; commission_type: string; commission_rate_bp: number | null; commission_amount_minor: string | number | null }[],
  currency: string,
): Map<string, CommissionRule> {
  const rules = new Map<string, CommissionRule>();
  for (const row of rows) {
    const rule = ruleFromColumns(
      {
        commissionType: row.commission_type,
        commissionRateBp: row.commission_rate_bp,
        commissionAmountMinor: row.commission_amount_minor === null ? null : big(row.commission_amount_minor),
      },
      currency,
    );
    if (rule) rules.set(row.product_id, rule);
  }
  return rules;
}

/** The refunded total of a payment, and when the latest refund counted in it happened. */
async function refundedFor(tx: Tx, projectId: string, provider: string, aliases: string[], grossMinor: bigint) {
  const rows = await tx.query<{ observation_key: string; cumulative: boolean; amount_minor: string; occurred_at: Date }>(
    `SELECT DISTINCT ON (observation_key) observation_key, cumulative, amount_minor, occurred_at FROM refund_observations
     WHERE project_id = $1 AND provider = $2 AND payment_ref = ANY($3::text[])`,
    [projectId, provider, aliases],
  );
  const distinct = rows.map((r) => ({ cumulative: r.cumulative, amountMinor: big(r.amount_minor), occurredAt: r.occurred_at }));
  const latest = distinct.reduce<Date | null>((at, r) => (at === null || r.occurredAt > at ? r.occurredAt : at), null);
  return { total: refundedTotal(distinct, grossMinor), at: latest };
}

/**
 * Refund rows of one payment: one per refunded level reached, each reversing what its step adds. A new level
 * appends a row; every row's amounts follow from the levels, so they stay exact when the commission changes.
 */
async function reconcileRefunds(
  tx: Tx,
  payment: Row & { value: bigint; affiliateId: string | null; holdUntil: Date; attribution: unknown },
  refunded: { total: bigint; at: Date | null },
): Promise<void> {
  const existing = (
    await tx.query<{ id: string; refund_level_minor: string; paid_at: Date | null }>(
      'SELECT id, refund_level_minor, paid_at FROM conversions WHERE reverses_id = $1 ORDER BY refund_level_minor',
      [payment.id],
    )
  ).map((r) => ({ id: r.id, level: big(r.refund_level_minor), paidAt: r.paid_at }));
  const topLevel = existing.at(-1)?.level ?? 0n;
  if (refunded.total > topLevel) {
    const [created] = await tx.query<{ id: string }>(
      `INSERT INTO conversions (project_id, kind, provider, external_key, payment_key, reverses_id, customer_key, customer_id,
         customer_email, subscription_id, product_ids, currency, amount_minor, base_value_minor, value_minor, refund_level_minor,
         attribution, occurred_at, hold_until)
       VALUES ($1, 'refund', $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11, 0, 0, 0, $12, $13::jsonb, $14, $15)
       RETURNING id`,
      [
        payment.project_id,
        payment.provider,
        `${payment.external_key}:refund:${refunded.total}`,
        payment.payment_key,
        payment.id,
        payment.customer_key,
        payment.customer_id,
        payment.customer_email,
        payment.subscription_id,
        payment.product_ids,
        payment.currency,
        refunded.total.toString(),
        JSON.stringify(payment.attribution),
        refunded.at ?? payment.occurred_at,
        payment.holdUntil,
      ],
    );
    existing.push({ id: created!.id, level: refunded.total, paidAt: null });
  }
  const base = payment.amount_minor - payment.tax_minor;
  const gross = payment.amount_minor;
  let previousLevel = 0n;
  for (const row of existing) {
    const value = -(reversedAt(payment.value, gross, row.level) - reversedAt(payment.value, gross, previousLevel));
    const amount = -(row.level - previousLevel);
    const baseValue = -(mulDivRound(base, row.level, gross) - mulDivRound(base, previousLevel, gross));
    previousLevel = row.level;
    if (row.paidAt !== null) continue;
    await tx.query(
      `UPDATE conversions SET affiliate_id = $2, value_minor = $3, amount_minor = $4, base_value_minor = $5, hold_until = $6, updated_at = now()
       WHERE id = $1`,
      [row.id, payment.affiliateId, value.toString(), amount.toString(), baseValue.toString(), payment.holdUntil],
    );
  }
}

type AffiliateRow = {
  id: string;
  email: string;
  status: string;
  commission_type: string | null;
  commission_rate_bp: number | null;
  commission_amount_minor: string | null;
};

/** The chain's lookups over the database, cached for one recompute. */
class Lookups {
  private readonly affiliates = new Map<string, Affiliate | null>();

  constructor(
    private readonly tx: Tx,
    private readonly projectId: string,
    private readonly provider: string,
    private readonly currency: string,
  ) {}

  private affiliateOf(row: AffiliateRow | undefined): Affiliate | null {
    if (!row) return null;
    return {
      id: row.id,
      email: row.email,
      status: row.status,
      rule: ruleFromColumns(
        {
          commissionType: row.commission_type,
          commissionRateBp: row.commission_rate_bp,
          commissionAmountMinor: row.commission_amount_minor === null ? null : big(row.commission_amount_minor),
        },
        this.currency,
      ),
    };
  }

  private async affiliateWhere(column: 'id' | 'referral_code_key', value: string): Promise<Affiliate | null> {
    const cacheKey = `${column}:${value}`;
    if (this.affiliates.has(cacheKey)) return this.affiliates.get(cacheKey)!;
    const [row] = await this.tx.query<AffiliateRow>(
      `SELECT id, email, status, commission_type, commission_rate_bp, commission_amount_minor FROM affiliates
       WHERE project_id = $1 AND ${column === 'id' ? 'id = $2::uuid' : 'referral_code_key = $2'}`,
      [this.projectId, value],
    );
    const affiliate = this.affiliateOf(row);
    this.affiliates.set(cacheKey, affiliate);
    return affiliate;
  }

  affiliateById(id: string) {
    return this.affiliateWhere('id', id);
  }

  forChain(bound: Affiliate | null): AttributionLookups {
    return {
      affiliateByCoupon: async (codes) => {
        const coupons = await this.tx.query<{
          affiliate_id: string;
          coupon_code: string;
          coupon_code_key: string;
          stripe_coupon_id: string | null;
          paddle_discount_id: string | null;
          polar_discount_id: string | null;
          lemonsqueezy_discount_code: string | null;
        }>(
          `SELECT affiliate_id, coupon_code, coupon_code_key, stripe_coupon_id, paddle_discount_id, polar_discount_id, lemonsqueezy_discount_code
           FROM coupons WHERE project_id = $1 AND status = 'active'
             AND (stripe_coupon_id = ANY($2::text[]) OR paddle_discount_id = ANY($2::text[]) OR polar_discount_id = ANY($2::text[])
                  OR lemonsqueezy_discount_code = ANY($2::text[]) OR coupon_code_key = ANY($3::text[]))`,
          [this.projectId, [...codes], codes.map((c) => c.toLowerCase())],
        );
        for (const code of codes) {
          const coupon = coupons.find(
            (c) => [c.stripe_coupon_id, c.paddle_discount_id, c.polar_discount_id, c.lemonsqueezy_discount_code].includes(code) || c.coupon_code_key === code.toLowerCase(),
          );
          if (coupon) {
            const affiliate = await this.affiliateById(coupon.affiliate_id);
            if (affiliate) return { affiliate, coupon: coupon.coupon_code };
          }
        }
        return null;
      },
      affiliateByReferralCode: (code) => this.affiliateWhere('referral_code_key', code.toLowerCase()),
      boundAffiliate: async () => bound,
      affiliateByReferralEmail: async (email) => {
        const [referral] = await this.tx.query<{ affiliate_id: string }>(
          `SELECT affiliate_id FROM referrals WHERE project_id = $1 AND email = $2 AND status = 'active'`,
          [this.projectId, email.toLowerCase()],
        );
        return referral ? this.affiliateById(referral.affiliate_id) : null;
      },
    };
  }

  async aliasesOf(paymentKey: string): Promise<string[]> {
    const rows = await this.tx.query<{ alias: string }>(
      'SELECT alias FROM payment_aliases WHERE project_id = $1 AND provider = $2 AND payment_key = $3',
      [this.projectId, this.provider, paymentKey],
    );
    return [...new Set([paymentKey, ...rows.map((r) => r.alias)])];
  }

  /**
   * The payment's own hints, then (unless `ownOnly`) what its payment ids, subscription and customer taught us;
   * discount ids resolve to their coupons either way, and the email falls back to what the subjects know.
   */
  async learnedHints(payment: Row, aliases: string[], options: { ownOnly: boolean }): Promise<{ hints: Hints; email: string | null }> {
    const keys: [string, string][] = [
      ...aliases.map((id): [string, string] => ['payment', id]),
      ...(payment.subscription_id ? [['subscription', payment.subscription_id] as [string, string]] : []),
      ...(payment.customer_id ? [['customer', payment.customer_id] as [string, string]] : []),
    ];
    const subjects = await this.tx.query<{ subject_type: string; hints: unknown; email: string | null }>(
      `SELECT subject_type, hints, email FROM attribution_subjects
       WHERE project_id = $1 AND provider = $2 AND (subject_type, subject_id) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
      [this.projectId, this.provider, keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
    const rank = (s: { subject_type: string }) => ['payment', 'subscription', 'customer'].indexOf(s.subject_type);
    subjects.sort((a, b) => rank(a) - rank(b));
    const hints = mergeHints(asHints(payment.hints), ...(options.ownOnly ? [] : subjects.map((s) => asHints(s.hints))));
    if (hints.discountIds.length > 0) {
      const discounts = await this.tx.query<{ hints: unknown }>(
        `SELECT hints FROM attribution_subjects WHERE project_id = $1 AND provider = $2 AND subject_type = 'discount' AND subject_id = ANY($3::text[])`,
        [this.projectId, this.provider, hints.discountIds],
      );
      hints.couponIds = [...new Set([...hints.couponIds, ...discounts.flatMap((d) => asHints(d.hints)?.couponIds ?? [])])];
    }
    const email = payment.customer_email ?? subjects.find((s) => s.email)?.email ?? null;
    return { hints, email: email?.toLowerCase() ?? null };
  }
}
