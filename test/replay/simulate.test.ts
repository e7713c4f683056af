import { PROVIDER_NAMES } from '../../src/domain/provider-names';
import { getAdapter } from '../../src/providers/registry';
import type { NormalizedEvent } from '../../src/domain/normalized-event';
import { buildSimulation, SCENARIOS } from '../../src/replay/simulate';

/** The fixtures' own customer and subscription ids: none may survive into a simulated sequence. */
const FIXTURE_IDS = [
  'cus_RwFxDemoCust01',
  'sub_1RwFxDemoSubscr0001',
  'pi_3RwFxDemoPayIntent01',
  'in_1RwFxDemoInvCreate01',
  'ctm_01rwfxdemocustomer0001',
  'txn_01rwfxdemotxnfirst001',
  'sub_01rwfxdemosubscr0001',
  '"customer_id":1001',
  '"id":"5001"',
  '11111111-aaaa-4bbb-8ccc-000000000001',
  '66666666-aaaa-4bbb-8ccc-00000000000',
  'jamie.rivera@example.com',
  'ACME-PARTNER-42',
];

/** buildSimulation alone: what each provider's sequence says, read back through the provider's own adapter. */
describe.each(PROVIDER_NAMES)('simulated %s sequences', (provider) => {
  const adapter = getAdapter(provider);

  it.each(SCENARIOS)('%s: signed bodies verify, timestamps increase, the normalizer reads the code and the money', (scenario) => {
    const now = new Date('2026-03-01T12:00:00Z');
    const sim = buildSimulation(provider, scenario, { referralCode: 'SIM-CODE-7', email: 'buyer@sim.test', amountMinor: 4900, currency: 'EUR', now });
    expect(sim.deliveries.length).toBeGreaterThan(0);
    const times = sim.deliveries.map((d) => d.occurredAt.getTime());
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]!);
    expect(times[times.length - 1]).toBe(now.getTime());

    const payments: NormalizedEvent[] = [];
    const refunds: NormalizedEvent[] = [];
    const codes = new Set<string | null>();
    const eventIds = new Set<string>();
    for (const d of sim.deliveries) {
      for (const id of FIXTURE_IDS) expect(d.body).not.toContain(id);
      // fresh ids keep the provider's form: Paddle's ULID-like ids start with 01 after their prefix
      if (provider === 'paddle') expect(d.body.match(/"(?:txn|sub|ctm)_[a-z0-9]+"/g)?.every((id) => /^"(?:txn|sub|ctm)_01/.test(id))).toBe(true);
      const verified = adapter.verify({ body: Buffer.from(d.body), headers: adapter.sign(d.body, 'whsec_sim_secret_value', { now, ...(d.eventId ? { eventId: d.eventId } : {}) }) }, ['whsec_sim_secret_value'], { now, toleranceSeconds: 300 });
      if (!verified.ok) throw new Error(`${d.label}: ${verified.reason}`);
      eventIds.add(verified.event.eventId);
      expect(verified.event.type).toBe(d.type);
      // the provider's own event time is the sequence's
      expect(Math.abs(verified.event.occurredAt!.getTime() - d.occurredAt.getTime())).toBeLessThan(1000);
      const normalized = adapter.normalize(verified.event.payload as Record<string, unknown>);
      if (normalized.kind === 'invalid') throw new Error(`${d.label}: ${normalized.reason}`);
      if (normalized.kind !== 'events') continue;
      for (const e of normalized.events) {
        if (e.kind === 'purchase' || e.kind === 'renewal') {
          payments.push(e);
          codes.add(e.hints.referralCode ?? e.hints.subscriptionReferralCode);
          expect(e.currency).toBe('EUR');
          expect(e.taxMinor).toBe(0n);
          expect(e.hints.couponIds).toEqual([]);
        }
        if (e.kind === 'refund') refunds.push(e);
      }
    }
    expect(eventIds.size).toBe(sim.deliveries.length);

    // one payment per payment key, whatever number of events report it
    const byKey = new Map(payments.map((p) => [(p as { paymentKey: string }).paymentKey, p]));
    expect([...byKey.values()].map((p) => [p.kind, (p as { grossMinor: bigint }).grossMinor])).toEqual(
      sim.expected.payments.map((p) => [p.kind, BigInt(p.amountMinor)]),
    );
    // the code rides on each payment, except renewals that take it from their subscription (Polar, Paddle: none)
    expect([...codes].filter((c) => c !== null)).toEqual(['SIM-CODE-7']);
    // each expected refund reaches its payment, for its amount (cumulative reports say the same total)
    const keys = [...byKey.keys()];
    for (const refund of sim.expected.refunds) {
      const target = byKey.get(keys[refund.payment]!)! as { paymentKey: string; aliases: string[] };
      const reaching = refunds.filter((r) => r.kind === 'refund' && r.paymentRefs.some((ref) => ref === target.paymentKey || target.aliases.includes(ref)));
      expect(reaching.length).toBeGreaterThan(0);
      for (const r of reaching) expect((r as { amountMinor: bigint }).amountMinor).toBe(BigInt(refund.amountMinor));
    }
    expect(refunds.length > 0).toBe(sim.expected.refunds.length > 0);
  });

  it.each(SCENARIOS)('%s: every object shows one creation time in all the events that carry it', (scenario) => {
    const sim = buildSimulation(provider, scenario, { referralCode: 'SIM-CODE-7', now: new Date('2026-03-01T12:00:00Z') });
    const seen = new Map<string, Set<number>>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(collect);
      if (!value || typeof value !== 'object') return;
      const o = value as Record<string, any>;
      const attrs = o.attributes && typeof o.attributes === 'object' ? o.attributes : o;
      const created = attrs.created_at ?? attrs.created;
      if ((typeof o.id === 'string' || typeof o.id === 'number') && created !== undefined && created !== null) {
        const at = typeof created === 'number' ? created * 1000 : new Date(created).getTime();
        const key = `${o.type ?? o.object ?? ''}:${o.id}`;
        seen.set(key, (seen.get(key) ?? new Set()).add(at));
      }
      Object.values(o).forEach(collect);
    };
    for (const d of sim.deliveries) collect(JSON.parse(d.body));
    const shown = [...seen].filter(([, times]) => times.size > 1).map(([key, times]) => `${key}: ${[...times].map((t) => new Date(t).toISOString()).join(', ')}`);
    expect(shown).toEqual([]);
    // and no object is created after the last event
    for (const times of seen.values()) for (const t of times) expect(t).toBeLessThanOrEqual(sim.deliveries.at(-1)!.occurredAt.getTime() + 1000);
  });

  it('every run is a new customer: no id in common between two runs but the catalog', () => {
    const a = buildSimulation(provider, 'subscription', { referralCode: 'X1' });
    const b = buildSimulation(provider, 'subscription', { referralCode: 'X1' });
    expect(a.email).not.toBe(b.email);
    expect(a.email).toMatch(/^simulated-[0-9a-f]{8}@example\.com$/);
    const customerOf = (body: string) => /"(customer|customer_id)":"?([A-Za-z0-9_-]+)"?/.exec(body)?.[2];
    expect(customerOf(a.deliveries.at(-1)!.body)).toBeDefined();
    expect(customerOf(a.deliveries.at(-1)!.body)).not.toBe(customerOf(b.deliveries.at(-1)!.body));
  });
});

