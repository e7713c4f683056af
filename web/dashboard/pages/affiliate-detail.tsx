import { Description, Disclosure, DisclosureButton, DisclosurePanel } from '@headlessui/react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api, ApiError, unwrap } from '../api/client';
import { settingsQuery } from '../api/settings-query';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog, FormDialog } from '../ui/dialog';
import { DialogActions, Field, fieldErrors, FormError } from '../ui/form';
import { formatDateTime, formatMoney } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, ErrorState, Loading } from '../ui/states';
import { DataTable } from '../ui/table';
import { durationText, emailFromParam, RateFields, ruleBody, ruleText, ruleValueText, useGroupOptions, type Affiliate, type Group, type Settings } from './affiliates-shared';
import { CouponsSection, ConversionsSection } from './affiliate-detail-sections';
import { LinksSection } from './affiliate-links';
import { PayoutsSection } from './affiliate-payouts';

/**
 * One affiliate: profile, the rule in force and where it comes from, balances per currency, links, coupons,
 * conversions with their attribution in words, payouts; writers edit the rate and group, suspend or reactivate,
 * and decide a pending application.
 */
export function AffiliateDetailPage() {
  const params = useParams<{ email: string }>();
  const email = emailFromParam(params.email ?? '');
  const { project_id } = useProject();
  const affiliate = useQuery({
    queryKey: ['p', project_id, 'affiliates', 'one', email],
    queryFn: () => unwrap(api.GET('/api/v1/affiliates/{email}', { params: { path: { email } } })),
    // no such affiliate (404), or an address that cannot be one (400): asking again changes nothing
    retry: (n, err) => !(err instanceof ApiError && (err.status === 404 || err.status === 400)) && n < 2,
  });

  if (affiliate.isPending) {
    return (
      <>
        <PageHeader title="Affiliate" />
        <Loading label="Loading the affiliate…" />
      </>
    );
  }
  if (affiliate.isError) {
    const missing = affiliate.error instanceof ApiError && (affiliate.error.status === 404 || affiliate.error.status === 400);
    return (
      <>
        <PageHeader title={missing ? 'No such affiliate' : 'Affiliate'} />
        {missing ? (
          <Empty title={`There is no affiliate ${email} in this project.`}>
            <p>
              <Link href="/affiliates">Back to the affiliates</Link>
            </p>
          </Empty>
        ) : (
          <ErrorState error={affiliate.error} retry={() => void affiliate.refetch()} />
        )}
      </>
    );
  }
  return <AffiliateView affiliate={affiliate.data.data} />;
}

