import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { settingsQuery } from '../api/settings-query';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { Field, FormError, fieldErrors, SubmitButton } from '../ui/form';
import { formatMoney, formatRate } from '../ui/format';
import { PageHeader, WriteOnly } from '../ui/page';
import { QueryView } from '../ui/states';

type Settings = components['schemas']['Settings'];

/** The form's values as typed (strings), so a wrong value reaches the API and comes back named. */
type Draft = {
  currency: string;
  commission_type: 'percentage' | 'fixed';
  commission_value: string;
  commission_duration: Settings['commission_duration'];
  commission_months: string;
  hold_days: string;
  cookie_days: string;
  minimum_payout: string;
  commission_review: Settings['commission_review'];
  auto_approve: boolean;
  notification_email: string;
  allowed_domains: string;
  click_retention_days: string;
};

function draftOf(s: Settings): Draft {
  return {
    currency: s.currency,
    commission_type: s.commission_type ?? 'percentage',
    commission_value: s.commission_value === null ? '' : String(s.commission_value),
    commission_duration: s.commission_duration,
    commission_months: s.commission_months === null ? '' : String(s.commission_months),
    hold_days: String(s.hold_days),
    cookie_days: String(s.cookie_days),
    minimum_payout: s.minimum_payout_formatted,
    commission_review: s.commission_review,
    auto_approve: s.auto_approve,
    notification_email: s.notification_email ?? '',
    allowed_domains: s.allowed_domains.join('\n'),
    click_retention_days: String(s.click_retention_days),
  };
}

/** A whole number as typed becomes a number; anything else goes as typed, for the API to name. */
function intOrText(v: string): number | string {
  return /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : v.trim();
}

/** Only what changed goes in the PATCH: an unchanged rule is not a new rule version. */
function patchOf(before: Draft, after: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const changed = (k: keyof Draft) => before[k] !== after[k];
  if (changed('currency')) body.currency = after.currency.trim().toUpperCase();
  if (changed('commission_type') || changed('commission_value')) {
    body.commission_type = after.commission_type;
    body.commission_value = after.commission_value.trim();
  }
  if (changed('commission_duration') || changed('commission_months')) {
    body.commission_duration = after.commission_duration;
    if (after.commission_duration === 'months') body.commission_months = after.commission_months.trim() === '' ? null : intOrText(after.commission_months);
  }
  for (const k of ['hold_days', 'cookie_days', 'click_retention_days'] as const) if (changed(k)) body[k] = intOrText(after[k]);
  if (changed('minimum_payout')) body.minimum_payout = after.minimum_payout.trim();
  if (changed('commission_review')) body.commission_review = after.commission_review;
  if (changed('auto_approve')) body.auto_approve = after.auto_approve;
  if (changed('notification_email')) body.notification_email = after.notification_email.trim() === '' ? null : after.notification_email.trim();
  if (changed('allowed_domains'))
    body.allowed_domains = after.allowed_domains
      .split(/[\n,]/)
      .map((d) => d.trim())
      .filter(Boolean);
  return body;
}

const FIELDS = ['currency', 'commission_type', 'commission_value', 'commission_duration', 'commission_months', 'hold_days', 'cookie_days', 'minimum_payout', 'commission_review', 'auto_approve', 'notification_email', 'allowed_domains', 'click_retention_days'];

/** The program's defaults (GET/PATCH /api/v1/settings), each field with the API's error beside it. */
export function SettingsPage() {
  const { project_id: projectId } = useProject();
  const settings = useQuery(settingsQuery(projectId));
  return (
    <>
      <PageHeader title="Settings" description="The program’s defaults: what an affiliate earns unless their group or their own terms say otherwise, when commissions can be paid, and how new affiliates are let in." />
      <QueryView query={settings} loadingLabel="Loading the settings…">
        {(data) => <SettingsForm saved={data} />}
      </QueryView>
    </>
  );
}

