import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { useProject } from '../session';
import { DailyChart } from '../ui/chart';
import { formatCount, formatDateTime, formatMoney, formatRate } from '../ui/format';
import { PageHeader, StatusBadge } from '../ui/page';
import { Empty, ErrorState, Loading, QueryView } from '../ui/states';
import { DataTable } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { providerLabel } from './events-shared';
import { PERIODS, periodDays, periodOf, periodQueries, statusQueries } from './overview-queries';

type Daily = paths['/api/v1/reports/daily']['get']['responses'][200]['content']['application/json']['data'];

const KEYS = ['period'] as const;

export function OverviewPage() {
  const { project_id, currency } = useProject();
  const [url, setUrl] = useUrlState(KEYS);
  const days = periodDays(url.period);
  const queries = useMemo(() => periodQueries(project_id, periodOf(days)), [project_id, days]);
  const daily = useQuery(queries.daily);
  const summary = useQuery(queries.summary);

  return (
    <>
      <PageHeader
        title="Overview"
        description="Your program at a glance: what affiliates brought in, and what needs your attention."
        actions={
          <div className="period-picker" role="group" aria-label="Period">
            {PERIODS.map((p) => (
              <button key={p.days} type="button" className={`button${p.days === days ? ' button-primary' : ''}`} aria-pressed={p.days === days} onClick={() => setUrl({ period: p.days === 30 ? null : String(p.days) })}>
                {p.label}
              </button>
            ))}
          </div>
        }
      />
      <GettingStarted />
      <Health />
      <section aria-labelledby="totals-heading">
        <h2 id="totals-heading">Totals, {PERIODS.find((p) => p.days === days)!.label.toLowerCase()}</h2>
        <QueryView query={summary} loadingLabel="Loading the totals…">
          {(s) => {
            const d = s.data;
            // a period without money still shows the project's currency, at zero
            const money = d.by_currency.length > 0 ? d.by_currency : [{ currency, net_revenue: nothing, commission: nothing, commission_pending: nothing }];
            return (
              <>
                <dl className="grid overview-stats">
                  <div className="stat">
                    <dt>Clicks</dt>
                    <dd>{formatCount(d.clicks)}</dd>
                  </div>
                  <div className="stat">
                    <dt>Signups</dt>
                    <dd>{formatCount(d.signups)}</dd>
                  </div>
                  <div className="stat">
                    <dt>Sales</dt>
                    <dd>{formatCount(d.sales)}</dd>
                  </div>
                  <div className="stat">
                    <dt>Conversion rate</dt>
                    <dd>{d.conversion_rate_bp === null ? '—' : formatRate(d.conversion_rate_bp)}</dd>
                  </div>
                  {money.map((c) => (
                    <div className="stat" key={`rev-${c.currency}`}>
                      <dt>Net revenue ({c.currency})</dt>
                      <dd>{formatMoney(c.net_revenue.value_minor, c.currency)}</dd>
                    </div>
                  ))}
                  {money.map((c) => (
                    <div className="stat" key={`com-${c.currency}`}>
                      <dt>Commission ({c.currency})</dt>
                      <dd>{formatMoney(c.commission.value_minor, c.currency)}</dd>
                    </div>
                  ))}
                  {money
                    .filter((c) => c.commission_pending.value_minor !== 0)
                    .map((c) => (
                      <div className="stat" key={`pen-${c.currency}`}>
                        <dt>Waiting for review ({c.currency})</dt>
                        <dd>
                          <Link href="/conversions?status=pending">{formatMoney(c.commission_pending.value_minor, c.currency)}</Link>
                        </dd>
                      </div>
                    ))}
                </dl>
                <h2 id="top-heading">Top affiliates</h2>
                {d.top_affiliates.length === 0 ? (
                  <Empty title="No affiliate has made a sale in this period." />
                ) : (
                  <DataTable
                    caption="Top affiliates of the period, by commission"
                    rows={d.top_affiliates}
                    rowKey={(a) => `${a.affiliate_id}-${a.currency}`}
                    columns={[
                      { header: 'Affiliate', cell: (a) => <Link href={`/affiliates/${encodeURIComponent(a.email)}`}>{a.email}</Link> },
                      { header: 'Code', cell: (a) => <code>{a.referral_code}</code> },
                      { header: 'Sales', numeric: true, cell: (a) => formatCount(a.sales) },
                      { header: 'Net revenue', numeric: true, cell: (a) => formatMoney(a.net_revenue.value_minor, a.currency) },
                      { header: 'Commission', numeric: true, cell: (a) => formatMoney(a.commission.value_minor, a.currency) },
                    ]}
                  />
                )}
              </>
            );
          }}
        </QueryView>
      </section>
      <section aria-labelledby="daily-heading">
        <h2 id="daily-heading">Day by day</h2>
        <QueryView query={daily} loadingLabel="Loading the daily report…">
          {(r) => <DailyCharts report={r.data} />}
        </QueryView>
      </section>
      <LedgerCheck />
    </>
  );
}

