import { randomBytes } from 'node:crypto';
import type { ProviderName } from '../domain/provider-names';
import type { Delivery } from './inputs';
import { CreationTimes, DAY, IdMap, remapIds, shiftTimes, shippedFixture, type Json, type Resolved, type SimulateOptions } from './sim/kit';
import { lemonSqueezyScript } from './sim/lemonsqueezy';
import { paddleScript } from './sim/paddle';
import { polarScript } from './sim/polar';
import { stripeScript } from './sim/stripe';

export type { SimulateOptions } from './sim/kit';

export const SCENARIOS = ['purchase', 'subscription', 'refund', 'partial-refund', 'lifecycle'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(value);
}

/** One event of a provider's story: a shipped fixture, made fresh (times, ids) and then patched. */
export type Step = {
  fixture: string;
  /** the payment whose ids it carries: 'p0' the first, 'p1' the first renewal… */
  scope: string;
  patch(payload: Json, ctx: StepContext): void;
};

export type StepContext = {
  o: Resolved;
  /** this event's moment */
  when: Date;
  /** the fresh id standing for a fixture id, as payment `scope` carries it */
  id(original: string, scope?: string): string;
};

/**
 * What a provider contributes: the fixtures and patches for each part of a story. Each part is a few events one
 * second apart; the parts are placed on the story's timeline by `buildSimulation`.
 */
export type ProviderScript = {
  provider: ProviderName;
  classifyId(id: string): 'payment' | 'shared' | null;
  /** the fixture's own moment, which the shift moves to the event's */
  primaryTime(payload: Json): Date;
  eventType(payload: Json): string;
  /** ids the generic remapping cannot see (Lemon Squeezy's numbers) */
  remap?(payload: Json, ctx: StepContext, scope: string): void;
  /** after the patch: a new event id (Polar's is the webhook-id header, returned) */
  finish(payload: Json, ctx: StepContext): { eventId?: string };
  purchase(): Step[];
  subscriptionStart(): Step[];
  renewal(n: number): Step[];
  /** a refund of `amountMinor` of payment `p<payment>`: the one-off purchase, the first payment or a renewal */
  refund(payment: number, of: 'purchase' | 'first' | 'renewal', amountMinor: number): Step[];
  cancel(): Step[];
};

const SCRIPTS: Record<ProviderName, ProviderScript> = {
  stripe: stripeScript,
  paddle: paddleScript,
  lemonsqueezy: lemonSqueezyScript,
  polar: polarScript,
};

export type ExpectedPayment = { kind: 'purchase' | 'renewal'; amountMinor: number };
export type ExpectedRefund = { payment: number; amountMinor: number };

export type SimulatedDelivery = Delivery & { type: string; occurredAt: Date };

export type Simulation = {
  provider: ProviderName;
  scenario: ScenarioName;
  referralCode: string;
  email: string;
  currency: string;
  amountMinor: number;
  deliveries: SimulatedDelivery[];
  /** what the sequence means: the payments, in order, and the refunds of them */
  expected: { payments: ExpectedPayment[]; refunds: ExpectedRefund[] };
};

type Part = { at: number; steps: Step[] };

/** The story of each scenario: its parts on a timeline (seconds from its start) and the money they move. */
function story(script: ProviderScript, scenario: ScenarioName, o: Resolved): { parts: Part[]; expected: Simulation['expected'] } {
  const a = o.amountMinor;
  switch (scenario) {
    case 'purchase':
      return { parts: [{ at: 0, steps: script.purchase() }], expected: { payments: [{ kind: 'purchase', amountMinor: a }], refunds: [] } };
    case 'subscription':
      return {
        parts: [
          { at: 0, steps: script.subscriptionStart() },
          { at: 30 * DAY, steps: script.renewal(1) },
          { at: 60 * DAY, steps: script.renewal(2) },
        ],
        expected: { payments: [{ kind: 'purchase', amountMinor: a }, { kind: 'renewal', amountMinor: a }, { kind: 'renewal', amountMinor: a }], refunds: [] },
      };
    case 'refund':
    case 'partial-refund': {
      const refund = scenario === 'refund' ? a : o.refundMinor;
      return {
        parts: [
          { at: 0, steps: script.purchase() },
          { at: 2 * DAY, steps: script.refund(0, 'purchase', refund) },
        ],
        expected: { payments: [{ kind: 'purchase', amountMinor: a }], refunds: [{ payment: 0, amountMinor: refund }] },
      };
    }
    case 'lifecycle':
      return {
        parts: [
          { at: 0, steps: script.subscriptionStart() },
          { at: 30 * DAY, steps: script.renewal(1) },
          { at: 32 * DAY, steps: script.refund(1, 'renewal', o.refundMinor) },
          { at: 40 * DAY, steps: script.cancel() },
        ],
        expected: { payments: [{ kind: 'purchase', amountMinor: a }, { kind: 'renewal', amountMinor: a }], refunds: [{ payment: 1, amountMinor: o.refundMinor }] },
      };
  }
}

