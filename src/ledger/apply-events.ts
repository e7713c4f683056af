import type { SqlClient, SqlSession } from '../db/sql';
import type { NormalizedEvent } from '../domain/normalized-event';
import { recomputeCustomers } from './recompute-customers';
import { mergeRecordedReports, recordEvents, type GroupRef, type RecordedPlace, type Scope, type ScopedEvents } from './record-events';

/**
 * Subject keys an event writes or, for a refund, reads. Every id a payment is known by is locked by the events that
 * make it known (a purchase's or renewal's key and aliases, a fact's) and by a refund naming it: a refund looks its
 * payment up by those ids, and a payment's recompute looks its refunds up by them, so without a shared lock the two,
 * applied at once, could each miss the other and the refund would be counted by neither.
 */
function lockKeys(scope: Scope, events: readonly NormalizedEvent[]): string[] {
  const keys: string[] = [];
  const add = (kind: string, id: string | null | undefined) => id && keys.push(`${scope.projectId}:${scope.provider}:${kind}:${id}`);
  for (const e of events) {
    add('customer', e.customer.id);
    if (e.kind === 'refund') {
      for (const ref of e.paymentRefs) add('payment', ref);
      continue;
    }
    add('subscription', e.subscriptionId);
    if (e.kind === 'purchase' || e.kind === 'renewal') {
      add('payment', e.paymentKey);
      for (const a of e.aliases) add('payment', a);
    }
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
 * Applies provider events' normalized events — one provider event or a worker's whole batch — inside the caller's
 * transaction, which holds no subject or group lock yet (the pipeline's, which also takes the inbox rows and records
 * their ends):
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
export async function applyEvents(tx: SqlSession, batch: readonly ScopedEvents[], now: Date): Promise<void> {
  await lock(tx, batch.flatMap((b) => lockKeys(b.scope, b.events)));
  const recorded = await recordEvents(tx, batch);
  await lock(tx, recorded.groups.map(groupLockKey));
  await mergeRecordedReports(tx, recorded);
  await recomputeLocked(tx, recorded.groups, now, recorded.places);
}

/** Recomputes customer groups (of any projects and providers) in one transaction holding all their locks. */
export async function recomputeGroups(sql: SqlClient, groups: readonly GroupRef[], now: Date): Promise<void> {
  if (groups.length === 0) return;
  await sql.transaction((tx) => recomputeGroupsIn(tx, groups, now));
}

/**
 * recomputeGroups in the caller's transaction: takes the groups' locks, runs `beforeRecompute` holding them (a
 * change to their rows that the recompute must see, made while no event of theirs can be applied), then recomputes.
 */
export async function recomputeGroupsIn(tx: SqlSession, groups: readonly GroupRef[], now: Date, beforeRecompute?: () => Promise<void>): Promise<void> {
  if (groups.length === 0) return;
  await lock(tx, groups.map(groupLockKey));
  await beforeRecompute?.();
  await recomputeLocked(tx, groups, now, []);
}

const placeKey = (p: { projectId: string; provider: string }) => `${p.projectId}:${p.provider}`;

/**
 * The recompute of groups whose locks the transaction holds. Each new payment goes to its place's recompute with
 * its customer among the keys, so every one is written.
 */
async function recomputeLocked(tx: SqlSession, groups: readonly GroupRef[], now: Date, recorded: readonly RecordedPlace[]): Promise<void> {
  type Place = Pick<RecordedPlace, 'projectId' | 'provider' | 'newPayments'> & { keys: Set<string> };
  const places = new Map<string, Place>();
  const placeOf = (p: { projectId: string; provider: string }) => {
    const place = places.get(placeKey(p)) ?? { projectId: p.projectId, provider: p.provider, newPayments: [], keys: new Set<string>() };
    places.set(placeKey(p), place);
    return place;
  };
  for (const g of groups) placeOf(g).keys.add(g.customerKey);
  for (const r of recorded) {
    const place = placeOf(r);
    for (const p of r.newPayments) place.keys.add(p.customerKey);
    place.newPayments.push(...r.newPayments);
  }
  for (const place of places.values()) await recomputeCustomers(tx, place.projectId, place.provider, [...place.keys], now, place.newPayments);
}