function AffiliateView(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const [action, setAction] = useState<'edit' | 'payout' | 'suspend' | 'reactivate' | 'approve' | 'reject' | 'delete' | null>(null);
  const { project_id } = useProject();
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const announce = useAnnounce();
  const refresh = () => client.invalidateQueries({ queryKey: ['p', project_id] });
  const decide = (what: 'suspend' | 'reactivate' | 'approve' | 'reject') => async (reason: string) => {
    const path = { params: { path: { email: a.email } } };
    if (what === 'suspend') await unwrap(api.POST('/api/v1/affiliates/{email}/suspend', { ...path, body: reason ? { reason } : {} }));
    if (what === 'reactivate') await unwrap(api.POST('/api/v1/affiliates/{email}/reactivate', { ...path, body: {} }));
    if (what === 'approve') await unwrap(api.POST('/api/v1/affiliates/{email}/approve', { ...path, body: {} }));
    if (what === 'reject') await unwrap(api.POST('/api/v1/affiliates/{email}/reject', { ...path, body: { reason } }));
    await refresh();
    announce(`${a.name || a.email} ${{ suspend: 'suspended', reactivate: 'reactivated', approve: 'approved', reject: 'rejected' }[what]}.`);
  };

  return (
    <>
      <p className="breadcrumb">
        <Link href="/affiliates">Affiliates</Link> <span aria-hidden="true">›</span>
      </p>
      <PageHeader
        title={a.name || a.email}
        description={
          <>
            <StatusBadge status={a.status} /> {a.name ? a.email : null}
            {/* why the merchant rejected or suspended it, as they gave it */}
            {a.status_reason && (a.status === 'suspended' || a.status === 'rejected') ? <span className="status-reason"> Reason: {a.status_reason}</span> : null}
          </>
        }
        actions={
          <WriteOnly>
            <button type="button" className="button" onClick={() => setAction('edit')}>
              Edit
            </button>
            <button type="button" className="button" onClick={() => setAction('payout')}>
              Payout details
            </button>
            {a.status === 'pending' ? (
              <>
                <button type="button" className="button button-primary" onClick={() => setAction('approve')}>
                  Approve
                </button>
                <button type="button" className="button" onClick={() => setAction('reject')}>
                  Reject
                </button>
              </>
            ) : null}
            {a.status === 'active' || a.status === 'inactive' ? (
              <button type="button" className="button button-danger" onClick={() => setAction('suspend')}>
                Suspend
              </button>
            ) : null}
            {a.status === 'suspended' || a.status === 'inactive' ? (
              <button type="button" className="button button-primary" onClick={() => setAction('reactivate')}>
                Reactivate
              </button>
            ) : null}
            <button type="button" className="button" onClick={() => setAction('delete')}>
              Delete
            </button>
          </WriteOnly>
        }
      />

      <div className="detail-columns">
        <Profile affiliate={a} />
        <RuleInForce affiliate={a} />
      </div>
      <Balances affiliate={a} />
      <LinksSection affiliate={a} />
      <CouponsSection affiliate={a} />
      <ConversionsSection affiliate={a} />
      <PayoutsSection affiliate={a} />

      {action === 'edit' ? <EditDialog affiliate={a} onClose={() => setAction(null)} onRenamed={(email) => navigate(`/affiliates/${encodeURIComponent(email)}`, { replace: true })} /> : null}
      {action === 'payout' ? <PayoutDetailsDialog affiliate={a} onClose={() => setAction(null)} /> : null}
      <ConfirmDialog
        open={action === 'suspend'}
        title={`Suspend ${a.name || a.email}`}
        description={<p>From now on they earn nothing and their payouts are frozen, until you reactivate them. They are emailed.</p>}
        confirmLabel="Suspend"
        danger
        reason={{ label: 'Reason (optional, emailed to them)' }}
        onClose={() => setAction(null)}
        onConfirm={decide('suspend')}
      />
      <ConfirmDialog
        open={action === 'reactivate'}
        title={`Reactivate ${a.name || a.email}`}
        description={<p>They earn again on payments from now on, and their payouts are no longer frozen. They are emailed.</p>}
        confirmLabel="Reactivate"
        onClose={() => setAction(null)}
        onConfirm={decide('reactivate')}
      />
      <ConfirmDialog
        open={action === 'approve'}
        title={`Approve ${a.name || a.email}`}
        description={<p>They become active with the rule shown here and are emailed their referral code.</p>}
        confirmLabel="Approve"
        onClose={() => setAction(null)}
        onConfirm={decide('approve')}
      />
      <ConfirmDialog
        open={action === 'reject'}
        title={`Reject ${a.name || a.email}`}
        description={<p>The reason is emailed to them.</p>}
        confirmLabel="Reject"
        danger
        reason={{ label: 'Reason', required: true }}
        onClose={() => setAction(null)}
        onConfirm={decide('reject')}
      />
      <ConfirmDialog
        open={action === 'delete'}
        title={`Delete ${a.name || a.email}`}
        description={
          <p>
            The affiliate, their links, coupons and referrals are deleted, and payments from now on are credited to nobody through them; signups recorded for them
            stay, credited to nobody. An affiliate who has earned commissions cannot be deleted: suspend them or set them inactive instead, so the ledger keeps what they earned.
          </p>
        }
        confirmLabel="Delete"
        danger
        onClose={() => setAction(null)}
        onConfirm={async () => {
          await unwrap(api.DELETE('/api/v1/affiliates/{email}', { params: { path: { email: a.email } } }));
          announce(`${a.name || a.email} deleted.`);
          navigate('/affiliates');
          // the affiliate's own answers are gone: dropped, not asked again; the lists are asked again
          client.removeQueries({ queryKey: ['p', project_id, 'affiliates', 'one', a.email] });
          await client.invalidateQueries({ queryKey: ['p', project_id] });
        }}
      />
    </>
  );
}

