import { isDeepStrictEqual } from 'node:util';
import { jsonTexts } from '../db/text-array';
import { attribute } from '../attribution/chain';
import { mulDivRound } from '../commission/money';
import { failureKeyOf, grossShareOf, grossSharesOf, refundLevels, reversedAt, type RefundLevel } from '../commission/reversal';
import { decideCommission, holdUntil, reviewState } from '../commission/decide';
import { isFrozen, notFrozenSql } from '../domain/balances';
import type { SqlSession } from '../db/sql';
import { nth, updateByPosition } from '../db/update-by-position';
import type { Hints } from '../domain/normalized-event';
import type { CommissionRule } from '../commission/rules';
import { emitConversionEvents, type ConversionEvent } from '../outbound/emit';
import { AffiliateDirectory, type Affiliate } from './affiliate-directory';
import { asHints, hintsReaching, mergeHints } from './hints';
import { productsAt } from './subscription-products';
import { loadLedgerInputs, type LedgerInputs, type NewPayment, type PaymentRow, type RefundObservation, type RefundRow } from './ledger-inputs';

type Tx = SqlSession;


/** A payment row as the recompute leaves it. */
type PaymentUpdate = {
  id: string;
  affiliateId: string | null;
  value: bigint;
  base: bigint;
  reason: string | null;
  ruleSource: string | null;
  attribution: unknown;
  holdUntil: Date;
  refundLevel: bigint;
  email: string | null;
  review: string | null;
};

/** A refund row as the recompute leaves it: it follows its payment's affiliate, hold and review. */
type RefundWrite = {
  id: string | null;
  /** the row's level before this write (null: a new row) */
  rowLevel: bigint | null;
  payment: PaymentRow;
  level: bigint;
  value: bigint;
  amount: bigint;
  base: bigint;
  affiliateId: string | null;
  holdUntil: Date;
  attribution: unknown;
  occurredAt: Date;
  review: string | null;
  /** the event that reported the refund raising the payment to this level */
  inboundEventId: string | null;
  /** the row's key after its payment's (refundKey): `refund` for a step of the refunded level (default) */
  keyKind?: string;
};

/**
 * Derives customers' ledgers from the recorded facts: every payment's attribution, commission and refund
 * reversals, recomputed together per customer, in payment time order. Being a function of the facts alone, it
 * gives the same rows whatever order and however often events arrived. Rows paid out, or held by a pending
 * payout, are never rewritten: a refund of one books a deduction due at once (carried into the next payout). Set-based: whatever the number of customers, their inputs load in a fixed number of queries
 * (ledger-inputs.ts), the chain runs in memory, and the new and changed rows are written back in up to four statements.
 * The caller holds the customers' group locks (see apply-events.ts). `newPayments` (of these customers),
 * recorded by the caller's transaction and not yet written, are written here, once, with their commission.
 */
