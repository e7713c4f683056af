import { attribute, type AffiliateRef, type AttributionLookups } from '../attribution/chain';
import { mulDivRound } from '../commission/money';
import { refundedTotal, reversedAt } from '../commission/reversal';
import { computeCommission, selectRule, withinDuration, type CommissionRule } from '../commission/rules';
import type { Conversion, Prisma } from '../generated/prisma/client';
import type { Hints } from '../pipeline/normalized-event';
import { commissionSettings, ruleFromColumns } from '../projects/settings';
import { asHints, mergeHints } from './hints';

type Tx = Prisma.TransactionClient;
type Affiliate = AffiliateRef & { rule: CommissionRule | null };

const DAY_MS = 86_400_000;

/**
 * Derives a customer's ledger from the recorded facts: every payment's attribution, commission and refund
 * reversals, recomputed together, in payment time order. Being a function of the facts alone, it gives the same
 * rows whatever order and however often events arrived. Rows already paid out are never rewritten.
 * The caller holds the group's lock (see apply-events.ts).
 */
export async function recomputeCustomer(tx: Tx, projectId: string, provider: string, customerKey: string): Promise<void> {
  const project = await tx.project.findUniqueOrThrow({ where: { id: projectId } });
  const settings = commissionSettings(project);
  const payments = await tx.conversion.findMany({
    where: { projectId, provider, customerKey, kind: { in: ['purchase', 'renewal'] } },
    orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
  });
  if (payments.length === 0) return;

  const lookups = new Lookups(tx, projectId, provider, settings.currency);
  const productRules = await loadProductRules(tx, projectId, settings.currency);
  let bound: Affiliate | null = null;
  let firstAttributedAt: Date | null = null;

  for (const payment of payments) {
    const aliases = await lookups.aliasesOf(payment.paymentKey!);
    // What other events taught us (a checkout's referral code, a subscription's coupon) belongs to the sale that
    // started the relationship; once a payment is attributed, later ones use their own hints, then the binding.
    const { hints, email } = await lookups.learnedHints(payment, aliases, { ownOnly: bound !== null });
    const attribution = await attribute({ hints, email }, lookups.forChain(bound));
    const affiliate = attribution.affiliate ? await lookups.affiliateById(attribution.affiliate.id) : null;
    if (affiliate && !bound) {
      bound = affiliate;
      firstAttributedAt = payment.occurredAt;
    }

    let value = 0n;
    let reason: string | null = null;
    let ruleSource: string | null = null;
    if (!affiliate) reason = 'unattributed';
    else if (affiliate.status !== 'active') reason = 'affiliate_inactive';
    else if (email !== null && email === affiliate.email) reason = 'self_referral';
    else if (!withinDuration(settings.duration, firstAttributedAt!, payment.occurredAt)) reason = 'duration_ended';
    else {
      const selected = selectRule({
        affiliateRule: affiliate.rule,
        productRules,
        productIds: payment.productIds,
        projectRule: settings.projectRule,
      });
      const commission = computeCommission(selected.rule, payment.amountMinor - payment.taxMinor, payment.currency);
      value = commission.valueMinor;
      reason = commission.reason;
      ruleSource = selected.source;
    }

    const holdUntil = payment.holdUntil ?? new Date(payment.occurredAt.getTime() + settings.holdDays * DAY_MS);
    const refunded = await refundedFor(tx, projectId, provider, aliases, payment.amountMinor);
    if (payment.paidAt === null) {
      await tx.conversion.update({
        where: { id: payment.id },
        data: {
          affiliateId: affiliate?.id ?? null,
          valueMinor: value,
          baseValueMinor: payment.amountMinor - payment.taxMinor,
          reason,
          ruleSource,
          attribution: { method: attribution.method, trace: attribution.trace },
          holdUntil,
          refundLevelMinor: refunded.total,
          customerEmail: payment.customerEmail ?? email,
        },
      });
    }
    await reconcileRefunds(tx, { ...payment, affiliateId: affiliate?.id ?? null, valueMinor: value, holdUntil }, refunded);
  }
}

