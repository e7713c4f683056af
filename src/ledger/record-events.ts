import type { SqlSession } from '../db/sql';
import type { FactsEvent, Hints, NormalizedEvent, PaymentEvent, RefundEvent } from '../pipeline/normalized-event';
import { asHints, mergeHints } from './hints';

type Tx = SqlSession;
export type Scope = { projectId: string; provider: string; inboundEventId: string | null };
type SubjectType = 'customer' | 'subscription' | 'payment' | 'discount';

/**
 * Stage one of applying a provider event: record what it says, idempotently, keyed so that any number of
 * deliveries and any arrival order leave the same facts. Returns the customer groups whose ledger must be
 * recomputed. Nothing here decides attribution or money; recompute-customer.ts derives those from the facts.
 * Plain SQL: this is the hot path of every worker.
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

type SubjectPatch = { hints?: Hints; customerId?: string | null; email?: string | null };

/** Merges into subjects: hints are unions, a known customer id or email is kept. One read, one write. */
async function mergeSubjects(tx: Tx, scope: Scope, patches: [SubjectType, string, SubjectPatch][]): Promise<void> {
  if (patches.length === 0) return;
  const existing = await tx.query<{ subject_type: string; subject_id: string; hints: unknown; customer_id: string | null; email: string | null }>(
    `SELECT subject_type, subject_id, hints, customer_id, email FROM attribution_subjects
     WHERE project_id = $1 AND provider = $2 AND (subject_type, subject_id) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
    [scope.projectId, scope.provider, patches.map((p) => p[0]), patches.map((p) => p[1])],
  );
  const byKey = new Map(existing.map((e) => [`${e.subject_type}:${e.subject_id}`, e]));
  const merged = new Map<string, { type: string; id: string; hints: Hints; customerId: string | null; email: string | null }>();
  for (const [type, id, patch] of patches) {
    const key = `${type}:${id}`;
    const base = merged.get(key) ?? (byKey.has(key) ? { type, id, hints: asHints(byKey.get(key)!.hints)!, customerId: byKey.get(key)!.customer_id, email: byKey.get(key)!.email } : null);
    merged.set(key, {
      type,
      id,
      hints: mergeHints(base?.hints, patch.hints),
      customerId: base?.customerId ?? patch.customerId ?? null,
      email: base?.email ?? patch.email?.toLowerCase() ?? null,
    });
  }
  const rows = [...merged.values()];
  await tx.query(
    `INSERT INTO attribution_subjects (project_id, provider, subject_type, subject_id, hints, customer_id, email, updated_at)
     SELECT $1, $2, t, i, h::jsonb, c, e, now() FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(t, i, h, c, e)
     ON CONFLICT (project_id, provider, subject_type, subject_id)
     DO UPDATE SET hints = EXCLUDED.hints, customer_id = EXCLUDED.customer_id, email = EXCLUDED.email, updated_at = now()`,
    [
      scope.projectId,
      scope.provider,
      rows.map((r) => r.type),
      rows.map((r) => r.id),
      rows.map((r) => JSON.stringify(r.hints)),
      rows.map((r) => r.customerId),
      rows.map((r) => r.email),
    ],
  );
}

async function addAliases(tx: Tx, scope: Scope, paymentKey: string, aliases: readonly string[]): Promise<void> {
  await tx.query(
    `INSERT INTO payment_aliases (project_id, provider, alias, payment_key)
     SELECT $1, $2, a, $3 FROM unnest($4::text[]) AS a ON CONFLICT DO NOTHING`,
    [scope.projectId, scope.provider, paymentKey, [...new Set([paymentKey, ...aliases])]],
  );
}

/** The customer group of a payment: its customer, else the subscription's customer, else the payment alone. */
async function customerKeyFor(tx: Tx, scope: Scope, customerId: string | null, subscriptionId: string | null, paymentKey: string | null) {
  if (customerId) return `customer:${customerId}`;
  if (subscriptionId) {
    const [sub] = await tx.query<{ customer_id: string | null }>(
      `SELECT customer_id FROM attribution_subjects WHERE project_id = $1 AND provider = $2 AND subject_type = 'subscription' AND subject_id = $3`,
      [scope.projectId, scope.provider, subscriptionId],
    );
    if (sub?.customer_id) return `customer:${sub.customer_id}`;
  }
  return paymentKey ? `payment:${paymentKey}` : null;
}

async function paymentGroup(tx: Tx, scope: Scope, paymentKey: string): Promise<string | null> {
  const [row] = await tx.query<{ customer_key: string | null }>(
    'SELECT customer_key FROM conversions WHERE project_id = $1 AND external_key = $2',
    [scope.projectId, paymentExternalKey(scope.provider, paymentKey)],
  );
  return row?.customer_key ?? null;
}

async function recordPayment(tx: Tx, scope: Scope, p: PaymentEvent): Promise<string> {
  await addAliases(tx, scope, p.paymentKey, p.aliases);
  const patches: [SubjectType, string, SubjectPatch][] = [];
  if (p.subscriptionId) patches.push(['subscription', p.subscriptionId, { customerId: p.customer.id, email: p.customer.email }]);
  if (p.customer.id) patches.push(['customer', p.customer.id, { email: p.customer.email }]);
  await mergeSubjects(tx, scope, patches);
  const customerKey = (await customerKeyFor(tx, scope, p.customer.id, p.subscriptionId, p.paymentKey))!;
  const externalKey = paymentExternalKey(scope.provider, p.paymentKey);
  const email = p.customer.email?.toLowerCase() ?? null;
  const [created] = await tx.query<{ customer_key: string }>(
    `INSERT INTO conversions (project_id, kind, provider, external_key, payment_key, customer_key, customer_id, customer_email,
       subscription_id, product_ids, hints, currency, amount_minor, tax_minor, base_value_minor, value_minor, attribution, reason,
       occurred_at, inbound_event_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11::jsonb, $12, $13, $14, $15, 0, '{"method":null,"trace":[]}', 'pending', $16, $17)
     ON CONFLICT (project_id, external_key) DO NOTHING
     RETURNING customer_key`,
    [
      scope.projectId,
      p.kind,
      scope.provider,
      externalKey,
      p.paymentKey,
      customerKey,
      p.customer.id,
      email,
      p.subscriptionId,
      p.productIds,
      JSON.stringify(p.hints),
      p.currency,
      p.grossMinor.toString(),
      p.taxMinor.toString(),
      (p.grossMinor - p.taxMinor).toString(),
      p.occurredAt,
      scope.inboundEventId,
    ],
  );
  if (created) return created.customer_key;
  // Another event reported the same payment: keep the first report's money, learn what it adds (Paddle's
  // transaction.paid, for one, precedes the subscription id that transaction.completed carries).
  const [existing] = await tx.query<{ id: string; hints: unknown; customer_key: string | null }>(
    'SELECT id, hints, customer_key FROM conversions WHERE project_id = $1 AND external_key = $2 FOR UPDATE',
    [scope.projectId, externalKey],
  );
  await tx.query(
    `UPDATE conversions SET hints = $2::jsonb, customer_email = coalesce(customer_email, $3), customer_id = coalesce(customer_id, $4),
       subscription_id = coalesce(subscription_id, $5),
       product_ids = CASE WHEN cardinality(coalesce(product_ids, '{}')) > 0 THEN product_ids ELSE $6::text[] END,
       updated_at = now()
     WHERE id = $1`,
    [existing!.id, JSON.stringify(mergeHints(asHints(existing!.hints), p.hints)), email, p.customer.id, p.subscriptionId, p.productIds],
  );
  return existing!.customer_key ?? customerKey;
}

async function recordRefund(tx: Tx, scope: Scope, r: RefundEvent): Promise<string | null> {
  const observationKey = r.refundId ?? `cumulative:${r.amountMinor}`;
  // One row per id the refund names (charge, payment intent…), so whichever of them the payment is known by,
  // the refund is found; readers count each observation key once.
  await tx.query(
    `INSERT INTO refund_observations (project_id, provider, payment_ref, observation_key, cumulative, amount_minor, currency, occurred_at)
     SELECT $1, $2, ref, $3, $4, $5, $6, $7 FROM unnest($8::text[]) AS ref
     ON CONFLICT DO NOTHING`,
    [scope.projectId, scope.provider, observationKey, r.refundId === null, r.amountMinor.toString(), r.currency, r.occurredAt, r.paymentRefs],
  );
  const [alias] = await tx.query<{ payment_key: string }>(
    'SELECT payment_key FROM payment_aliases WHERE project_id = $1 AND provider = $2 AND alias = ANY($3::text[]) LIMIT 1',
    [scope.projectId, scope.provider, r.paymentRefs],
  );
  // An unknown payment: its own event recomputes the group later, and finds this refund then.
  if (!alias) return null;
  await addAliases(tx, scope, alias.payment_key, r.paymentRefs);
  return paymentGroup(tx, scope, alias.payment_key);
}

async function recordFacts(tx: Tx, scope: Scope, f: FactsEvent): Promise<string | null> {
  const patch = { hints: f.hints, customerId: f.customer.id, email: f.customer.email };
  const patches: [SubjectType, string, SubjectPatch][] = [];
  if (f.customer.id) patches.push(['customer', f.customer.id, { hints: f.hints, email: f.customer.email }]);
  if (f.subscriptionId) patches.push(['subscription', f.subscriptionId, patch]);
  if (f.discountId) patches.push(['discount', f.discountId, patch]);
  for (const alias of new Set([...f.paymentAliases, ...(f.paymentKey ? [f.paymentKey] : [])])) patches.push(['payment', alias, patch]);
  await mergeSubjects(tx, scope, patches);
  if (f.paymentKey) {
    await addAliases(tx, scope, f.paymentKey, f.paymentAliases);
    const group = await paymentGroup(tx, scope, f.paymentKey);
    if (group) return group;
  }
  return customerKeyFor(tx, scope, f.customer.id, f.subscriptionId, null);
}