export async function recomputeCustomers(
  tx: Tx,
  projectId: string,
  provider: string,
  customerKeys: readonly string[],
  now: Date,
  newPayments: readonly NewPayment[] = [],
): Promise<void> {
  const inputs = await loadLedgerInputs(tx, projectId, provider, customerKeys, newPayments);
  const fresh = new Map(newPayments.map((p) => [p.id, p]));
  if (inputs.payments.length === 0) return;
  const learned = new Map(inputs.payments.map((p) => [p.id, { sale: learnedHints(inputs, p, 'sale'), all: learnedHints(inputs, p, 'all') }]));
  const directory = await AffiliateDirectory.load(tx, projectId, provider, inputs.rules.currency, wantedBy([...learned.values()].flatMap((l) => [l.sale, l.all])));

  const paymentUpdates: PaymentUpdate[] = [];
  const refundLevelsOfPaid: PaymentUpdate[] = [];
  const refundWrites: RefundWrite[] = [];
  const refundDeletes: string[] = [];
  const refundNews: RefundNews[] = [];
  const events: ConversionEvent[] = [];
  // the hold_days of the group an affiliate is in now, as it is now (null: none, or the group leaves it to the project)
  const currentGroupHold = (affiliate: Affiliate | null) => {
    const groupId = affiliate ? directory.termsAt(affiliate, now).groupId : null;
    return groupId ? (inputs.rules.groupAt(groupId, now)?.holdDays ?? null) : null;
  };
  for (const payments of groupsOf(inputs.payments)) {
    let bound: Affiliate | null = null;
    // per affiliate, the customer's first payment attributed to it: a second subscription sold through another
    // affiliate starts that one's duration, and is its first payment
    const firstAttributedAt = new Map<string, Date>();
    // The subscriptions a payment of the customer was seen for: a subscription's first paid payment opens it, whatever
    // its provider calls it (after a free trial or a free first period, Stripe bills a subscription_cycle, Paddle a
    // subscription_recurring, Lemon Squeezy a renewal, Polar a subscription_cycle), so a second subscription that
    // began free is a sale of its own. Only when every earlier payment is known to be a subscription's, or known to be
    // none's (a one-time purchase, as its provider says): one of unknown kind may be this subscription's own first (a
    // Lemon Squeezy order names no subscription, and is known to be one only once its subscription's events named it),
    // and its renewal stays a renewal.
    const paidSubscriptions = new Set<string>();
    let unlinkedEarlier = false;
    // referral.converted once per customer: when the first of its payments is attributed
    let converted = payments.some((p) => p.affiliate_id !== null);
    for (const payment of payments) {
      // What other events taught us of the customer (a coupon applied later, an attribution stored by email) belongs
      // to the sale that started the relationship; once a payment is attributed, later ones use what describes their
      // own sale (their hints, their checkout's, their subscription's creation), then the binding: a second
      // subscription sold through another affiliate is that affiliate's, renewals included.
      const { hints, email } = bound === null ? learned.get(payment.id)!.all : learned.get(payment.id)!.sale;
      const attribution = await attribute({ hints, email }, directory.forChain(bound, payment.occurred_at));
      const affiliate = attribution.affiliate ? directory.affiliateById(attribution.affiliate.id) : null;
      // the customer's first payment to this affiliate: its duration starts there, and it is "the first payment" itself
      const earlierFirst = affiliate ? (firstAttributedAt.get(affiliate.id) ?? null) : null;
      if (affiliate && !firstAttributedAt.has(affiliate.id)) firstAttributedAt.set(affiliate.id, payment.occurred_at);
      if (affiliate && !bound) bound = affiliate;
      const subscriptionId = subscriptionOf(payment, inputs);
      const opensSubscription = subscriptionId !== null && !unlinkedEarlier && !paidSubscriptions.has(subscriptionId);
      if (subscriptionId !== null) paidSubscriptions.add(subscriptionId);
      else if (!payment.one_off) unlinkedEarlier = true;

      // PRODUCT.md §11: rated with the rules in force when the payment occurred (or when the merchant last
      // asked for an explicit recalculation), so a later rule change never moves it.
      const { rules } = inputs;
      const ratedAt = payment.rated_at ?? payment.occurred_at;
      const project = rules.projectAt(ratedAt);
      const terms = affiliate ? directory.termsAt(affiliate, ratedAt) : null;
      const group = terms?.groupId ? rules.groupAt(terms.groupId, ratedAt) : null;
      const base = payment.amount_minor - payment.tax_minor;
      const productIds = productsOf(payment, inputs);
      const { valueMinor: value, reason, ruleSource, rule } = decideCommission({
        // A recalculation re-rates with today's rules, not today's standing (PRODUCT.md §12): a sale made while the
        // affiliate was suspended (or pending, or inactive) earns nothing whenever it is re-rated, and one made before
        // a suspension keeps what it earned.
        affiliate:
          affiliate && terms
            ? { email: affiliate.email, status: payment.rated_at ? directory.termsAt(affiliate, payment.occurred_at).status : terms.status, rule: terms.rule }
            : null,
        customerEmail: email,
        baseMinor: base,
        currency: payment.currency,
        productIds,
        productRules: rules.productRulesAt(productIds, ratedAt),
        project,
        group,
        // PRODUCT.md §7: renewals earn only within the duration; a purchase (a one-off, a new subscription's first
        // payment) is a sale of its own and earns whenever it is made
        firstAttributedAt: payment.kind === 'renewal' && !opensSubscription ? earlierFirst : null,
        occurredAt: payment.occurred_at,
      });

      // The hold is fixed when a payment is attributed to its affiliate, from the affiliate's, its group's or the
      // project's hold_days as they are then (a late webhook of an old sale is held as a new one would be): later
      // changes of hold_days do not move it.
      const heldUntil =
        payment.hold_until !== null && payment.affiliate_id === (affiliate?.id ?? null)
          ? payment.hold_until
          : holdUntil(payment.occurred_at, affiliate?.holdDays ?? currentGroupHold(affiliate) ?? rules.holdDays);
      const { levels, latest } = refundLevelsOf(inputs, payment);
      const update: PaymentUpdate = {
        id: payment.id,
        affiliateId: affiliate?.id ?? null,
        value,
        base,
        reason,
        ruleSource,
        attribution: { method: attribution.method, trace: attribution.trace },
        holdUntil: heldUntil,
        refundLevel: levels.at(-1)?.level ?? 0n,
        email,
        review: reviewState(
          payment.review_status,
          value,
          rules.review,
          payment.affiliate_id !== null && payment.value_minor > 0n,
          payment.affiliate_id !== null && payment.affiliate_id !== (affiliate?.id ?? null),
        ),
      };
      const paidOut = frozen(payment);
      // a payment paid out keeps what it was paid as; how much of it was refunded since is still told
      if (paidOut && !fresh.has(payment.id) && payment.refund_level_minor !== update.refundLevel) refundLevelsOfPaid.push(update);
      if (fresh.has(payment.id) || (!paidOut && changed(payment, update))) {
        paymentUpdates.push(update);
        events.push(...outboundEventsOf(payment, update, rule, !converted));
        converted ||= update.affiliateId !== null;
      }
      // A frozen payment's refunds reverse what it was paid out as, to whom it was paid, and are due at once.
      const reversing: PaymentUpdate = paidOut ? { ...update, affiliateId: payment.affiliate_id, value: payment.value_minor } : update;
      // a refund that went away (a Stripe refund that failed, a lower cumulative report) gives back what its
      // referral_canceled took: the merchant hears of it as a change of the payment
      const unrefunded = !fresh.has(payment.id) && reversing.affiliateId !== null && update.refundLevel < (payment.refund_level_minor ?? 0n);
      if (unrefunded && !events.some((e) => e.conversionId === payment.id && e.type === 'referral_updated')) events.push({ type: 'referral_updated', conversionId: payment.id });
      const existingRefunds = inputs.refundRows.get(payment.id) ?? [];
      const rows = refundRowsOf(payment, existingRefunds, reversing, levels, latest, paidOut);
      refundWrites.push(...rows.writes);
      refundDeletes.push(...rows.deletes);
      const levelBefore = fresh.has(payment.id) ? 0n : (payment.refund_level_minor ?? 0n);
      if (reversing.affiliateId !== null) refundNews.push(refundNewsOf(payment, existingRefunds, rows, levelBefore, update.refundLevel));
    }
  }
  await insertPayments(tx, projectId, provider, paymentUpdates.filter((u) => fresh.has(u.id)).map((u) => [fresh.get(u.id)!, u]));
  await writePayments(tx, paymentUpdates.filter((u) => !fresh.has(u.id)));
  await writeRefundLevelsOfPaid(tx, refundLevelsOfPaid);
  const inserted = await writeRefunds(tx, refundWrites, refundDeletes);
  for (const news of refundNews) events.push(...refundEventsOf(news, inserted.filter((r) => r.reverses_id === news.paymentId)));
  await emitConversionEvents(tx, projectId, events, now);
}