function DailyCharts(props: { report: Daily }) {
  const { currency } = useProject();
  const days = useMemo(() => props.report.days.map((d) => d.date), [props.report]);
  const counts = useMemo(
    () => [
      { label: 'Clicks', values: props.report.days.map((d) => d.clicks), color: '#0d5fc4' },
      { label: 'Signups', values: props.report.days.map((d) => d.signups), color: '#b54708' },
      { label: 'Sales', values: props.report.days.map((d) => d.sales), color: '#067647' },
    ],
    [props.report],
  );
  // the project's currency first, then any other the period has
  const currencies = useMemo(() => {
    const seen = props.report.totals.by_currency.map((c) => c.currency);
    return [currency, ...seen.filter((c) => c !== currency)];
  }, [props.report, currency]);
  return (
    <div className="overview-charts">
      <DailyChart title="Clicks, signups and sales" days={days} series={counts} format={countFormat} />
      {currencies.map((c) => (
        <MoneyChart key={c} report={props.report} days={days} currency={c} />
      ))}
    </div>
  );
}

// the axis asks for ticks between whole numbers too when the counts are small: those stay unlabelled
const countFormat = (v: number) => (Number.isInteger(v) ? formatCount(v) : '');

function MoneyChart(props: { report: Daily; days: string[]; currency: string }) {
  const { report, currency } = props;
  const series = useMemo(() => {
    const of = (pick: (m: Daily['days'][number]['by_currency'][number]) => number) => report.days.map((d) => pick(d.by_currency.find((m) => m.currency === currency) ?? zero));
    return [
      { label: 'Revenue', values: of((m) => m.revenue.value_minor), color: '#0d5fc4' },
      { label: 'Commission', values: of((m) => m.commission.value_minor), color: '#067647' },
    ];
  }, [report, currency]);
  const format = useMemo(() => (v: number) => formatMoney(Math.round(v), currency), [currency]);
  return <DailyChart title={`Revenue and commission (${currency})`} days={props.days} series={series} format={format} />;
}

const nothing = { value: '0', value_minor: 0 };
const zero = { currency: '', revenue: nothing, refunded: nothing, net_revenue: nothing, commission: nothing };

/** Shown until a provider is connected: the first thing to do. */
function GettingStarted() {
  const { project_id, canWrite } = useProject();
  const providers = useQuery(statusQueries(project_id).providers);
  if (!providers.data || providers.data.data.some((p) => p.connected)) return null;
  return (
    <div className="card getting-started">
      <h2>Start here: connect your payment provider</h2>
      <p>
        Refwire learns about sales from your payment provider's webhooks (Stripe, Paddle, Lemon Squeezy or Polar). No provider is connected yet, so no sale can be attributed to an affiliate.
      </p>
      <p>
        {canWrite ? (
          <Link href="/integrations" className="button button-primary">
            Connect a provider
          </Link>
        ) : (
          <>
            Ask an owner or admin to connect one on the <Link href="/integrations">Integrations</Link> page.
          </>
        )}
      </p>
    </div>
  );
}

