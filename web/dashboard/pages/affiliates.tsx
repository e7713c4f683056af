import { Description } from '@headlessui/react';
import { FormDialog } from '../ui/dialog';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, unwrap } from '../api/client';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { DialogActions, Field, fieldErrors, FormError } from '../ui/form';
import { formatCount, formatDate, formatMoney } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { affiliateHref, offsetOf, PAGE_SIZE, RateFields, ruleBody, ruleText, useGroupOptions, type Affiliate } from './affiliates-shared';

const KEYS = ['status', 'q', 'group', 'offset'] as const;
const STATUSES = ['pending', 'active', 'inactive', 'suspended', 'rejected'] as const;
type Status = (typeof STATUSES)[number];
const CREATE_FIELDS = ['email', 'name', 'referral_code', 'status', 'group_id', 'commission_type', 'commission_value'] as const;

/**
 * The program's affiliates, by status, a page at a time; each links to its page. Writers create one here (the
 * API's errors shown next to the field they name).
 */
export function AffiliatesPage() {
  const { project_id } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.offset);
  const status = (STATUSES as readonly string[]).includes(q.status) ? (q.status as Status) : undefined;
  const groups = useGroupOptions();
  const groupName = new Map((groups.data?.data ?? []).map((g) => [g.id, g.name]));
  const [creating, setCreating] = useState(false);

  const search = q.q.trim() || undefined;
  const groupId = q.group || undefined;
  const list = useQuery({
    queryKey: ['p', project_id, 'affiliates', { status, search, groupId, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/affiliates', { params: { query: { status, q: search, group_id: groupId, offset, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const columns: Column<Affiliate>[] = [
    {
      header: 'Affiliate',
      cell: (a) => (
        <>
          <Link href={affiliateHref(a.email)}>{a.name || a.email}</Link>
          {a.name ? (
            <>
              <br />
              <span className="muted">{a.email}</span>
            </>
          ) : null}
        </>
      ),
    },
    { header: 'Referral code', cell: (a) => <code>{a.referral_code}</code> },
    { header: 'Status', cell: (a) => <StatusBadge status={a.status} /> },
    { header: 'Group', cell: (a) => (a.group_id ? (groupName.get(a.group_id) ?? '…') : <span className="muted">None</span>) },
    { header: 'Own rate', cell: (a) => ruleText(a, a.currency) ?? <span className="muted">Inherited</span> },
    { header: 'Clicks', numeric: true, cell: (a) => formatCount(a.clicks) },
    { header: 'Sales', numeric: true, cell: (a) => formatCount(a.purchases) },
    {
      header: 'Earned',
      numeric: true,
      cell: (a) =>
        a.earnings_by_currency.length === 0
          ? formatMoney(0, a.currency)
          : a.earnings_by_currency.map((e) => (
              <div key={e.currency}>{formatMoney(e.total_earnings_minor, e.currency)}</div>
            )),
    },
    { header: 'Joined', cell: (a) => formatDate(a.created_at) },
  ];

  return (
    <>
      <PageHeader
        title="Affiliates"
        description="Everyone in your program. Open an affiliate for their rule, balances, links, coupons, conversions and payouts."
        actions={
          <WriteOnly>
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              New affiliate
            </button>
          </WriteOnly>
        }
      />
      <form
        className="toolbar"
        role="search"
        aria-label="Filter affiliates"
        onSubmit={(e) => {
          e.preventDefault();
          setQ({ q: String(new FormData(e.currentTarget).get('q') ?? '').trim() || null, offset: null });
        }}
      >
        <Field label="Search" name="q" type="search" defaultValue={q.q} key={q.q} placeholder="Email, name or referral code" maxLength={200} />
        <button type="submit" className="button">
          Search
        </button>
        <Field label="Status" name="status" as="select" value={status ?? ''} onChange={(e) => setQ({ status: e.currentTarget.value, offset: null })}>
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s[0]!.toUpperCase() + s.slice(1)}
            </option>
          ))}
        </Field>
        <Field label="Group" name="group" as="select" value={groupId ?? ''} onChange={(e) => setQ({ group: e.currentTarget.value || null, offset: null })}>
          <option value="">Any</option>
          {(groups.data?.data ?? []).map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </Field>
        {search || groupId || status ? (
          <button type="button" className="button button-quiet" onClick={() => setQ({ q: null, group: null, status: null, offset: null })}>
            Clear filters
          </button>
        ) : null}
      </form>
      <div aria-busy={list.isPlaceholderData || undefined}>
        <QueryView query={list} loadingLabel="Loading affiliates…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty
                title={
                  offset > 0
                    ? 'No affiliates on this page.'
                    : search || groupId
                      ? `No ${status ? `${status} ` : ''}affiliates match these filters.`
                      : status
                        ? `No ${status} affiliates.`
                        : 'No affiliates yet.'
                }
              >
                <p>{search || groupId ? 'Try another search, or clear the filters.' : status ? 'Try another status.' : 'Approve an application, or create an affiliate yourself.'}</p>
              </Empty>
            ) : (
              <>
                <DataTable caption={status ? `Affiliates, ${status}` : 'Affiliates'} columns={columns} rows={page.data} rowKey={(a) => a.id} />
                <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ offset: o ? String(o) : null })} label="Affiliate pages" />
              </>
            )
          }
        </QueryView>
      </div>
      {creating ? <CreateAffiliateDialog onClose={() => setCreating(false)} /> : null}
    </>
  );
}