/**
 * What a payment's refund rows tell receivers (docs/webhooks.md). Refunds reported in time order add rows above the
 * ones announced: each new row is one referral_canceled, its step the refund. A refund reported late, older than
 * some already announced, moves those rows (each row is a step of the refunded total, in time order): each moved
 * row is announced again as updated, and one referral_canceled says what the refunded total rose by, if it rose, so
 * that the refund_amounts a receiver adds up are what was refunded (they added up to more than the payment).
 */
type RefundNews = { paymentId: string; appended: boolean; level: bigint; riseMinor: bigint; moved: string[]; atLevel: string | null };

/** The untaxed part of a payment's first `level` minor units refunded: what its refund rows' bases add up to. */
function untaxedRefunded(payment: PaymentRow, level: bigint): bigint {
  return mulDivRound(payment.amount_minor - payment.tax_minor, level, payment.amount_minor);
}

function refundNewsOf(payment: PaymentRow, existing: RefundRow[], rows: { writes: RefundWrite[]; deletes: string[] }, before: bigint, after: bigint): RefundNews {
  const untaxed = (level: bigint) => untaxedRefunded(payment, level);
  const moved = rows.writes.filter((w) => w.id !== null && existing.find((r) => r.id === w.id)?.amount_minor !== w.amount).map((w) => w.id!);
  const atLevel = rows.writes.find((w) => w.id !== null && w.level === after)?.id ?? existing.find((r) => r.refund_level_minor === after && !rows.deletes.includes(r.id))?.id ?? null;
  return {
    paymentId: payment.id,
    appended: rows.deletes.length === 0 && rows.writes.every((w) => w.id === null),
    level: after,
    riseMinor: after > before ? untaxed(after) - untaxed(before) : 0n,
    moved,
    atLevel,
  };
}

function refundEventsOf(news: RefundNews, created: { id: string; amount_minor: string; refund_level_minor: string }[]): ConversionEvent[] {
  // a row that earns given-back money again cancels nothing
  if (news.appended) return created.filter((r) => BigInt(r.amount_minor) < 0n).map((r) => ({ type: 'referral_canceled', conversionId: r.id }));
  const events: ConversionEvent[] = news.moved.map((id) => ({ type: 'referral_updated', conversionId: id }));
  const row = created.find((r) => BigInt(r.refund_level_minor) === news.level)?.id ?? news.atLevel;
  if (news.riseMinor > 0n && row) events.push({ type: 'referral_canceled', conversionId: row, refundMinor: news.riseMinor });
  return events;
}

