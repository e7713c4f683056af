import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { Field } from '../ui/form';
import { formatDate, formatDateTime, formatMoney, formatRate } from '../ui/format';

/**
 * What the people pages (applications, affiliates, an affiliate, groups) share: the answers' types as the API
 * describes them, the partner groups for a picker, how a commission rule reads, the rate fields of a form.
 */
export type Affiliate = components['schemas']['Affiliate'];
export type Group = components['schemas']['Group'];
export type Settings = components['schemas']['Settings'];
export type Application = components['schemas']['Application'];

/** The path of an affiliate's page (relative to the project's nest): the email URL-encoded. */
export function affiliateHref(email: string): string {
  return `/affiliates/${encodeURIComponent(email)}`;
}

/** The affiliate's email from the address: wouter decodes with decodeURI, which leaves %40 ("@") encoded. */
export function emailFromParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The partner groups for pickers and names: the first 100 (the API's largest page); groups are a handful. */
export function useGroupOptions() {
  const { project_id } = useProject();
  return useQuery({
    queryKey: ['p', project_id, 'groups', 'options'],
    queryFn: () => unwrap(api.GET('/api/v1/groups', { params: { query: { limit: 100, offset: 0 } } })),
    staleTime: 30_000,
  });
}

type Rule = { commission_type: 'percentage' | 'fixed' | null; commission_rate_bp: number | null; commission_value_minor: number | null };

/** "25%" or "$5.00 per sale"; null when the rule is inherited (no type of its own). */
export function ruleText(rule: Rule, currency: string): string | null {
  if (rule.commission_type === 'percentage' && rule.commission_rate_bp !== null) return formatRate(rule.commission_rate_bp);
  if (rule.commission_type === 'fixed' && rule.commission_value_minor !== null) return `${formatMoney(rule.commission_value_minor, currency)} per sale`;
  return null;
}

export function durationText(duration: 'lifetime' | 'first_payment' | 'months' | null, months: number | null): string | null {
  if (duration === 'lifetime') return 'every payment, for the customer’s lifetime';
  if (duration === 'first_payment') return 'the first payment only';
  if (duration === 'months') return `payments of the first ${months ?? '?'} month${months === 1 ? '' : 's'}`;
  return null;
}

/** The value a rate field starts with: the percent for a percentage, the major amount for a fixed rule. */
export function ruleValueText(rule: Rule & { commission_value: number | null }): string {
  return rule.commission_value === null ? '' : String(rule.commission_value);
}

/**
 * A commission rule's two inputs (type and value), named as the API names them so its errors show next to them.
 * `inheritLabel`: the choice that leaves the rule to the next level (an empty type); without it a type is required.
 */
export function RateFields(props: {
  type: string;
  value: string;
  onType(v: string): void;
  onValue(v: string): void;
  errors: Record<string, string> | null;
  inheritLabel?: string;
  currency: string;
}) {
  return (
    <div className="rate-fields">
      <Field label="Commission type" name="commission_type" as="select" value={props.type} onChange={(e) => props.onType(e.currentTarget.value)} errors={props.errors}>
        {props.inheritLabel !== undefined ? <option value="">{props.inheritLabel}</option> : null}
        <option value="percentage">Percentage of the sale</option>
        <option value="fixed">Fixed amount ({props.currency})</option>
      </Field>
      {props.type ? (
        <Field
          label={props.type === 'percentage' ? 'Commission (%)' : `Commission (${props.currency})`}
          name="commission_value"
          inputMode="decimal"
          value={props.value}
          onChange={(e) => props.onValue(e.currentTarget.value)}
          errors={props.errors}
          hint={props.type === 'percentage' ? 'For example 25 or 12.5' : 'For example 5.00'}
        />
      ) : null}
    </div>
  );
}

/** The rule fields of a body: both null to inherit, else the type and the value as typed (the API checks it). */
export function ruleBody(type: string, value: string): { commission_type: 'percentage' | 'fixed' | null; commission_value: string | null } {
  if (type !== 'percentage' && type !== 'fixed') return { commission_type: null, commission_value: null };
  return { commission_type: type, commission_value: value.trim() };
}

/** A short list of names for a notice: "Ann, Bob and 3 more". */
export function namesList(names: string[], max = 5): string {
  if (names.length <= max) return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

export const PAGE_SIZE = 20;

/** A page offset from the address (a page number kept as the offset the API takes). */
export function offsetOf(text: string): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone: 'UTC' });

/** An instant on two short lines (the date, then the time in UTC), so a table column stays narrow. */
export function When(props: { at: string }) {
  return (
    <time dateTime={props.at} title={formatDateTime(props.at)}>
      <span className="nowrap">{formatDate(props.at)}</span>
      <br />
      <span className="nowrap muted">{TIME.format(new Date(props.at))} UTC</span>
    </time>
  );
}