async function loadProductRules(tx: Tx, projectId: string, currency: string): Promise<Map<string, CommissionRule>> {
  const rows = await tx.productRule.findMany({ where: { projectId } });
  const rules = new Map<string, CommissionRule>();
  for (const row of rows) {
    const rule = ruleFromColumns(row, currency);
    if (rule) rules.set(row.productId, rule);
  }
  return rules;
}

/** The refunded total of a payment, and when the latest refund counted in it happened. */
async function refundedFor(tx: Tx, projectId: string, provider: string, aliases: string[], grossMinor: bigint) {
  const rows = await tx.refundObservation.findMany({ where: { projectId, provider, paymentRef: { in: aliases } } });
  const distinct = [...new Map(rows.map((r) => [r.observationKey, r])).values()];
  const latest = distinct.reduce<Date | null>((at, r) => (at === null || r.occurredAt > at ? r.occurredAt : at), null);
  return { total: refundedTotal(distinct, grossMinor), at: latest };
}

/**
 * Refund rows of one payment: one per refunded level reached, each reversing what its step adds. A new level
 * appends a row; every row's amounts follow from the levels, so they stay exact when the commission changes.
 */
async function reconcileRefunds(
  tx: Tx,
  payment: Conversion & { valueMinor: bigint; affiliateId: string | null },
  refunded: { total: bigint; at: Date | null },
): Promise<void> {
  const existing = await tx.conversion.findMany({ where: { reversesId: payment.id }, orderBy: { refundLevelMinor: 'asc' } });
  const topLevel = existing.at(-1)?.refundLevelMinor ?? 0n;
  if (refunded.total > topLevel) {
    const created = await tx.conversion.create({
      data: {
        projectId: payment.projectId,
        kind: 'refund',
        provider: payment.provider,
        externalKey: `${payment.externalKey}:refund:${refunded.total}`,
        paymentKey: payment.paymentKey,
        reversesId: payment.id,
        customerKey: payment.customerKey,
        customerId: payment.customerId,
        customerEmail: payment.customerEmail,
        subscriptionId: payment.subscriptionId,
        productIds: payment.productIds,
        currency: payment.currency,
        amountMinor: 0n,
        baseValueMinor: 0n,
        valueMinor: 0n,
        refundLevelMinor: refunded.total,
        attribution: payment.attribution ?? { method: null, trace: [] },
        occurredAt: refunded.at ?? payment.occurredAt,
        holdUntil: payment.holdUntil,
      },
    });
    existing.push(created);
  }
  const base = payment.amountMinor - payment.taxMinor;
  let previousLevel = 0n;
  for (const row of existing) {
    const level = row.refundLevelMinor!;
    const value = -(reversedAt(payment.valueMinor, payment.amountMinor, level) - reversedAt(payment.valueMinor, payment.amountMinor, previousLevel));
    const amount = -(level - previousLevel);
    const baseValue = -(mulDivRound(base, level, payment.amountMinor) - mulDivRound(base, previousLevel, payment.amountMinor));
    previousLevel = level;
    if (row.paidAt !== null) continue;
    await tx.conversion.update({
      where: { id: row.id },
      data: { affiliateId: payment.affiliateId, valueMinor: value, amountMinor: amount, baseValueMinor: baseValue, holdUntil: payment.holdUntil },
    });
  }
}

/** The chain's lookups over the database, cached for one recompute. */
class Lookups {
  private readonly affiliates = new Map<string, Affiliate | null>();

  constructor(
    private readonly tx: Tx,
    private readonly projectId: string,
    private readonly provider: string,
    private readonly currency: string,
  ) {}

  private async affiliateWhere(where: Prisma.AffiliateWhereInput, cacheKey: string): Promise<Affiliate | null> {
    if (this.affiliates.has(cacheKey)) return this.affiliates.get(cacheKey)!;
    const row = await this.tx.affiliate.findFirst({ where: { projectId: this.projectId, ...where } });
    const affiliate = row ? { id: row.id, email: row.email, status: row.status, rule: ruleFromColumns(row, this.currency) } : null;
    this.affiliates.set(cacheKey, affiliate);
    return affiliate;
  }

