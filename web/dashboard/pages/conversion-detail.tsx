import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'wouter';
import { api, unwrap } from '../api/client';
import { useProject } from '../session';
import { formatDateTime, formatMoney } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { QueryView } from '../ui/states';
import { ConversionActions, limitsText } from './conversion-actions';
import { affiliateLabel, explainAttribution, ReviewButtons, STATUS_HELP, type Conversion } from './conversions-shared';

const STEP_NAMES: Record<string, string> = {
  coupon: 'Coupon',
  metadata: 'Referral code in the payment metadata',
  client_reference_id: 'Checkout client_reference_id',
  subscription: 'Subscription or earlier payment',
  email: 'Referred email',
  manual: 'Entered by hand',
};

/** One conversion: every field, the attribution trace in words and step by step, its event, refunds and payout. */
export function ConversionDetailPage() {
  const { id } = useParams<{ id: string }>();
  const { project_id } = useProject();
  const q = useQuery({
    queryKey: ['p', project_id, 'conversions', 'one', id],
    queryFn: () => unwrap(api.GET('/api/v1/conversions/{id}', { params: { path: { id } } })).then((a) => a.data),
  });
  return (
    <>
      <p className="breadcrumb">
        <Link href="/conversions">← Conversions</Link>
      </p>
      <QueryView query={q} loadingLabel="Loading the conversion…">
        {(c) => <Detail c={c} />}
      </QueryView>
      {q.isError ? <PageHeader title="Conversion" /> : null}
    </>
  );
}

function Detail({ c }: { c: Conversion }) {
  const affiliateEmail = c.affiliate_email ?? null;
  const words = explainAttribution(c);
  const money = (minor: number | null) => formatMoney(minor, c.currency);
  const title = `${c.kind[0]!.toUpperCase()}${c.kind.slice(1)} of ${formatDateTime(c.occurred_at)}`;
  return (
    <>
      <PageHeader
        title={title}
        description={
          <>
            <StatusBadge status={c.status} /> {STATUS_HELP[c.status]}
            {c.reason ? ` — ${c.reason.replace(/_/g, ' ')}` : ''}
          </>
        }
        actions={
          <WriteOnly>
            <ReviewButtons conversion={c} label="this commission" />
            <ConversionActions conversion={c} />
          </WriteOnly>
        }
      />
      {limitsText(c) ? (
        <WriteOnly>
          <p className="hint">{limitsText(c)}</p>
        </WriteOnly>
      ) : null}
      <div className="grid">
        <dl className="stat">
          <dt>Base amount</dt>
          <dd>{money(c.base_value_minor)}</dd>
        </dl>
        <dl className="stat">
          <dt>Commission</dt>
          <dd>{money(c.value_minor)}</dd>
        </dl>
        <dl className="stat">
          <dt>Refunded</dt>
          <dd>{c.refunded_minor === null ? '—' : money(c.refunded_minor)}</dd>
        </dl>
      </div>

      <section className="card" aria-labelledby="trace-title">
        <h2 id="trace-title">Why this affiliate</h2>
        <p className="trace-summary">{words.summary}</p>
        {c.attribution.trace.length ? (
          <ol className="trace-steps">
            {c.attribution.trace.map((s, i) => (
              <li key={i} className={`trace-${s.result}`}>
                <strong>{STEP_NAMES[s.step] ?? s.step}</strong>: {s.result === 'hit' ? 'found' : 'not found'} — {s.detail}
              </li>
            ))}
          </ol>
        ) : (
          <p className="hint">No attribution steps were recorded for this conversion.</p>
        )}
        {c.inbound_event_id ? (
          <p>
            From the provider event <Link href={`/events/${c.inbound_event_id}`}>{c.inbound_event_id}</Link>
            {c.provider ? ` (${c.provider})` : ''}.
          </p>
        ) : (
          <p className="hint">Added by hand or by the tracking script, not from a provider event.</p>
        )}
      </section>

      <section className="card" aria-labelledby="fields-title">
        <h2 id="fields-title">Every field</h2>
        <dl className="details">
          <dt>Id</dt>
          <dd className="mono">{c.id}</dd>
          <dt>Type</dt>
          <dd>{c.kind === c.type ? c.kind : `${c.kind} (${c.type})`}</dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={c.status} /> {STATUS_HELP[c.status]}
          </dd>
          <dt>Reason</dt>
          <dd>{c.reason ?? '—'}</dd>
          {c.reviewed_at ? (
            <>
              <dt>Reviewed</dt>
              <dd>
                {c.status === 'rejected' ? 'Rejected' : 'Approved'} {formatDateTime(c.reviewed_at)}
                {c.review_reason ? `: ${c.review_reason}` : ''}
              </dd>
            </>
          ) : null}
          <dt>Affiliate</dt>
          <dd>
            {c.affiliate_id ? (
              affiliateEmail ? (
                <Link href={`/affiliates/${encodeURIComponent(affiliateEmail)}`}>{affiliateEmail}</Link>
              ) : (
                affiliateLabel(c)
              )
            ) : (
              'none'
            )}
          </dd>
          <dt>Customer</dt>
          <dd>{c.email ?? '—'}</dd>
          <dt>Customer id</dt>
          <dd>{c.customer_id ?? '—'}</dd>
          <dt>Amount paid</dt>
          <dd>{money(c.amount_minor)}</dd>
          <dt>Tax</dt>
          <dd>{money(c.tax_minor)}</dd>
          <dt>Base amount</dt>
          <dd>{money(c.base_value_minor)}</dd>
          <dt>Commission</dt>
          <dd>{money(c.value_minor)}</dd>
          <dt>Currency</dt>
          <dd>{c.currency}</dd>
          <dt>Rule</dt>
          <dd>{c.rule_source ?? '—'}</dd>
          <dt>Rated again</dt>
          <dd>{c.rated_at ? `${formatDateTime(c.rated_at)} (recalculated with the rules of then)` : 'no'}</dd>
          <dt>Coupon code</dt>
          <dd>{c.coupon_code_used ?? '—'}</dd>
          <dt>Reference</dt>
          <dd>{c.reference ?? '—'}</dd>
          <dt>Provider</dt>
          <dd>{c.provider ?? 'none (manual)'}</dd>
          <dt>Payment</dt>
          <dd className="mono">{c.payment_key ?? '—'}</dd>
          <dt>Subscription</dt>
          <dd className="mono">{c.subscription_id ?? '—'}</dd>
          <dt>Occurred</dt>
          <dd>{formatDateTime(c.occurred_at)}</dd>
          <dt>Recorded</dt>
          <dd>{formatDateTime(c.created_at)}</dd>
          <dt>Held until</dt>
          <dd>{formatDateTime(c.hold_until)}</dd>
          <dt>Paid</dt>
          <dd>{c.paid ? `yes, ${formatDateTime(c.paid_at)}` : 'no'}</dd>
          <dt>Payout</dt>
          <dd className="mono">{c.payout_id ?? '—'}</dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="refunds-title">
        <h2 id="refunds-title">Refunds and reversals</h2>
        {c.reverses_id ? (
          <p>
            This refund reverses <Link href={`/conversions/${c.reverses_id}`}>the payment it refunds</Link>.
          </p>
        ) : c.refunded_minor ? (
          <p>
            {money(c.refunded_minor)} of this payment {c.refunded_minor >= c.amount_minor ? 'was refunded in full: its commission is reversed' : 'was refunded: its commission is reduced in proportion'}.
          </p>
        ) : (
          <p className="hint">No refund recorded.</p>
        )}
      </section>
    </>
  );
}
