import { Description } from '@headlessui/react';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../api/client';
import type { operations } from '../api/schema';
import { useProject } from '../session';
import { FormDialog } from '../ui/dialog';
import { DialogActions, Field, fieldErrors, FormError } from '../ui/form';
import { parseMajor } from '../ui/format';

type BatchBody = NonNullable<operations['postApiV1PayoutBatches']['requestBody']>['content']['application/json'];
export type CreatedBatch = Awaited<ReturnType<typeof createBatch>>;
const createBatch = (body: BatchBody) => unwrap(api.POST('/api/v1/payout-batches', { body })).then((a) => a.data);

const FIELDS = ['currency', 'minimum_minor', 'affiliate_emails'] as const;

/**
 * POST /api/v1/payout-batches with what the API lets a merchant limit: one currency, a minimum other than the
 * program's, only some affiliates. Left empty, a batch takes every active affiliate's payable balance in every
 * currency, as the API does.
 */
export function PayoutBatchDialog(props: { currencies: readonly string[]; onCreated(batch: CreatedBatch): void; onClose(): void }) {
  const { currency: projectCurrency } = useProject();
  const [currency, setCurrency] = useState('');
  const [minimum, setMinimum] = useState('');
  const [emails, setEmails] = useState('');
  const minimumCurrency = /^[A-Z]{3}$/.test(currency) ? currency : projectCurrency;
  const create = useMutation({
    mutationFn: () => {
      const body: BatchBody = {};
      if (currency.trim()) body.currency = currency.trim();
      if (minimum.trim()) {
        const minor = parseMajor(minimum, minimumCurrency);
        if (minor === null) throw new ApiError(400, `minimum_minor: is not an amount in ${minimumCurrency}`, { minimum_minor: `is not an amount in ${minimumCurrency}` });
        body.minimum_minor = minor;
      }
      const list = emailList(emails);
      if (list.length) body.affiliate_emails = list;
      return createBatch(body);
    },
    onSuccess: props.onCreated,
  });
  const error = withAddressNamed(create.error, emails);
  const errors = fieldErrors(error);
  const close = () => {
    if (!create.isPending) props.onClose();
  };
  return (
    <FormDialog title="Create a payout batch" tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">
          Each affiliate's eligible balance at or above the minimum becomes one pending payout, in one batch. Their commissions are then held by the batch until you mark it
          completed (paid) or failed (eligible again). Leave the fields empty to pay every active affiliate in every currency.
        </p>
      </Description>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Field
          label="Only this currency"
          name="currency"
          list="batch-currencies"
          maxLength={3}
          autoComplete="off"
          spellCheck={false}
          value={currency}
          onChange={(e) => setCurrency(e.currentTarget.value.toUpperCase())}
          errors={errors}
          hint={`Optional: a code such as ${props.currencies[0] ?? projectCurrency}; empty: every currency with a payable balance (PayPal and Wise files take one currency each)`}
        />
        <datalist id="batch-currencies">
          {props.currencies.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
        <Field
          label={`Minimum (${minimumCurrency})`}
          name="minimum_minor"
          inputMode="decimal"
          autoComplete="off"
          value={minimum}
          onChange={(e) => setMinimum(e.currentTarget.value)}
          errors={errors}
          hint="Optional: the program's minimum payout (Settings) when empty"
        />
        <Field
          label="Only these affiliates (emails)"
          name="affiliate_emails"
          as="textarea"
          rows={4}
          spellCheck={false}
          value={emails}
          onChange={(e) => setEmails(e.currentTarget.value)}
          errors={errors}
          hint="Optional: one per line (or separated by commas). Named affiliates are paid whatever their status, but suspended ones; empty: every active affiliate"
        />
        <FormError error={error} fields={FIELDS} />
        <DialogActions busy={create.isPending} onCancel={close} submitLabel="Create the batch" />
      </form>
    </FormDialog>
  );
}

/** The addresses of the list's field, one per line or separated by commas, as the API receives them. */
const emailList = (text: string) => text.split(/[\s,;]+/).filter(Boolean);

/**
 * The API names a bad address by its place in the list (`affiliate_emails.2: must be an email address`); the list is
 * one field here, so the error is said under it, with the address itself.
 */
function withAddressNamed(error: unknown, text: string): unknown {
  if (!(error instanceof ApiError)) return error;
  const key = Object.keys(error.fields).find((k) => /^affiliate_emails\.\d+$/.test(k));
  if (!key) return error;
  const address = emailList(text)[Number(key.split('.')[1])];
  const said = address ? `${address}: ${error.fields[key]}` : error.fields[key]!;
  const { [key]: _, ...rest } = error.fields;
  return new ApiError(error.status, error.message.replace(`${key}: ${error.fields[key]}`, `affiliate_emails: ${said}`), { ...rest, affiliate_emails: said });
}
