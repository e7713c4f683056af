import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, unwrap } from '../api/client';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { formatDateTime, formatMoney } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { useAffiliateByEmail } from './conversions-shared';
import { PayoutBatchDialog, type CreatedBatch } from './payout-batch-form';
import { PayoutLineActions, awaitsApproval, detailsLabel, payoutStatus } from './payouts-shared';

const KEYS = ['status', 'affiliate', 'offset', 'eoffset', 'boffset'] as const;
const LIMIT = 20;

/** What is payable now (and a batch of it), the batches made, and every payout with its filters. */
export function PayoutsPage() {
  const [f, setF] = useUrlState(KEYS);
  return (
    <>
      <PageHeader title="Payouts" description="Pay affiliates their eligible commissions: preview what is payable, create a batch, export it for PayPal or Wise, mark it sent." />
      <Eligible offset={Number(f.eoffset) || 0} onOffset={(o) => setF({ eoffset: o ? String(o) : null })} />
      <Batches offset={Number(f.boffset) || 0} onOffset={(o) => setF({ boffset: o ? String(o) : null })} />
      <PayoutList f={f} setF={setF} />
    </>
  );
}

function Eligible(props: { offset: number; onOffset(o: number): void }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [, navigate] = useLocation();
  const [confirming, setConfirming] = useState(false);
  const q = useQuery({
    queryKey: ['p', project_id, 'payouts', 'eligible', props.offset],
    queryFn: () => unwrap(api.GET('/api/v1/payouts/eligible', { params: { query: { limit: LIMIT, offset: props.offset } } })),
  });
  const created = (batch: CreatedBatch) => {
    const totals = batch.totals.map((t) => formatMoney(t.amount_minor, t.currency)).join(' and ');
    announce(`Batch created: ${batch.payouts_count} payout${batch.payouts_count === 1 ? '' : 's'}, ${totals}${batch.skipped.length ? `; ${batch.skipped.length} skipped` : ''}.`);
    void client.invalidateQueries({ queryKey: ['p', project_id] });
    navigate(`/payouts/batches/${batch.id}`);
  };
  return (
    <section className="card" aria-labelledby="eligible-title">
      <div className="section-head">
        <h2 id="eligible-title">Payable now</h2>
        <WriteOnly>
          <button type="button" className="button button-primary" disabled={!q.data?.data.length} onClick={() => setConfirming(true)}>
            Create a batch
          </button>
        </WriteOnly>
      </div>
      <p className="hint">Each affiliate's eligible balance per currency (past its hold period, approved, not yet paid). A batch takes every payable one at or above the minimum, or only the currency, affiliates and minimum you give it.</p>
      <QueryView query={q} loadingLabel="Loading eligible balances…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty title="Nothing is eligible for a payout yet.">
              <p>Commissions become eligible once their hold period ends (and, under manual review, once approved).</p>
            </Empty>
          ) : (
            <>
              <DataTable
                caption="Eligible balances per affiliate and currency, largest first"
                rows={page.data}
                rowKey={(r) => `${r.affiliate_id}-${r.currency}`}
                columns={[
                  { header: 'Affiliate', cell: (r) => <span className="cell-wrap">{r.affiliate_name ? `${r.affiliate_name} <${r.affiliate_email}>` : r.affiliate_email}</span> },
                  { header: 'Currency', cell: (r) => r.currency },
                  { header: 'Eligible', numeric: true, cell: (r) => formatMoney(r.eligible_minor, r.currency) },
                  {
                    header: 'Minimum',
                    cell: (r) =>
                      r.payable ? (
                        <span className="ok-text">Reaches {r.minimum_minor ? formatMoney(r.minimum_minor, r.currency) : 'the minimum'}</span>
                      ) : (
                        <span className="warn-text">{notPayable(r.not_payable_reason, r.minimum_minor, r.currency)}</span>
                      ),
                  },
                  { header: 'Method', cell: (r) => r.payout_method ?? 'none (manual)' },
                  {
                    header: 'Payout details',
                    cell: (r) => (r.payout_details_present ? <span className="ok-text">Given</span> : <span className="warn-text">Missing: {detailsLabel(r.missing_details)}</span>),
                  },
                ]}
              />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={props.onOffset} label="Eligible balance pages" />
            </>
          )
        }
      </QueryView>
      {confirming ? (
        <PayoutBatchDialog currencies={[...new Set((q.data?.data ?? []).filter((r) => r.payable).map((r) => r.currency))].sort()} onCreated={created} onClose={() => setConfirming(false)} />
      ) : null}
    </section>
  );
}

function notPayable(reason: string | null, minimum: number | null, currency: string): string {
  switch (reason) {
    case 'below_minimum':
      return `Below the minimum${minimum ? ` of ${formatMoney(minimum, currency)}` : ''}`;
    case 'suspended':
      return 'Affiliate suspended: payouts frozen';
    case 'inactive':
      return 'Affiliate not active';
    case 'not_positive':
      return 'Nothing to pay (refunds carried forward)';
    default:
      return 'Not payable';
  }
}