describe("Paddle's payment ids in a simulation", () => {
  it('a payment attempt is new for every transaction and shared by its paid and completed events; the saved card is new for the run', () => {
    const payments = (sim: ReturnType<typeof buildSimulation>) =>
      sim.deliveries
        .map((d) => JSON.parse(d.body) as { event_type: string; data: { id: string; payments?: { payment_attempt_id: string; stored_payment_method_id: string }[] } })
        .filter((p) => p.event_type.startsWith('transaction.'))
        .map((p) => ({ txn: p.data.id, attempt: p.data.payments![0]!.payment_attempt_id, card: p.data.payments![0]!.stored_payment_method_id }));
    const run = payments(buildSimulation('paddle', 'subscription', { referralCode: 'CODE' }));
    const other = payments(buildSimulation('paddle', 'subscription', { referralCode: 'CODE' }));
    const attemptOf = new Map<string, string>();
    for (const p of run) {
      expect(p.attempt).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(attemptOf.get(p.txn) ?? p.attempt).toBe(p.attempt);
      attemptOf.set(p.txn, p.attempt);
    }
    // three transactions (the first payment and two renewals), three attempts
    expect(new Set(attemptOf.values()).size).toBe(3);
    expect(new Set(run.map((p) => p.card)).size).toBe(1);
    // none from the fixtures, none from another run
    const shipped = ['6f2c1d0e-3b7a-4c5e-9d81-2a4b6c8e0f13', '0bec49bd-dd4d-45e3-a91e-46992b09c5e2', '281ff2ca-8550-42b9-bf39-15948e7de62d'];
    for (const p of run) expect([...shipped, ...other.map((o) => o.attempt), ...other.map((o) => o.card)]).not.toContain(p.attempt);
    expect(shipped).not.toContain(run[0]!.card);
    expect(other[0]!.card).not.toBe(run[0]!.card);
  });
});

