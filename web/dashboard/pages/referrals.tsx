import { Description } from '@headlessui/react';
import { FormDialog } from '../ui/dialog';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { formatDate } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { offsetOf, PAGE_SIZE, When } from './affiliates-shared';

type Referral = components['schemas']['Referral'];
type ConversionStatus = Referral['conversion_status'];
const KEYS = ['status', 'offset'] as const;
/** The list's filter: Refgrow's conversion statuses, and Refwire's active (credits its affiliate) or inactive. */
const FILTERS = [
  { value: 'pending', label: 'Pending (signed up, no purchase yet)' },
  { value: 'converted', label: 'Converted (purchased)' },
  { value: 'direct', label: 'Direct (no affiliate)' },
  { value: 'direct_signup', label: 'Direct signup' },
  { value: 'active', label: 'Active (credits its affiliate)' },
  { value: 'inactive', label: 'Inactive' },
] as const;
type Filter = (typeof FILTERS)[number]['value'];
const CONVERSION_STATUSES: { value: ConversionStatus; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'converted', label: 'Converted' },
  { value: 'direct', label: 'Direct' },
  { value: 'direct_signup', label: 'Direct signup' },
];
const REFERRAL_FIELDS = ['email', 'referral_code', 'affiliate_id', 'status'] as const;

/**
 * Referrals (`/api/v1/referrals`): which signed-up email belongs to which affiliate, as Refgrow shows them. Filter by
 * status; writers record one (by the affiliate's referral code) or change one (its email, its affiliate, its
 * status). The API deletes none: a referral is ended by making it direct.
 */
export function ReferralsPage() {
  const { project_id, canWrite } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.offset);
  const status = FILTERS.find((f) => f.value === q.status)?.value as Filter | undefined;
  const [editing, setEditing] = useState<Referral | 'new' | null>(null);

  const list = useQuery({
    queryKey: ['p', project_id, 'referrals', { status, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/referrals', { params: { query: { status, offset, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const columns: Column<Referral>[] = [
    { header: 'Email', cell: (r) => <span className="wrap-anywhere">{r.email}</span> },
    {
      header: 'Affiliate',
      cell: (r) =>
        r.affiliate_code ? (
          <Link href={`/affiliates?q=${encodeURIComponent(r.affiliate_code)}`} aria-label={`Affiliates with the code ${r.affiliate_code}`}>
            <code>{r.affiliate_code}</code>
          </Link>
        ) : (
          <span className="muted">None</span>
        ),
    },
    { header: 'Conversion', cell: (r) => <StatusBadge status={r.conversion_status} /> },
    { header: 'Credits', cell: (r) => (r.status === 'active' ? 'Yes' : <span className="muted">No</span>) },
    { header: 'Converted', cell: (r) => formatDate(r.conversion_date) },
    { header: 'Source', cell: (r) => r.source.replace(/_/g, ' ') },
    { header: 'Created', cell: (r) => <When at={r.created_at} /> },
  ];
  if (canWrite) {
    columns.push({
      header: 'Actions',
      cell: (r) => (
        <button type="button" className="button" onClick={() => setEditing(r)} aria-label={`Edit ${r.email}`}>
          Edit
        </button>
      ),
    });
  }

  return (
    <>
      <PageHeader
        title="Referrals"
        description="Signed-up customers and the affiliate each belongs to. A payment by a referred email is credited to its affiliate; a converted referral has purchased."
        actions={
          <WriteOnly>
            <button type="button" className="button button-primary" onClick={() => setEditing('new')}>
              New referral
            </button>
          </WriteOnly>
        }
      />
      <div className="toolbar" role="search" aria-label="Filter referrals">
        <Field label="Status" name="status" as="select" value={status ?? ''} onChange={(e) => setQ({ status: e.currentTarget.value || null, offset: null })}>
          <option value="">Any</option>
          {FILTERS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </Field>
      </div>
      <div aria-busy={list.isPlaceholderData || undefined}>
        <QueryView query={list} loadingLabel="Loading referrals…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty title={offset > 0 ? 'No referrals on this page.' : status ? 'No referral has this status.' : 'No referrals yet.'}>
                <p>{status ? 'Try another status.' : 'Referrals are recorded when a visitor who came through an affiliate signs up (the tracking script or store-attribution), or by you here.'}</p>
              </Empty>
            ) : (
              <>
                <DataTable caption={status ? `Referrals, ${status.replace(/_/g, ' ')}` : 'Referrals'} columns={columns} rows={page.data} rowKey={(r) => r.id} />
                <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ offset: o ? String(o) : null })} label="Referral pages" />
              </>
            )
          }
        </QueryView>
      </div>
      {editing ? <ReferralDialog referral={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </>
  );
}

/** Record a referral by the affiliate's referral code, or change one: its email, its affiliate, its status. */
function ReferralDialog(props: { referral: Referral | null; onClose(): void }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const r = props.referral;
  const [email, setEmail] = useState(r?.email ?? '');
  const [code, setCode] = useState(r?.affiliate_code ?? '');
  const [status, setStatus] = useState<string>('');

  const save = useMutation({
    mutationFn: async () => {
      const chosen = CONVERSION_STATUSES.find((s) => s.value === status)?.value;
      const typedCode = code.trim();
      if (!r) {
        return unwrap(api.POST('/api/v1/referrals', { body: { email: email.trim(), ...(typedCode ? { referral_code: typedCode } : {}), ...(chosen ? { status: chosen } : {}) } }));
      }
      const body = {
        ...(email.trim() !== r.email ? { email: email.trim() } : {}),
        // an emptied code takes the affiliate away (the referral becomes direct); another code moves it
        ...(typedCode === '' && r.affiliate_id !== null ? { affiliate_id: null } : typedCode !== '' && typedCode !== r.affiliate_code ? { referral_code: typedCode } : {}),
        ...(chosen ? { status: chosen } : {}),
      };
      return unwrap(api.PATCH('/api/v1/referrals/{email}', { params: { path: { email: r.email } }, body }));
    },
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id, 'referrals'] });
      announce(r ? `Referral of ${answer.data.email} saved.` : `Referral of ${answer.data.email} recorded.`);
      props.onClose();
    },
  });
  const errors = fieldErrors(save.error);
  const close = () => {
    if (!save.isPending) props.onClose();
  };

  return (
    <FormDialog title={r ? `Edit the referral of ${r.email}` : 'New referral'} tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">The email’s unpaid payments follow the referral, each rated with the rules of its day; commissions already paid out stay with the affiliate they were paid to.</p>
      </Description>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field label="Customer’s email" name="email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} errors={errors} required autoComplete="off" />
        <Field
          label="Affiliate’s referral code"
          name="referral_code"
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          errors={errors}
          autoComplete="off"
          spellCheck={false}
          hint={r?.affiliate_code ? 'Another code moves the referral to that affiliate; empty makes it direct.' : 'Empty: a direct signup, credited to nobody.'}
        />
        <Field label="Status" name="status" as="select" value={status} onChange={(e) => setStatus(e.currentTarget.value)} errors={errors} hint={r ? `Now: ${r.conversion_status.replace(/_/g, ' ')}.` : undefined}>
          <option value="">{r ? 'Keep it, or as the change implies' : 'As the affiliate implies (pending, or direct signup)'}</option>
          {CONVERSION_STATUSES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </Field>
        <FormError error={save.error} fields={REFERRAL_FIELDS} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close} disabled={save.isPending}>
            Cancel
          </button>
          <SubmitButton busy={save.isPending}>{r ? 'Save' : 'Record referral'}</SubmitButton>
        </div>
      </form>
    </FormDialog>
  );
}
