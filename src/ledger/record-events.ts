import type { Prisma } from '../generated/prisma/client';
import type { FactsEvent, NormalizedEvent, PaymentEvent, RefundEvent } from '../pipeline/normalized-event';
import { asHints, mergeHints } from './hints';

type Tx = Prisma.TransactionClient;
export type Scope = { projectId: string; provider: string; inboundEventId: string | null };
type SubjectType = 'customer' | 'subscription' | 'payment' | 'discount';

/**
 * Stage one of applying a provider event: record what it says, idempotently, keyed so that any number of
 * deliveries and any arrival order leave the same facts. Returns the customer groups whose ledger must be
 * recomputed. Nothing here decides attribution or money; recompute-customer.ts derives those from the facts.
 */
export async function recordEvents(tx: Tx, scope: Scope, events: readonly NormalizedEvent[]): Promise<Set<string>> {
  const groups = new Set<string>();
  for (const event of events) {
    const group =
      event.kind === 'facts' ? await recordFacts(tx, scope, event) : event.kind === 'refund' ? await recordRefund(tx, scope, event) : await recordPayment(tx, scope, event);
    if (group) groups.add(group);
  }
  return groups;
}

export function paymentExternalKey(provider: string, paymentKey: string): string {
  return `${provider}:${paymentKey}`;
}

async function mergeSubject(
  tx: Tx,
  scope: Scope,
  subjectType: SubjectType,
  subjectId: string,
  patch: { hints?: PaymentEvent['hints']; customerId?: string | null; email?: string | null },
): Promise<void> {
  const where = { projectId_provider_subjectType_subjectId: { projectId: scope.projectId, provider: scope.provider, subjectType, subjectId } };
  const existing = await tx.attributionSubject.findUnique({ where });
  const hints = mergeHints(asHints(existing?.hints), patch.hints);
  const customerId = existing?.customerId ?? patch.customerId ?? null;
  const email = existing?.email ?? patch.email?.toLowerCase() ?? null;
  await tx.attributionSubject.upsert({
    where,
    create: { projectId: scope.projectId, provider: scope.provider, subjectType, subjectId, hints, customerId, email },
    update: { hints, customerId, email },
  });
}

async function addAliases(tx: Tx, scope: Scope, paymentKey: string, aliases: readonly string[]): Promise<void> {
  const rows = [...new Set([paymentKey, ...aliases])].map((alias) => ({ projectId: scope.projectId, provider: scope.provider, alias, paymentKey }));
  await tx.paymentAlias.createMany({ data: rows, skipDuplicates: true });
}

/** The customer group of a payment: its customer, else the subscription's customer, else the payment alone. */
async function customerKeyFor(tx: Tx, scope: Scope, customerId: string | null, subscriptionId: string | null, paymentKey: string | null) {
  if (customerId) return `customer:${customerId}`;
  if (subscriptionId) {
    const sub = await tx.attributionSubject.findUnique({
      where: { projectId_provider_subjectType_subjectId: { projectId: scope.projectId, provider: scope.provider, subjectType: 'subscription', subjectId: subscriptionId } },
      select: { customerId: true },
    });
    if (sub?.customerId) return `customer:${sub.customerId}`;
  }
  return paymentKey ? `payment:${paymentKey}` : null;
}

