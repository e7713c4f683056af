import { Description } from '@headlessui/react';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, ApiError, unwrap } from '../api/client';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog, FormDialog } from '../ui/dialog';
import { Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { affiliateHref, namesList, offsetOf, PAGE_SIZE, RateFields, ruleBody, useGroupOptions, When, type Application } from './affiliates-shared';

const KEYS = ['status', 'flagged', 'decision', 'offset'] as const;

/** One decision's outcome in a bulk run: the applicant's name, and why the API refused when it did. */
type Outcome = { name: string; error: string | null };
type BulkResult = { action: 'approved' | 'rejected'; done: number; failed: Outcome[] };

/**
 * Who applied (PRODUCT.md §12): each applicant with what they wrote and the flags the checks raised; approve
 * (optionally into a group or at a rate) or reject with a reason, one at a time or the selected rows at once.
 */
export function ApplicationsPage() {
  const { project_id, canWrite } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.offset);
  const status = q.status === 'unverified' ? 'unverified' : 'verified';
  const flagged = q.flagged === 'true' || q.flagged === 'false' ? q.flagged : undefined;
  const decision = q.decision === 'pending' || q.decision === 'approved' || q.decision === 'rejected' ? q.decision : undefined;
  const client = useQueryClient();
  const announce = useAnnounce();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [approving, setApproving] = useState<Application[] | null>(null);
  const [rejecting, setRejecting] = useState<Application[] | null>(null);
  const [result, setResult] = useState<BulkResult | null>(null);

  const list = useQuery({
    queryKey: ['p', project_id, 'applications', { status, flagged, decision, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/applications', { params: { query: { status, flagged, decision, offset, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const rows = list.data?.data ?? [];
  const pendingRows = rows.filter(isPending);
  const chosen = pendingRows.filter((r) => selected.has(r.id));

  async function refresh() {
    await client.invalidateQueries({ queryKey: ['p', project_id] });
    setSelected(new Set());
  }

  /** Runs one decision per applicant in turn; reports how many went through and which did not, by name. */
  async function run(apps: Application[], action: 'approved' | 'rejected', call: (a: Application) => Promise<unknown>): Promise<BulkResult> {
    const failed: Outcome[] = [];
    let done = 0;
    for (const a of apps) {
      try {
        await call(a);
        done++;
      } catch (err) {
        failed.push({ name: a.name, error: err instanceof ApiError ? err.message : 'the request failed' });
      }
    }
    await refresh();
    const r = { action, done, failed };
    const text = resultText(r);
    announce(text, failed.length > 0 ? 'error' : 'success');
    setResult(apps.length > 1 || failed.length > 0 ? r : null);
    return r;
  }

  const columns: Column<Application>[] = [
    {
      header: 'Applicant',
      cell: (a) => (
        <>
          <strong>{a.name}</strong>
          <br />
          {a.affiliate_id ? <Link href={affiliateHref(a.email)}>{a.email}</Link> : <span>{a.email}</span>}
        </>
      ),
    },
    {
      header: 'Website and message',
      cell: (a) =>
        a.website || a.message ? (
          <div className="application-about">
            {a.website ? (
              safeUrl(a.website) ? (
                <a href={safeUrl(a.website)} target="_blank" rel="noopener noreferrer nofollow">
                  {a.website.replace(/^https?:\/\//i, '').replace(/\/$/, '')}
                </a>
              ) : (
                <span>{a.website}</span>
              )
            ) : null}
            {a.message ? <p className="application-message">{a.message}</p> : null}
          </div>
        ) : (
          '—'
        ),
    },
    {
      header: 'Flags',
      cell: (a) =>
        a.flags.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <ul className="flag-list">
            {a.flags.map((f, i) => (
              <li key={f}>
                <span className="badge badge-flag">{f.replace(/_/g, ' ')}</span> <span className="hint">{a.flag_descriptions[i]}</span>
              </li>
            ))}
          </ul>
        ),
    },
    { header: 'Applied', cell: (a) => <When at={a.verified_at ?? a.created_at} /> },
    { header: 'Status', cell: (a) => <StatusBadge status={a.affiliate_status ?? a.status} /> },
  ];
  if (canWrite) {
    columns.push({
      header: 'Actions',
      cell: (a) =>
        isPending(a) ? (
          <div className="row-actions">
            <button type="button" className="button button-primary" onClick={() => setApproving([a])} aria-label={`Approve ${a.name}`}>
              Approve
            </button>
            <button type="button" className="button" onClick={() => setRejecting([a])} aria-label={`Reject ${a.name}`}>
              Reject
            </button>
          </div>
        ) : (
          <span className="muted">—</span>
        ),
    });
  }

  return (
    <>
      <PageHeader
        title="Applications"
        description="People who applied to your program and confirmed their email address. Approve them (optionally into a group or at a rate of their own) or reject them with a reason; they are emailed either way."
      />
      <div className="toolbar" role="search" aria-label="Filter applications">
        <Field label="Email confirmed" name="status" as="select" value={status} onChange={(e) => setQ({ status: e.currentTarget.value === 'verified' ? null : e.currentTarget.value, offset: null })}>
          <option value="verified">Confirmed (waiting for you or decided)</option>
          <option value="unverified">Not confirmed yet</option>
        </Field>
        <Field label="Decision" name="decision" as="select" value={decision ?? ''} onChange={(e) => setQ({ decision: e.currentTarget.value || null, offset: null })}>
          <option value="">Any</option>
          <option value="pending">Waiting for you</option>
          <option value="approved">Approved</option>
          <option value="rejected">Rejected</option>
        </Field>
        <Field label="Flags" name="flagged" as="select" value={flagged ?? ''} onChange={(e) => setQ({ flagged: e.currentTarget.value, offset: null })}>
          <option value="">Any</option>
          <option value="true">Flagged by a check</option>
          <option value="false">Not flagged</option>
        </Field>
      </div>

      {result ? (
        <div className={`callout${result.failed.length === 0 ? ' callout-ok' : ''}`} role="status">
          <p className="callout-title">{resultText(result)}</p>
          {result.failed.length > 0 ? (
            <ul>
              {result.failed.map((f, i) => (
                <li key={i}>
                  <strong>{f.name}</strong>: {f.error}
                </li>
              ))}
            </ul>
          ) : null}
          <button type="button" className="link-button" onClick={() => setResult(null)}>
            Dismiss
          </button>
        </div>
      ) : null}

      <WriteOnly>
        {chosen.length > 0 ? (
          <div className="bulk-bar" role="region" aria-label="Selected applications">
            <span>{chosen.length} selected</span>
            <button type="button" className="button button-primary" onClick={() => setApproving(chosen)}>
              Approve selected
            </button>
            <button type="button" className="button" onClick={() => setRejecting(chosen)}>
              Reject selected
            </button>
            <button type="button" className="link-button" onClick={() => setSelected(new Set())}>
              Clear selection
            </button>
          </div>
        ) : null}
      </WriteOnly>

      <div aria-busy={list.isPlaceholderData || undefined}>
        <QueryView query={list} loadingLabel="Loading applications…">
          {(page) =>
            page.data.length === 0 ? (
              decision || flagged ? (
                // filtered: other applications may well exist, so this is no "yet"
                <Empty title={offset > 0 ? 'No applications on this page.' : 'No application matches these filters.'}>
                  <p>Set Decision and Flags back to “Any” to see every application.</p>
                </Empty>
              ) : (
                <Empty title={offset > 0 ? 'No applications on this page.' : status === 'unverified' ? 'No application is waiting for its email to be confirmed.' : 'No applications yet.'}>
                  <p>Applicants appear here once they confirm the code emailed to them. Share your program’s application form to get some.</p>
                </Empty>
              )
            ) : (
              <>
                <DataTable
                  caption={`Applications, ${status === 'verified' ? 'email confirmed' : 'email not confirmed'}`}
                  columns={columns}
                  rows={page.data}
                  rowKey={(a) => a.id}
                  selection={canWrite && status === 'verified' ? { selected, onChange: setSelected, selectable: isPending, label: (a) => a.name } : undefined}
                />
                <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ offset: o ? String(o) : null })} label="Application pages" />
              </>
            )
          }
        </QueryView>
      </div>

      {approving ? (
        <ApproveDialog
          apps={approving}
          onClose={() => setApproving(null)}
          onApprove={async (body) => {
            const apps = approving;
            if (apps.length === 1) {
              // one applicant: a refusal stays in the dialog, next to the field it names
              await unwrap(api.POST('/api/v1/affiliates/{email}/approve', { params: { path: { email: apps[0]!.email } }, body }));
              await refresh();
              setResult(null);
              announce(`${apps[0]!.name} approved.`);
              return;
            }
            await run(apps, 'approved', (a) => unwrap(api.POST('/api/v1/affiliates/{email}/approve', { params: { path: { email: a.email } }, body })));
          }}
        />
      ) : null}

      <ConfirmDialog
        open={rejecting !== null}
        title={rejecting && rejecting.length > 1 ? `Reject ${rejecting.length} applications` : `Reject ${rejecting?.[0]?.name ?? ''}`}
        description={<p>The reason is emailed to {rejecting && rejecting.length > 1 ? 'each applicant' : 'the applicant'} and kept with the affiliate.</p>}
        confirmLabel={rejecting && rejecting.length > 1 ? 'Reject selected' : 'Reject'}
        danger
        reason={{ label: 'Reason', required: true }}
        onClose={() => setRejecting(null)}
        onConfirm={async (reason) => {
          const apps = rejecting ?? [];
          if (apps.length === 1) {
            await unwrap(api.POST('/api/v1/affiliates/{email}/reject', { params: { path: { email: apps[0]!.email } }, body: { reason } }));
            await refresh();
            setResult(null);
            announce(`${apps[0]!.name} rejected.`);
            return;
          }
          await run(apps, 'rejected', (a) => unwrap(api.POST('/api/v1/affiliates/{email}/reject', { params: { path: { email: a.email } }, body: { reason } })));
        }}
      />
    </>
  );
}

function isPending(a: Application): boolean {
  return a.status === 'verified' && a.affiliate_status === 'pending';
}

function resultText(r: BulkResult): string {
  const ok = `${r.done} ${r.done === 1 ? 'application' : 'applications'} ${r.action}.`;
  if (r.failed.length === 0) return ok;
  return `${ok} ${r.failed.length} failed: ${namesList(r.failed.map((f) => f.name))}.`;
}

/** A website as an applicant typed it, made a link only when it is http(s). */
function safeUrl(text: string): string | undefined {
  const withScheme = /^https?:\/\//i.test(text) ? text : `https://${text}`;
  try {
    const u = new URL(withScheme);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

type ApproveBody = { group_id?: string | null; commission_type?: 'percentage' | 'fixed' | null; commission_value?: string | null };

/** Approve one applicant or several: optionally into a partner group, or at a rate of their own. */
function ApproveDialog(props: { apps: Application[]; onClose(): void; onApprove(body: ApproveBody): Promise<void> }) {
  const { currency } = useProject();
  const groups = useGroupOptions();
  const [group, setGroup] = useState('');
  const [type, setType] = useState('');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const many = props.apps.length > 1;
  const close = () => {
    if (!busy) props.onClose();
  };
  return (
    <FormDialog title={many ? `Approve ${props.apps.length} applications` : `Approve ${props.apps[0]?.name ?? ''}`} tall onClose={close}>
      <Description as="div">
        <p>{many ? `${namesList(props.apps.map((a) => a.name))} become active affiliates and are emailed their referral code.` : 'They become an active affiliate and are emailed their referral code.'}</p>
      </Description>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const body: ApproveBody = {};
            if (group) body.group_id = group;
            if (type) Object.assign(body, ruleBody(type, value));
            await props.onApprove(body);
            props.onClose();
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Group" name="group_id" as="select" value={group} onChange={(e) => setGroup(e.currentTarget.value)} errors={fieldErrors(error)} hint="The group’s commission rule applies unless you set a rate below.">
          <option value="">No group</option>
          {(groups.data?.data ?? []).map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </Field>
        <RateFields type={type} value={value} onType={setType} onValue={setValue} errors={fieldErrors(error)} inheritLabel="The group’s or the program’s rate" currency={currency} />
        <FormError error={error} fields={['group_id', 'commission_type', 'commission_value']} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close} disabled={busy}>
            Cancel
          </button>
          <SubmitButton busy={busy}>{many ? 'Approve selected' : 'Approve'}</SubmitButton>
        </div>
      </form>
    </FormDialog>
  );
}