/** The scenarios with a partial refund, whose amount `refundMinor` is (the full refund's is the amount itself). */
const PARTLY_REFUNDED: readonly ScenarioName[] = ['partial-refund', 'lifecycle'];

function resolveOptions(options: SimulateOptions, scenario: ScenarioName): Resolved {
  const amountMinor = options.amountMinor ?? 4900;
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new RangeError('the amount must be a positive whole number of minor units');
  // half the amount, but at least one minor unit: a purchase of 1 is refunded by 1
  const refundMinor = options.refundMinor ?? Math.max(1, Math.floor(amountMinor / 2));
  // checked only where a scenario refunds part of a payment: a purchase of 1 has no half to refund, and needs none
  if (PARTLY_REFUNDED.includes(scenario) && (!Number.isSafeInteger(refundMinor) || refundMinor <= 0 || refundMinor > amountMinor)) {
    throw new RangeError('the refund amount must be a positive whole number of minor units, at most the amount');
  }
  const currency = (options.currency ?? 'USD').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError('the currency must be an ISO 4217 code such as USD');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.referralCode)) throw new RangeError('the referral code must be letters, digits, "-" and "_"');
  // the customer's address, which the providers' payloads carry and the ledger matches referrals by
  if (options.email !== undefined && !/^[^\s@"<>(),;:]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(options.email)) {
    throw new RangeError('the email must be an address such as buyer@example.com');
  }
  return {
    referralCode: options.referralCode,
    email: options.email ?? `simulated-${randomBytes(4).toString('hex')}@example.com`,
    amountMinor,
    currency,
    refundMinor,
    now: options.now ?? new Date(Date.now() - 60_000),
  };
}

/**
 * A realistic sequence for one provider and scenario, built from the shipped fixtures: every object with fresh
 * ids, the referral code where the provider carries it, the amount and currency given, no tax and no discount
 * (so the commission base is the amount), and timestamps increasing from the start of the story to `now`
 * (renewals 30 days apart; the refund two days after its payment). Ready to sign and post.
 */
export function buildSimulation(provider: ProviderName, scenario: ScenarioName, options: SimulateOptions): Simulation {
  // checked here too: the testing kit's callers may be plain JavaScript, which no type stops
  if (!isScenarioName(scenario)) throw new RangeError(`unknown scenario "${String(scenario)}": one of ${SCENARIOS.join(', ')}`);
  const script = SCRIPTS[provider] as ProviderScript | undefined;
  if (!script) throw new RangeError(`unknown provider "${String(provider)}": one of ${Object.keys(SCRIPTS).join(', ')}`);
  const o = resolveOptions(options, scenario);
  const ids = new IdMap((id) => script.classifyId(id));
  const creationTimes = new CreationTimes();
  const { parts, expected } = story(script, scenario, o);
  const last = Math.max(...parts.map((p) => p.at + p.steps.length - 1));
  const start = o.now.getTime() - last * 1000;
  const deliveries: SimulatedDelivery[] = [];
  const total = parts.reduce((n, p) => n + p.steps.length, 0);
  for (const part of parts) {
    part.steps.forEach((step, i) => {
      const when = new Date(start + (part.at + i) * 1000);
      const ctx: StepContext = { o, when, id: (original, scope = step.scope) => ids.get(original, scope) };
      const payload = shippedFixture(provider, step.fixture);
      shiftTimes(payload, script.primaryTime(payload), when);
      remapIds(payload, ids, step.scope);
      script.remap?.(payload, ctx, step.scope);
      step.patch(payload, ctx);
      creationTimes.pin(payload);
      const { eventId } = script.finish(payload, ctx);
      const type = script.eventType(payload);
      deliveries.push({
        provider,
        label: `${scenario} ${deliveries.length + 1}/${total} ${type}`,
        body: JSON.stringify(payload),
        ...(eventId ? { eventId } : {}),
        type,
        occurredAt: when,
      });
    });
  }
  return { provider, scenario, referralCode: o.referralCode, email: o.email, currency: o.currency, amountMinor: o.amountMinor, deliveries, expected };
}