/**
 * What the merchant hears of a payment's change (docs/webhooks.md): its first attribution (referral_converted,
 * and referral.converted for the customer's first), or a change of an attributed one (referral_updated); and
 * commission.created when it starts to earn.
 */
function outboundEventsOf(before: PaymentRow, after: PaymentUpdate, rule: CommissionRule | null, customerFirst: boolean): ConversionEvent[] {
  const conversionId = before.id;
  const events: ConversionEvent[] = [];
  if (before.affiliate_id === null) {
    if (after.affiliateId === null) return [];
    events.push({ type: 'referral_converted', conversionId, rule });
    if (customerFirst) events.push({ type: 'referral.converted', conversionId });
  } else if (before.affiliate_id !== after.affiliateId || before.value_minor !== after.value) {
    events.push({ type: 'referral_updated', conversionId });
  }
  const earnedBefore = before.affiliate_id !== null && before.value_minor > 0n;
  if (!earnedBefore && after.affiliateId !== null && after.value > 0n) events.push({ type: 'commission.created', conversionId });
  return events;
}

/** Payments grouped by customer, each group in time order (the inputs come sorted that way). */
function groupsOf(payments: PaymentRow[]): PaymentRow[][] {
  const groups = new Map<string, PaymentRow[]>();
  for (const p of payments) {
    const group = groups.get(p.customer_key!) ?? [];
    group.push(p);
    groups.set(p.customer_key!, group);
  }
  return [...groups.values()];
}

/** The payment's subscription: its own, else the one whose events named it as its first payment (record-events.ts). */
function subscriptionOf(payment: PaymentRow, inputs: LedgerInputs): string | null {
  return payment.subscription_id ?? inputs.subjectsOf(payment).find((s) => s.subscriptionId !== null)?.subscriptionId ?? null;
}

/**
 * The products a payment rates by: its own, else what its subscription was on when it was paid (a Lemon Squeezy
 * renewal names none; src/ledger/subscription-products.ts).
 */
function productsOf(payment: PaymentRow, inputs: LedgerInputs): string[] {
  if ((payment.product_ids ?? []).length > 0 || !payment.subscription_id) return payment.product_ids ?? [];
  const subscription = inputs.subjectsOf(payment).find((s) => s.type === 'subscription');
  return subscription ? productsAt(subscription.products, payment.occurred_at) : [];
}

/**
 * The payment's own hints, with
 * - `sale`: what describes the sale itself, whenever it was learned: the undated hints of its payment ids and its
 *   subscription (a checkout, a subscription's creation; src/ledger/hints.ts);
 * - `all`: what its payment ids, subscription and customer taught us (of what they learned at a time, only what was
 *   learned by the payment's time, give or take FACT_GRACE_MS).
 * Discount ids resolve to their coupons either way, and the email falls back to what the subjects know.
 */
function learnedHints(inputs: LedgerInputs, payment: PaymentRow, scope: 'sale' | 'all'): { hints: Hints; email: string | null } {
  const subjects = inputs.subjectsOf(payment);
  const learned =
    scope === 'sale'
      ? subjects.filter((s) => s.type !== 'customer').map((s) => (s.type === 'subscription' ? asSubscriptionStep(s.hints) : s.hints))
      : subjects.flatMap((s) => [s.hints, ...hintsReaching(s.dated, payment.occurred_at)]);
  const hints = mergeHints(asHints(payment.hints), ...learned);
  if (hints.discountIds.length > 0) {
    hints.couponIds = [...new Set([...hints.couponIds, ...hints.discountIds.flatMap((id) => inputs.discountCoupons.get(id) ?? [])])];
  }
  // the payment's own email, else what its customer's and subscription's events say (kept earliest first,
  // src/ledger/record-events.ts), read again at every recompute: an earlier statement arriving late takes over
  const own = payment.email_learned ? null : payment.customer_email;
  const email = own ?? subjects.find((s) => s.email)?.email ?? payment.customer_email ?? null;
  return { hints, email: email?.toLowerCase() ?? null };
}

/**
 * A subscription's creation hints read as the chain's subscription step (PRODUCT.md §6 step 4, "the subscription's
 * metadata"): for a renewal they say whose subscription it is, beside the binding, not what its own checkout said.
 */
function asSubscriptionStep(hints: Hints | null): Hints | null {
  if (!hints) return null;
  const code = hints.subscriptionReferralCode ?? hints.referralCode ?? hints.clientReferenceId;
  return { ...hints, referralCode: null, clientReferenceId: null, subscriptionReferralCode: code };
}

function wantedBy(learned: { hints: Hints; email: string | null }[]) {
  return {
    couponCodes: learned.flatMap((l) => l.hints.couponIds),
    referralCodes: learned.flatMap((l) => [l.hints.referralCode, l.hints.clientReferenceId, l.hints.subscriptionReferralCode].filter((c): c is string => !!c)),
    emails: learned.flatMap((l) => (l.email ? [l.email] : [])),
  };
}

