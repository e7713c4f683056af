import { randomUUID } from 'node:crypto';
import { jsonTexts } from '../db/text-array';
import { cumulativeKeyOf, failureKeyOf } from '../commission/reversal';
import type { SqlSession } from '../db/sql';
import { nth, updateByPosition } from '../db/update-by-position';
import type { FactsEvent, Hints, NormalizedEvent, PaymentEvent, RefundEvent } from '../domain/normalized-event';
import { addDatedHints, asDatedHints, asHints, combineStatements, mergeHints, type DatedHints } from './hints';
import { addDatedProducts, asDatedProducts, type DatedProducts } from './subscription-products';
import type { NewPayment } from './ledger-inputs';

type Tx = SqlSession;
export type Scope = { projectId: string; provider: string; inboundEventId: string | null };
/** The normalized events of one provider event, with where they came from. */
export type ScopedEvents = { scope: Scope; events: readonly NormalizedEvent[] };
/** A customer group whose ledger must be recomputed. */
export type GroupRef = { projectId: string; provider: string; customerKey: string };
type SubjectType = 'customer' | 'subscription' | 'payment' | 'discount';
type Place = { projectId: string; provider: string };
type Item<E> = { event: E; inboundEventId: string | null };
/**
 * What recording leaves to the rest of the transaction, per project and provider: the payments not recorded before
 * (written by the recompute, with their commission) and the later reports of recorded ones (merged into their rows
 * once the groups are locked, so that no row is locked before a group lock: see apply-events.ts).
 */
export type RecordedPlace = Place & { newPayments: NewPayment[]; reports: PaymentEvent[] };
export type Recorded = { groups: GroupRef[]; places: RecordedPlace[] };

/**
 * Stage one of applying provider events: record what they say, idempotently, keyed so that any number of
 * deliveries and any arrival order leave the same facts. Returns the customer groups whose ledger must be
 * recomputed, with the payments it found new (written by the recompute, in the same transaction, once their
 * commission is known) and the later reports of recorded payments (merged once the groups are locked). Nothing
 * here decides attribution or money; recompute-customers.ts derives those from the facts.
 * Set-based: the events of a batch are recorded with a handful of multi-row statements per project and
 * provider, in an order (aliases, subjects, payments, refunds, then the groups they touch) under which each
 * event sees at least what it would have seen arriving alone.
 *
 * Every read looks its keys up one by one through the index that holds them (`unnest(keys) CROSS JOIN LATERAL
 * (… WHERE key = k … OFFSET 0)`: OFFSET 0 keeps the subquery a per-key probe the planner cannot turn into a join
 * over the table), so a batch costs the same at 100 rows or 100 million, with or without statistics
 * (docs/performance.md; test/ledger/batch-plans.test.ts).
 */
export async function recordEvents(tx: Tx, batch: readonly ScopedEvents[]): Promise<Recorded> {
  const places = new Map<string, { place: Place; items: Item<NormalizedEvent>[] }>();
  for (const { scope, events } of batch) {
    const key = `${scope.projectId}:${scope.provider}`;
    const entry = places.get(key) ?? { place: { projectId: scope.projectId, provider: scope.provider }, items: [] };
    for (const event of events) entry.items.push({ event, inboundEventId: scope.inboundEventId });
    places.set(key, entry);
  }
  const recorded: Recorded = { groups: [], places: [] };
  for (const { place, items } of places.values()) {
    const { groups, ...rest } = await recordAt(tx, place, items);
    for (const customerKey of groups) recorded.groups.push({ ...place, customerKey });
    recorded.places.push({ ...place, ...rest });
  }
  return recorded;
}

/** Merges the later reports of recorded payments into their rows; the caller holds their groups' locks. */
export async function mergeRecordedReports(tx: Tx, recorded: Recorded): Promise<void> {
  for (const place of recorded.places) await mergeReports(tx, place, place.reports);
}

export function paymentExternalKey(provider: string, paymentKey: string): string {
  return `${provider}:${paymentKey}`;
}

function only<K extends NormalizedEvent['kind']>(items: Item<NormalizedEvent>[], kind: K): Item<Extract<NormalizedEvent, { kind: K }>>[] {
  return items.filter((i) => i.event.kind === kind) as Item<Extract<NormalizedEvent, { kind: K }>>[];
}