function SettingsForm(props: { saved: Settings }) {
  const { project_id: projectId, canWrite } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [draft, setDraft] = useState<Draft>(() => draftOf(props.saved));
  const base = draftOf(props.saved);
  const body = patchOf(base, draft);
  const dirty = Object.keys(body).length > 0;
  const save = useMutation({
    // the body carries what was typed, wrong values too, for the API to name them next to their fields
    mutationFn: () => unwrap(api.PATCH('/api/v1/settings', { body: body as never })).then((a) => a.data),
    onSuccess: (next) => {
      client.setQueryData(settingsQuery(projectId).queryKey, next);
      void client.invalidateQueries({ queryKey: ['p', projectId] });
      setDraft(draftOf(next));
      announce('Settings saved.');
    },
    onError: () => announce('The settings were not saved: see the marked fields.', 'error'),
  });
  // the API refuses a new currency once a conversion exists (amounts are kept in it): the field says so before a save
  const recorded = useQuery({
    queryKey: ['p', projectId, 'conversions', 'any'],
    queryFn: () => unwrap(api.GET('/api/v1/conversions', { params: { query: { limit: 1 } } })).then((a) => a.data.length > 0),
  });
  const currencyFixed = recorded.data === true;
  const errors = fieldErrors(save.error);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const s = props.saved;
  const ruleNow = s.commission_type === 'fixed' ? formatMoney(s.commission_value_minor, s.currency) : s.commission_rate_bp !== null ? formatRate(s.commission_rate_bp) : '—';
  const ruleChanged = draft.commission_type !== base.commission_type || draft.commission_value !== base.commission_value || draft.commission_duration !== base.commission_duration || draft.commission_months !== base.commission_months;

  return (
    <form
      className="settings-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (dirty) save.mutate();
      }}
    >
      <fieldset className="plain-fieldset" disabled={!canWrite}>
        <section className="card" aria-labelledby="settings-commission">
          <h2 id="settings-commission">Commission</h2>
          <p className="callout callout-info" id="settings-rule-note">
            The rule in force is <strong>{ruleNow}</strong>
            {s.commission_duration === 'lifetime' ? ' for the customer’s lifetime' : s.commission_duration === 'first_payment' ? ' on the first payment' : ` for ${s.commission_months} months`}. A new rule rates payments that occur from now on: commissions already earned keep the rule they were rated with (rules are not retroactive).
          </p>
          <div className="form-grid">
            <Field label="Commission type" name="commission_type" as="select" value={draft.commission_type} errors={errors} onChange={(e) => set('commission_type', e.currentTarget.value as Draft['commission_type'])}>
              <option value="percentage">Percentage of each payment</option>
              <option value="fixed">Fixed amount per payment</option>
            </Field>
            <Field
              label={draft.commission_type === 'percentage' ? 'Commission (%)' : `Commission (${s.currency})`}
              name="commission_value"
              inputMode="decimal"
              value={draft.commission_value}
              errors={errors}
              hint={draft.commission_type === 'percentage' ? 'From 0 to 100, up to 2 decimals.' : `An amount in ${s.currency}, e.g. 25.00.`}
              onChange={(e) => set('commission_value', e.currentTarget.value)}
            />
            <Field label="Duration" name="commission_duration" as="select" value={draft.commission_duration} errors={errors} onChange={(e) => set('commission_duration', e.currentTarget.value as Draft['commission_duration'])}>
              <option value="lifetime">Lifetime: every payment</option>
              <option value="first_payment">First payment only</option>
              <option value="months">A number of months</option>
            </Field>
            {draft.commission_duration === 'months' ? (
              <Field label="Months" name="commission_months" inputMode="numeric" value={draft.commission_months} errors={errors} hint="1 to 120." onChange={(e) => set('commission_months', e.currentTarget.value)} />
            ) : null}
            <Field label="Hold (days)" name="hold_days" inputMode="numeric" value={draft.hold_days} errors={errors} hint="A commission becomes payable this many days after the payment (0 to 365), so refunds can reverse it first." onChange={(e) => set('hold_days', e.currentTarget.value)} />
            <Field label="Commission review" name="commission_review" as="select" hint="Manual: each new commission waits as pending until you approve it." value={draft.commission_review} errors={errors} onChange={(e) => set('commission_review', e.currentTarget.value as Draft['commission_review'])}>
              <option value="auto">Automatic</option>
              <option value="manual">Manual: approve each</option>
            </Field>
          </div>
          {ruleChanged ? (
            <p className="callout callout-warn" role="note">
              Saving changes the rule for payments from now on; past commissions are not re-rated.
            </p>
          ) : null}
        </section>

        <section className="card" aria-labelledby="settings-payouts">
          <h2 id="settings-payouts">Payouts and tracking</h2>
          <div className="form-grid">
            <Field label={`Minimum payout (${s.currency})`} name="minimum_payout" inputMode="decimal" value={draft.minimum_payout} errors={errors} hint={`Now ${formatMoney(s.minimum_payout_minor, s.currency)}.`} onChange={(e) => set('minimum_payout', e.currentTarget.value)} />
            <Field
              label="Currency"
              name="currency"
              value={draft.currency}
              maxLength={3}
              errors={errors}
              disabled={currencyFixed}
              hint={currencyFixed ? `Fixed: conversions are recorded in ${s.currency}.` : 'ISO 4217 code; fixed once the first conversion is recorded.'}
              onChange={(e) => set('currency', e.currentTarget.value)}
            />
            <Field label="Cookie (days)" name="cookie_days" inputMode="numeric" value={draft.cookie_days} errors={errors} hint="How long a click is credited to its affiliate (1 to 730)." onChange={(e) => set('cookie_days', e.currentTarget.value)} />
            <Field label="Click retention (days)" name="click_retention_days" inputMode="numeric" value={draft.click_retention_days} errors={errors} hint="Raw clicks are deleted after this many days (1 to 3650)." onChange={(e) => set('click_retention_days', e.currentTarget.value)} />
          </div>
          <Field
            label="Allowed domains"
            name="allowed_domains"
            as="textarea"
            rows={3}
            value={draft.allowed_domains}
            errors={errors}
            hint="One per line (example.com, or *.example.com for its subdomains): where tracking links may send visitors."
            onChange={(e) => set('allowed_domains', e.currentTarget.value)}
          />
        </section>

        <section className="card" aria-labelledby="settings-applications">
          <h2 id="settings-applications">Applications</h2>
          <label className="check">
            <input type="checkbox" name="auto_approve" checked={draft.auto_approve} onChange={(e) => set('auto_approve', e.currentTarget.checked)} />
            Approve verified applications at once (otherwise they wait as pending affiliates)
          </label>
          {errors?.auto_approve ? <p className="field-error">{errors.auto_approve}</p> : null}
          <Field
            label="Notification email"
            name="notification_email"
            type="email"
            value={draft.notification_email}
            errors={errors}
            hint="Told of each verified application. Empty: nobody."
            onChange={(e) => set('notification_email', e.currentTarget.value)}
          />
        </section>
      </fieldset>
      <WriteOnly>
        <FormError error={save.error} fields={FIELDS} />
        <div className="form-actions sticky-actions">
          <SubmitButton busy={save.isPending} disabled={!dirty}>
            Save settings
          </SubmitButton>
          <button
            type="button"
            className="button"
            disabled={!dirty || save.isPending}
            onClick={() => {
              setDraft(draftOf(props.saved));
              save.reset();
            }}
          >
            Discard changes
          </button>
          <span className="hint" aria-live="polite">
            {dirty ? 'Unsaved changes.' : 'Everything is saved.'}
          </span>
        </div>
      </WriteOnly>
    </form>
  );
}
