import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'wouter';
import { api, ApiError, download, unwrap } from '../api/client';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { formatDateTime, formatMoney } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable } from '../ui/table';
import { destinationLabel, detailsLabel, PayoutLineActions } from './payouts-shared';

type Batch = Awaited<ReturnType<typeof fetchBatch>>;
const fetchBatch = (id: string) => unwrap(api.GET('/api/v1/payout-batches/{id}', { params: { path: { id } } })).then((a) => a.data);

/** One payout batch: its lines, what they lack, the PayPal and Wise files, and marking it (or a line) sent or failed. */
export function PayoutBatchPage() {
  const { id } = useParams<{ id: string }>();
  const { project_id } = useProject();
  const q = useQuery({ queryKey: ['p', project_id, 'payout-batches', 'one', id], queryFn: () => fetchBatch(id) });
  return (
    <>
      <p className="breadcrumb">
        <Link href="/payouts">← Payouts</Link>
      </p>
      {q.isError ? <PageHeader title="Payout batch" /> : null}
      <QueryView query={q} loadingLabel="Loading the batch…">
        {(b) => <BatchView b={b} />}
      </QueryView>
    </>
  );
}

function BatchView({ b }: { b: Batch }) {
  const { project_id, canWrite } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [settling, setSettling] = useState<'complete' | 'fail' | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const [exportWarning, setExportWarning] = useState<string | null>(null);
  const pending = b.statuses.pending;
  const pendingCurrencies = [...new Set(b.lines.filter((l) => l.status === 'pending').map((l) => l.currency))];
  const exportFile = async (kind: 'paypal' | 'wise', currency: string) => {
    setExportError(null);
    setExportWarning(null);
    const path = `/api/v1/payout-batches/${b.id}/${kind}.csv?currency=${encodeURIComponent(currency)}`;
    const channel = kind === 'paypal' ? 'PayPal' : 'Wise';
    try {
      const headers = await download(path, `payout-batch-${b.id}-${currency}-${kind}.csv`);
      // the file holds every pending line of the currency, whatever its method: say which lack this channel's details
      const missing = Number(headers.get('X-Refwire-Missing-Details') ?? 0);
      const warning =
        missing > 0
          ? `${missing === 1 ? '1 line' : `${missing} lines`} of this ${channel} file ${missing === 1 ? 'has' : 'have'} no ${channel} details: written with the affiliate's own email. Remove ${missing === 1 ? 'it' : 'them'} before you upload, or check the address.`
          : null;
      setExportWarning(warning);
      announce(`${kind === 'paypal' ? 'PayPal Payouts' : 'Wise batch'} file for ${currency} downloaded.${warning ? ` ${warning}` : ''}`);
    } catch (err) {
      setExportError(err instanceof ApiError ? err.message : 'The file could not be downloaded.');
    }
  };
  const settled = (word: string, n: number) => {
    announce(`${n} payout${n === 1 ? '' : 's'} marked ${word}.`);
    void client.invalidateQueries({ queryKey: ['p', project_id] });
  };
  return (
    <>
      <PageHeader
        title={`Payout batch of ${formatDateTime(b.created_at)}`}
        description={
          <>
            <StatusBadge status={b.status} /> {b.payouts_count} payout{b.payouts_count === 1 ? '' : 's'}
            {b.created_by.email ? `, created by ${b.created_by.email}` : ''}
          </>
        }
        actions={
          pending > 0 ? (
            <WriteOnly>
              <button type="button" className="button button-primary" onClick={() => setSettling('complete')}>
                Mark batch completed
              </button>
              <button type="button" className="button" onClick={() => setSettling('fail')}>
                Mark batch failed
              </button>
            </WriteOnly>
          ) : null
        }
      />
      <div className="grid">
        {b.totals.map((t) => (
          <dl className="stat" key={t.currency}>
            <dt>
              Total {t.currency} ({t.count} payout{t.count === 1 ? '' : 's'})
            </dt>
            <dd>{formatMoney(t.amount_minor, t.currency)}</dd>
          </dl>
        ))}
        <dl className="stat">
          <dt>Minimum applied</dt>
          <dd>{b.minimum ? formatMoney(b.minimum.amount_minor, b.minimum.currency) : 'none'}</dd>
        </dl>
        <dl className="stat">
          <dt>Pending / completed / failed</dt>
          <dd>
            {b.statuses.pending} / {b.statuses.completed} / {b.statuses.failed}
          </dd>
        </dl>
      </div>

      {b.missing_details.length > 0 ? (
        <div className="callout" role="note" aria-labelledby="missing-title">
          <h2 id="missing-title" className="callout-title">
            {b.missing_details.length === 1 ? '1 line lacks payout details' : `${b.missing_details.length} lines lack payout details`}
          </h2>
          <p>The exports fall back to the affiliate's own email for these; ask the affiliate to complete their details in the portal, or pay them another way.</p>
          <ul>
            {b.missing_details.map((m) => (
              <li key={m.payout_id}>
                {m.affiliate_email} ({m.method}): missing {detailsLabel(m.missing)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Export for sending</h2>
        {pendingCurrencies.length === 0 ? (
          <p className="hint">No pending lines left to export.</p>
        ) : (
          <>
            <p className="hint">
              Each file holds every pending line of one currency, whatever the affiliate's method: upload the PayPal file in PayPal Payouts or the Wise file in a
              Wise batch payment, and send each line through one of them only.
            </p>
            <div className="export-buttons">
              {pendingCurrencies.map((c) => (
                <span key={c} className="export-group">
                  <button type="button" className="button" onClick={() => void exportFile('paypal', c)}>
                    PayPal Payouts CSV ({c})
                  </button>
                  <button type="button" className="button" onClick={() => void exportFile('wise', c)}>
                    Wise batch CSV ({c})
                  </button>
                </span>
              ))}
            </div>
          </>
        )}
        {exportError ? (
          <p className="form-error" role="alert">
            {exportError}
          </p>
        ) : null}
        {exportWarning ? (
          <p className="warn-text" role="status">
            {exportWarning}
          </p>
        ) : null}
      </section>

      <section aria-labelledby="lines-title">
        <h2 id="lines-title">Lines</h2>
        {b.lines.length === 0 ? (
          <Empty title="This batch has no lines." />
        ) : (
          <DataTable
            caption="The batch's payouts, one per affiliate and currency"
            rows={b.lines}
            rowKey={(l) => l.payout_id}
            columns={[
              { header: 'Affiliate', cell: (l) => <span className="cell-wrap">{l.affiliate_name ? `${l.affiliate_name} <${l.affiliate_email}>` : l.affiliate_email}</span> },
              { header: 'Amount', numeric: true, cell: (l) => formatMoney(l.amount_minor, l.currency) },
              { header: 'Method', cell: (l) => l.method },
              {
                header: 'Details',
                cell: (l) =>
                  l.missing_details.length ? (
                    <span className="warn-text">Missing {detailsLabel(l.missing_details)}</span>
                  ) : (
                    <span className="cell-wrap">{destinationLabel(l.method, l.destination)}</span>
                  ),
              },
              { header: 'Status', cell: (l) => <StatusBadge status={l.status} /> },
              { header: 'Reference', cell: (l) => l.reference ?? l.failure_reason ?? '—' },
              ...(canWrite && pending > 0
                ? [{ header: 'Actions', cell: (l: Batch['lines'][number]) => <PayoutLineActions payoutId={l.payout_id} status={l.status} label={`${l.affiliate_email} ${formatMoney(l.amount_minor, l.currency)}`} /> }]
                : []),
            ]}
          />
        )}
      </section>

      <ConfirmDialog
        open={settling === 'complete'}
        title="Mark the batch completed?"
        description={<p>Confirm that the {pending} pending payout{pending === 1 ? ' was' : 's were'} sent. Their commissions become paid; this cannot be undone.</p>}
        confirmLabel="Mark completed"
        reason={{ label: 'Reference (optional, e.g. the PayPal or Wise batch id)' }}
        onConfirm={async (reference) => {
          const r = await unwrap(api.POST('/api/v1/payout-batches/{id}/complete', { params: { path: { id: b.id } }, body: { reference: reference || null } }));
          settled('completed', r.data.settled);
        }}
        onClose={() => setSettling(null)}
      />
      <ConfirmDialog
        open={settling === 'fail'}
        title="Mark the batch failed?"
        description={<p>The {pending} pending payout{pending === 1 ? ' was' : 's were'} not sent. Their commissions become eligible again for a later batch. The affiliates see the reason in their portal.</p>}
        confirmLabel="Mark failed"
        danger
        reason={{ label: 'Reason (optional)' }}
        onConfirm={async (reason) => {
          const r = await unwrap(api.POST('/api/v1/payout-batches/{id}/fail', { params: { path: { id: b.id } }, body: { reason: reason || null } }));
          settled('failed', r.data.settled);
        }}
        onClose={() => setSettling(null)}
      />
    </>
  );
}