async function recordAt(tx: Tx, place: Place, items: Item<NormalizedEvent>[]): Promise<Omit<RecordedPlace, keyof Place> & { groups: Set<string> }> {
  const payments = [...only(items, 'purchase'), ...only(items, 'renewal')] as Item<PaymentEvent>[];
  const refunds = only(items, 'refund');
  const facts = only(items, 'facts');
  const groups = new Set<string>();

  await addAliases(tx, place, [
    ...payments.map(({ event: p }): [string, string[]] => [p.paymentKey, p.aliases]),
    ...facts.flatMap(({ event: f }): [string, string[]][] => (f.paymentKey ? [[f.paymentKey, f.paymentAliases]] : [])),
  ]);
  await mergeSubjects(tx, place, items.flatMap((i) => subjectPatches(i.event)));
  const subscriptionCustomers = await subscriptionCustomersOf(
    tx,
    place,
    [...payments.map((i) => i.event), ...facts.map((i) => i.event)].flatMap((e) => (!e.customer.id && e.subscriptionId ? [e.subscriptionId] : [])),
  );
  const customerKeyFor = (customerId: string | null, subscriptionId: string | null) => {
    if (customerId) return `customer:${customerId}`;
    const viaSubscription = subscriptionId ? subscriptionCustomers.get(subscriptionId) : undefined;
    return viaSubscription ? `customer:${viaSubscription}` : null;
  };

  const customerKeyOf = (p: PaymentEvent) => customerKeyFor(p.customer.id, p.subscriptionId) ?? `payment:${p.paymentKey}`;
  const recorded = await recordPayments(tx, place, payments, customerKeyOf);
  for (const g of recorded.groups) groups.add(g);
  const refundPayments = await recordRefunds(tx, place, refunds);

  const paymentGroups = await recordedPayments(tx, place, [...refundPayments, ...facts.flatMap((i) => (i.event.paymentKey ? [i.event.paymentKey] : []))]);
  for (const p of recorded.newPayments) paymentGroups.set(p.paymentKey, p.customerKey);
  for (const key of refundPayments) {
    const group = paymentGroups.get(key);
    // An unknown payment: its own event recomputes the group later, and finds this refund then.
    if (group) groups.add(group);
  }
  for (const { event: f } of facts) {
    const group = (f.paymentKey ? paymentGroups.get(f.paymentKey) : undefined) ?? customerKeyFor(f.customer.id, f.subscriptionId);
    if (group) groups.add(group);
  }
  return { groups, newPayments: recorded.newPayments, reports: recorded.reports };
}

/**
 * `since`: the hints were learned then and reach only payments at or after it (DatedHints; `exact`: another
 * payment's own, without the grace); without, every payment of the subject. `at`: when the event said what it says
 * (the earliest statement of an email is kept).
 */
type SubjectPatch = [
  SubjectType,
  string,
  {
    hints?: Hints;
    customerId?: string | null;
    email?: string | null;
    at?: Date;
    since?: Date;
    exact?: boolean;
    products?: { at: Date; ids: string[] };
    subscriptionId?: string;
  },
];

