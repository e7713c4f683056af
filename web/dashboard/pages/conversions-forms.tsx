import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, ApiError, unwrap } from '../api/client';
import type { operations } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { Field, fieldErrors, FormError, formValues, SubmitButton } from '../ui/form';
import { dayStart, formatMoney } from '../ui/format';
import { DataTable } from '../ui/table';

type CreateBody = NonNullable<operations['postApiV1Conversions']['requestBody']>['content']['application/json'];

const MANUAL_FIELDS = ['referral_code', 'affiliate_id', 'type', 'base_value', 'value', 'base_value_currency', 'email', 'reference', 'coupon_code_used', 'product_id', 'paid'] as const;

/** POST /api/v1/conversions: a sale or signup no provider reported, with the API's errors next to its fields. */
export function ManualConversionForm(props: { onClose(): void }) {
  const { project_id, currency } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [type, setType] = useState<'purchase' | 'signup'>('purchase');
  const create = useMutation({
    mutationFn: (body: CreateBody) => unwrap(api.POST('/api/v1/conversions', { body })).then((a) => a.data),
    onSuccess: (row) => {
      announce(
        row.kind === 'signup'
          ? 'Signup recorded.'
          : `Conversion recorded: ${formatMoney(row.base_value_minor, row.currency)} sale, ${formatMoney(row.value_minor, row.currency)} commission${row.paid ? ', paid' : ''}.`,
      );
      void client.invalidateQueries({ queryKey: ['p', project_id] });
      props.onClose();
    },
  });
  const errors = fieldErrors(create.error);
  return (
    <section className="card" aria-labelledby="manual-title">
      <h2 id="manual-title">Add a conversion</h2>
      <p className="hint">A sale or signup no payment provider reported. Without a commission, it is computed with the program's rules.</p>
      <form
        className="form form-wide"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e.currentTarget);
          // a commission settled outside Refwire is recorded as paid: it counts as earned and paid, never in a payout
          const body: CreateBody = { type, paid: type === 'purchase' && v.paid === 'on' };
          if (v.referral_code) body.referral_code = v.referral_code;
          if (v.base_value) body.base_value = v.base_value;
          if (v.value) body.value = v.value;
          if (v.base_value_currency) body.base_value_currency = v.base_value_currency.toUpperCase();
          if (v.email) body.email = v.email;
          if (v.reference) body.reference = v.reference;
          if (v.coupon_code_used) body.coupon_code_used = v.coupon_code_used;
          if (v.product_id) body.product_id = v.product_id;
          create.mutate(body);
        }}
      >
        <div className="form-columns">
          <Field label="Affiliate's referral code" name="referral_code" errors={errors} required autoComplete="off" />
          <Field label="Type" name="type" as="select" errors={errors} value={type} onChange={(e) => setType(e.currentTarget.value as 'purchase' | 'signup')}>
            <option value="purchase">Purchase</option>
            <option value="signup">Signup</option>
          </Field>
          {type === 'purchase' ? (
            <>
              <Field label="Sale amount (base value)" name="base_value" errors={errors} inputMode="decimal" hint={`In major units, e.g. 120.00 (${currency} unless a currency is given)`} />
              <Field label="Commission" name="value" errors={errors} inputMode="decimal" hint="Optional: leave empty to compute it with the program's rules" />
              <Field label="Currency" name="base_value_currency" errors={errors} maxLength={3} hint={`Optional, default ${currency}`} />
              <Field label="Product id" name="product_id" errors={errors} hint="Optional: chooses a product rule" />
            </>
          ) : null}
          <Field label="Customer email" name="email" errors={errors} type="email" autoComplete="off" />
          <Field label="Reference" name="reference" errors={errors} hint="Optional: your own id for it, unique (an order number)" />
          {type === 'purchase' ? <Field label="Coupon code used" name="coupon_code_used" errors={errors} /> : null}
        </div>
        {type === 'purchase' ? (
          <label className="check">
            <input type="checkbox" name="paid" /> Already paid to the affiliate (outside Refwire): counted as earned and paid, never taken into a payout
          </label>
        ) : null}
        {errors?.paid ? <p className="field-error">{errors.paid}</p> : null}
        <FormError error={create.error} fields={MANUAL_FIELDS} />
        <div className="form-actions">
          <SubmitButton busy={create.isPending}>Record the conversion</SubmitButton>
          <button type="button" className="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

