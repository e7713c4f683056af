import type { SqlClient, SqlSession } from '../db/sql';
import type { NormalizedEvent } from '../domain/normalized-event';
import { recomputeCustomers } from './recompute-customers';
import { recordEvents, type GroupRef, type Scope, type ScopedEvents } from './record-events';

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
 * Applies provider events' normalized events — one provider event or a worker's whole batch — in two
 * transactions:
 *   1. record the facts (idempotent inserts and merges, under per-subject locks);
 *   2. take the locks of every customer group touched and recompute their ledgers from all committed facts.
 * A concurrent event of the same customer either committed its facts before step 2 took the lock (and is seen)
 * or recomputes after it: no interleaving leaves the ledger derived from a partial view. A crash between the two
 * leaves the events unprocessed; their retry records nothing new and recomputes.
 */
/** `now` stamps what the change announces (outbound deliveries). */
export async function applyEvents(sql: SqlClient, batch: readonly ScopedEvents[], now: Date): Promise<void> {
  const groups = await sql.transaction(async (tx) => {
    await lock(tx, batch.flatMap((b) => lockKeys(b.scope, b.events)));
    return recordEvents(tx, batch);
  });
  await recomputeGroups(sql, groups, now);
}

/** Recomputes customer groups (of any projects and providers) in one transaction holding all their locks. */
export async function recomputeGroups(sql: SqlClient, groups: readonly GroupRef[], now: Date): Promise<void> {
  if (groups.length === 0) return;
  const places = new Map<string, { projectId: string; provider: string; keys: Set<string> }>();
  for (const g of groups) {
    const place = places.get(`${g.projectId}:${g.provider}`) ?? { projectId: g.projectId, provider: g.provider, keys: new Set<string>() };
    place.keys.add(g.customerKey);
    places.set(`${g.projectId}:${g.provider}`, place);
  }
  await sql.transaction(async (tx) => {
    await lock(tx, groups.map(groupLockKey));
    for (const place of places.values()) await recomputeCustomers(tx, place.projectId, place.provider, [...place.keys], now);
  });
}