/** What needs attention (GET /api/v1/reports/health): events that failed processing, outbound deliveries failing. */
function Health() {
  const { project_id } = useProject();
  const queries = statusQueries(project_id);
  const health = useQuery(queries.health);
  const latest = useQuery(queries.latest);
  const last = latest.data?.data[0];
  return (
    <section aria-labelledby="health-heading" className="overview-health">
      <h2 id="health-heading">Health</h2>
      {latest.isError ? <ErrorState error={latest.error} retry={() => void latest.refetch()} /> : null}
      {latest.data ? (
        <p className="last-event">
          {last ? (
            <>
              Last event received: <Link href={`/events/${last.id}`}>{formatDateTime(last.received_at)}</Link> ({providerLabel(last.provider)} <code>{last.type}</code>, <StatusBadge status={last.status} />)
            </>
          ) : (
            'No event received yet.'
          )}
        </p>
      ) : null}
      <QueryView query={health} loadingLabel="Checking for failures…">
        {({ data: h }) => (
          <div className="health-grid">
            <div className="card">
              <h3>Incoming events</h3>
              {h.events.failed_total === 0 ? (
                <p className="callout callout-ok">No failed events.</p>
              ) : (
                <div className="callout" role="note" aria-label="Failed events">
                  <p>
                    <strong>
                      <Link href="/events?status=failed">
                        {formatCount(h.events.failed_total)} failed event{h.events.failed_total === 1 ? '' : 's'}
                      </Link>
                    </strong>{' '}
                    ({formatCount(h.events.failed_last_24h)} in the last 24 hours): a sale or refund in them counts only once they are replayed.
                  </p>
                  <ul className="health-list">
                    {h.events.newest.map((e) => (
                      <li key={e.id}>
                        <Link href={`/events/${e.id}`}>
                          {providerLabel(e.provider)} <code>{e.type}</code>
                        </Link>{' '}
                        <span className="muted">
                          {formatDateTime(e.received_at)}
                          {e.error ? ` — ${e.error}` : ''}
                        </span>
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </div>
            <div className="card">
              <h3>Outbound webhooks</h3>
              {h.webhook_deliveries.failing_total + h.webhook_deliveries.dead_total === 0 ? (
                <p className="callout callout-ok">
                  No failing delivery. <Link href="/webhooks">Manage endpoints</Link>
                </p>
              ) : (
                <div className="callout" role="note" aria-label="Failing outbound webhook deliveries">
                  <p>
                    <strong>
                      {formatCount(h.webhook_deliveries.failing_total)} deliver{h.webhook_deliveries.failing_total === 1 ? 'y' : 'ies'} retrying, {formatCount(h.webhook_deliveries.dead_total)} given up
                    </strong>
                    .
                  </p>
                  <ul className="health-list">
                    {h.webhook_deliveries.newest.map((d) => (
                      <li key={d.id}>
                        <Link href={`/webhooks/${d.endpoint_id}`}>
                          <code>{d.type}</code> to {d.url}
                        </Link>{' '}
                        <StatusBadge status={d.status === 'dead' ? 'failed' : 'retrying'} />{' '}
                        <span className="muted">
                          {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
                          {d.last_status_code !== null ? `, HTTP ${d.last_status_code}` : ''}
                          {d.error ? ` — ${d.error}` : ''}
                        </span>
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </div>
          </div>
        )}
      </QueryView>
    </section>
  );
}

/**
 * GET /api/v1/ledger/verify on demand: the ledger's invariants (each refund reverses a payment, balances equal their
 * entries, payouts equal what they took…) checked over the whole project, and each that fails with the rows it names.
 * A read, so viewers may ask too. Not run by itself: it reads every conversion of the project.
 */
function LedgerCheck() {
  const { project_id } = useProject();
  const [asked, setAsked] = useState(false);
  const check = useQuery({
    queryKey: ['p', project_id, 'ledger', 'verify'],
    queryFn: () => unwrap(api.GET('/api/v1/ledger/verify')).then((a) => a.data),
    enabled: asked,
    staleTime: 0,
    gcTime: 0,
  });
  const busy = check.isFetching;
  const failed = check.data?.checks.filter((c) => !c.ok) ?? [];
  return (
    <section aria-labelledby="ledger-heading" className="card">
      <div className="section-head">
        <h2 id="ledger-heading">Ledger</h2>
        <button type="button" className="button" disabled={busy} aria-busy={busy || undefined} onClick={() => (asked ? void check.refetch() : setAsked(true))}>
          {check.data ? 'Check the ledger again' : 'Check the ledger'}
        </button>
      </div>
      <p className="hint">Checks that every refund reverses a recorded payment, that balances equal their commissions, that each payout equals what it took and that the totals kept for reports match the conversions.</p>
      <div aria-live="polite">
        {busy ? (
          <Loading label="Checking the ledger…" />
        ) : check.isError ? (
          <ErrorState title="The ledger could not be checked." error={check.error} retry={() => void check.refetch()} />
        ) : check.data ? (
          check.data.ok ? (
            <p className="callout callout-ok">
              The ledger is consistent: all {check.data.checks.length} checks passed.
            </p>
          ) : (
            <div className="callout" role="note" aria-label="Ledger mismatches">
              <p>
                <strong>
                  {failed.length} of {check.data.checks.length} checks found mismatches.
                </strong>{' '}
                Each names the rows that break it; the rest passed.
              </p>
              <ul className="health-list">
                {failed.map((c) => (
                  <li key={c.name}>
                    Failed: <strong>{c.name}</strong>
                    <ul>
                      {c.failures.map((f, i) => (
                        <li key={i}>{f}</li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ul>
            </div>
          )
        ) : null}
      </div>
    </section>
  );
}