function Batches(props: { offset: number; onOffset(o: number): void }) {
  const { project_id } = useProject();
  const q = useQuery({
    queryKey: ['p', project_id, 'payout-batches', props.offset],
    queryFn: () => unwrap(api.GET('/api/v1/payout-batches', { params: { query: { limit: LIMIT, offset: props.offset } } })),
  });
  return (
    <section className="card" aria-labelledby="batches-title">
      <h2 id="batches-title">Batches</h2>
      <QueryView query={q} loadingLabel="Loading batches…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty title="No payout batches yet." />
          ) : (
            <>
              <DataTable
                caption="Payout batches, newest first"
                rows={page.data}
                rowKey={(b) => b.id}
                columns={[
                  { header: 'Created', cell: (b) => <Link href={`/payouts/batches/${b.id}`}>{formatDateTime(b.created_at)}</Link> },
                  { header: 'Status', cell: (b) => <StatusBadge status={b.status} /> },
                  { header: 'Payouts', numeric: true, cell: (b) => b.payouts_count },
                  { header: 'Total', numeric: true, cell: (b) => b.totals.map((t) => formatMoney(t.amount_minor, t.currency)).join(', ') },
                  { header: 'By', cell: (b) => b.created_by.email ?? (b.created_by.type === 'api_key' ? 'an API key' : '—') },
                ]}
              />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={props.onOffset} label="Batch pages" />
            </>
          )
        }
      </QueryView>
    </section>
  );
}

function PayoutList(props: { f: Record<(typeof KEYS)[number], string>; setF(p: Partial<Record<(typeof KEYS)[number], string | null>>): void }) {
  const { f, setF } = props;
  const { project_id, canWrite } = useProject();
  const affiliate = useAffiliateByEmail(f.affiliate.trim().toLowerCase());
  const [affiliateText, setAffiliateText] = useState(f.affiliate);
  const offset = Number(f.offset) || 0;
  const query = {
    limit: LIMIT,
    offset,
    status: (f.status || undefined) as 'pending' | 'completed' | 'failed' | undefined,
    affiliate_id: affiliate.data?.id,
  };
  const blocked = f.affiliate !== '' && !affiliate.data;
  const q = useQuery({
    queryKey: ['p', project_id, 'payouts', 'list', query],
    queryFn: () => unwrap(api.GET('/api/v1/payouts', { params: { query } })),
    enabled: !blocked,
  });
  return (
    <section className="card" aria-labelledby="payouts-title">
      <h2 id="payouts-title">All payouts</h2>
      <form
        className="toolbar"
        role="search"
        aria-label="Filter payouts"
        onSubmit={(e) => {
          e.preventDefault();
          setF({ affiliate: affiliateText.trim(), offset: null });
        }}
      >
        <div className="field">
          <label htmlFor="pf-status">Status</label>
          <select id="pf-status" value={f.status} onChange={(e) => setF({ status: e.currentTarget.value, offset: null })}>
            <option value="">All</option>
            <option value="pending">Pending</option>
            <option value="completed">Completed</option>
            <option value="failed">Failed</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="pf-affiliate">Affiliate email</label>
          <input id="pf-affiliate" type="email" value={affiliateText} onChange={(e) => setAffiliateText(e.currentTarget.value)} />
        </div>
        <button type="submit" className="button">
          Filter
        </button>
        {f.status || f.affiliate ? (
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              setAffiliateText('');
              setF({ status: null, affiliate: null, offset: null });
            }}
          >
            Clear filters
          </button>
        ) : null}
      </form>
      {f.affiliate && affiliate.isError ? (
        <p className="callout">No affiliate has the email {f.affiliate}.</p>
      ) : blocked ? null : (
        <QueryView query={q} loadingLabel="Loading payouts…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty title={f.status || f.affiliate ? 'No payouts match these filters.' : 'No payouts yet.'} />
            ) : (
              <>
                <DataTable
                  caption="Payouts, newest first"
                  rows={page.data}
                  rowKey={(p) => p.id}
                  columns={[
                    { header: 'Created', cell: (p) => formatDateTime(p.created_at) },
                    { header: 'Affiliate', cell: (p) => <span className="cell-wrap">{p.affiliate_email}</span> },
                    { header: 'Amount', numeric: true, cell: (p) => formatMoney(p.amount_minor, p.currency) },
                    { header: 'Method', cell: (p) => p.method },
                    { header: 'Commissions', numeric: true, cell: (p) => p.conversions_count },
                    { header: 'Status', cell: (p) => <StatusBadge status={payoutStatus(p)} /> },
                    { header: 'Reference', cell: (p) => p.reference ?? p.failure_reason ?? '—' },
                    ...(canWrite && page.data.some((p) => p.status === 'pending')
                      ? [
                          {
                            header: 'Actions',
                            cell: (p: (typeof page.data)[number]) => (
                              <PayoutLineActions payoutId={p.id} status={p.status} awaitingApproval={awaitsApproval(p)} label={`${p.affiliate_email} ${formatMoney(p.amount_minor, p.currency)}`} />
                            ),
                          },
                        ]
                      : []),
                  ]}
                />
                <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setF({ offset: o ? String(o) : null })} label="Payout pages" />
              </>
            )
          }
        </QueryView>
      )}
    </section>
  );
}
