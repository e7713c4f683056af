import { Description } from '@headlessui/react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { api, unwrap } from '../api/client';
import type { operations } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog, FormDialog } from '../ui/dialog';
import { DialogActions, Field, fieldErrors, FormError } from '../ui/form';
import { formatMoney, majorString } from '../ui/format';
import { type Conversion } from './conversions-shared';

type UpdateBody = NonNullable<operations['patchApiV1ConversionsById']['requestBody']>['content']['application/json'];
const EDIT_FIELDS = ['value', 'base_value', 'reference', 'referred_user_id', 'coupon_code_used'] as const;

/**
 * What the API lets a merchant change on a conversion (src/api/conversions.ts), and only that: nothing while it is in
 * a payout; on a row derived from provider events, whether it is paid; on a conversion recorded by hand, its amounts,
 * reference, customer and coupon code too, and deleting it. Marking paid waits for a commission under review to be
 * approved, and a rejected one never pays.
 */
export function conversionPermissions(c: Conversion) {
  const free = c.payout_id === null;
  const manual = c.provider === null;
  return {
    edit: free && manual,
    remove: free && manual,
    markPaid: free && !c.paid && c.status !== 'pending' && c.status !== 'rejected' && c.status !== 'none',
    markUnpaid: free && c.paid,
  };
}

/** Why a conversion offers fewer changes than a manual one, in a sentence; null when it offers them all. */
export function limitsText(c: Conversion): string | null {
  if (c.payout_id !== null) return 'This conversion is in a payout: it changes when that payout is marked completed or failed.';
  if (c.provider !== null) return 'Derived from provider events: only whether its commission is paid can be changed here. Its amounts follow the provider’s payments and refunds.';
  return null;
}

/** The header's buttons for the changes allowed, with their dialogs. */
export function ConversionActions(props: { conversion: Conversion }) {
  const c = props.conversion;
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [, navigate] = useLocation();
  const [open, setOpen] = useState<'edit' | 'paid' | 'unpaid' | 'delete' | null>(null);
  const can = conversionPermissions(c);
  const refresh = () => client.invalidateQueries({ queryKey: ['p', project_id] });
  const setPaid = (paid: boolean) => async () => {
    await unwrap(api.PATCH('/api/v1/conversions/{id}', { params: { path: { id: c.id } }, body: { paid } }));
    await refresh();
    announce(paid ? 'Commission marked paid.' : 'Commission marked unpaid: it can be paid out again.');
  };
  const commission = formatMoney(c.value_minor, c.currency);
  return (
    <>
      {can.edit ? (
        <button type="button" className="button" onClick={() => setOpen('edit')}>
          Edit
        </button>
      ) : null}
      {can.markPaid ? (
        <button type="button" className="button" onClick={() => setOpen('paid')}>
          Mark paid
        </button>
      ) : null}
      {can.markUnpaid ? (
        <button type="button" className="button" onClick={() => setOpen('unpaid')}>
          Mark unpaid
        </button>
      ) : null}
      {can.remove ? (
        <button type="button" className="button button-danger" onClick={() => setOpen('delete')}>
          Delete
        </button>
      ) : null}

      {open === 'edit' ? <EditConversionDialog conversion={c} onClose={() => setOpen(null)} /> : null}
      <ConfirmDialog
        open={open === 'paid'}
        title="Mark this commission paid?"
        description={<p>Do this when you paid the {commission} commission outside Refwire: it counts as paid and no payout will take it.</p>}
        confirmLabel="Mark paid"
        onClose={() => setOpen(null)}
        onConfirm={setPaid(true)}
      />
      <ConfirmDialog
        open={open === 'unpaid'}
        title="Mark this commission unpaid?"
        description={<p>The {commission} commission no longer counts as paid: it becomes payable again (once its hold period is over) and a later payout may take it.</p>}
        confirmLabel="Mark unpaid"
        danger
        onClose={() => setOpen(null)}
        onConfirm={setPaid(false)}
      />
      <ConfirmDialog
        open={open === 'delete'}
        title="Delete this conversion?"
        description={<p>The conversion and its {commission} commission are removed from the ledger; webhook receivers hear it was canceled. This cannot be undone.</p>}
        confirmLabel="Delete"
        danger
        onClose={() => setOpen(null)}
        onConfirm={async () => {
          await unwrap(api.DELETE('/api/v1/conversions/{id}', { params: { path: { id: c.id } } }));
          announce('Conversion deleted.');
          navigate('/conversions');
          client.removeQueries({ queryKey: ['p', project_id, 'conversions', 'one', c.id] });
          await refresh();
        }}
      />
    </>
  );
}