/**
 * The refunded levels of a payment in time order (refundLevels). A refund reported under several of the payment's
 * ids (a charge and its payment intent) counts once, at its earliest report.
 */
function refundLevelsOf(inputs: LedgerInputs, payment: PaymentRow): { levels: RefundLevel<RefundObservation>[]; latest: RefundObservation | null } {
  const distinct = new Map<string, RefundObservation>();
  for (const alias of inputs.aliasesOf(payment.payment_key)) {
    for (const o of inputs.refundObservations.get(alias) ?? []) {
      // a refund in another currency is not this payment's (src/ledger/refund-currency.ts)
      if (o.currency !== payment.currency) continue;
      const seen = distinct.get(o.observationKey);
      if (!seen || o.occurredAt < seen.occurredAt || (o.occurredAt.getTime() === seen.occurredAt.getTime() && o.amountMinor < seen.amountMinor)) distinct.set(o.observationKey, o);
    }
  }
  // A refund (or a cumulative refunded total) that names its tax counts by its untaxed share of the base, carried onto
  // the gross (grossShareOf). The distinct refunds that stand are carried together, in time order (grossSharesOf),
  // so that their shares add up to the share of their sum.
  const seen = [...distinct.values()];
  const together = seen
    .filter((o) => o.taxMinor !== null && !o.cumulative && !o.withdrawal && !o.failedSince && !distinct.has(failureKeyOf(o.observationKey)))
    .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.observationKey < b.observationKey ? -1 : a.observationKey > b.observationKey ? 1 : 0));
  const shares = grossSharesOf(
    together.map((o) => ({ amountMinor: o.amountMinor, taxMinor: o.taxMinor! })),
    payment.amount_minor,
    payment.tax_minor,
  );
  const shareOf = new Map(together.map((o, i) => [o.observationKey, shares[i]!]));
  const observations = seen.map((o) =>
    o.taxMinor === null ? o : { ...o, amountMinor: shareOf.get(o.observationKey) ?? grossShareOf(o.amountMinor, o.taxMinor, payment.amount_minor, payment.tax_minor) },
  );
  const latest = observations.reduce<RefundObservation | null>((last, o) => (last === null || o.occurredAt > last.occurredAt ? o : last), null);
  return { levels: refundLevels(observations, payment.amount_minor), latest };
}

/** Paid out, or taken into a pending payout (src/domain/balances.ts). */
const frozen = (row: { paid_at: Date | null; payout_id: string | null }) => isFrozen({ paidAt: row.paid_at, payoutId: row.payout_id });

function changed(p: PaymentRow, u: PaymentUpdate): boolean {
  return (
    p.affiliate_id !== u.affiliateId ||
    p.value_minor !== u.value ||
    p.base_value_minor !== u.base ||
    p.reason !== u.reason ||
    p.rule_source !== u.ruleSource ||
    p.hold_until?.getTime() !== u.holdUntil.getTime() ||
    p.refund_level_minor !== u.refundLevel ||
    p.review_status !== u.review ||
    (u.email !== null && u.email !== p.customer_email && (p.customer_email === null || p.email_learned)) ||
    !isDeepStrictEqual(p.attribution, u.attribution)
  );
}

/**
 * Refund rows of one payment: one per refunded level reached, each reversing what its step from the level before
 * adds, dated when the level was reached. Every row's amounts follow from the levels, so they stay exact when the
 * commission changes. The levels come from the refunds in time order (refundLevels), so a refund that arrives late
 * (before its payment, or after a later refund) moves the rows not yet frozen to the levels and dates they would
 * have had, and a row left without a level is removed. Rows paid out or held by a payout keep their level, and
 * the levels at or below the highest of them are folded into it: what was paid out is never rewritten.
 */