  affiliateById(id: string) {
    return this.affiliateWhere({ id }, `id:${id}`);
  }

  forChain(bound: Affiliate | null): AttributionLookups {
    return {
      affiliateByCoupon: async (codes) => {
        const lower = codes.map((c) => c.toLowerCase());
        const coupons = await this.tx.coupon.findMany({
          where: {
            projectId: this.projectId,
            status: 'active',
            OR: [
              { stripeCouponId: { in: [...codes] } },
              { paddleDiscountId: { in: [...codes] } },
              { polarDiscountId: { in: [...codes] } },
              { lemonsqueezyDiscountCode: { in: [...codes] } },
              { couponCodeKey: { in: lower } },
            ],
          },
        });
        for (const code of codes) {
          const coupon = coupons.find((c) =>
            [c.stripeCouponId, c.paddleDiscountId, c.polarDiscountId, c.lemonsqueezyDiscountCode].includes(code) || c.couponCodeKey === code.toLowerCase(),
          );
          if (coupon) {
            const affiliate = await this.affiliateById(coupon.affiliateId);
            if (affiliate) return { affiliate, coupon: coupon.couponCode };
          }
        }
        return null;
      },
      affiliateByReferralCode: (code) => this.affiliateWhere({ referralCodeKey: code.toLowerCase() }, `code:${code.toLowerCase()}`),
      boundAffiliate: async () => bound,
      affiliateByReferralEmail: async (email) => {
        const referral = await this.tx.referral.findFirst({ where: { projectId: this.projectId, email: email.toLowerCase(), status: 'active' } });
        return referral ? this.affiliateById(referral.affiliateId) : null;
      },
    };
  }

  async aliasesOf(paymentKey: string): Promise<string[]> {
    const rows = await this.tx.paymentAlias.findMany({
      where: { projectId: this.projectId, provider: this.provider, paymentKey },
      select: { alias: true },
    });
    return [...new Set([paymentKey, ...rows.map((r) => r.alias)])];
  }

  /**
   * The payment's own hints, then (unless `ownOnly`) what its payment ids, subscription and customer taught us;
   * discount ids resolve to their coupons either way, and the email falls back to what the subjects know.
   */
  async learnedHints(payment: Conversion, aliases: string[], options: { ownOnly: boolean }): Promise<{ hints: Hints; email: string | null }> {
    const keys = [
      ...aliases.map((id) => ({ subjectType: 'payment', subjectId: id })),
      ...(payment.subscriptionId ? [{ subjectType: 'subscription', subjectId: payment.subscriptionId }] : []),
      ...(payment.customerId ? [{ subjectType: 'customer', subjectId: payment.customerId }] : []),
    ];
    const subjects = await this.tx.attributionSubject.findMany({
      where: { projectId: this.projectId, provider: this.provider, OR: keys },
    });
    const rank = (s: { subjectType: string }) => ['payment', 'subscription', 'customer'].indexOf(s.subjectType);
    subjects.sort((a, b) => rank(a) - rank(b));
    const hints = mergeHints(asHints(payment.hints), ...(options.ownOnly ? [] : subjects.map((s) => asHints(s.hints))));
    if (hints.discountIds.length > 0) {
      const discounts = await this.tx.attributionSubject.findMany({
        where: { projectId: this.projectId, provider: this.provider, subjectType: 'discount', subjectId: { in: hints.discountIds } },
      });
      hints.couponIds = [...new Set([...hints.couponIds, ...discounts.flatMap((d) => asHints(d.hints)?.couponIds ?? [])])];
    }
    const email = payment.customerEmail ?? subjects.find((s) => s.email)?.email ?? null;
    return { hints, email: email?.toLowerCase() ?? null };
  }
}

