import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { components, operations } from '../api/schema';
import { useProject } from '../session';
import { Field } from '../ui/form';
import { formatDateTime } from '../ui/format';
import { PageHeader, StatusBadge } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { offsetOf, PAGE_SIZE, When } from './affiliates-shared';

type Email = components['schemas']['Email'];
type EmailStatus = Email['status'];
type Template = NonNullable<NonNullable<operations['getApiV1Emails']['parameters']['query']>['template']>;
const KEYS = ['status', 'template', 'to', 'offset'] as const;
const STATUSES: { value: EmailStatus; label: string }[] = [
  { value: 'pending', label: 'Pending (to be sent)' },
  { value: 'sent', label: 'Sent' },
  { value: 'failed', label: 'Failed' },
  { value: 'kept', label: 'Kept (no SMTP_URL)' },
];
/** The project's templates (src/email): the dashboard's own invitations and resets belong to no project, so are never listed. */
const TEMPLATES: { value: Template; label: string }[] = [
  { value: 'one_time_code', label: 'Sign-in code' },
  { value: 'application_received', label: 'Application received' },
  { value: 'application_approved', label: 'Application approved' },
  { value: 'application_rejected', label: 'Application rejected' },
  { value: 'affiliate_suspended', label: 'Affiliate suspended' },
  { value: 'affiliate_reactivated', label: 'Affiliate reactivated' },
  { value: 'payout_completed', label: 'Payout completed' },
];
const templateLabel = (t: string) => TEMPLATES.find((x) => x.value === t)?.label ?? t.replace(/_/g, ' ');

/**
 * The project's email outbox (`GET /api/v1/emails`), newest first: who each email went to, which template and
 * subject, what became of it and when. Read-only: the outbox sends (and retries) by itself.
 */
export function EmailsPage() {
  const { project_id } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.offset);
  const status = STATUSES.find((s) => s.value === q.status)?.value;
  const template = TEMPLATES.find((t) => t.value === q.template)?.value;
  const to = q.to.trim() || undefined;
  const list = useQuery({
    queryKey: ['p', project_id, 'emails', { status, template, to, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/emails', { params: { query: { status, template, to, offset, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const columns: Column<Email>[] = [
    { header: 'Created', cell: (e) => <When at={e.created_at} /> },
    { header: 'To', cell: (e) => <span className="wrap-anywhere">{e.to}</span> },
    {
      header: 'Email',
      cell: (e) => (
        <>
          {e.subject}
          <br />
          <span className="muted">{templateLabel(e.template)}</span>
        </>
      ),
    },
    { header: 'Status', cell: (e) => <StatusBadge status={e.status} /> },
    { header: 'Attempts', numeric: true, cell: (e) => String(e.attempts) },
    {
      header: 'Outcome',
      cell: (e) =>
        e.status === 'sent' ? (
          `Sent ${formatDateTime(e.sent_at)}`
        ) : e.last_error ? (
          <span className="wrap-anywhere">
            {e.last_error}
            {e.status === 'pending' && e.next_attempt_at ? <span className="muted">{` · next try ${formatDateTime(e.next_attempt_at)}`}</span> : null}
          </span>
        ) : e.status === 'kept' ? (
          <span className="muted">Not sent: no SMTP server is set</span>
        ) : e.status === 'pending' ? (
          <span className="muted">Waiting to be sent</span>
        ) : (
          '—'
        ),
    },
  ];

  const filtered = Boolean(status || template || to);
  return (
    <>
      <PageHeader title="Emails" description="What Refwire emailed your affiliates and applicants, newest first, and what became of each. Emails are sent through SMTP_URL and retried by themselves; without it they are kept here, unsent." />
      <form
        className="toolbar"
        role="search"
        aria-label="Filter emails"
        onSubmit={(e) => {
          e.preventDefault();
          setQ({ to: String(new FormData(e.currentTarget).get('to') ?? '').trim() || null, offset: null });
        }}
      >
        <Field label="Recipient" name="to" type="search" defaultValue={q.to} key={q.to} placeholder="ann@example.com" maxLength={320} />
        <button type="submit" className="button">
          Search
        </button>
        <Field label="Status" name="status" as="select" value={status ?? ''} onChange={(e) => setQ({ status: e.currentTarget.value || null, offset: null })}>
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </Field>
        <Field label="Template" name="template" as="select" value={template ?? ''} onChange={(e) => setQ({ template: e.currentTarget.value || null, offset: null })}>
          <option value="">Any</option>
          {TEMPLATES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </Field>
        {filtered ? (
          <button type="button" className="button button-quiet" onClick={() => setQ({ to: null, status: null, template: null, offset: null })}>
            Clear filters
          </button>
        ) : null}
      </form>
      <div aria-busy={list.isPlaceholderData || undefined}>
        <QueryView query={list} loadingLabel="Loading emails…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty title={offset > 0 ? 'No emails on this page.' : filtered ? 'No email matches these filters.' : 'No emails yet.'}>
                <p>{filtered ? 'Try other filters.' : 'Applications, approvals, payouts and affiliates’ sign-in codes send emails; they show here.'}</p>
              </Empty>
            ) : (
              <>
                <DataTable caption="Emails, newest first" columns={columns} rows={page.data} rowKey={(e) => e.id} />
                <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ offset: o ? String(o) : null })} label="Email pages" />
              </>
            )
          }
        </QueryView>
      </div>
    </>
  );
}
