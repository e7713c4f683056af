import { Description } from '@headlessui/react';
import { FormDialog } from '../ui/dialog';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { DialogActions, Field, fieldErrors, FormError } from '../ui/form';
import { formatCount, formatDateTime, formatMoney } from '../ui/format';
import { StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { offsetOf, type Affiliate } from './affiliates-shared';
import { PayoutLineActions, awaitsApproval, payoutStatus } from './payouts-shared';

const SECTION_PAGE = 10;
const KEYS = ['payouts'] as const;
const METHODS = { paypal: 'PayPal', wise: 'Wise', bank_transfer: 'Bank transfer', manual: 'Manual' } as const;
type Method = keyof typeof METHODS;
const PAYOUT_FIELDS = ['currency', 'method'] as const;

/**
 * The affiliate's payouts, newest first; writers pay the affiliate's eligible balance in one currency as a single
 * payout (POST /api/v1/payouts, besides the batches of the payouts page) and mark a pending one completed or failed.
 */
export function PayoutsSection(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id, canWrite } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.payouts);
  const [creating, setCreating] = useState(false);
  const payouts = useQuery({
    queryKey: ['p', project_id, 'payouts', { affiliate_id: a.id, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/payouts', { params: { query: { affiliate_id: a.id, offset, limit: SECTION_PAGE } } })),
    placeholderData: keepPreviousData,
  });
  type Payout = NonNullable<typeof payouts.data>['data'][number];
  const columns: Column<Payout>[] = [
    { header: 'Created', cell: (p) => formatDateTime(p.created_at) },
    { header: 'Amount', numeric: true, cell: (p) => formatMoney(p.amount_minor, p.currency) },
    { header: 'Method', cell: (p) => METHODS[p.method] },
    { header: 'Status', cell: (p) => <StatusBadge status={payoutStatus(p)} /> },
    { header: 'Commissions', numeric: true, cell: (p) => formatCount(p.conversions_count) },
    { header: 'Completed', cell: (p) => formatDateTime(p.completed_at) },
    { header: 'Reference', cell: (p) => p.reference ?? '—' },
    {
      header: 'Failed',
      cell: (p) =>
        p.failed_at ? (
          <>
            {formatDateTime(p.failed_at)}
            {p.failure_reason ? (
              <>
                <br />
                <span className="muted">{p.failure_reason}</span>
              </>
            ) : null}
          </>
        ) : (
          '—'
        ),
    },
  ];
  if (canWrite && payouts.data?.data.some((p) => p.status === 'pending')) {
    columns.push({
      header: 'Actions',
      cell: (p) => <PayoutLineActions payoutId={p.id} status={p.status} awaitingApproval={awaitsApproval(p)} label={`${a.email} ${formatMoney(p.amount_minor, p.currency)}`} />,
    });
  }
  const eligible = a.earnings_by_currency.filter((e) => e.eligible_earnings_minor > 0);
  return (
    <section className="card detail-section" aria-labelledby="payouts-heading">
      <div className="section-head">
        <h2 id="payouts-heading">Payouts</h2>
        <WriteOnly>
          {/* a suspended affiliate's payouts are frozen: the API refuses them, so no dialog leads there */}
          <button type="button" className="button button-primary" onClick={() => setCreating(true)} disabled={a.status === 'suspended'} aria-describedby="payouts-hint">
            New payout
          </button>
        </WriteOnly>
      </div>
      <p className="hint section-hint" id="payouts-hint">
        A payout takes the affiliate’s whole eligible balance in one currency. To pay every affiliate at once, create a batch on the <Link href="/payouts">Payouts page</Link>.
        {a.status === 'suspended' ? ' Payouts are frozen while the affiliate is suspended: reactivate it to pay it.' : canWrite && eligible.length === 0 ? ' Nothing is eligible now.' : ''}
      </p>
      <QueryView query={payouts} loadingLabel="Loading payouts…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty title={offset > 0 ? 'No payouts on this page.' : 'No payouts yet.'} />
          ) : (
            <>
              <DataTable caption={`Payouts of ${a.email}, newest first`} rowKey={(p) => p.id} rows={page.data} columns={columns} />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ payouts: o ? String(o) : null })} label="Payout pages" />
            </>
          )
        }
      </QueryView>
      {creating ? <NewPayoutDialog affiliate={a} onClose={() => setCreating(false)} /> : null}
    </section>
  );
}

/** One payout of the affiliate's eligible balance in a currency, by a method (the affiliate's own unless another is chosen). */
function NewPayoutDialog(props: { affiliate: Affiliate; onClose(): void }) {
  const a = props.affiliate;
  const { project_id, currency: projectCurrency } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const balances = a.earnings_by_currency;
  const currencies = [...new Set([projectCurrency, ...balances.map((e) => e.currency)])];
  const firstEligible = balances.find((e) => e.eligible_earnings_minor > 0)?.currency;
  const [currency, setCurrency] = useState(firstEligible ?? projectCurrency);
  // an affiliate without a method is paid by hand unless another is chosen, as the API and a batch do
  const [method, setMethod] = useState<Method>(a.payout_method ?? 'manual');
  const eligible = balances.find((e) => e.currency === currency)?.eligible_earnings_minor ?? 0;
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/payouts', { body: { affiliate_id: a.id, currency, method } })),
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id] });
      const p = answer.data;
      announce(`Payout of ${formatMoney(p.amount_minor, p.currency)} to ${a.email} created (${METHODS[p.method]}): mark it completed once the money is sent.`);
      props.onClose();
    },
  });
  const errors = fieldErrors(create.error);
  const close = () => {
    if (!create.isPending) props.onClose();
  };
  return (
    <FormDialog title={<>New payout to {a.name || a.email}</>} onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">The payout takes the whole eligible balance in the currency chosen; its commissions are held by it until you mark it completed (paid) or failed (eligible again).</p>
      </Description>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Field label="Currency" name="currency" as="select" value={currency} onChange={(e) => setCurrency(e.currentTarget.value)} errors={errors} hint={`Eligible now: ${formatMoney(eligible, currency)}.`}>
          {currencies.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </Field>
        <Field label="Method" name="method" as="select" value={method} onChange={(e) => setMethod(e.currentTarget.value as Method)} errors={errors}>
          {(Object.keys(METHODS) as Method[]).map((m) => (
            <option key={m} value={m}>
              {METHODS[m]}
              {m === a.payout_method ? ' (the affiliate’s method)' : ''}
            </option>
          ))}
        </Field>
        <FormError error={create.error} fields={PAYOUT_FIELDS} />
        <DialogActions busy={create.isPending} onCancel={close} submitLabel="Create payout" />
      </form>
    </FormDialog>
  );
}