async function recordPayment(tx: Tx, scope: Scope, p: PaymentEvent): Promise<string> {
  await addAliases(tx, scope, p.paymentKey, p.aliases);
  if (p.subscriptionId) {
    await mergeSubject(tx, scope, 'subscription', p.subscriptionId, { customerId: p.customer.id, email: p.customer.email });
  }
  if (p.customer.id) await mergeSubject(tx, scope, 'customer', p.customer.id, { email: p.customer.email });
  const customerKey = (await customerKeyFor(tx, scope, p.customer.id, p.subscriptionId, p.paymentKey))!;
  const externalKey = paymentExternalKey(scope.provider, p.paymentKey);
  const existing = await tx.conversion.findUnique({ where: { projectId_externalKey: { projectId: scope.projectId, externalKey } } });
  if (existing) {
    // Another event reported the same payment: keep the first report's money, learn what it adds (Paddle's
    // transaction.paid, for one, precedes the subscription id that transaction.completed carries).
    await tx.conversion.update({
      where: { id: existing.id },
      data: {
        hints: mergeHints(asHints(existing.hints), p.hints),
        customerEmail: existing.customerEmail ?? p.customer.email?.toLowerCase() ?? null,
        customerId: existing.customerId ?? p.customer.id,
        subscriptionId: existing.subscriptionId ?? p.subscriptionId,
        productIds: existing.productIds.length > 0 ? existing.productIds : p.productIds,
      },
    });
    return existing.customerKey ?? customerKey;
  }
  await tx.conversion.createMany({
    data: [
      {
        projectId: scope.projectId,
        kind: p.kind,
        provider: scope.provider,
        externalKey,
        paymentKey: p.paymentKey,
        customerKey,
        customerId: p.customer.id,
        customerEmail: p.customer.email?.toLowerCase() ?? null,
        subscriptionId: p.subscriptionId,
        productIds: p.productIds,
        hints: p.hints,
        currency: p.currency,
        amountMinor: p.grossMinor,
        taxMinor: p.taxMinor,
        baseValueMinor: p.grossMinor - p.taxMinor,
        valueMinor: 0n,
        attribution: { method: null, trace: [] },
        reason: 'pending',
        occurredAt: p.occurredAt,
        inboundEventId: scope.inboundEventId,
      },
    ],
    skipDuplicates: true,
  });
  return customerKey;
}

async function recordRefund(tx: Tx, scope: Scope, r: RefundEvent): Promise<string | null> {
  const observationKey = r.refundId ?? `cumulative:${r.amountMinor}`;
  // One row per id the refund names (charge, payment intent…), so whichever of them the payment is known by,
  // the refund is found; readers count each observation key once.
  await tx.refundObservation.createMany({
    data: r.paymentRefs.map((paymentRef) => ({
      projectId: scope.projectId,
      provider: scope.provider,
      paymentRef,
      observationKey,
      cumulative: r.refundId === null,
      amountMinor: r.amountMinor,
      currency: r.currency,
      occurredAt: r.occurredAt,
    })),
    skipDuplicates: true,
  });
  const alias = await tx.paymentAlias.findFirst({
    where: { projectId: scope.projectId, provider: scope.provider, alias: { in: r.paymentRefs } },
  });
  // An unknown payment: its own event recomputes the group later, and finds this refund then.
  if (!alias) return null;
  await addAliases(tx, scope, alias.paymentKey, r.paymentRefs);
  const payment = await tx.conversion.findUnique({
    where: { projectId_externalKey: { projectId: scope.projectId, externalKey: paymentExternalKey(scope.provider, alias.paymentKey) } },
    select: { customerKey: true },
  });
  return payment?.customerKey ?? null;
}

async function recordFacts(tx: Tx, scope: Scope, f: FactsEvent): Promise<string | null> {
  const patch = { hints: f.hints, customerId: f.customer.id, email: f.customer.email };
  if (f.customer.id) await mergeSubject(tx, scope, 'customer', f.customer.id, { hints: f.hints, email: f.customer.email });
  if (f.subscriptionId) await mergeSubject(tx, scope, 'subscription', f.subscriptionId, patch);
  if (f.discountId) await mergeSubject(tx, scope, 'discount', f.discountId, patch);
  for (const alias of f.paymentAliases) await mergeSubject(tx, scope, 'payment', alias, patch);
  if (f.paymentKey) {
    await mergeSubject(tx, scope, 'payment', f.paymentKey, patch);
    await addAliases(tx, scope, f.paymentKey, f.paymentAliases);
    const payment = await tx.conversion.findUnique({
      where: { projectId_externalKey: { projectId: scope.projectId, externalKey: paymentExternalKey(scope.provider, f.paymentKey) } },
      select: { customerKey: true },
    });
    if (payment?.customerKey) return payment.customerKey;
  }
  return customerKeyFor(tx, scope, f.customer.id, f.subscriptionId, null);
}
