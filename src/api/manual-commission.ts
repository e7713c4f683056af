import { decideCommission, type CommissionDecision } from '../commission/decide';
import type { CommissionRule } from '../commission/rules';
import type { Affiliate, PrismaClient, Project } from '../generated/prisma/client';
import { commissionSettings, durationOf, groupRuleState, ruleFromColumns } from '../projects/settings';

export type ManualSale = { baseMinor: bigint; currency: string; productId?: string; email: string | null };

/**
 * The commission of a sale no provider reported (the API's manual conversions, the public conversion endpoint):
 * the rules in force now, which is when it is recorded, gathered for src/commission/decide.ts, the one decision.
 */
/** the commission, and the hold it takes: the affiliate's own, else its group's, else the project's (as the ledger's) */
export type ManualCommission = CommissionDecision & { holdDays: number };

export async function manualCommission(prisma: PrismaClient, project: Project, affiliate: Affiliate, sale: ManualSale, now: Date): Promise<ManualCommission> {
  const settings = commissionSettings(project);
  const [productRule, group] = await Promise.all([
    sale.productId ? prisma.productRule.findUnique({ where: { projectId_productId: { projectId: project.id, productId: sale.productId } } }) : null,
    groupOf(prisma, affiliate),
  ]);
  const productRules = new Map<string, CommissionRule>();
  const rule = productRule ? ruleFromColumns(productRule, project.currency) : null;
  if (rule && sale.productId) productRules.set(sale.productId, rule);
  const groupState = group ? groupRuleState(group) : null;
  const decision = decideCommission({
    affiliate: { email: affiliate.email, status: affiliate.status, rule: ruleFromColumns(affiliate, project.currency) },
    customerEmail: sale.email,
    baseMinor: sale.baseMinor,
    currency: sale.currency,
    productIds: sale.productId ? [sale.productId] : [],
    productRules,
    project: { rule: settings.projectRule, duration: settings.duration },
    group: groupState ? { rule: ruleFromColumns(groupState, project.currency), duration: durationOf(groupState) } : null,
    firstAttributedAt: null,
    occurredAt: now,
  });
  return { ...decision, holdDays: holdDaysOf(affiliate, group, project) };
}

/** The hold of a commission recorded by hand with its value given: the same as a computed one's. */
export async function manualHoldDays(prisma: PrismaClient, project: Project, affiliate: Affiliate): Promise<number> {
  return holdDaysOf(affiliate, await groupOf(prisma, affiliate), project);
}

const groupOf = (prisma: PrismaClient, affiliate: Affiliate) => (affiliate.groupId ? prisma.affiliateGroup.findUnique({ where: { id: affiliate.groupId } }) : null);

function holdDaysOf(affiliate: Affiliate, group: { holdDays: number | null } | null, project: Project): number {
  return affiliate.holdDays ?? group?.holdDays ?? commissionSettings(project).holdDays;
}
