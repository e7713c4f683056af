import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { ApiError, download } from '../api/client';
import { useAnnounce } from '../ui/announce';
import { useProject } from '../session';
import { ConfirmDialog } from '../ui/dialog';
import { dayStart, formatDate, formatDateTime } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, ErrorState, Loading } from '../ui/states';
import { CursorPager, DataTable } from '../ui/table';
import { usePanelFocus } from '../ui/panel-focus';
import { useUrlState } from '../ui/url-state';
import { ManualConversionForm, RecalculateForm } from './conversions-forms';
import { CONVERSION_FILTERS, conversionsList, LIST_PAGE_SIZE } from './list-queries';
import { affiliateLabel, Breakable, conversionAmounts, explainAttribution, RejectDialog, ReviewButtons, STATUS_HELP, useAffiliateByEmail, useReview, type Conversion } from './conversions-shared';

const KEYS = [...CONVERSION_FILTERS, 'panel'] as const;

/**
 * GET /api/v1/conversions by keyset cursor (fast at 100,000 rows), its filters in the address; the review of
 * commissions under manual review, one or many; a conversion by hand; a recalculation of a period.
 */
export function ConversionsPage() {
  const { project_id, canWrite } = useProject();
  const [f, setF] = useUrlState(KEYS);
  const adding = usePanelFocus<HTMLButtonElement, HTMLDivElement>(canWrite && f.panel === 'add');
  const recalculating = usePanelFocus<HTMLButtonElement, HTMLDivElement>(canWrite && f.panel === 'recalculate');
  const cursors = f.cursors ? f.cursors.split('.') : [];
  const affiliate = useAffiliateByEmail(f.affiliate.trim().toLowerCase());
  const query = {
    limit: LIST_PAGE_SIZE,
    // keyset from the first page on ('start'): no page counts the rows, what keeps it fast at 100,000
    cursor: cursors[cursors.length - 1] ?? 'start',
    type: (f.type || undefined) as 'signup' | 'purchase' | undefined,
    kind: (f.kind || undefined) as 'signup' | 'purchase' | 'renewal' | 'refund' | undefined,
    paid: f.paid === 'paid' ? ('true' as const) : f.paid === 'unpaid' ? ('false' as const) : undefined,
    review: (f.review || undefined) as 'pending' | 'approved' | 'rejected' | undefined,
    affiliate_id: affiliate.data?.id,
    referred_user_id: f.customer || undefined,
    from: dayStart(f.from),
    to: dayStart(f.to, 1),
  };
  const waitingForAffiliate = f.affiliate !== '' && !affiliate.data;
  const list = useQuery({
    ...conversionsList(project_id, query),
    enabled: !waitingForAffiliate,
    placeholderData: (prev) => prev,
  });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkReject, setBulkReject] = useState(false);
  const [bulkApprove, setBulkApprove] = useState(false);
  const { approve } = useReview();
  // a new page or filter starts with nothing selected
  useEffect(() => setSelected(new Set()), [f.cursors, f.type, f.kind, f.paid, f.review, f.affiliate, f.customer, f.from, f.to]);

  const filter = (patch: Partial<Record<(typeof KEYS)[number], string | null>>) => setF({ ...patch, cursors: null });
  const rows = list.data?.data ?? [];
  const filtered = KEYS.some((k) => k !== 'cursors' && k !== 'panel' && f[k] !== '');
  const label = (c: Conversion) => `${c.kind} of ${formatDateTime(c.occurred_at)}${c.email ? ` by ${c.email}` : ''}`;

  return (
    <>
      <PageHeader
        title="Conversions"
        description="Every signup and payment attributed (or not) to an affiliate, with its commission and why it went to whom."
        actions={
          <>
            <CsvDownload from={f.from} to={f.to} />
            <WriteOnly>
            <button ref={recalculating.opener} type="button" className="button" aria-expanded={f.panel === 'recalculate'} onClick={() => setF({ panel: f.panel === 'recalculate' ? null : 'recalculate' })}>
              Recalculate…
            </button>
            <button ref={adding.opener} type="button" className="button button-primary" aria-expanded={f.panel === 'add'} onClick={() => setF({ panel: f.panel === 'add' ? null : 'add' })}>
              Add a conversion
            </button>
            </WriteOnly>
          </>
        }
      />
      {canWrite && f.panel === 'add' ? (
        <div ref={adding.panel}>
          <ManualConversionForm onClose={() => setF({ panel: null })} />
        </div>
      ) : null}
      {canWrite && f.panel === 'recalculate' ? (
        <div ref={recalculating.panel}>
          <RecalculateForm onClose={() => setF({ panel: null })} />
        </div>
      ) : null}

      <form className="toolbar filters" role="search" aria-label="Filter conversions" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="cf-type">Type</label>
          <select id="cf-type" value={f.kind || f.type} onChange={(e) => {
            const v = e.currentTarget.value;
            filter(v === 'renewal' || v === 'refund' ? { kind: v, type: null } : { type: v || null, kind: null });
          }}>
            <option value="">All</option>
            <option value="signup">Signups</option>
            <option value="purchase">Sales</option>
            <option value="renewal">Renewals only</option>
            <option value="refund">Refunds only</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="cf-paid">Commission</label>
          <select id="cf-paid" value={f.paid} onChange={(e) => filter({ paid: e.currentTarget.value || null })}>
            <option value="">Paid or not</option>
            <option value="unpaid">Not paid yet</option>
            <option value="paid">Paid</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="cf-review">Review</label>
          <select id="cf-review" value={f.review} onChange={(e) => filter({ review: e.currentTarget.value || null })}>
            <option value="">Any</option>
            <option value="pending">Waiting for review</option>
            <option value="approved">Approved</option>
            <option value="rejected">Rejected</option>
          </select>
        </div>
        <DebouncedInput id="cf-affiliate" label="Affiliate email" type="email" value={f.affiliate} onChange={(v) => filter({ affiliate: v })} />
        <DebouncedInput id="cf-customer" label="Customer (email or id)" value={f.customer} onChange={(v) => filter({ customer: v })} />
        <div className="field">
          <label htmlFor="cf-from">From</label>
          <input id="cf-from" type="date" value={f.from} onChange={(e) => filter({ from: e.currentTarget.value })} />
        </div>
        <div className="field">
          <label htmlFor="cf-to">To</label>
          <input id="cf-to" type="date" value={f.to} onChange={(e) => filter({ to: e.currentTarget.value })} />
        </div>
        {filtered ? (
          <button type="button" className="button button-quiet" onClick={() => setF({ type: null, kind: null, paid: null, review: null, affiliate: null, customer: null, from: null, to: null, cursors: null })}>
            Clear filters
          </button>
        ) : null}
      </form>
      {f.affiliate && affiliate.isError ? <p className="callout">No affiliate has the email {f.affiliate}.</p> : null}
      {KEYS.some((k) => !['cursors', 'panel', 'from', 'to'].includes(k) && f[k] !== '') ? (
        <p className="hint csv-hint">The CSV download holds every conversion of the chosen dates: the export takes the From and To dates, not the other filters.</p>
      ) : null}

      {canWrite && selected.size > 0 ? (
        <div className="bulk-bar" role="region" aria-label="Bulk review">
          <span>
            {selected.size} selected
          </span>
          <button type="button" className="button button-primary" onClick={() => setBulkApprove(true)}>
            Approve {selected.size}
          </button>
          <button type="button" className="button" onClick={() => setBulkReject(true)}>
            Reject {selected.size}…
          </button>
          <button type="button" className="link-button" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      ) : null}

      {list.isPending && !waitingForAffiliate ? (
        <Loading label="Loading conversions…" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : waitingForAffiliate ? (
        affiliate.isPending ? <Loading label="Finding the affiliate…" /> : null
      ) : rows.length === 0 ? (
        <Empty title={filtered ? 'No conversions match these filters.' : 'No conversions yet.'}>
          <p>Conversions appear when a connected payment provider reports a sale of a referred customer, or when one is added by hand.</p>
        </Empty>
      ) : (
        <div className="compact-table">
          <DataTable
            caption="Conversions, newest first"
            rows={rows}
            rowKey={(c) => c.id}
            selection={canWrite ? { selected, onChange: setSelected, selectable: (c) => c.status === 'pending', label } : undefined}
            columns={[
              {
                header: 'When',
                cell: (c) => (
                  <Link href={`/conversions/${c.id}`} aria-label={`Details of the ${label(c)}`} className="when-link">
                    <span>{formatDate(c.occurred_at)}</span> <span>{formatTime(c.occurred_at)}</span>
                  </Link>
                ),
              },
              { header: 'Type', cell: (c) => <span className="kind">{c.kind}</span> },
              { header: 'Customer', cell: (c) => <Breakable text={c.email ?? c.customer_id ?? '—'} /> },
              {
                header: 'Affiliate, and why',
                cell: (c) => <span className="trace-words">{explainAttribution(c).summary}</span>,
              },
              { header: 'Base amount', numeric: true, cell: (c) => conversionAmounts(c).base },
              { header: 'Commission', numeric: true, cell: (c) => conversionAmounts(c).commission },
              {
                header: 'Status',
                cell: (c) => (
                  <>
                    <StatusBadge status={c.status} />
                    <span className="visually-hidden">: {STATUS_HELP[c.status]}</span>
                    {c.reason ? <div className="hint">{c.reason.replace(/_/g, ' ')}</div> : null}
                  </>
                ),
              },
              ...(canWrite && rows.some((r) => r.status === 'pending') ? [{ header: 'Review', cell: (c: Conversion) => <ReviewButtons conversion={c} label={label(c)} /> }] : []),
            ]}
          />
        </div>
      )}
      <CursorPager cursors={cursors} nextCursor={list.data?.pagination.next_cursor} onChange={(next) => setF({ cursors: next.join('.') || null })} label="Conversion pages" />

      <ConfirmDialog
        open={bulkApprove}
        title={`Approve ${selected.size} commission${selected.size === 1 ? '' : 's'}?`}
        description={<p>All or none: when one of them can no longer be approved, nothing is, and the answer says which.</p>}
        confirmLabel={`Approve ${selected.size}`}
        onConfirm={async () => {
          await approve.mutateAsync([...selected]);
          setSelected(new Set());
        }}
        onClose={() => setBulkApprove(false)}
      />
      <RejectDialog
        ids={[...selected]}
        open={bulkReject}
        onClose={() => setBulkReject(false)}
        onDone={(failed) => setSelected(new Set(failed))}
      />
    </>
  );
}