function subjectPatches(e: NormalizedEvent): SubjectPatch[] {
  const patches: SubjectPatch[] = [];
  if (e.kind === 'refund') return patches;
  if (e.kind === 'facts') {
    const patch = { hints: e.hints, customerId: e.customer.id, email: e.customer.email, at: e.occurredAt };
    // A sale's checkout and its subscription's creation describe the sale: their hints reach all its payments.
    // Anything else (a coupon applied later, metadata changed, a customer's next checkout) is dated, even when
    // the provider names the first payment with it (Polar's subscription events carry its checkout id, Lemon
    // Squeezy's its first order).
    const startsSale = e.fact === 'checkout' || e.fact === 'subscription_started';
    const reach = startsSale ? patch : { ...patch, since: e.occurredAt };
    if (e.customer.id) patches.push(['customer', e.customer.id, { hints: e.hints, email: e.customer.email, at: e.occurredAt, since: e.occurredAt }]);
    if (e.subscriptionId) patches.push(['subscription', e.subscriptionId, { ...reach, ...(e.productIds?.length ? { products: { at: e.occurredAt, ids: e.productIds } } : {}) }]);
    if (e.discountId) patches.push(['discount', e.discountId, patch]);
    for (const alias of new Set([...e.paymentAliases, ...(e.paymentKey ? [e.paymentKey] : [])])) patches.push(['payment', alias, reach]);
    // A subscription's event that names its first payment says whose that payment is, where the payment itself names
    // no subscription (a Lemon Squeezy order): the ledger then tells it from a later subscription's first payment.
    const ofSubscription = e.fact === 'subscription_started' || e.fact === 'subscription_changed' || e.fact === 'subscription_canceled';
    if (ofSubscription && e.subscriptionId && e.paymentKey) patches.push(['payment', e.paymentKey, { subscriptionId: e.subscriptionId }]);
    return patches;
  }
  // A payment's hints are the subscription's too, from its time on: a plan change invoiced with the first invoice
  // learns the code that invoice carried, whichever arrives first; a renewal's own code reaches no earlier payment.
  if (e.subscriptionId) patches.push(['subscription', e.subscriptionId, { hints: e.hints, customerId: e.customer.id, email: e.customer.email, at: e.occurredAt, since: e.occurredAt, exact: true }]);
  if (e.customer.id) patches.push(['customer', e.customer.id, { email: e.customer.email, at: e.occurredAt }]);
  return patches;
}

type SubjectRow = {
  subject_type: string;
  subject_id: string;
  hints: unknown;
  dated_hints: unknown;
  product_ids: unknown;
  customer_id: string | null;
  email: string | null;
  email_at: Date | null;
  subscription_id: string | null;
};

/**
 * Merges into subjects: undated hints combined whatever their order (combineStatements), dated ones kept with their
 * time, a known customer id is kept, and of the emails stated the earliest (then the least) is kept, so the arrival
 * order decides nothing. One read, one write.
 */
async function mergeSubjects(tx: Tx, place: Place, patches: SubjectPatch[]): Promise<void> {
  if (patches.length === 0) return;
  const keys = [...new Map(patches.map((p): [string, [string, string]] => [`${p[0]}:${p[1]}`, [p[0], p[1]]])).values()];
  const existing = await tx.query<SubjectRow>(
    `SELECT s.subject_type, s.subject_id, s.hints, s.dated_hints, s.product_ids, s.customer_id, s.email, s.email_at, s.subscription_id FROM unnest($3::text[], $4::text[]) AS k(t, i)
     CROSS JOIN LATERAL (SELECT subject_type, subject_id, hints, dated_hints, product_ids, customer_id, email, email_at, subscription_id FROM attribution_subjects
                         WHERE project_id = $1 AND provider = $2 AND subject_type = k.t AND subject_id = k.i OFFSET 0) s`,
    [place.projectId, place.provider, keys.map((k) => k[0]), keys.map((k) => k[1])],
  );
  const byKey = new Map(existing.map((e) => [`${e.subject_type}:${e.subject_id}`, e]));
  type Merged = {
    type: string;
    id: string;
    hints: Hints;
    dated: DatedHints[];
    products: DatedProducts;
    customerId: string | null;
    email: string | null;
    emailAt: Date | null;
    subscriptionId: string | null;
  };
  const merged = new Map<string, Merged>();
  for (const [type, id, patch] of patches) {
    const key = `${type}:${id}`;
    const stored = byKey.get(key);
    const base: Merged | null =
      merged.get(key) ??
      (stored
        ? {
            type,
            id,
            hints: asHints(stored.hints)!,
            dated: asDatedHints(stored.dated_hints),
            products: asDatedProducts(stored.product_ids),
            customerId: stored.customer_id,
            email: stored.email,
            emailAt: stored.email_at,
            subscriptionId: stored.subscription_id,
          }
        : null);
    const dated = patch.since && patch.hints ? addDatedHints(base?.dated ?? [], patch.since, patch.hints, patch.exact) : (base?.dated ?? []);
    const email = earliestEmail(base, patch.email?.toLowerCase() ?? null, patch.at ?? null);
    merged.set(key, {
      type,
      id,
      hints: patch.since ? mergeHints(base?.hints) : combineStatements(base?.hints, patch.hints),
      dated,
      products: patch.products ? addDatedProducts(base?.products ?? [], patch.products.at, patch.products.ids) : (base?.products ?? []),
      customerId: base?.customerId ?? patch.customerId ?? null,
      email: email.email,
      emailAt: email.at,
      subscriptionId: base?.subscriptionId ?? patch.subscriptionId ?? null,
    });
  }
  // in key order, so two transactions writing the same subjects take their row locks in the same order
  const rows = [...merged.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, r]) => r);
  await tx.query(
    `INSERT INTO attribution_subjects (project_id, provider, subject_type, subject_id, hints, dated_hints, product_ids, customer_id, email, email_at, subscription_id, updated_at)
     SELECT $1, $2, t, i, h::jsonb, d::jsonb, p::jsonb, c, e, ea, s, now()
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[]) AS u(t, i, h, d, c, e, p, s, ea)
     ON CONFLICT (project_id, provider, subject_type, subject_id)
     DO UPDATE SET hints = EXCLUDED.hints, dated_hints = EXCLUDED.dated_hints, product_ids = EXCLUDED.product_ids, customer_id = EXCLUDED.customer_id, email = EXCLUDED.email,
                   email_at = EXCLUDED.email_at, subscription_id = EXCLUDED.subscription_id, updated_at = now()`,
    [
      place.projectId,
      place.provider,
      rows.map((r) => r.type),
      rows.map((r) => r.id),
      jsonTexts(rows.map((r) => r.hints)),
      jsonTexts(rows.map((r) => r.dated.map((d) => ({ at: d.at.toISOString(), hints: d.hints, ...(d.exact ? { exact: true } : {}) })))),
      rows.map((r) => r.customerId),
      rows.map((r) => r.email),
      jsonTexts(rows.map((r) => r.products.map((d) => ({ at: d.at.toISOString(), ids: d.ids })))),
      rows.map((r) => r.subscriptionId),
      rows.map((r) => r.emailAt?.toISOString() ?? null),
    ],
  );
}

