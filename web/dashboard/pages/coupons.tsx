import { Description } from '@headlessui/react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useId, useState } from 'react';
import { Link } from 'wouter';
import { api, ApiError, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog, FormDialog } from '../ui/dialog';
import { Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { formatDateTime } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, ErrorState, Loading, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { affiliateHref, offsetOf, PAGE_SIZE } from './affiliates-shared';

type Coupon = components['schemas']['Coupon'];
type CouponStatus = Coupon['status'];
const KEYS = ['status', 'q', 'affiliate', 'offset'] as const;
const STATUSES = ['active', 'inactive'] as const;

/** Each provider's id of a coupon, as the API names it: the provider's own discount, credited to the affiliate. */
const PROVIDER_CODES = [
  { field: 'stripe_coupon_id', label: 'Stripe coupon id', short: 'Stripe' },
  { field: 'lemonsqueezy_discount_code', label: 'Lemon Squeezy discount code', short: 'Lemon Squeezy' },
  { field: 'paddle_discount_id', label: 'Paddle discount id', short: 'Paddle' },
  { field: 'polar_discount_id', label: 'Polar discount id', short: 'Polar' },
] as const;
type ProviderField = (typeof PROVIDER_CODES)[number]['field'];
const COUPON_FIELDS = ['affiliate_id', 'coupon_code', 'status', ...PROVIDER_CODES.map((p) => p.field)] as const;

/**
 * Every coupon of the project (`/api/v1/coupons`), whoever it credits: filtered by status, affiliate and code; each
 * with its affiliate, its code at each provider and its status. Writers create one for an affiliate, edit,
 * deactivate or activate, and delete one (after a confirmation).
 */
export function CouponsPage() {
  const { project_id, canWrite } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.offset);
  const status = (STATUSES as readonly string[]).includes(q.status) ? (q.status as CouponStatus) : undefined;
  const search = q.q.trim() || undefined;
  const affiliateEmail = q.affiliate.trim() || undefined;
  const client = useQueryClient();
  const announce = useAnnounce();
  const [editing, setEditing] = useState<Coupon | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Coupon | null>(null);

  // the affiliate filter is an email in the address (readable, shareable); the list asks by the affiliate's id
  const affiliate = useQuery({
    queryKey: ['p', project_id, 'affiliates', 'detail', affiliateEmail],
    queryFn: () => unwrap(api.GET('/api/v1/affiliates/{email}', { params: { path: { email: affiliateEmail! } } })),
    enabled: affiliateEmail !== undefined,
  });
  const affiliateId = affiliate.data?.data.id;
  const list = useQuery({
    queryKey: ['p', project_id, 'coupons', { status, search, affiliateId, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/coupons', { params: { query: { status, coupon_code: search, affiliate_id: affiliateId, offset, limit: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
    enabled: affiliateEmail === undefined || affiliateId !== undefined,
  });

  const toggle = useMutation({
    mutationFn: (c: Coupon) => unwrap(api.PATCH('/api/v1/coupons/{id}', { params: { path: { id: c.id } }, body: { status: c.status === 'active' ? 'inactive' : 'active' } })),
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id, 'coupons'] });
      announce(`Coupon ${answer.data.coupon_code} ${answer.data.status === 'active' ? 'activated' : 'deactivated'}.`);
    },
    onError: (err, c) => announce(`Coupon ${c.coupon_code} was not changed: ${err instanceof ApiError ? err.message : 'try again'}.`, 'error'),
  });

  const columns: Column<Coupon>[] = [
    { header: 'Code', cell: (c) => <code>{c.coupon_code}</code> },
    {
      header: 'Affiliate',
      cell: (c) => (
        <>
          <Link href={affiliateHref(c.affiliate_email)}>{c.affiliate_email}</Link>
          <br />
          <span className="muted">
            code <code>{c.affiliate_referral_code}</code>
          </span>
        </>
      ),
    },
    { header: 'Provider codes', cell: (c) => <ProviderCodes coupon={c} /> },
    { header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
    { header: 'Created', cell: (c) => formatDateTime(c.created_at) },
  ];
  if (canWrite) {
    columns.push({
      header: 'Actions',
      cell: (c) => (
        <div className="row-actions">
          <button type="button" className="button" onClick={() => setEditing(c)} aria-label={`Edit ${c.coupon_code}`}>
            Edit
          </button>
          <button
            type="button"
            className="button"
            onClick={() => toggle.mutate(c)}
            disabled={toggle.isPending && toggle.variables?.id === c.id}
            aria-busy={(toggle.isPending && toggle.variables?.id === c.id) || undefined}
            aria-label={`${c.status === 'active' ? 'Deactivate' : 'Activate'} ${c.coupon_code}`}
          >
            {c.status === 'active' ? 'Deactivate' : 'Activate'}
          </button>
          <button type="button" className="button" onClick={() => setDeleting(c)} aria-label={`Delete ${c.coupon_code}`}>
            Delete
          </button>
        </div>
      ),
    });
  }

  const filtered = Boolean(search || status || affiliateEmail);
  return (
    <>
      <PageHeader
        title="Coupons"
        description="Discount codes that credit an affiliate: a payment that uses one is attributed to its affiliate. Give each provider’s own id of the discount where its payments carry that instead of the code."
        actions={
          <WriteOnly>
            <button type="button" className="button button-primary" onClick={() => setEditing('new')}>
              New coupon
            </button>
          </WriteOnly>
        }
      />
      <form
        className="toolbar"
        role="search"
        aria-label="Filter coupons"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          setQ({ q: String(form.get('q') ?? '').trim() || null, affiliate: String(form.get('affiliate') ?? '').trim() || null, offset: null });
        }}
      >
        <Field label="Code" name="q" type="search" defaultValue={q.q} key={`q-${q.q}`} placeholder="Part of a code" maxLength={100} />
        <Field label="Affiliate’s email" name="affiliate" type="search" defaultValue={q.affiliate} key={`a-${q.affiliate}`} placeholder="ann@example.com" maxLength={320} />
        <button type="submit" className="button">
          Search
        </button>
        <Field label="Status" name="status" as="select" value={status ?? ''} onChange={(e) => setQ({ status: e.currentTarget.value || null, offset: null })}>
          <option value="">Any</option>
          <option value="active">Active</option>
          <option value="inactive">Inactive</option>
        </Field>
        {filtered ? (
          <button type="button" className="button button-quiet" onClick={() => setQ({ q: null, affiliate: null, status: null, offset: null })}>
            Clear filters
          </button>
        ) : null}
      </form>
      <div aria-busy={list.isPlaceholderData || undefined}>
        {affiliateEmail && affiliate.isError ? (
          affiliate.error instanceof ApiError && affiliate.error.status === 404 ? (
            <Empty title={`There is no affiliate ${affiliateEmail} in this project.`}>
              <p>Check the email, or clear the filters.</p>
            </Empty>
          ) : (
            <ErrorState error={affiliate.error} retry={() => void affiliate.refetch()} />
          )
        ) : affiliateEmail && affiliate.isPending ? (
          <Loading label="Loading coupons…" />
        ) : (
          <QueryView query={list} loadingLabel="Loading coupons…">
            {(page) =>
              page.data.length === 0 ? (
                <Empty title={offset > 0 ? 'No coupons on this page.' : filtered ? 'No coupon matches these filters.' : 'No coupons yet.'}>
                  <p>{filtered ? 'Try other filters.' : 'Create a coupon for an affiliate: payments that use its code are credited to them.'}</p>
                </Empty>
              ) : (
                <>
                  <DataTable caption={status ? `Coupons, ${status}` : 'Coupons'} columns={columns} rows={page.data} rowKey={(c) => c.id} />
                  <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ offset: o ? String(o) : null })} label="Coupon pages" />
                </>
              )
            }
          </QueryView>
        )}
      </div>

      {editing ? <CouponDialog coupon={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the coupon ${deleting?.coupon_code ?? ''}`}
        description={<p>Payments that use this code from now on are no longer credited to {deleting?.affiliate_email ?? 'its affiliate'}; commissions already recorded stay. Deactivate it instead to keep it on record.</p>}
        confirmLabel="Delete"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const c = deleting!;
          await unwrap(api.DELETE('/api/v1/coupons/{id}', { params: { path: { id: c.id } } }));
          await client.invalidateQueries({ queryKey: ['p', project_id, 'coupons'] });
          announce(`Coupon ${c.coupon_code} deleted.`);
        }}
      />
    </>
  );
}

/** A coupon's id at each provider that has one, or a dash. */
function ProviderCodes(props: { coupon: Coupon }) {
  const codes = PROVIDER_CODES.filter((p) => props.coupon[p.field] !== null);
  if (codes.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="plain-list">
      {codes.map((p) => (
        <li key={p.field}>
          {p.short}: <code className="wrap-anywhere">{props.coupon[p.field]}</code>
        </li>
      ))}
    </ul>
  );
}

/** The affiliates whose email, name or referral code holds `text`, for the picker's suggestions. */
function useAffiliateSuggestions(text: string) {
  const { project_id } = useProject();
  const search = useDeferredValue(text.trim());
  return useQuery({
    queryKey: ['p', project_id, 'affiliates', 'suggest', search],
    queryFn: () => unwrap(api.GET('/api/v1/affiliates', { params: { query: { q: search, limit: 10, offset: 0 } } })),
    enabled: search.length >= 2,
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
}

/** Create a coupon for an affiliate, or change one: its code, its affiliate, its id at each provider, its status. */
function CouponDialog(props: { coupon: Coupon | null; onClose(): void }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const c = props.coupon;
  const listId = useId();
  const [code, setCode] = useState(c?.coupon_code ?? '');
  const [email, setEmail] = useState(c?.affiliate_email ?? '');
  const [status, setStatus] = useState<CouponStatus>(c?.status ?? 'active');
  const [ids, setIds] = useState<Record<ProviderField, string>>(() => Object.fromEntries(PROVIDER_CODES.map((p) => [p.field, c?.[p.field] ?? ''])) as Record<ProviderField, string>);
  const [pickError, setPickError] = useState<string | null>(null);
  const suggestions = useAffiliateSuggestions(email);

  const save = useMutation({
    mutationFn: async () => {
      setPickError(null);
      const typed = email.trim();
      let affiliateId = c?.affiliate_id;
      if (!c || typed.toLowerCase() !== c.affiliate_email.toLowerCase()) {
        if (!typed) throw new ApiError(400, 'affiliate_id: choose the affiliate the coupon credits', { affiliate_id: 'choose the affiliate the coupon credits' });
        const known = suggestions.data?.data.find((a) => a.email.toLowerCase() === typed.toLowerCase());
        try {
          affiliateId = known?.id ?? (await unwrap(api.GET('/api/v1/affiliates/{email}', { params: { path: { email: typed } } }))).data.id;
        } catch (err) {
          if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
            const message = `no affiliate has the email ${typed}`;
            throw new ApiError(400, `affiliate_id: ${message}`, { affiliate_id: message });
          }
          throw err;
        }
      }
      // a provider id left empty is none: null removes one the coupon had
      const providerIds = Object.fromEntries(PROVIDER_CODES.map((p) => [p.field, ids[p.field].trim() || null])) as Record<ProviderField, string | null>;
      const body = { affiliate_id: affiliateId!, coupon_code: code.trim(), status, ...providerIds };
      return c ? unwrap(api.PATCH('/api/v1/coupons/{id}', { params: { path: { id: c.id } }, body })) : unwrap(api.POST('/api/v1/coupons', { body }));
    },
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id, 'coupons'] });
      announce(c ? `Coupon ${answer.data.coupon_code} saved.` : `Coupon ${answer.data.coupon_code} created for ${answer.data.affiliate_email}.`);
      props.onClose();
    },
    onError: (err) => setPickError(err instanceof ApiError ? (err.fields.affiliate_id ?? null) : null),
  });
  const errors = fieldErrors(save.error);
  const close = () => {
    if (!save.isPending) props.onClose();
  };

  return (
    <FormDialog title={c ? `Edit ${c.coupon_code}` : 'New coupon'} tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">Payments that use the code, or one of the provider ids below, are credited to the affiliate from now on.</p>
      </Description>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field
          label="Affiliate"
          name="affiliate_id"
          type="text"
          list={listId}
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          errors={pickError ? { ...(errors ?? {}), affiliate_id: pickError } : errors}
          required
          autoComplete="off"
          spellCheck={false}
          hint="The affiliate’s email: type a part of it, their name or their referral code to choose from the matches."
        />
        <datalist id={listId}>
          {(suggestions.data?.data ?? []).map((a) => (
            <option key={a.id} value={a.email}>
              {a.name ? `${a.name} (${a.referral_code})` : a.referral_code}
            </option>
          ))}
        </datalist>
        <Field label="Coupon code" name="coupon_code" value={code} onChange={(e) => setCode(e.currentTarget.value)} errors={errors} required maxLength={100} autoComplete="off" spellCheck={false} hint="The code customers type at checkout: 3–100 letters, digits, - and _." />
        <fieldset className="fieldset">
          <legend>Provider ids (optional)</legend>
          <p className="hint">The discount’s own id at a provider, for payments that carry it instead of the code. Empty: none.</p>
          {PROVIDER_CODES.map((p) => (
            <Field key={p.field} label={p.label} name={p.field} value={ids[p.field]} onChange={(e) => {
              const v = e.currentTarget.value;
              setIds((x) => ({ ...x, [p.field]: v }));
            }} errors={errors} maxLength={255} autoComplete="off" spellCheck={false} />
          ))}
        </fieldset>
        <Field label="Status" name="status" as="select" value={status} onChange={(e) => setStatus(e.currentTarget.value === 'inactive' ? 'inactive' : 'active')} errors={errors}>
          <option value="active">Active: credits its affiliate</option>
          <option value="inactive">Inactive: kept, credits nobody</option>
        </Field>
        <FormError error={save.error} fields={COUPON_FIELDS} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close} disabled={save.isPending}>
            Cancel
          </button>
          <SubmitButton busy={save.isPending}>{c ? 'Save' : 'Create coupon'}</SubmitButton>
        </div>
      </form>
    </FormDialog>
  );
}
