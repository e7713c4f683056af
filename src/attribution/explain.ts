/**
 * An attribution trace in words (PRODUCT.md §14: conversions with their attribution trace): one English sentence
 * a dashboard can show beside the steps, built from the stored trace alone, provider-blind.
 */

import { PROVIDER_DISPLAY_NAMES } from '../domain/provider-names';

type Step = { step?: unknown; result?: unknown; detail?: unknown };

export type ExplainInput = {
  /** the stored attribution: the chain's `{ method, trace }`, or a manual conversion's `{ method: 'manual', detail }` */
  attribution: { method?: unknown; trace?: unknown; detail?: unknown } | null;
  /** whom the conversion credits now (its email, else its id); null when nobody */
  affiliate: string | null;
  /** the provider the payment came from (e.g. stripe), for the checkout's own fields */
  provider: string | null;
  subscriptionId: string | null;
  /** for a payment bound to an earlier one: how the first attributed payment of its subscription or customer was attributed */
  firstAttribution?: { method?: unknown; trace?: unknown } | null;
};

const PROVIDER_LABELS: Record<string, string> = PROVIDER_DISPLAY_NAMES;

/** `sub_1NAbc…1234`: enough to recognise, short enough for a sentence. */
export function maskId(id: string): string {
  if (id.length <= 12) return id;
  const prefix = /^[a-z]+_/i.exec(id)?.[0] ?? '';
  return `${prefix}…${id.slice(-4)}`;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** The hit step of a trace, in words without its affiliate: "coupon JANE20", "referral code jane (metadata)", … */
function hitWords(hit: Step, input: Pick<ExplainInput, 'provider' | 'subscriptionId' | 'firstAttribution'>, nested = false): string {
  const detail = text(hit.detail);
  switch (hit.step) {
    case 'coupon':
      return detail; // "coupon JANE20"
    case 'metadata':
      return `referral code ${detail.replace(/^referral_code /, '')} (metadata)`;
    case 'client_reference_id': {
      const label = input.provider ? `${PROVIDER_LABELS[input.provider] ?? input.provider} ` : '';
      return `${label}client_reference_id ${detail.replace(/^client_reference_id /, '')}`;
    }
    case 'subscription': {
      const subject = input.subscriptionId ? `subscription ${maskId(input.subscriptionId)}` : 'an earlier payment of this customer';
      if (detail.startsWith('subscription metadata referral_code ')) {
        return `${subject}: referral code ${detail.slice('subscription metadata referral_code '.length)} (subscription metadata)`;
      }
      const first = nested ? null : firstHit(input.firstAttribution ?? null);
      return first ? `${subject} first attributed by ${hitWords(first, input, true)}` : `${subject}, attributed before`;
    }
    case 'email': {
      const m = /^referral for (\S+), (.*)$/.exec(detail);
      return m ? `customer email ${m[1]} referred (${m[2]})` : `customer email referred (${detail})`;
    }
    default:
      return detail || String(hit.step);
  }
}

function firstHit(attribution: { trace?: unknown } | null): Step | null {
  const trace = Array.isArray(attribution?.trace) ? (attribution!.trace as Step[]) : [];
  return trace.find((s) => s.result === 'hit' && s.step !== 'subscription') ?? null;
}

export function explainAttribution(input: ExplainInput): string {
  const a = input.attribution ?? {};
  const trace = Array.isArray(a.trace) ? (a.trace as Step[]) : [];
  if (a.method === 'manual') {
    return `recorded by hand${text(a.detail) ? ` (${text(a.detail)})` : ''}${input.affiliate ? ` → ${input.affiliate}` : ''}`;
  }
  const hit = trace.find((s) => s.result === 'hit');
  if (hit && input.affiliate) return `${hitWords(hit, input)} → ${input.affiliate}`;
  if (hit) return `${hitWords(hit, input)}, but the conversion credits nobody now`;
  if (input.affiliate) return `attributed to ${input.affiliate}`;
  const misses = trace.map((s) => text(s.detail)).filter((d) => d !== '');
  return `not attributed: ${misses.length ? misses.join('; ') : 'no attribution recorded'}`;
}