/**
 * The email a subject keeps: the one stated earliest, the lesser on a tie, so a customer's later change of address
 * (Paddle's customer.updated) never replaces the one its payments were made under, in whatever order the events
 * arrive. An email kept before statements were dated is kept.
 */
function earliestEmail(base: { email: string | null; emailAt: Date | null } | null, stated: string | null, at: Date | null): { email: string | null; at: Date | null } {
  const kept = { email: base?.email ?? null, at: base?.emailAt ?? null };
  if (stated === null) return kept;
  if (kept.email === null) return { email: stated, at };
  if (at === null || kept.at === null) return kept;
  // the same address stated earlier than known moves its date back
  const earlier = at.getTime() < kept.at.getTime() || (at.getTime() === kept.at.getTime() && stated < kept.email);
  return earlier ? { email: stated, at } : kept;
}

/** Every id of each payment points to its payment key (the key itself included). */
async function addAliases(tx: Tx, place: Place, payments: [string, readonly string[]][]): Promise<void> {
  const pairs = new Map<string, string>();
  for (const [paymentKey, aliases] of payments) for (const alias of [paymentKey, ...aliases]) if (!pairs.has(alias)) pairs.set(alias, paymentKey);
  if (pairs.size === 0) return;
  const sorted = [...pairs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  await tx.query(
    `INSERT INTO payment_aliases (project_id, provider, alias, payment_key)
     SELECT $1, $2, a, k FROM unnest($3::text[], $4::text[]) AS u(a, k) ON CONFLICT DO NOTHING`,
    [place.projectId, place.provider, sorted.map((p) => p[0]), sorted.map((p) => p[1])],
  );
}

async function subscriptionCustomersOf(tx: Tx, place: Place, subscriptionIds: string[]): Promise<Map<string, string>> {
  if (subscriptionIds.length === 0) return new Map();
  const rows = await tx.query<{ subject_id: string; customer_id: string | null }>(
    `SELECT s.subject_id, s.customer_id FROM unnest($3::text[]) AS k(id)
     CROSS JOIN LATERAL (SELECT subject_id, customer_id FROM attribution_subjects
                         WHERE project_id = $1 AND provider = $2 AND subject_type = 'subscription' AND subject_id = k.id OFFSET 0) s
     WHERE s.customer_id IS NOT NULL`,
    [place.projectId, place.provider, [...new Set(subscriptionIds)]],
  );
  return new Map(rows.map((r) => [r.subject_id, r.customer_id!]));
}

/** payment key → the customer group of its conversion, for the payments that have one. */
async function conversionGroups(tx: Tx, place: Place, paymentKeys: string[]): Promise<Map<string, string>> {
  if (paymentKeys.length === 0) return new Map();
  const rows = await tx.query<{ payment_key: string; customer_key: string | null }>(
    `SELECT c.payment_key, c.customer_key FROM unnest($2::text[]) AS k(key)
     CROSS JOIN LATERAL (SELECT payment_key, customer_key FROM conversions WHERE project_id = $1 AND external_key = k.key OFFSET 0) c`,
    [place.projectId, [...new Set(paymentKeys)].map((k) => paymentExternalKey(place.provider, k))],
  );
  return new Map(rows.flatMap((r) => (r.customer_key ? [[r.payment_key, r.customer_key] as [string, string]] : [])));
}

/**
 * Sorts a batch's payments into those not recorded yet (the first report of each becomes a new payment, later
 * reports in the batch merged into it) and later reports of recorded ones. A payment already recorded keeps the
 * first report's money and learns what later reports add (Paddle's transaction.paid, for one, precedes the
 * subscription id that transaction.completed carries). The caller holds every payment key's lock, so what is
 * unrecorded here stays so until this transaction writes it. Returns the groups they touch.
 */
async function recordPayments(
  tx: Tx,
  place: Place,
  payments: Item<PaymentEvent>[],
  customerKeyOf: (p: PaymentEvent) => string,
): Promise<{ groups: string[]; newPayments: NewPayment[]; reports: PaymentEvent[] }> {
  if (payments.length === 0) return { groups: [], newPayments: [], reports: [] };
  const stored = await recordedPayments(tx, place, payments.map((i) => i.event.paymentKey));
  const created = new Map<string, NewPayment>();
  const reports: PaymentEvent[] = [];
  const groups: string[] = [];
  for (const { event: p, inboundEventId } of payments) {
    const known = stored.get(p.paymentKey);
    if (known !== undefined) {
      reports.push(p);
      groups.push(known ?? customerKeyOf(p));
      continue;
    }
    const first = created.get(p.paymentKey);
    if (first) {
      mergeReport(first, p);
      continue;
    }
    const payment: NewPayment = {
      id: randomUUID(),
      kind: p.kind,
      externalKey: paymentExternalKey(place.provider, p.paymentKey),
      paymentKey: p.paymentKey,
      customerKey: customerKeyOf(p),
      customerId: p.customer.id,
      customerEmail: p.customer.email?.toLowerCase() ?? null,
      subscriptionId: p.subscriptionId,
      oneOff: p.oneOff === true,
      productIds: [...p.productIds],
      hints: p.hints,
      currency: p.currency,
      amountMinor: p.grossMinor,
      taxMinor: p.taxMinor,
      occurredAt: p.occurredAt,
      inboundEventId,
    };
    created.set(p.paymentKey, payment);
    groups.push(payment.customerKey);
  }
  return { groups, newPayments: [...created.values()], reports };
}

/**
 * What a later report of a payment adds to it: hints combined whatever their order (combineStatements); a known email (one the payment stated: a learned one
 * gives way to it), customer, subscription or product list is kept; a report that says it is a one-time purchase
 * says so for all of them.
 */
function mergeReport(
  // a payment first recorded in this batch stated its own email, or none (emailLearned absent)
  row: { hints: Hints | null; customerEmail: string | null; emailLearned?: boolean; customerId: string | null; subscriptionId: string | null; oneOff: boolean; productIds: string[] | null },
  p: PaymentEvent,
): void {
  row.hints = combineStatements(row.hints, p.hints);
  const stated = p.customer.email?.toLowerCase() ?? null;
  if (stated !== null && (row.customerEmail === null || row.emailLearned === true)) {
    row.customerEmail = stated;
    if (row.emailLearned !== undefined) row.emailLearned = false;
  }
  row.customerId ??= p.customer.id;
  row.subscriptionId ??= p.subscriptionId;
  row.oneOff ||= p.oneOff === true;
  if ((row.productIds ?? []).length === 0) row.productIds = [...p.productIds];
}

/** payment key → the customer group of its conversion (null where it has none), for the payments recorded. */
async function recordedPayments(tx: Tx, place: Place, paymentKeys: string[]): Promise<Map<string, string | null>> {
  if (paymentKeys.length === 0) return new Map();
  const rows = await tx.query<{ payment_key: string; customer_key: string | null }>(
    `SELECT c.payment_key, c.customer_key FROM unnest($2::text[]) AS k(key)
     CROSS JOIN LATERAL (SELECT payment_key, customer_key FROM conversions WHERE project_id = $1 AND external_key = k.key OFFSET 0) c`,
    [place.projectId, [...new Set(paymentKeys)].map((k) => paymentExternalKey(place.provider, k))],
  );
  return new Map(rows.map((r) => [r.payment_key, r.customer_key]));
}

/** Later reports of recorded payments, merged in arrival order into their rows: one read, one write. */
async function mergeReports(tx: Tx, place: Place, reports: PaymentEvent[]): Promise<void> {
  if (reports.length === 0) return;
  const keys = [...new Set(reports.map((p) => paymentExternalKey(place.provider, p.paymentKey)))].sort();
  const rows = await tx.query<{
    id: string;
    payment_key: string;
    hints: unknown;
    customer_email: string | null;
    email_learned: boolean;
    customer_id: string | null;
    subscription_id: string | null;
    one_off: boolean;
    product_ids: string[] | null;
  }>(
    // locked in id order, like the recompute's writes, so the two never wait on each other crosswise
    `SELECT id, payment_key, hints, customer_email, email_learned, customer_id, subscription_id, one_off, product_ids FROM conversions
     WHERE id = ANY(ARRAY(SELECT c.id FROM unnest($2::text[]) AS k(key)
                          CROSS JOIN LATERAL (SELECT id FROM conversions WHERE project_id = $1 AND external_key = k.key OFFSET 0) c))
     ORDER BY id FOR UPDATE`,
    [place.projectId, keys],
  );
  const byKey = new Map(
    rows.map((r) => [
      r.payment_key,
      {
        id: r.id,
        hints: asHints(r.hints),
        customerEmail: r.customer_email,
        emailLearned: r.email_learned,
        customerId: r.customer_id,
        subscriptionId: r.subscription_id,
        oneOff: r.one_off,
        productIds: r.product_ids,
      },
    ]),
  );
  for (const p of reports) mergeReport(byKey.get(p.paymentKey)!, p);
  const merged = [...byKey.values()];
  await tx.query(
    updateByPosition('conversions', 'c', {
      hints: `${nth(2, 'text')}::jsonb`,
      customer_email: nth(3, 'text'),
      customer_id: nth(4, 'text'),
      subscription_id: nth(5, 'text'),
      product_ids: `ARRAY(SELECT jsonb_array_elements_text(${nth(6, 'text')}::jsonb))`,
      one_off: nth(7, 'boolean'),
      email_learned: nth(8, 'boolean'),
      updated_at: 'now()',
    }),
    [
      merged.map((r) => r.id),
      jsonTexts(merged.map((r) => r.hints)),
      merged.map((r) => r.customerEmail),
      merged.map((r) => r.customerId),
      merged.map((r) => r.subscriptionId),
      jsonTexts(merged.map((r) => r.productIds ?? [])),
      merged.map((r) => r.oneOff),
      merged.map((r) => r.emailLearned),
    ],
  );
}

/**
 * Records refunds: one observation row per id each refund names (charge, payment intent…), so whichever of them
 * the payment is known by, the refund is found; readers count each observation key once. A refund reported again
 * (refund.updated after refund.created, a cumulative total repeated by a later event) keeps its amount and takes
 * the earliest report's time and event, so its row's date does not depend on which report arrived first. Returns the payment
 * keys of the refunds whose payment is known, after pointing all the refund's ids at it.
 */
async function recordRefunds(tx: Tx, place: Place, items: Item<RefundEvent>[]): Promise<string[]> {
  if (items.length === 0) return [];
  const refunds = items.map((i) => i.event);
  const observations = new Map<string, { ref: string; key: string; r: RefundEvent; inboundEventId: string | null; failedSince: Date | null }>();
  for (const { event: r, inboundEventId } of items) {
    // a failure is kept beside its refund's own report (src/commission/reversal.ts)
    const failedSince = r.unsuccessful && r.refundId ? r.unsuccessful.createdAt : null;
    const key = failedSince ? failureKeyOf(r.refundId!) : (r.refundId ?? cumulativeKeyOf(r.amountMinor, r.occurredAt));
    for (const ref of r.paymentRefs) {
      const seen = observations.get(`${ref}\u0000${key}`);
      if (!seen || r.occurredAt < seen.r.occurredAt) observations.set(`${ref}\u0000${key}`, { ref, key, r, inboundEventId, failedSince });
    }
  }
  const rows = [...observations.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, o]) => o);
  await tx.query(
    `INSERT INTO refund_observations (project_id, provider, payment_ref, observation_key, cumulative, withdrawal, amount_minor, currency, occurred_at, inbound_event_id, failed_since, tax_minor)
     SELECT $1, $2, ref, k, c, w, a, cur, at, e, fs, t
     FROM unnest($3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::bigint[], $8::text[], $9::timestamptz[], $10::uuid[], $11::timestamptz[], $12::bigint[])
       AS u(ref, k, c, w, a, cur, at, e, fs, t)
     ON CONFLICT (project_id, provider, payment_ref, observation_key) DO UPDATE
       SET occurred_at = least(EXCLUDED.occurred_at, refund_observations.occurred_at),
           inbound_event_id = CASE WHEN EXCLUDED.occurred_at < refund_observations.occurred_at THEN EXCLUDED.inbound_event_id
                                   ELSE refund_observations.inbound_event_id END,
           -- a refund observed before its tax was kept learns it when its event is applied again (a replay)
           tax_minor = coalesce(refund_observations.tax_minor, EXCLUDED.tax_minor)
       WHERE EXCLUDED.occurred_at < refund_observations.occurred_at
          OR (refund_observations.tax_minor IS NULL AND EXCLUDED.tax_minor IS NOT NULL)`,
    [
      place.projectId,
      place.provider,
      rows.map((o) => o.ref),
      rows.map((o) => o.key),
      rows.map((o) => o.r.refundId === null),
      // a reinstatement is kept as a negative withdrawal: the refunded total nets it (src/commission/reversal.ts)
      rows.map((o) => o.r.withdrawal === true || o.r.reinstatement === true),
      rows.map((o) => (o.r.reinstatement ? -o.r.amountMinor : o.r.amountMinor).toString()),
      rows.map((o) => o.r.currency),
      rows.map((o) => o.r.occurredAt.toISOString()),
      rows.map((o) => o.inboundEventId),
      rows.map((o) => o.failedSince?.toISOString() ?? null),
      // signed as the amount
      rows.map((o) => (o.r.taxMinor === undefined ? null : (o.r.reinstatement ? -o.r.taxMinor : o.r.taxMinor).toString())),
    ],
  );
  const known = await tx.query<{ alias: string; payment_key: string }>(
    `SELECT a.alias, a.payment_key FROM unnest($3::text[]) AS k(alias)
     CROSS JOIN LATERAL (SELECT alias, payment_key FROM payment_aliases WHERE project_id = $1 AND provider = $2 AND alias = k.alias OFFSET 0) a`,
    [place.projectId, place.provider, [...new Set(refunds.flatMap((r) => r.paymentRefs))]],
  );
  const paymentOf = new Map(known.map((k) => [k.alias, k.payment_key]));
  const found: [string, string[]][] = [];
  const keys = new Set<string>();
  for (const r of refunds) {
    const paymentKey = r.paymentRefs.map((ref) => paymentOf.get(ref)).find((k) => k !== undefined);
    if (paymentKey) found.push([paymentKey, r.paymentRefs]);
    // Every payment the refund may belong to is recomputed, not only the first its ids lead to: an id can point at
    // another key than the payment's own (a Checkout payment whose invoice's invoice_payment.paid, arriving first,
    // took its payment intent for the invoice), and the payment keyed by that id itself then found the refund only
    // at its next recompute. A key without a payment recomputes nothing.
    for (const ref of r.paymentRefs) {
      const resolved = paymentOf.get(ref);
      if (resolved !== undefined) keys.add(resolved).add(ref);
    }
  }
  await addAliases(tx, place, found);
  return [...keys];
}
