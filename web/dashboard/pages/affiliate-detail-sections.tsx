import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { formatCount, formatDateTime, formatMoney } from '../ui/format';
import { StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { CursorPager, DataTable, Pager } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { offsetOf, When, type Affiliate } from './affiliates-shared';

type Conversion = components['schemas']['Conversion'];
const SECTION_PAGE = 10;
const KEYS = ['links', 'coupons', 'conv', 'payouts'] as const;

function Section(props: { id: string; title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <section className="card detail-section" aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>{props.title}</h2>
      {props.description ? <p className="hint section-hint">{props.description}</p> : null}
      {props.children}
    </section>
  );
}

/** The affiliate's tracking links with their counts, a page at a time; writers create one. */
export function LinksSection(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.links);
  const links = useQuery({
    queryKey: ['p', project_id, 'links', a.email, { offset }],
    queryFn: () => unwrap(api.GET('/api/v1/affiliates/{email}/links', { params: { path: { email: a.email }, query: { offset, limit: SECTION_PAGE } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Section id="links" title="Links" description="Tracking links: /r/<slug> records a click and redirects to the target with the referral code.">
      <WriteOnly>
        <NewLinkForm affiliate={a} />
      </WriteOnly>
      <QueryView query={links} loadingLabel="Loading links…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty title={offset > 0 ? 'No links on this page.' : 'No links yet.'} />
          ) : (
            <>
              <DataTable
                caption={`Tracking links of ${a.email}`}
                rowKey={(l) => l.id}
                rows={page.data}
                columns={[
                  { header: 'Link', cell: (l) => <code className="wrap-anywhere">{l.url}</code> },
                  { header: 'Target', cell: (l) => <span className="wrap-anywhere">{l.target_url}</span> },
                  { header: 'Active', cell: (l) => (l.active ? 'Yes' : 'No') },
                  { header: 'Clicks', numeric: true, cell: (l) => formatCount(l.clicks) },
                  { header: 'Signups', numeric: true, cell: (l) => formatCount(l.signups) },
                  { header: 'Conversions', numeric: true, cell: (l) => formatCount(l.conversions) },
                ]}
              />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ links: o ? String(o) : null })} label="Link pages" />
            </>
          )
        }
      </QueryView>
    </Section>
  );
}

function NewLinkForm(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [target, setTarget] = useState('');
  const [slug, setSlug] = useState('');
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/affiliates/{email}/links', { params: { path: { email: a.email } }, body: { target_url: target.trim(), ...(slug.trim() ? { slug: slug.trim() } : {}) } })),
    onSuccess: async (answer) => {
      setTarget('');
      setSlug('');
      await client.invalidateQueries({ queryKey: ['p', project_id, 'links', a.email] });
      announce(`Link ${answer.data.url} created.`);
    },
  });
  const errors = fieldErrors(create.error);
  return (
    <form
      className="inline-form"
      aria-label="New link"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <Field label="Target URL" name="target_url" type="url" value={target} onChange={(e) => setTarget(e.currentTarget.value)} errors={errors} required placeholder="https://example.com/pricing" hint="On one of the program’s allowed domains." />
      <Field label="Slug (optional)" name="slug" value={slug} onChange={(e) => setSlug(e.currentTarget.value)} errors={errors} hint="3–64 letters, digits, - and _." autoComplete="off" />
      <div className="inline-form-submit">
        <SubmitButton busy={create.isPending}>Create link</SubmitButton>
      </div>
      <FormError error={create.error} fields={['target_url', 'slug']} />
    </form>
  );
}

/** The coupon codes that credit the affiliate; writers add one. */
export function CouponsSection(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.coupons);
  const coupons = useQuery({
    queryKey: ['p', project_id, 'coupons', { affiliate_id: a.id, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/coupons', { params: { query: { affiliate_id: a.id, offset, limit: SECTION_PAGE } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Section
      id="coupons"
      title="Coupons"
      description={
        <>
          A payment that uses one of these codes is credited to this affiliate. Their provider ids, edits, deactivation and deletion are on the{' '}
          <Link href={`/coupons?affiliate=${encodeURIComponent(a.email)}`}>Coupons page</Link>.
        </>
      }
    >
      <WriteOnly>
        <NewCouponForm affiliate={a} />
      </WriteOnly>
      <QueryView query={coupons} loadingLabel="Loading coupons…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty title={offset > 0 ? 'No coupons on this page.' : 'No coupons yet.'} />
          ) : (
            <>
              <DataTable
                caption={`Coupons of ${a.email}`}
                rowKey={(c) => c.id}
                rows={page.data}
                columns={[
                  { header: 'Code', cell: (c) => <code>{c.coupon_code}</code> },
                  { header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
                  { header: 'Created', cell: (c) => formatDateTime(c.created_at) },
                ]}
              />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ coupons: o ? String(o) : null })} label="Coupon pages" />
            </>
          )
        }
      </QueryView>
    </Section>
  );
}

function NewCouponForm(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [code, setCode] = useState('');
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/coupons', { body: { affiliate_id: a.id, coupon_code: code.trim() } })),
    onSuccess: async (answer) => {
      setCode('');
      await client.invalidateQueries({ queryKey: ['p', project_id, 'coupons'] });
      announce(`Coupon ${answer.data.coupon_code} created.`);
    },
  });
  return (
    <form
      className="inline-form"
      aria-label="New coupon"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <Field label="Coupon code" name="coupon_code" value={code} onChange={(e) => setCode(e.currentTarget.value)} errors={fieldErrors(create.error)} required hint="The code customers type at checkout: letters, digits, - and _." autoComplete="off" />
      <div className="inline-form-submit">
        <SubmitButton busy={create.isPending}>Add coupon</SubmitButton>
      </div>
      <FormError error={create.error} fields={['coupon_code']} />
    </form>
  );
}