function refundRowsOf(
  payment: PaymentRow,
  existing: RefundRow[],
  update: PaymentUpdate,
  levels: RefundLevel<RefundObservation>[],
  latest: RefundObservation | null,
  paidOut: boolean,
): { writes: RefundWrite[]; deletes: string[] } {
  const gross = payment.amount_minor;
  const final = levels.at(-1)?.level ?? 0n;
  /** One row taking the refunded level from `from` to `to`: a reversal going up, given-back money earned again going down. */
  const moveRow = (
    row: RefundRow | null,
    from: bigint,
    to: bigint,
    keyKind: string | undefined,
    at: Pick<RefundObservation, 'occurredAt' | 'inboundEventId'>,
  ): RefundWrite => ({
    id: row?.id ?? null,
    rowLevel: row?.refund_level_minor ?? null,
    payment,
    level: to,
    value: -(reversedAt(update.value, gross, to) - reversedAt(update.value, gross, from)),
    amount: -(to - from),
    base: -(untaxedRefunded(payment, to) - untaxedRefunded(payment, from)),
    affiliateId: update.affiliateId,
    // a refund of a payment already paid out is due when it happened
    holdUntil: paidOut ? at.occurredAt : update.holdUntil,
    attribution: update.attribution,
    occurredAt: at.occurredAt,
    review: update.review,
    inboundEventId: at.inboundEventId,
    keyKind,
  });
  const unchanged = (row: RefundRow | null, w: RefundWrite) =>
    row !== null &&
    row.refund_level_minor === w.level &&
    row.value_minor === w.value &&
    row.amount_minor === w.amount &&
    row.base_value_minor === w.base &&
    row.affiliate_id === w.affiliateId &&
    row.review_status === w.review &&
    row.occurred_at.getTime() === w.occurredAt.getTime() &&
    row.inbound_event_id === w.inboundEventId &&
    row.hold_until?.getTime() === w.holdUntil.getTime();

  // rows that earn back money given back (below) are not steps of the refunded level
  const givenBack = existing.filter((r) => r.amount_minor > 0n);
  if (givenBack.some(frozen)) {
    // Once such a row is paid out too, the rows paid out are a settled sum, the level they leave the payment at; one
    // open row takes it to the refunded total, whichever way that moved since (its key names how many were settled).
    const settled = existing.filter(frozen);
    const settledLevel = -settled.reduce((sum, r) => sum + r.amount_minor, 0n);
    const open = existing.filter((r) => !frozen(r));
    if (final === settledLevel || !latest) return { writes: [], deletes: open.map((r) => r.id) };
    const write = moveRow(open[0] ?? null, settledLevel, final, `adjust-${settled.length}`, latest);
    return { writes: unchanged(open[0] ?? null, write) ? [] : [write], deletes: open.slice(1).map((r) => r.id) };
  }
  const steps = existing.filter((r) => r.amount_minor <= 0n);
  const frozenLevel = steps.reduce((max, r) => (frozen(r) && r.refund_level_minor > max ? r.refund_level_minor : max), 0n);
  const movable = steps.filter((r) => r.refund_level_minor > frozenLevel);
  const targets = levels.filter((l) => l.level > frozenLevel);
  const plan = [
    ...steps.filter((r) => r.refund_level_minor <= frozenLevel).map((row) => ({ row, level: row.refund_level_minor, at: row.occurred_at, eventId: row.inbound_event_id })),
    ...targets.map((t, i) => ({ row: movable[i] ?? null, level: t.level, at: t.at, eventId: t.by.inboundEventId })),
  ];
  const writes: RefundWrite[] = [];
  let previousLevel = 0n;
  for (const { row, level, at, eventId } of plan) {
    const write = moveRow(row, previousLevel, level, undefined, { occurredAt: at, inboundEventId: eventId });
    previousLevel = level;
    if (row === null || (!frozen(row) && !unchanged(row, write))) writes.push(write);
  }
  const deletes = movable.slice(targets.length).map((r) => r.id);

  // Money given back (a chargeback the merchant won) can take the refunded total below the level of a row already
  // paid out, which is never rewritten: one more row earns the difference again, dated when it was given back.
  if (final < frozenLevel && latest) {
    const row = givenBack[0] ?? null;
    const write = moveRow(row, frozenLevel, final, 'given-back', latest);
    if (!unchanged(row, write)) writes.push(write);
    deletes.push(...givenBack.slice(1).map((r) => r.id));
  } else deletes.push(...givenBack.map((r) => r.id));
  return { writes, deletes };
}

const iso = (d: Date) => d.toISOString();