const METHOD_LABELS = { paypal: 'PayPal', wise: 'Wise', bank_transfer: 'Bank transfer', manual: 'Manual' } as const;

function Profile(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const groups = useGroupOptions();
  const group = groups.data?.data.find((g) => g.id === a.group_id);
  const details = a.payout_details ? Object.entries(a.payout_details).filter(([, v]) => v !== null && v !== '') : [];
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <dl className="details">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={a.status} />
        </dd>
        <dt>Email</dt>
        <dd>{a.email}</dd>
        <dt>Referral code</dt>
        <dd>
          <code>{a.referral_code}</code>
        </dd>
        <dt>Group</dt>
        <dd>{a.group_id ? group ? <Link href="/groups">{group.name}</Link> : '…' : 'None'}</dd>
        <dt>Payout method</dt>
        <dd>{a.payout_method ? METHOD_LABELS[a.payout_method] : 'Not set yet'}</dd>
        {a.paypal_email ? (
          <>
            <dt>PayPal email</dt>
            <dd>{a.paypal_email}</dd>
          </>
        ) : null}
        {a.wise_email ? (
          <>
            <dt>Wise email</dt>
            <dd>{a.wise_email}</dd>
          </>
        ) : null}
        {details.map(([k, v]) => (
          <FragmentRow key={k} label={k.replace(/_/g, ' ')} value={typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)} />
        ))}
        <dt>Joined</dt>
        <dd>{formatDateTime(a.created_at)}</dd>
      </dl>
    </section>
  );
}

function FragmentRow(props: { label: string; value: string }) {
  return (
    <>
      <dt>{props.label[0]!.toUpperCase() + props.label.slice(1)}</dt>
      <dd>{props.value}</dd>
    </>
  );
}

const PAYOUT_FIELDS = ['payout_method', 'paypal_email', 'wise_email', 'payout_details.bank.account_holder', 'payout_details.bank.iban', 'payout_details.bank.bic'] as const;

/**
 * How the affiliate is paid, as the merchant records it (the affiliate gives the same in the portal): the method,
 * the PayPal or Wise address, a bank account. A payout batch pays by these, and lists what is missing.
 */