function CreateAffiliateDialog(props: { onClose(): void }) {
  const { project_id, currency } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [, navigate] = useLocation();
  const groups = useGroupOptions();
  const [form, setForm] = useState({ email: '', name: '', referral_code: '', status: 'active', group_id: '' });
  const [type, setType] = useState('');
  const [value, setValue] = useState('');
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => {
    const v = e.currentTarget.value;
    setForm((f) => ({ ...f, [k]: v }));
  };

  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/affiliates', {
          body: {
            email: form.email.trim(),
            ...(form.name.trim() ? { name: form.name.trim() } : {}),
            ...(form.referral_code.trim() ? { referral_code: form.referral_code.trim() } : {}),
            status: form.status as Status,
            group_id: form.group_id || null,
            ...(type ? ruleBody(type, value) : {}),
          },
        }),
      ),
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id, 'affiliates'] });
      announce(`Affiliate ${answer.data.email} created with the code ${answer.data.referral_code}.`);
      props.onClose();
      navigate(affiliateHref(answer.data.email));
    },
  });
  const errors = fieldErrors(create.error);
  const close = () => {
    if (!create.isPending) props.onClose();
  };

  return (
    <FormDialog title="New affiliate" tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">Add an affiliate yourself, without an application. They are not emailed.</p>
      </Description>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Field label="Email" name="email" type="email" value={form.email} onChange={set('email')} errors={errors} required autoComplete="off" />
        <Field label="Name" name="name" value={form.name} onChange={set('name')} errors={errors} maxLength={200} autoComplete="off" />
        <Field label="Referral code" name="referral_code" value={form.referral_code} onChange={set('referral_code')} errors={errors} hint="Letters, digits, - and _. Empty: one is made from the email." autoComplete="off" />
        <Field label="Status" name="status" as="select" value={form.status} onChange={set('status')} errors={errors}>
          <option value="active">Active</option>
          <option value="pending">Pending (waits for approval)</option>
        </Field>
        <Field label="Group" name="group_id" as="select" value={form.group_id} onChange={set('group_id')} errors={errors}>
          <option value="">No group</option>
          {(groups.data?.data ?? []).map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </Field>
        <RateFields type={type} value={value} onType={setType} onValue={setValue} errors={errors} inheritLabel="The group’s or the program’s rate" currency={currency} />
        <FormError error={create.error} fields={CREATE_FIELDS} />
        <DialogActions busy={create.isPending} onCancel={close} submitLabel="Create affiliate" />
      </form>
    </FormDialog>
  );
}