/** How a conversion was attributed, in words: the server's sentence when it sends one, else one from the trace. */
export function attributionWords(c: Conversion): string {
  if ('attribution_explanation' in c && typeof c.attribution_explanation === 'string' && c.attribution_explanation !== '') return c.attribution_explanation;
  const { method, trace } = c.attribution;
  if (method === 'manual') return 'Recorded by hand.';
  const hit = trace.find((s) => s.result === 'hit');
  const tried = trace.filter((s) => s.result === 'miss').length;
  if (hit) {
    const before = tried > 0 ? ` after ${tried} other check${tried === 1 ? '' : 's'} found nothing` : '';
    return `Attributed by ${hit.step.replace(/_/g, ' ')} (${hit.detail})${before}.`;
  }
  if (trace.length === 0) return 'No attribution recorded.';
  return `Not attributed: ${trace.map((s) => s.detail).join('; ')}.`;
}

/** The affiliate's conversions, newest first, by keyset pages (the cursors kept in the address). */
export function ConversionsSection(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const cursors = q.conv ? q.conv.split(',') : [];
  const cursor = cursors.at(-1);
  const conversions = useQuery({
    queryKey: ['p', project_id, 'conversions', { affiliate_id: a.id, cursor }],
    queryFn: () => unwrap(api.GET('/api/v1/conversions', { params: { query: { affiliate_id: a.id, limit: SECTION_PAGE, cursor: cursor ?? 'start' } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Section id="conversions" title="Conversions" description="Signups, sales, renewals and refunds credited to this affiliate, with how each was attributed.">
      <QueryView query={conversions} loadingLabel="Loading conversions…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty title={cursors.length > 0 ? 'No conversions on this page.' : 'No conversions yet.'} />
          ) : (
            <>
              <DataTable
                caption={`Conversions of ${a.email}, newest first`}
                rowKey={(c) => c.id}
                rows={page.data}
                columns={[
                  { header: 'When', cell: (c) => (
                      <Link href={`/conversions/${c.id}`} aria-label={`Conversion of ${formatDateTime(c.occurred_at)}`}>
                        <When at={c.occurred_at} />
                      </Link>
                    ) },
                  { header: 'Kind', cell: (c) => c.kind },
                  { header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
                  { header: 'Sale', numeric: true, cell: (c) => (c.kind === 'signup' ? '—' : formatMoney(c.amount_minor, c.currency)) },
                  { header: 'Commission', numeric: true, cell: (c) => formatMoney(c.value_minor, c.currency) },
                  { header: 'Rule', cell: (c) => c.rule_source ?? (c.reason ? c.reason.replace(/_/g, ' ') : '—') },
                  {
                    header: 'Attribution',
                    cell: (c) => (
                      <div className="attribution">
                        <p>{attributionWords(c)}</p>
                        {c.attribution.trace.length > 0 ? (
                          <details>
                            <summary>{`Trace (${c.attribution.trace.length} step${c.attribution.trace.length === 1 ? '' : 's'})`}</summary>
                            <ol className="trace">
                              {c.attribution.trace.map((s, i) => (
                                <li key={i}>
                                  <span className={`badge ${s.result === 'hit' ? 'badge-active' : ''}`}>{s.result}</span> <strong>{s.step.replace(/_/g, ' ')}</strong>: {s.detail}
                                </li>
                              ))}
                            </ol>
                          </details>
                        ) : null}
                      </div>
                    ),
                  },
                ]}
              />
              <CursorPager cursors={cursors} nextCursor={page.pagination.next_cursor} onChange={(next) => setQ({ conv: next.length ? next.join(',') : null })} label="Conversion pages" />
            </>
          )
        }
      </QueryView>
    </Section>
  );
}

const METHODS = { paypal: 'PayPal', wise: 'Wise', bank_transfer: 'Bank transfer', manual: 'Manual' } as const;

/** The affiliate's payouts, newest first. */
export function PayoutsSection(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.payouts);
  const payouts = useQuery({
    queryKey: ['p', project_id, 'payouts', { affiliate_id: a.id, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/payouts', { params: { query: { affiliate_id: a.id, offset, limit: SECTION_PAGE } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Section id="payouts" title="Payouts">
      <QueryView query={payouts} loadingLabel="Loading payouts…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty title={offset > 0 ? 'No payouts on this page.' : 'No payouts yet.'} />
          ) : (
            <>
              <DataTable
                caption={`Payouts of ${a.email}, newest first`}
                rowKey={(p) => p.id}
                rows={page.data}
                columns={[
                  { header: 'Created', cell: (p) => formatDateTime(p.created_at) },
                  { header: 'Amount', numeric: true, cell: (p) => formatMoney(p.amount_minor, p.currency) },
                  { header: 'Method', cell: (p) => METHODS[p.method] },
                  { header: 'Status', cell: (p) => <StatusBadge status={p.status} /> },
                  { header: 'Commissions', numeric: true, cell: (p) => formatCount(p.conversions_count) },
                  { header: 'Completed', cell: (p) => formatDateTime(p.completed_at) },
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
                ]}
              />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ payouts: o ? String(o) : null })} label="Payout pages" />
            </>
          )
        }
      </QueryView>
    </Section>
  );
}