type Recalculation = Awaited<ReturnType<typeof recalculateCall>>;
const recalculateCall = (body: { from: string; to: string; affiliate_id?: string }) => unwrap(api.POST('/api/v1/conversions/recalculate', { body })).then((a) => a.data);

/**
 * POST /api/v1/conversions/recalculate: re-rates the unpaid commissions of a period with today's rules and shows
 * how many changed and the totals before and after per currency.
 */
export function RecalculateForm(props: { onClose(): void }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [result, setResult] = useState<Recalculation | null>(null);
  const run = useMutation({
    mutationFn: async (v: Record<string, string>) => {
      let affiliate_id: string | undefined;
      if (v.affiliate) {
        try {
          affiliate_id = (await unwrap(api.GET('/api/v1/affiliates/{email}', { params: { path: { email: v.affiliate } } }))).data.id;
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) throw new ApiError(404, 'affiliate_id: no affiliate has this email', { affiliate_id: 'no affiliate has this email' });
          if (err instanceof ApiError && err.status === 400) throw new ApiError(400, 'affiliate_id: is not an email address', { affiliate_id: 'is not an email address' });
          throw err;
        }
      }
      // whole UTC days, the last one included: the API's period ends before `to`
      return recalculateCall({ from: v.from ? (dayStart(v.from) ?? v.from) : '', to: v.to ? (dayStart(v.to, 1) ?? v.to) : '', affiliate_id });
    },
    onSuccess: (r) => {
      setResult(r);
      announce(`Recalculated: ${r.changed} of ${r.conversions} commissions changed.`);
      void client.invalidateQueries({ queryKey: ['p', project_id] });
    },
  });
  const errors = fieldErrors(run.error);
  const shown = errors && errors.affiliate_id ? { ...errors, affiliate: errors.affiliate_id } : errors;
  return (
    <section className="card" aria-labelledby="recalc-title">
      <h2 id="recalc-title">Recalculate commissions</h2>
      <p className="hint">
        Rule changes never move recorded commissions by themselves. This re-rates the unpaid provider payments of a period with the rules in force now (paid commissions and
        those in a payout stay as they are).
      </p>
      <form
        className="form form-wide"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setResult(null);
          run.mutate(formValues(e.currentTarget));
        }}
      >
        <div className="form-columns">
          <Field label="From (UTC day)" name="from" type="date" errors={shown} required />
          <Field label="To (UTC day, included)" name="to" type="date" errors={shown} required />
          <Field label="Only this affiliate (email)" name="affiliate" type="email" errors={shown} hint="Optional" />
        </div>
        <FormError error={run.error} fields={['from', 'to', 'affiliate_id']} />
        <div className="form-actions">
          <SubmitButton busy={run.isPending}>Recalculate</SubmitButton>
          <button type="button" className="button" onClick={props.onClose}>
            Close
          </button>
        </div>
      </form>
      {result ? (
        <div className="recalc-result" aria-live="polite">
          <h3>Result</h3>
          <p>
            <strong>{result.conversions}</strong> payment{result.conversions === 1 ? '' : 's'} re-rated, <strong>{result.changed}</strong> commission
            {result.changed === 1 ? '' : 's'} changed.
          </p>
          {result.totals.length ? (
            <DataTable
              caption="What the balances move by: the period's commissions before and after, per currency (one waiting for review counts once approved)"
              rowKey={(t) => t.currency}
              rows={result.totals}
              columns={[
                { header: 'Currency', cell: (t) => t.currency },
                { header: 'Before', numeric: true, cell: (t) => formatMoney(t.before_minor, t.currency) },
                { header: 'After', numeric: true, cell: (t) => formatMoney(t.after_minor, t.currency) },
                { header: 'Difference', numeric: true, cell: (t) => `${t.difference_minor > 0 ? '+' : ''}${formatMoney(t.difference_minor, t.currency)}` },
              ]}
            />
          ) : result.conversions > 0 ? (
            <p className="hint">No balance moves: the commissions re-rated wait for review, and count as re-rated once approved.</p>
          ) : (
            <p className="hint">No commissions in this period.</p>
          )}
          <p>
            <Link href="/conversions">See the conversions</Link>
          </p>
        </div>
      ) : null}
    </section>
  );
}
