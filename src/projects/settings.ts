import type { RuleState } from '../commission/rule-history';
import type { CommissionRule, Duration } from '../commission/rules';
import type { Project } from '../generated/prisma/client';

export type CommissionSettings = {
  currency: string;
  projectRule: CommissionRule;
  duration: Duration;
  holdDays: number;
};

/** How a rule is stored, on every row that carries one (projects, product rules, affiliates, versions). */
export type RuleColumns = { commissionType: string | null; commissionRateBp: number | null; commissionAmountMinor: bigint | null };

/** A stored rule (affiliate override, product rule or project default); null when the row inherits. */
export function ruleFromColumns(row: RuleColumns, currency: string): CommissionRule | null {
  if (row.commissionType === 'percentage' && row.commissionRateBp !== null) return { type: 'percentage', rateBp: row.commissionRateBp };
  if (row.commissionType === 'fixed' && row.commissionAmountMinor !== null) {
    return { type: 'fixed', amountMinor: row.commissionAmountMinor, currency };
  }
  return null;
}

/** The project default's rule and duration from a stored state (the project's columns or one of their versions). */
export function projectTerms(state: RuleState, currency: string): { rule: CommissionRule; duration: Duration } {
  return { rule: ruleFromColumns(state, currency) ?? { type: 'percentage', rateBp: 0 }, duration: durationOf(state) ?? { kind: 'lifetime' } };
}

/** The rule-bearing state of each owner, as rule_versions keeps it. */
export const projectRuleState = (
  p: Pick<Project, 'commissionType' | 'commissionRateBp' | 'commissionAmountMinor' | 'commissionDuration' | 'commissionMonths'>,
): RuleState => ({
  commissionType: p.commissionType,
  commissionRateBp: p.commissionRateBp,
  commissionAmountMinor: p.commissionAmountMinor,
  commissionDuration: p.commissionDuration,
  commissionMonths: p.commissionMonths,
});

export const overrideRuleState = (a: RuleColumns & { status: string; groupId: string | null }): RuleState => ({
  commissionType: a.commissionType,
  commissionRateBp: a.commissionRateBp,
  commissionAmountMinor: a.commissionAmountMinor,
  status: a.status,
  groupId: a.groupId,
});

export const groupRuleState = (
  g: RuleColumns & { commissionDuration: string | null; commissionMonths: number | null; holdDays: number | null },
): RuleState => ({
  commissionType: g.commissionType,
  commissionRateBp: g.commissionRateBp,
  commissionAmountMinor: g.commissionAmountMinor,
  commissionDuration: g.commissionDuration,
  commissionMonths: g.commissionMonths,
  holdDays: g.holdDays,
});

/** A duration as stored; null when the row leaves it to the level below (a group without one). */
export function durationOf(state: RuleState): Duration | null {
  if (state.commissionDuration === 'first_payment') return { kind: 'first_payment' };
  if (state.commissionDuration === 'months' && state.commissionMonths) return { kind: 'months', months: state.commissionMonths };
  if (state.commissionDuration === 'lifetime') return { kind: 'lifetime' };
  return null;
}

export const productRuleState = (p: RuleColumns | null): RuleState => ({
  commissionType: p?.commissionType ?? null,
  commissionRateBp: p?.commissionRateBp ?? null,
  commissionAmountMinor: p?.commissionAmountMinor ?? null,
});

export function commissionSettings(
  project: Pick<Project, 'currency' | 'commissionType' | 'commissionRateBp' | 'commissionAmountMinor' | 'commissionDuration' | 'commissionMonths' | 'holdDays'>,
): CommissionSettings {
  const { rule, duration } = projectTerms(projectRuleState(project), project.currency);
  return { currency: project.currency, projectRule: rule, duration, holdDays: project.holdDays };
}
