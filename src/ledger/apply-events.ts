import type { SqlClient, SqlSession } from '../db/sql';
import type { NormalizedEvent } from '../domain/normalized-event';
import type { NewPayment } from './ledger-inputs';
import { recomputeCustomers } from './recompute-customers';
import { mergeRecordedReports, recordEvents, type GroupRef, type Scope, type ScopedEvents } from './record-events';

/** Subject keys an event writes. */
function lockKeys(scope: Scope, events: readonly NormalizedEvent[]): string[] {
  const keys: string[] = [];
  const add = (kind: string, id: string | null | undefined) => id && keys.push(`${scope.projectId}:${scope.provider}:${kind}:${id}`);
  for (const e of events) {
    add('customer', e.customer.id);
    if (e.kind === 'refund') continue;
    add('subscription', e.subscriptionId);
    if (e.kind === 'purchase' || e.kind === 'renewal') add('payment', e.paymentKey);
    if (e.kind === 'facts') {
      add('discount', e.discountId);
      add('payment', e.paymentKey);
      for (const a of e.paymentAliases) add('payment', a);
    }
  }
  return keys;
}

const groupLockKey = (g: GroupRef) => `group:${g.projectId}:${g.provider}:${g.customerKey}`;

/**
 * Takes the locks in one sorted order, in one round trip (unnest yields its elements in order), so two
 * transactions never wait on each other crosswise.
 */
async function lock(tx: SqlSession, keys: Iterable<string>): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  await tx.query('SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n)', [sorted]);
}

/**
 * Applies provider events' normalized events — one provider event or a worker's whole batch — in one transaction:
 *   1. take the locks of every subject the events write (customers, subscriptions, payments, discounts);
 *   2. record the facts (idempotent inserts and merges); a payment not recorded before stays in memory;
 *   3. take the locks of every customer group touched, then merge later reports into recorded payments (the only
 *      rows this takes before the recompute: after the group locks, so that a recompute holding a group never
 *      waits for a row held by a transaction waiting for that group);
 *   4. recompute those groups' ledgers from all committed facts and this transaction's, writing each new payment
 *      once, with its commission.
 * A concurrent event of the same customer either committed before step 3 took the group lock (and is seen) or
 * recomputes after this transaction commits, and sees it: no interleaving leaves the ledger derived from a partial
 * view. No transaction waits for a subject lock while it holds a group lock (all subject locks come first), so the
 * two kinds of locks cannot wait on each other crosswise. A failure or a crash leaves nothing of the events
 * recorded, and their retry starts again. `now` stamps what the change announces (outbound deliveries).
 */
export async function applyEvents(sql: SqlClient, batch: readonly ScopedEvents[], now: Date): Promise<void> {
  await sql.transaction(async (tx) => {
    await lock(tx, batch.flatMap((b) => lockKeys(b.scope, b.events)));
    const recorded = await recordEvents(tx, batch);
    await lock(tx, recorded.groups.map(groupLockKey));
    await mergeRecordedReports(tx, recorded);
    await recomputeLocked(tx, recorded.groups, now, new Map(recorded.places.map((p) => [placeKey(p), p.newPayments])));
  });
}

/** Recomputes customer groups (of any projects and providers) in one transaction holding all their locks. */
export async function recomputeGroups(sql: SqlClient, groups: readonly GroupRef[], now: Date): Promise<void> {
  if (groups.length === 0) return;
  await sql.transaction(async (tx) => {
    await lock(tx, groups.map(groupLockKey));
    await recomputeLocked(tx, groups, now, new Map());
  });
}

const placeKey = (p: { projectId: string; provider: string }) => `${p.projectId}:${p.provider}`;

/** The recompute of groups whose locks the transaction holds, writing the new payments (by place) on the way. */
async function recomputeLocked(tx: SqlSession, groups: readonly GroupRef[], now: Date, newPayments: Map<string, NewPayment[]>): Promise<void> {
  const places = new Map<string, { projectId: string; provider: string; keys: Set<string> }>();
  for (const g of groups) {
    const place = places.get(placeKey(g)) ?? { projectId: g.projectId, provider: g.provider, keys: new Set<string>() };
    place.keys.add(g.customerKey);
    places.set(placeKey(g), place);
  }
  // a new payment is written by its place's recompute alone: one left out would be lost
  for (const [key, payments] of newPayments) if (payments.length > 0 && !places.has(key)) throw new Error(`new payments outside the groups recomputed (${key})`);
  for (const [key, place] of places) {
    await recomputeCustomers(tx, place.projectId, place.provider, [...place.keys], now, newPayments.get(key) ?? []);
  }
}