/** New payments, each written once, with what the recompute made of it. */
async function insertPayments(tx: Tx, projectId: string, provider: string, rows: [NewPayment, PaymentUpdate][]): Promise<void> {
  if (rows.length === 0) return;
  // No ON CONFLICT: the transaction holds each payment's lock since it found the payment unrecorded, so a conflict
  // is a writer that took no lock, and the failure sends the events back to be applied again.
  await tx.query(
    `INSERT INTO conversions (id, project_id, kind, provider, external_key, payment_key, customer_key, customer_id, customer_email,
       subscription_id, product_ids, hints, currency, amount_minor, tax_minor, base_value_minor, value_minor, affiliate_id, reason,
       rule_source, attribution, hold_until, refund_level_minor, review_status, occurred_at, inbound_event_id, one_off, email_learned)
     SELECT id, $1::uuid, kind, $2::text, external_key, payment_key, customer_key, customer_id, customer_email, subscription_id,
       ARRAY(SELECT jsonb_array_elements_text(product_ids::jsonb)), hints::jsonb, currency, amount, tax, base, value, affiliate_id,
       reason, rule_source, attribution::jsonb, hold_until, refund_level, review, occurred_at, inbound_event_id, one_off, learned
     FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                 $12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::uuid[], $19::text[],
                 $20::text[], $21::text[], $22::timestamptz[], $23::bigint[], $24::text[], $25::timestamptz[], $26::uuid[], $27::boolean[],
                 $28::boolean[])
       AS u(id, kind, external_key, payment_key, customer_key, customer_id, customer_email, subscription_id, product_ids, hints,
            currency, amount, tax, base, value, affiliate_id, reason, rule_source, attribution, hold_until, refund_level, review,
            occurred_at, inbound_event_id, one_off, learned)`,
    [
      projectId,
      provider,
      rows.map(([p]) => p.id),
      rows.map(([p]) => p.kind),
      rows.map(([p]) => p.externalKey),
      rows.map(([p]) => p.paymentKey),
      rows.map(([p]) => p.customerKey),
      rows.map(([p]) => p.customerId),
      rows.map(([p, u]) => p.customerEmail ?? u.email),
      rows.map(([p]) => p.subscriptionId),
      jsonTexts(rows.map(([p]) => p.productIds)),
      jsonTexts(rows.map(([p]) => p.hints)),
      rows.map(([p]) => p.currency),
      rows.map(([p]) => p.amountMinor.toString()),
      rows.map(([p]) => p.taxMinor.toString()),
      rows.map(([, u]) => u.base.toString()),
      rows.map(([, u]) => u.value.toString()),
      rows.map(([, u]) => u.affiliateId),
      rows.map(([, u]) => u.reason),
      rows.map(([, u]) => u.ruleSource),
      jsonTexts(rows.map(([, u]) => u.attribution)),
      rows.map(([, u]) => iso(u.holdUntil)),
      rows.map(([, u]) => u.refundLevel.toString()),
      rows.map(([, u]) => u.review),
      rows.map(([p]) => p.occurredAt.toISOString()),
      rows.map(([p]) => p.inboundEventId),
      rows.map(([p]) => p.oneOff),
      rows.map(([p, u]) => p.customerEmail === null && u.email !== null),
    ],
  );
}

/**
 * The writes find their rows by primary key alone, each its values by its position (src/db/update-by-position.ts),
 * in id order. A row paid out or held by a payout is not written (notFrozenSql: one expression no index serves).
 */
/** The refunded level of payments paid out (or in a payout): the one column of theirs that still follows the facts. */
async function writeRefundLevelsOfPaid(tx: Tx, updates: PaymentUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  updates.sort((a, b) => (a.id < b.id ? -1 : 1));
  await tx.query(updateByPosition('conversions', 'c', { refund_level_minor: nth(2, 'bigint'), updated_at: 'now()' }), [
    updates.map((u) => u.id),
    updates.map((u) => u.refundLevel.toString()),
  ]);
}

async function writePayments(tx: Tx, updates: PaymentUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  updates.sort((a, b) => (a.id < b.id ? -1 : 1));
  await tx.query(
    updateByPosition(
      'conversions',
      'c',
      {
        affiliate_id: nth(2, 'uuid'),
        value_minor: nth(3, 'bigint'),
        base_value_minor: nth(4, 'bigint'),
        reason: nth(5, 'text'),
        rule_source: nth(6, 'text'),
        attribution: `${nth(7, 'text')}::jsonb`,
        hold_until: nth(8, 'timestamptz'),
        refund_level_minor: nth(9, 'bigint'),
        // an email the payment stated stays; one learned follows what its customer's events say now
        customer_email: `CASE WHEN c.customer_email IS NULL OR c.email_learned THEN coalesce(${nth(10, 'text')}, c.customer_email) ELSE c.customer_email END`,
        email_learned: `CASE WHEN c.customer_email IS NULL OR c.email_learned THEN c.email_learned OR ${nth(10, 'text')} IS NOT NULL ELSE false END`,
        // a review stands for the affiliate it was made for (a concurrent approval included); a payment moving to
        // another affiliate takes the state computed for it, and sheds the old review's reason and time
        review_status: `CASE WHEN c.affiliate_id IS DISTINCT FROM ${nth(2, 'uuid')} THEN ${nth(11, 'text')} ELSE coalesce(c.review_status, ${nth(11, 'text')}) END`,
        review_reason: `CASE WHEN c.affiliate_id IS DISTINCT FROM ${nth(2, 'uuid')} THEN NULL ELSE c.review_reason END`,
        reviewed_at: `CASE WHEN c.affiliate_id IS DISTINCT FROM ${nth(2, 'uuid')} THEN NULL ELSE c.reviewed_at END`,
        updated_at: 'now()',
      },
      notFrozenSql('c'),
    ),
    [
      updates.map((u) => u.id),
      updates.map((u) => u.affiliateId),
      updates.map((u) => u.value.toString()),
      updates.map((u) => u.base.toString()),
      updates.map((u) => u.reason),
      updates.map((u) => u.ruleSource),
      jsonTexts(updates.map((u) => u.attribution)),
      updates.map((u) => iso(u.holdUntil)),
      updates.map((u) => u.refundLevel.toString()),
      updates.map((u) => u.email),
      updates.map((u) => u.review),
    ],
  );
}

