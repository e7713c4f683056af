import { explainAttribution } from '../attribution/explain';
import type { Conversion, PrismaClient } from '../generated/prisma/client';

type Attribution = { method?: unknown; trace?: unknown; detail?: unknown };

const boundToEarlier = (c: Conversion) => {
  const a = c.attribution as Attribution | null;
  return a?.method === 'subscription' && Array.isArray(a.trace) && (a.trace as { step?: unknown; detail?: unknown }[]).some((s) => s.step === 'subscription' && typeof s.detail === 'string' && s.detail.startsWith('the affiliate of an earlier'));
};

/** What a conversion's answer says beside its row: whose it is by email, and how it came to be theirs in words. */
export type Explained = { affiliate_email: string | null; attribution_explanation: string };

/**
 * `attribution_explanation` for each conversion (src/attribution/explain.ts) and its `affiliate_email`: the
 * affiliates' emails in one query, and for payments bound to an earlier one, how their subscription's first
 * attributed payment was attributed, in one more.
 */
export async function explanationsFor(prisma: PrismaClient, projectId: string, rows: Conversion[]): Promise<Map<string, Explained>> {
  const affiliateIds = [...new Set(rows.map((c) => c.affiliateId).filter((id): id is string => id !== null))];
  const subscriptions = [...new Set(rows.filter(boundToEarlier).map((c) => c.subscriptionId).filter((id): id is string => id !== null))];
  const [affiliates, firsts] = await Promise.all([
    affiliateIds.length ? prisma.affiliate.findMany({ where: { projectId, id: { in: affiliateIds } }, select: { id: true, email: true } }) : [],
    subscriptions.length
      ? prisma.$queryRaw<{ subscription_id: string; attribution: Attribution }[]>`
          SELECT DISTINCT ON (subscription_id) subscription_id, attribution FROM conversions
          WHERE project_id = ${projectId}::uuid AND subscription_id = ANY(${subscriptions}::text[]) AND affiliate_id IS NOT NULL
            AND attribution->>'method' IS DISTINCT FROM 'subscription'
          ORDER BY subscription_id, occurred_at, id`
      : [],
  ]);
  const emails = new Map(affiliates.map((a) => [a.id, a.email]));
  const first = new Map(firsts.map((f) => [f.subscription_id, f.attribution]));
  return new Map(
    rows.map((c) => [
      c.id,
      {
        affiliate_email: c.affiliateId ? (emails.get(c.affiliateId) ?? null) : null,
        attribution_explanation: explainAttribution({
          attribution: c.attribution as Attribution | null,
          affiliate: c.affiliateId ? (emails.get(c.affiliateId) ?? c.affiliateId) : null,
          provider: c.provider,
          subscriptionId: c.subscriptionId,
          firstAttribution: c.subscriptionId ? (first.get(c.subscriptionId) ?? null) : null,
        }),
      },
    ]),
  );
}

/** The views of `rows` with their affiliate's email and their explanation. */
export async function withExplanations<V extends { id: string }>(prisma: PrismaClient, projectId: string, rows: Conversion[], view: (c: Conversion) => V): Promise<(V & Explained)[]> {
  const words = await explanationsFor(prisma, projectId, rows);
  return rows.map((c) => ({ ...view(c), ...words.get(c.id)! }));
}