/** A text filter that updates the address once typing pauses (or on Enter), not on every key. */
function DebouncedInput(props: { id: string; label: string; value: string; type?: string; onChange(v: string): void }) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  useEffect(() => {
    if (text.trim() === props.value) return;
    const t = setTimeout(() => props.onChange(text.trim()), 500);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text]);
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type={props.type ?? 'search'}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') props.onChange(text.trim());
        }}
      />
    </div>
  );
}

const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone: 'UTC' });

/** "9:00 AM UTC": the time of day of an instant, beside its date. */
function formatTime(iso: string): string {
  return `${TIME_OF_DAY.format(new Date(iso))} UTC`;
}

/**
 * GET /api/v1/reports/conversions.csv, fetched with the session's headers and saved under the server's name. The
 * export takes a period only: the list's From and To dates go with it, its other filters do not.
 */
function CsvDownload(props: { from: string; to: string }) {
  const announce = useAnnounce();
  const query = new URLSearchParams();
  if (props.from) query.set('from', dayStart(props.from)!);
  if (props.to) query.set('to', dayStart(props.to, 1)!);
  const period = props.from || props.to ? ` (${props.from || 'the start'} to ${props.to || 'now'})` : '';
  const save = useMutation({
    mutationFn: () => download(`/api/v1/reports/conversions.csv${query.toString() ? `?${query}` : ''}`, 'conversions.csv'),
    onSuccess: () => announce(`Conversions CSV${period} downloaded.`),
    onError: (err) => announce(`The CSV could not be downloaded: ${err instanceof ApiError ? err.message : 'try again'}.`, 'error'),
  });
  return (
    <button
      type="button"
      className="button"
      onClick={() => save.mutate()}
      disabled={save.isPending}
      aria-busy={save.isPending || undefined}
    >
      {period ? `Download CSV${period}` : 'Download CSV'}
    </button>
  );
}
