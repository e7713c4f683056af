import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { formatDateTime, formatMoney } from '../ui/format';
import { StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { CursorPager, DataTable, Pager } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { offsetOf, When, type Affiliate } from './affiliates-shared';

type Conversion = components['schemas']['Conversion'];
const SECTION_PAGE = 10;
const KEYS = ['coupons', 'conv'] as const;

function Section(props: { id: string; title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <section className="card detail-section" aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>{props.title}</h2>
      {props.description ? <p className="hint section-hint">{props.description}</p> : null}
      {props.children}
    </section>
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