function PayoutDetailsDialog(props: { affiliate: Affiliate; onClose(): void }) {
  const a = props.affiliate;
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const stored = (a.payout_details ?? {}) as { bank?: { account_holder?: string; iban?: string; bic?: string } } & Record<string, unknown>;
  const [method, setMethod] = useState<string>(a.payout_method ?? '');
  const [paypal, setPaypal] = useState(a.paypal_email ?? '');
  const [wise, setWise] = useState(a.wise_email ?? '');
  const [holder, setHolder] = useState(stored.bank?.account_holder ?? '');
  const [iban, setIban] = useState(stored.bank?.iban ?? '');
  const [bic, setBic] = useState(stored.bank?.bic ?? '');
  const save = useMutation({
    mutationFn: () => {
      // other details the affiliate gave (Wise recipient fields) are kept; the bank account is replaced or removed
      const { bank: _bank, ...others } = stored;
      const bank = holder.trim() || iban.trim() || bic.trim() ? { account_holder: holder.trim(), iban: iban.trim(), ...(bic.trim() ? { bic: bic.trim() } : {}) } : null;
      const details = { ...others, ...(bank ? { bank } : {}) };
      return unwrap(
        api.PATCH('/api/v1/affiliates/{email}', {
          params: { path: { email: a.email } },
          body: {
            payout_method: (method || null) as Affiliate['payout_method'],
            paypal_email: paypal.trim() || null,
            wise_email: wise.trim() || null,
            payout_details: Object.keys(details).length > 0 ? details : null,
          },
        }),
      );
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['p', project_id] });
      announce(`Payout details of ${a.name || a.email} saved.`);
      props.onClose();
    },
  });
  const errors = fieldErrors(save.error);
  const close = () => {
    if (!save.isPending) props.onClose();
  };
  return (
    <FormDialog title={<>Payout details of {a.name || a.email}</>} tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">A payout batch pays each affiliate by their method; the affiliate can change these in the portal too.</p>
      </Description>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field label="Payout method" name="payout_method" as="select" value={method} onChange={(e) => setMethod(e.currentTarget.value)} errors={errors}>
          <option value="">Not set</option>
          {Object.entries(METHOD_LABELS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </Field>
        <Field label="PayPal email" name="paypal_email" type="email" value={paypal} onChange={(e) => setPaypal(e.currentTarget.value)} errors={errors} autoComplete="off" />
        <Field label="Wise email" name="wise_email" type="email" value={wise} onChange={(e) => setWise(e.currentTarget.value)} errors={errors} autoComplete="off" />
        <fieldset className="fieldset">
          <legend>Bank account (for a bank transfer, or Wise by IBAN)</legend>
          <Field label="Account holder" name="payout_details.bank.account_holder" value={holder} onChange={(e) => setHolder(e.currentTarget.value)} errors={errors} maxLength={200} autoComplete="off" />
          <Field label="IBAN" name="payout_details.bank.iban" value={iban} onChange={(e) => setIban(e.currentTarget.value)} errors={errors} maxLength={64} autoComplete="off" spellCheck={false} />
          <Field label="BIC (optional)" name="payout_details.bank.bic" value={bic} onChange={(e) => setBic(e.currentTarget.value)} errors={errors} maxLength={16} autoComplete="off" spellCheck={false} />
        </fieldset>
        <FormError error={save.error} fields={PAYOUT_FIELDS} />
        <DialogActions busy={save.isPending} onCancel={close} />
      </form>
    </FormDialog>
  );
}

/**
 * The rule that rates this affiliate's next payment: its own rate, else its group's, else the program's (product
 * rules come between the group and the program for the products they name); the duration and hold likewise.
 */
function RuleInForce(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id, currency } = useProject();
  const settings = useQuery(settingsQuery(project_id));
  const group = useQuery({
    queryKey: ['p', project_id, 'groups', 'one', a.group_id],
    queryFn: () => unwrap(api.GET('/api/v1/groups/{id}', { params: { path: { id: a.group_id! } } })),
    enabled: a.group_id !== null,
  });
  if (settings.isPending || (a.group_id !== null && group.isPending)) {
    return (
      <section className="card" aria-labelledby="rule-heading">
        <h2 id="rule-heading">Commission rule in force</h2>
        <Loading label="Loading the rule…" />
      </section>
    );
  }
  if (settings.isError || group.isError) {
    return (
      <section className="card" aria-labelledby="rule-heading">
        <h2 id="rule-heading">Commission rule in force</h2>
        <ErrorState error={settings.error ?? group.error} retry={() => void (settings.refetch(), group.refetch())} />
      </section>
    );
  }
  const rule = ruleInForce(a, group.data?.data ?? null, settings.data, currency);
  return (
    <section className="card" aria-labelledby="rule-heading">
      <h2 id="rule-heading">Commission rule in force</h2>
      <dl className="details">
        <dt>Commission</dt>
        <dd>
          <strong>{rule.rate}</strong> <span className="muted">({rule.rateSource})</span>
        </dd>
        <dt>Duration</dt>
        <dd>
          {rule.duration} <span className="muted">({rule.durationSource})</span>
        </dd>
        <dt>Hold</dt>
        <dd>
          {rule.hold} <span className="muted">({rule.holdSource})</span>
        </dd>
      </dl>
      {rule.rateSource !== 'this affiliate’s own rate' ? <p className="hint">A product rule, where one names the product sold, comes before the program’s rate.</p> : null}
      {a.status !== 'active' ? <p className="hint">While the affiliate is {a.status}, new payments earn nothing.</p> : null}
      <RuleHistory affiliate={a} />
    </section>
  );
}

