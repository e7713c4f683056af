import type { Database } from '../../src/db/database';
import { storeInboundEvent } from '../../src/inbox/inbound-events';
import { createBatchProcessor, createEventProcessor } from '../../src/pipeline/process-inbound-event';
import { createProject } from '../../src/projects/projects';
import { loadFixture } from './fixtures';
import { silentLogger } from './refwire';

let counter = 0;

/** A Stripe event built from a fixture: a fresh event id, and the object patched as the test needs. */
export function stripeEvent(file: string, patch: (object: Record<string, any>) => void = () => undefined, eventId?: string) {
  const payload = structuredClone(loadFixture('stripe', file).payload) as Record<string, any>;
  payload.id = eventId ?? `evt_test_${++counter}_${Date.now().toString(36)}`;
  patch(payload.data.object);
  return payload;
}

/** A fixture's payload to change before sending (its ids kept: a provider dedupes by them, so change them to send two). */
export function fixturePayload(provider: 'paddle' | 'polar' | 'lemonsqueezy' | 'stripe', file: string, patch: (payload: Record<string, any>) => void = () => undefined) {
  const payload = structuredClone(loadFixture(provider, file).payload) as Record<string, any>;
  patch(payload);
  return payload;
}

/** Delivers an event the way the receiver would (into the inbox) and processes it with the real pipeline. */
export async function deliverAndProcess(db: Database, projectId: string, payload: Record<string, any>) {
  const stored = await deliver(db, projectId, payload);
  const outcome = await createEventProcessor({ db, clock: () => new Date(), logger: silentLogger })(stored.id);
  return { id: stored.id, outcome };
}

/**
 * Delivers events into the inbox, then processes them the way a busy worker does: in batches of the given sizes,
 * `parallel` batches at a time. Returns each event's outcome.
 */
export async function deliverAndProcessInBatches(db: Database, projectId: string, payloads: Record<string, any>[], sizes: number[], parallel = 2) {
  const ids: string[] = [];
  for (const payload of payloads) ids.push((await deliver(db, projectId, payload)).id);
  const batches: string[][] = [];
  for (let at = 0, i = 0; at < ids.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    batches.push(ids.slice(at, at + size));
    at += size;
  }
  const processBatch = createBatchProcessor({ db, clock: () => new Date(), logger: silentLogger });
  const outcomes = [];
  for (let i = 0; i < batches.length; i += parallel) {
    for (const result of await Promise.all(batches.slice(i, i + parallel).map((b) => processBatch(b)))) outcomes.push(...result);
  }
  return outcomes;
}

async function deliver(db: Database, projectId: string, payload: Record<string, any>) {
  const body = Buffer.from(JSON.stringify(payload));
  return storeInboundEvent(db.sql, {
    projectId,
    provider: 'stripe',
    event: { eventId: payload.id, type: payload.type, payload, occurredAt: null, livemode: false },
    rawBody: body,
    headers: {},
    receivedAt: new Date(),
  });
}

export async function newProject(db: Database, settings: Record<string, unknown> = {}) {
  const project = await createProject(db.prisma, { name: 'Ledger', currency: 'USD' });
  await db.prisma.project.update({ where: { id: project.id }, data: { commissionType: 'percentage', commissionRateBp: 2000, holdDays: 30, ...settings } });
  return project.id;
}

export async function newAffiliate(db: Database, projectId: string, code: string, extra: Record<string, unknown> = {}) {
  return db.prisma.affiliate.create({
    data: { projectId, email: `${code.toLowerCase()}@partners.test`, referralCode: code, referralCodeKey: code.toLowerCase(), ...extra },
  });
}

export async function conversions(db: Database, projectId: string) {
  return db.prisma.conversion.findMany({ where: { projectId }, orderBy: [{ occurredAt: 'asc' }, { kind: 'asc' }, { refundLevelMinor: 'asc' }] });
}

/** Per affiliate and currency: the sum of commission minor units, the ledger's balance. */
export async function balances(db: Database, projectId: string): Promise<Record<string, bigint>> {
  const rows = await db.prisma.conversion.groupBy({ by: ['affiliateId', 'currency'], where: { projectId }, _sum: { valueMinor: true } });
  return Object.fromEntries(rows.filter((r) => r.affiliateId).map((r) => [`${r.affiliateId}:${r.currency}`, r._sum.valueMinor ?? 0n]));
}

/** A coupon of an affiliate, known to Stripe by `stripeCouponId` (a coupon or promotion code id). */
export async function newStripeCoupon(db: Database, projectId: string, affiliateId: string, couponCode: string, stripeCouponId: string) {
  return db.prisma.coupon.create({
    data: {
      projectId,
      affiliateId,
      couponCode,
      couponCodeKey: couponCode.toLowerCase(),
      providerIds: { create: { projectId, provider: 'stripe', providerCouponId: stripeCouponId } },
    },
  });
}