/**
 * Writes refund rows: removes those left without a level, moves those whose level changed, then creates the new
 * ones; returns the ones it created. A row's external key names its level (payment key:refund:level), unique in
 * the project, so rows changing level first step aside to a key of their own id: one statement moving levels
 * 10 and 30 to 30 and 40 would otherwise meet a key still held.
 */
async function writeRefunds(tx: Tx, writes: RefundWrite[], deletes: string[]): Promise<{ id: string; reverses_id: string; amount_minor: string; refund_level_minor: string }[]> {
  const created = writes.filter((w) => w.id === null);
  const updated = writes.filter((w) => w.id !== null).sort((a, b) => (a.id! < b.id! ? -1 : 1));
  if (deletes.length > 0) await tx.query(`DELETE FROM conversions c WHERE c.id = ANY($1::uuid[]) AND ${notFrozenSql('c')}`, [deletes]);
  const moving = updated.filter((w) => w.rowLevel !== w.level).map((w) => w.id!);
  if (moving.length > 0) await tx.query(`UPDATE conversions c SET external_key = c.id::text WHERE c.id = ANY($1::uuid[]) AND ${notFrozenSql('c')}`, [moving]);
  if (updated.length > 0) {
    await tx.query(
      updateByPosition(
        'conversions',
        'c',
        {
          affiliate_id: nth(2, 'uuid'),
          value_minor: nth(3, 'bigint'),
          amount_minor: nth(4, 'bigint'),
          base_value_minor: nth(5, 'bigint'),
          hold_until: nth(6, 'timestamptz'),
          review_status: nth(7, 'text'),
          refund_level_minor: nth(8, 'bigint'),
          external_key: nth(9, 'text'),
          occurred_at: nth(10, 'timestamptz'),
          inbound_event_id: nth(11, 'uuid'),
          tax_minor: nth(12, 'bigint'),
          updated_at: 'now()',
        },
        notFrozenSql('c'),
      ),
      [
        updated.map((w) => w.id),
        updated.map((w) => w.affiliateId),
        updated.map((w) => w.value.toString()),
        updated.map((w) => w.amount.toString()),
        updated.map((w) => w.base.toString()),
        updated.map((w) => iso(w.holdUntil)),
        updated.map((w) => w.review),
        updated.map((w) => w.level.toString()),
        updated.map((w) => refundKey(w)),
        updated.map((w) => iso(w.occurredAt)),
        updated.map((w) => w.inboundEventId),
        // the tax given back with it, as its payment's amount less base: amount − tax = base on every row
        updated.map((w) => (w.amount - w.base).toString()),
      ],
    );
  }
  let inserted: { id: string; reverses_id: string; amount_minor: string; refund_level_minor: string }[] = [];
  if (created.length > 0) {
    inserted = await tx.query(
      `INSERT INTO conversions (project_id, kind, provider, external_key, payment_key, reverses_id, customer_key, customer_id,
         customer_email, subscription_id, product_ids, currency, amount_minor, tax_minor, base_value_minor, value_minor, refund_level_minor,
         attribution, occurred_at, hold_until, affiliate_id, review_status, inbound_event_id)
       SELECT p.project_id, 'refund', p.provider, r.external_key, p.payment_key, p.id, p.customer_key, p.customer_id,
         p.customer_email, p.subscription_id, p.product_ids, p.currency, r.amount, r.amount - r.base, r.base, r.value, r.level,
         r.attribution::jsonb, r.occurred_at, r.hold_until, r.affiliate_id::uuid, r.review, r.inbound_event_id
       FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::uuid[], $12::text[])
         AS r(payment_id, level, amount, base, value, attribution, occurred_at, hold_until, affiliate_id, review, inbound_event_id, external_key)
       JOIN conversions p ON p.id = r.payment_id
       WHERE p.id = ANY($1::uuid[])
       RETURNING id, reverses_id, amount_minor::text, refund_level_minor::text`,
      [
        created.map((w) => w.payment.id),
        created.map((w) => w.level.toString()),
        created.map((w) => w.amount.toString()),
        created.map((w) => w.base.toString()),
        created.map((w) => w.value.toString()),
        jsonTexts(created.map((w) => w.attribution)),
        created.map((w) => iso(w.occurredAt)),
        created.map((w) => iso(w.holdUntil)),
        created.map((w) => w.affiliateId),
        created.map((w) => w.review),
        created.map((w) => w.inboundEventId),
        created.map((w) => refundKey(w)),
      ],
    );
  }
  return inserted;
}

/** A refund row's key: its payment's, its kind (a step, a given-back row, an adjustment after settled rows) and its level. */
function refundKey(w: RefundWrite): string {
  return `${w.payment.external_key}:${w.keyKind ?? 'refund'}:${w.level}`;
}