export function ruleInForce(a: Affiliate, group: Group | null, s: Settings, currency: string) {
  const own = ruleText(a, currency);
  const groupRate = group ? ruleText(group, currency) : null;
  const rate = own ?? groupRate ?? ruleText(s, currency) ?? '—';
  const rateSource = own ? 'this affiliate’s own rate' : groupRate ? `the group ${group!.name}` : 'the program’s default';
  const groupDuration = group ? durationText(group.commission_duration, group.commission_months) : null;
  const duration = groupDuration ?? durationText(s.commission_duration, s.commission_months) ?? '—';
  const durationSource = groupDuration ? `the group ${group!.name}` : 'the program’s default';
  const holdDays = a.hold_days ?? group?.hold_days ?? s.hold_days;
  const holdSource = a.hold_days !== null ? 'this affiliate’s own' : group && group.hold_days !== null ? `the group ${group.name}` : 'the program’s default';
  return { rate, rateSource, duration, durationSource, hold: `${holdDays} day${holdDays === 1 ? '' : 's'}`, holdSource };
}

function RuleHistory(props: { affiliate: Affiliate }) {
  const { project_id, currency } = useProject();
  const groups = useGroupOptions();
  const groupName = new Map((groups.data?.data ?? []).map((g) => [g.id, g.name]));
  return (
    <Disclosure>
      {({ open }) => (
        <>
          <DisclosureButton className="link-button disclosure-button">{open ? 'Hide the rule’s history' : 'Show the rule’s history'}</DisclosureButton>
          <DisclosurePanel>
            <History email={props.affiliate.email} projectId={project_id} currency={currency} groupName={groupName} />
          </DisclosurePanel>
        </>
      )}
    </Disclosure>
  );
}

function History(props: { email: string; projectId: string; currency: string; groupName: Map<string, string> }) {
  const history = useQuery({
    queryKey: ['p', props.projectId, 'rule-versions', 'affiliate', props.email],
    queryFn: () => unwrap(api.GET('/api/v1/rule-versions', { params: { query: { scope: 'affiliate', subject: props.email } } })),
  });
  if (history.isPending) return <Loading label="Loading the history…" />;
  if (history.isError) return <ErrorState error={history.error} retry={() => void history.refetch()} />;
  const rows = [...history.data.data].reverse().map((v, i) => ({ ...v, key: String(i) }));
  return (
    <DataTable
      caption="The affiliate’s own rate, status and group over time, newest first"
      rowKey={(v) => v.key}
      rows={rows}
      columns={[
        { header: 'From', cell: (v) => (v.effective_from ? formatDateTime(v.effective_from) : 'The start') },
        { header: 'Until', cell: (v) => (v.effective_to ? formatDateTime(v.effective_to) : 'Now') },
        { header: 'Own rate', cell: (v) => ruleText(v, props.currency) ?? 'Inherited' },
        { header: 'Status', cell: (v) => v.status ?? '—' },
        { header: 'Group', cell: (v) => (v.group_id ? (props.groupName.get(v.group_id) ?? 'a deleted group') : 'None') },
      ]}
    />
  );
}

function Balances(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const rows = a.earnings_by_currency.length > 0 ? a.earnings_by_currency : [{ ...a, currency: a.currency }];
  return (
    <section aria-labelledby="balances-heading">
      <h2 id="balances-heading">Balances</h2>
      {rows.map((e) => {
        const c = rows.length > 1 ? ` (${e.currency})` : '';
        return (
          <dl key={e.currency} className="grid balances" aria-label={`Balances in ${e.currency}`}>
            <Stat label={`Pending review${c}`} value={formatMoney(e.pending_earnings_minor, e.currency)} />
            <Stat label={`Held${c}`} value={formatMoney(e.held_earnings_minor, e.currency)} hint={e.next_release_date ? `next release ${formatDateTime(e.next_release_date)}` : undefined} />
            <Stat label={`Eligible${c}`} value={formatMoney(e.eligible_earnings_minor, e.currency)} />
            <Stat label={`Processing${c}`} value={formatMoney(e.processing_earnings_minor, e.currency)} />
            <Stat label={`Paid${c}`} value={formatMoney(e.paid_earnings_minor, e.currency)} />
            <Stat label={`Total earned${c}`} value={formatMoney(e.total_earnings_minor, e.currency)} />
          </dl>
        );
      })}
      <p className="hint">
        {a.clicks} click{a.clicks === 1 ? '' : 's'}, {a.signups} signup{a.signups === 1 ? '' : 's'}, {a.purchases} sale{a.purchases === 1 ? '' : 's'}.
      </p>
    </section>
  );
}

