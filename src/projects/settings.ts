import type { CommissionRule, Duration } from '../commission/rules';
import type { Project } from '../generated/prisma/client';

export type CommissionSettings = {
  currency: string;
  projectRule: CommissionRule;
  duration: Duration;
  holdDays: number;
};

type RuleColumns = { commissionType: string | null; commissionRateBp: number | null; commissionAmountMinor: bigint | null };

/** A stored rule (affiliate override, product rule or project default); null when the row inherits. */
export function ruleFromColumns(row: RuleColumns, currency: string): CommissionRule | null {
  if (row.commissionType === 'percentage' && row.commissionRateBp !== null) return { type: 'percentage', rateBp: row.commissionRateBp };
  if (row.commissionType === 'fixed' && row.commissionAmountMinor !== null) {
    return { type: 'fixed', amountMinor: row.commissionAmountMinor, currency };
  }
  return null;
}

export function commissionSettings(
  project: Pick<Project, 'currency' | 'commissionType' | 'commissionRateBp' | 'commissionAmountMinor' | 'commissionDuration' | 'commissionMonths' | 'holdDays'>,
): CommissionSettings {
  const duration: Duration =
    project.commissionDuration === 'first_payment'
      ? { kind: 'first_payment' }
      : project.commissionDuration === 'months' && project.commissionMonths
        ? { kind: 'months', months: project.commissionMonths }
        : { kind: 'lifetime' };
  return {
    currency: project.currency,
    projectRule: ruleFromColumns(project, project.currency) ?? { type: 'percentage', rateBp: 0 },
    duration,
    holdDays: project.holdDays,
  };
}
