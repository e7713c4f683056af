import type { SqlClient, SqlSession } from '../db/sql';
import type { NormalizedEvent } from '../pipeline/normalized-event';
import { recomputeCustomer } from './recompute-customer';
import { recordEvents, type Scope } from './record-events';

/** Subject keys an event writes, locked in one sorted order so two transactions never wait on each other crosswise. */
function lockKeys(scope: Scope, events: readonly NormalizedEvent[]): string[] {
  const keys = new Set<string>();
  const add = (kind: string, id: string | null | undefined) => id && keys.add(`${scope.projectId}:${scope.provider}:${kind}:${id}`);
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
  return [...keys].sort();
}

/** Takes the locks in the array's (sorted) order, in one round trip: unnest yields its elements in order. */
async function lock(tx: SqlSession, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await tx.query('SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n)', [keys]);
}

/**
 * Applies one provider event's normalized events in two transactions:
 *   1. record the facts (idempotent inserts and merges, under per-subject locks);
 *   2. for each customer group touched, take the group's lock and recompute its ledger from all committed facts.
 * A concurrent event of the same customer either committed its facts before step 2 took the lock (and is seen)
 * or recomputes after it: no interleaving leaves the ledger derived from a partial view. A crash between the two
 * leaves the event unprocessed; its retry records nothing new and recomputes.
 */
export async function applyEvents(sql: SqlClient, scope: Scope, events: readonly NormalizedEvent[]): Promise<void> {
  const groups = await sql.transaction(async (tx) => {
    await lock(tx, lockKeys(scope, events));
    return recordEvents(tx, scope, events);
  });
  for (const group of [...groups].sort()) await recomputeGroup(sql, scope.projectId, scope.provider, group);
}

export async function recomputeGroup(sql: SqlClient, projectId: string, provider: string, customerKey: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await lock(tx, [`group:${projectId}:${provider}:${customerKey}`]);
    await recomputeCustomer(tx, projectId, provider, customerKey);
  });
}