/** Change a conversion recorded by hand: its sale and commission, reference, customer and coupon code. */
function EditConversionDialog(props: { conversion: Conversion; onClose(): void }) {
  const c = props.conversion;
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const initial = {
    base_value: majorString(c.base_value_minor, c.currency),
    value: majorString(c.value_minor, c.currency),
    reference: c.reference ?? '',
    referred_user_id: c.referred_user_id ?? '',
    coupon_code_used: c.coupon_code_used ?? '',
  };
  const [v, setV] = useState(initial);
  const set = (k: keyof typeof initial) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setV((x) => ({ ...x, [k]: value }));
  };
  const save = useMutation({
    mutationFn: () => {
      // only what changed is sent: an untouched field stays as recorded
      const body: UpdateBody = {};
      const changed = (k: keyof typeof initial) => v[k].trim() !== initial[k];
      if (changed('base_value')) body.base_value = v.base_value.trim();
      if (changed('value')) body.value = v.value.trim();
      if (changed('reference')) body.reference = v.reference.trim();
      if (changed('referred_user_id')) body.referred_user_id = v.referred_user_id.trim();
      if (changed('coupon_code_used')) body.coupon_code_used = v.coupon_code_used.trim() || null;
      return unwrap(api.PATCH('/api/v1/conversions/{id}', { params: { path: { id: c.id } }, body }));
    },
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id] });
      const r = answer.data;
      announce(`Conversion saved: ${formatMoney(r.base_value_minor, r.currency)} sale, ${formatMoney(r.value_minor, r.currency)} commission.`);
      props.onClose();
    },
  });
  const errors = fieldErrors(save.error);
  const close = () => {
    if (!save.isPending) props.onClose();
  };
  return (
    <FormDialog title="Edit this conversion" tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">A conversion recorded by hand. Its type, currency and affiliate are fixed once recorded: delete it and record it again to change them.</p>
      </Description>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field label={`Sale amount (${c.currency})`} name="base_value" inputMode="decimal" value={v.base_value} onChange={set('base_value')} errors={errors} required autoComplete="off" hint="What the customer paid, before tax." />
        <Field label={`Commission (${c.currency})`} name="value" inputMode="decimal" value={v.value} onChange={set('value')} errors={errors} required autoComplete="off" hint="No more than the sale amount." />
        <Field label="Reference" name="reference" value={v.reference} onChange={set('reference')} errors={errors} maxLength={200} autoComplete="off" spellCheck={false} hint={initial.reference ? 'Your own id of the sale, unique in the project. It can be changed, not removed.' : 'Your own id of the sale, unique in the project.'} />
        <Field label="Customer (email or id)" name="referred_user_id" value={v.referred_user_id} onChange={set('referred_user_id')} errors={errors} maxLength={320} autoComplete="off" spellCheck={false} hint="The referred customer: an email, or your id of them." />
        <Field label="Coupon code" name="coupon_code_used" value={v.coupon_code_used} onChange={set('coupon_code_used')} errors={errors} maxLength={100} autoComplete="off" spellCheck={false} hint="The code used at checkout. Empty: none." />
        <FormError error={save.error} fields={EDIT_FIELDS} />
        <DialogActions busy={save.isPending} onCancel={close} />
      </form>
    </FormDialog>
  );
}
