import { percentOf } from './money';

export type CommissionRule =
  | { type: 'percentage'; rateBp: number }
  | { type: 'fixed'; amountMinor: bigint; currency: string };

export type RuleSource = 'affiliate' | 'group' | 'product' | 'project';

export type Duration = { kind: 'lifetime' } | { kind: 'first_payment' } | { kind: 'months'; months: number };

export type RuleInputs = {
  affiliateRule: CommissionRule | null;
  /** the rule of the affiliate's partner group, if it has one */
  groupRule?: CommissionRule | null;
  /** rules by provider product or price id */
  productRules: ReadonlyMap<string, CommissionRule>;
  /** the payment's product and price ids, in line order */
  productIds: readonly string[];
  projectRule: CommissionRule;
};

/** Rule precedence as data: the first selector that yields a rule wins. */
const SELECTORS: readonly { source: RuleSource; select: (i: RuleInputs) => CommissionRule | null }[] = [
  { source: 'affiliate', select: (i) => i.affiliateRule },
  { source: 'group', select: (i) => i.groupRule ?? null },
  {
    source: 'product',
    select: (i) => {
      for (const id of i.productIds) {
        const rule = i.productRules.get(id);
        if (rule) return rule;
      }
      return null;
    },
  },
  { source: 'project', select: (i) => i.projectRule },
];

export function selectRule(inputs: RuleInputs): { source: RuleSource; rule: CommissionRule } {
  for (const { source, select } of SELECTORS) {
    const rule = select(inputs);
    if (rule) return { source, rule };
  }
  return { source: 'project', rule: inputs.projectRule };
}

export type Commission = { valueMinor: bigint; reason: string | null };

/** The commission on a base (minor units, tax excluded) in the payment's currency. */
export function computeCommission(rule: CommissionRule, baseMinor: bigint, currency: string): Commission {
  if (baseMinor <= 0n) return { valueMinor: 0n, reason: 'zero_base' };
  if (rule.type === 'percentage') return { valueMinor: percentOf(baseMinor, rule.rateBp), reason: null };
  // A fixed amount is in the project currency; there is no exchange rate to apply to another one.
  if (rule.currency !== currency) return { valueMinor: 0n, reason: 'currency_mismatch' };
  // PRODUCT.md §11: a commission never exceeds its base — a fixed amount on a smaller sale pays the sale
  if (rule.amountMinor > baseMinor) return { valueMinor: baseMinor, reason: 'capped_at_base' };
  return { valueMinor: rule.amountMinor, reason: null };
}

/**
 * How long before its N-month mark a renewal is still the mark's own. Providers bill a renewal on the subscription's
 * anniversary, and the first payment can be recorded a moment after the subscription's start: Paddle's `billed_at`
 * of a first transaction is after its billing period's start (0.66 s in its fixtures), so the renewal a month on fell
 * 0.364 s inside "1 month" and earned, where Stripe's (paid about an hour after the anniversary) did not. Renewals
 * come a billing period apart, so one this close to the mark pays the period that starts there.
 */
export const RENEWAL_AT_MARK_MS = 3_600_000;

/**
 * Whether a renewal at `occurredAt` still earns, given when the customer's first attributed payment was (null: this
 * payment is that first one). `first_payment` asks which payment it is, not when: a renewal recorded in the same
 * second as the first payment is still a renewal. `months` ends at the mark, less RENEWAL_AT_MARK_MS.
 */
export function withinDuration(duration: Duration, firstPaymentAt: Date | null, occurredAt: Date): boolean {
  switch (duration.kind) {
    case 'lifetime':
      return true;
    case 'first_payment':
      return firstPaymentAt === null;
    case 'months':
      return firstPaymentAt === null || occurredAt.getTime() < addMonths(firstPaymentAt, duration.months).getTime() - RENEWAL_AT_MARK_MS;
  }
}

/**
 * The same day and time `months` calendar months later, on the month's last day when it is shorter (Jan 31 + 1 month
 * is Feb 28 or 29): Date's own setUTCMonth overflows into the next month (Mar 3), which gave a customer who started
 * at a month's end days of commissions past the duration.
 */
export function addMonths(from: Date, months: number): Date {
  const target = new Date(from);
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(from.getUTCDate(), lastDay));
  return target;
}