function Stat(props: { label: string; value: string; hint?: string }) {
  return (
    <div className="stat">
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
      {props.hint ? <dd className="hint stat-hint">{props.hint}</dd> : null}
    </div>
  );
}

const EDIT_FIELDS = ['name', 'email', 'referral_code', 'group_id', 'commission_type', 'commission_value', 'hold_days'] as const;

/**
 * Change the affiliate's name, email, referral code, group, own rate and hold; a new rate applies to payments from
 * now on. A new email moves the page to it (the affiliate's address is its email).
 */
function EditDialog(props: { affiliate: Affiliate; onClose(): void; onRenamed(email: string): void }) {
  const a = props.affiliate;
  const { project_id, currency } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const groups = useGroupOptions();
  const [name, setName] = useState(a.name ?? '');
  const [email, setEmail] = useState(a.email);
  const [code, setCode] = useState(a.referral_code);
  const [group, setGroup] = useState(a.group_id ?? '');
  const [type, setType] = useState<string>(a.commission_type ?? '');
  const [value, setValue] = useState(ruleValueText(a));
  const [hold, setHold] = useState(a.hold_days === null ? '' : String(a.hold_days));
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/affiliates/{email}', {
          params: { path: { email: a.email } },
          body: {
            ...(name.trim() ? { name: name.trim() } : {}),
            // only what changed: the same email or code again is no change, and the API checks a new one is free
            ...(email.trim() !== a.email ? { email: email.trim() } : {}),
            ...(code.trim() !== a.referral_code ? { referral_code: code.trim() } : {}),
            group_id: group || null,
            ...ruleBody(type, value),
            hold_days: hold.trim() === '' ? null : Number(hold),
          },
        }),
      ),
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id] });
      announce(`${name.trim() || answer.data.email} saved.`);
      props.onClose();
      if (answer.data.email !== a.email) props.onRenamed(answer.data.email);
    },
  });
  const errors = fieldErrors(save.error);
  const close = () => {
    if (!save.isPending) props.onClose();
  };
  return (
    <FormDialog title={<>Edit {a.name || a.email}</>} tall onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">A new rate or group rates payments that occur from now on; earlier payments keep theirs.</p>
      </Description>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field label="Name" name="name" value={name} onChange={(e) => setName(e.currentTarget.value)} errors={errors} maxLength={200} autoComplete="off" />
        <Field label="Email" name="email" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} errors={errors} autoComplete="off" hint="Where their sign-in codes and emails go; they sign in to the portal with it." />
        <Field
          label="Referral code"
          name="referral_code"
          required
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          errors={errors}
          autoComplete="off"
          hint="Links and checkouts that carry the old code credit nobody once it changes."
        />
        <Field label="Group" name="group_id" as="select" value={group} onChange={(e) => setGroup(e.currentTarget.value)} errors={errors}>
          <option value="">No group</option>
          {(groups.data?.data ?? []).map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </Field>
        <RateFields type={type} value={value} onType={setType} onValue={setValue} errors={errors} inheritLabel="No override: the group’s or the program’s rate" currency={currency} />
        <Field label="Hold (days)" name="hold_days" type="number" min={0} max={365} value={hold} onChange={(e) => setHold(e.currentTarget.value)} errors={errors} hint="Empty: the group’s or the program’s." />
        <FormError error={save.error} fields={EDIT_FIELDS} />
        <DialogActions busy={save.isPending} onCancel={close} />
      </form>
    </FormDialog>
  );
}
