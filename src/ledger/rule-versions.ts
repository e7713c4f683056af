import { BEGINNING, sameRule, type RuleState, type Version } from '../commission/rule-history';
import type { SqlSession } from '../db/sql';
import type { Prisma } from '../generated/prisma/client';

export type RuleScope = 'project' | 'product' | 'affiliate' | 'group';

export type RuleChange = { projectId: string; scope: RuleScope; subjectId: string; before: RuleState; after: RuleState; at: Date };

/**
 * Serializes rule changes of a project, so two changes of one subject cannot both read the same last version.
 * Call first in the transaction that reads the current state and writes the change.
 */
export async function lockRules(tx: Prisma.TransactionClient, projectId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM projects WHERE id = ${projectId}::uuid FOR UPDATE`;
}

/**
 * Keeps the state a change replaces as a version, in force from the end of the previous one until `at`. Before
 * the project's first payment there is nothing a rule could have rated yet: the rules a project starts selling
 * under hold from the beginning, so a merchant who configures the program and then replays older events gets
 * the rules they configured. A state replaced within the same millisecond was never in force and leaves nothing.
 */
export async function recordRuleChange(tx: Prisma.TransactionClient, change: RuleChange): Promise<void> {
  const { projectId, scope, subjectId, before, after, at } = change;
  if (sameRule(before, after)) return;
  const sold = await tx.conversion.findFirst({ where: { projectId, kind: { in: ['purchase', 'renewal'] } }, select: { id: true } });
  if (!sold) return;
  const last = await tx.ruleVersion.findFirst({ where: { projectId, scope, subjectId }, orderBy: { effectiveTo: 'desc' }, select: { effectiveTo: true } });
  const from = last?.effectiveTo ?? BEGINNING;
  if (at.getTime() <= from.getTime()) return;
  await tx.ruleVersion.create({
    data: {
      projectId,
      scope,
      subjectId,
      effectiveFrom: from,
      effectiveTo: at,
      commissionType: before.commissionType,
      commissionRateBp: before.commissionRateBp,
      commissionAmountMinor: before.commissionAmountMinor,
      commissionDuration: before.commissionDuration ?? null,
      commissionMonths: before.commissionMonths ?? null,
      status: before.status ?? null,
      groupId: before.groupId ?? null,
      holdDays: before.holdDays ?? null,
    },
  });
}

type VersionRow = {
  scope: string;
  subject_id: string;
  effective_from: Date;
  effective_to: Date;
  commission_type: string | null;
  commission_rate_bp: number | null;
  commission_amount_minor: string | null;
  commission_duration: string | null;
  commission_months: number | null;
  status: string | null;
  group_id: string | null;
  hold_days: number | null;
};

export const versionKey = (scope: RuleScope, subjectId: string) => `${scope}:${subjectId}`;

/** The versions of the given subjects (all of a scope when `subjectIds` is null), by `versionKey`, in time order. */
export async function loadRuleVersions(
  tx: SqlSession,
  projectId: string,
  scope: RuleScope,
  subjectIds: readonly string[] | null,
): Promise<Map<string, Version<RuleState>[]>> {
  const columns = `scope, subject_id, effective_from, effective_to, commission_type, commission_rate_bp, commission_amount_minor::text AS commission_amount_minor,
    commission_duration, commission_months, status, group_id, hold_days`;
  // a scope's versions (its rule changes: few), or those of the given subjects, probed one by one (see record-events.ts)
  const rows =
    subjectIds === null
      ? await tx.query<VersionRow>(`SELECT ${columns} FROM rule_versions WHERE project_id = $1 AND scope = $2 ORDER BY subject_id, effective_to`, [projectId, scope])
      : await tx.query<VersionRow>(
          `SELECT v.* FROM unnest($3::text[]) AS k(id)
           CROSS JOIN LATERAL (SELECT ${columns} FROM rule_versions WHERE project_id = $1 AND scope = $2 AND subject_id = k.id OFFSET 0) v
           ORDER BY v.subject_id, v.effective_to`,
          [projectId, scope, [...new Set(subjectIds)]],
        );
  const versions = new Map<string, Version<RuleState>[]>();
  for (const r of rows) {
    const key = versionKey(scope, r.subject_id);
    const list = versions.get(key) ?? [];
    list.push({
      from: r.effective_from,
      to: r.effective_to,
      state: {
        commissionType: r.commission_type,
        commissionRateBp: r.commission_rate_bp,
        commissionAmountMinor: r.commission_amount_minor === null ? null : BigInt(r.commission_amount_minor),
        commissionDuration: r.commission_duration,
        commissionMonths: r.commission_months,
        status: r.status,
        groupId: r.group_id,
        holdDays: r.hold_days,
      },
    });
    versions.set(key, list);
  }
  return versions;
}