describe('simulate options', () => {
  it('defaults: 49.00 USD, a partial refund of half; the amount and refund are checked', () => {
    const sim = buildSimulation('stripe', 'partial-refund', { referralCode: 'CODE' });
    expect(sim).toMatchObject({ amountMinor: 4900, currency: 'USD', expected: { refunds: [{ payment: 0, amountMinor: 2450 }] } });
    expect(() => buildSimulation('stripe', 'purchase', { referralCode: 'CODE', amountMinor: 0 })).toThrow(RangeError);
    expect(() => buildSimulation('stripe', 'partial-refund', { referralCode: 'CODE', amountMinor: 100, refundMinor: 101 })).toThrow(/at most the amount/);
    expect(() => buildSimulation('stripe', 'lifecycle', { referralCode: 'CODE', amountMinor: 100, refundMinor: 0 })).toThrow(/positive whole number/);
    // the refund is checked only where a part of a payment is refunded: a purchase of one minor unit needs none
    for (const scenario of ['purchase', 'subscription', 'refund'] as const) {
      expect(buildSimulation('stripe', scenario, { referralCode: 'CODE', amountMinor: 1 }).amountMinor).toBe(1);
    }
    expect(buildSimulation('stripe', 'refund', { referralCode: 'CODE', amountMinor: 1 }).expected.refunds).toEqual([{ payment: 0, amountMinor: 1 }]);
    // half of one, at least one
    expect(buildSimulation('stripe', 'partial-refund', { referralCode: 'CODE', amountMinor: 1 }).expected.refunds).toEqual([{ payment: 0, amountMinor: 1 }]);
    expect(() => buildSimulation('stripe', 'purchase', { referralCode: 'CODE', currency: 'dollars' })).toThrow(/ISO 4217/);
    expect(() => buildSimulation('stripe', 'purchase', { referralCode: 'has spaces' })).toThrow(/referral code/);
    expect(() => buildSimulation('stripe', 'purchase', { referralCode: 'CODE', email: 'not an address' })).toThrow('the email must be an address such as buyer@example.com');
    expect(buildSimulation('stripe', 'purchase', { referralCode: 'CODE', email: 'Buyer.One+tag@shop.example.co' }).email).toBe('Buyer.One+tag@shop.example.co');
    // what plain JavaScript can pass: named, not a TypeError from inside
    expect(() => buildSimulation('stripe', 'bogus' as never, { referralCode: 'CODE' })).toThrow('unknown scenario "bogus": one of purchase, subscription, refund, partial-refund, lifecycle');
    expect(() => buildSimulation('square' as never, 'purchase', { referralCode: 'CODE' })).toThrow(/^unknown provider "square": one of /);
  });
});
