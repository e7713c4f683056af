import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'wouter';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { formatDateTime, formatMoney } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, TableScroll } from '../ui/table';
import { ReplayButton } from './events';
import { JsonBlock, providerLabel } from './events-shared';

type Conversion = components['schemas']['Conversion'];

export function EventDetailPage() {
  const { id } = useParams<{ id: string }>();
  const { project_id } = useProject();
  const event = useQuery({ queryKey: ['p', project_id, 'events', 'detail', id], queryFn: () => unwrap(api.GET('/api/v1/events/{id}', { params: { path: { id } } })) });
  return (
    <>
      <p className="breadcrumb">
        <Link href="/events">← Events</Link>
      </p>
      <QueryView query={event} loadingLabel="Loading the event…">
        {({ data: e }) => (
          <>
            <PageHeader
              title={`${providerLabel(e.provider)} ${e.type}`}
              description={<code>{e.provider_event_id}</code>}
              actions={
                <WriteOnly>
                  <ReplayButton event={e} className="button button-primary" label="Replay this event" />
                </WriteOnly>
              }
            />
            <div className={`callout ${e.status === 'failed' ? '' : 'callout-ok'} event-outcome`} role="note" aria-label="Outcome">
              <p>
                <StatusBadge status={e.status} /> {e.status_reason ?? (e.status === 'processed' ? 'Processed: its effects are in the ledger.' : null)}
              </p>
            </div>
            <div className="card">
              <h2>Details</h2>
              <dl className="details-list">
                <dt>Provider</dt>
                <dd>{providerLabel(e.provider)}</dd>
                <dt>Provider's event id</dt>
                <dd>
                  <code>{e.provider_event_id}</code>
                </dd>
                <dt>Type</dt>
                <dd>
                  <code>{e.type}</code>
                </dd>
                <dt>Origin</dt>
                <dd>{e.origin === 'reconciled' ? "recovered from the provider's API" : 'webhook'}</dd>
                <dt>Mode</dt>
                <dd>{e.livemode === null ? '—' : e.livemode ? 'live' : 'test'}</dd>
                <dt>Attempts</dt>
                <dd>{e.attempts}</dd>
                <dt>Occurred</dt>
                <dd>{formatDateTime(e.occurred_at)}</dd>
                <dt>Received</dt>
                <dd>{formatDateTime(e.received_at)}</dd>
                <dt>Processed</dt>
                <dd>{formatDateTime(e.processed_at)}</dd>
              </dl>
            </div>
            <section aria-labelledby="conversions-heading">
              <h2 id="conversions-heading">Resulting conversions</h2>
              {e.conversions.length === 0 ? (
                <Empty title="This event made no conversion.">
                  <p>{e.status === 'processed' ? 'It carried nothing the ledger records (or what it carried was already recorded).' : 'Only a processed event makes conversions.'}</p>
                </Empty>
              ) : (
                <>
                  <DataTable
                    caption="Conversions this event made"
                    rows={e.conversions}
                    rowKey={(c) => c.id}
                    columns={[
                      { header: 'Conversion', cell: (c) => <Link href={`/conversions/${c.id}`}>{c.kind}</Link> },
                      { header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
                      { header: 'Customer', cell: (c) => c.email ?? c.customer_id ?? '—' },
                      { header: 'Amount', numeric: true, cell: (c) => formatMoney(c.amount_minor, c.currency) },
                      { header: 'Commission', numeric: true, cell: (c) => formatMoney(c.value_minor, c.currency) },
                      { header: 'Reason', cell: (c) => c.reason ?? '—' },
                    ]}
                  />
                  {e.conversions.map((c) => (
                    <AttributionTrace key={c.id} conversion={c} />
                  ))}
                </>
              )}
            </section>
            <section aria-labelledby="payload-heading">
              <h2 id="payload-heading">Payload</h2>
              {e.payload ? <JsonBlock value={e.payload} label="The event's payload (JSON)" /> : <Empty title="The payload is not shown.">{e.payload_omitted ? <p>It is {e.payload_omitted}.</p> : null}</Empty>}
            </section>
            <section aria-labelledby="headers-heading">
              <h2 id="headers-heading">Headers kept</h2>
              {Object.keys(e.headers).length === 0 ? (
                <Empty title="No header was kept." />
              ) : (
                <TableScroll label="The request headers kept with the event">
                  <table className="table">
                    <caption className="visually-hidden">The request headers kept with the event</caption>
                    <thead>
                      <tr>
                        <th scope="col">Header</th>
                        <th scope="col">Value</th>
                      </tr>
                    </thead>
                    <tbody>
                      {Object.entries(e.headers).map(([k, v]) => (
                        <tr key={k}>
                          <th scope="row">
                            <code>{k}</code>
                          </th>
                          <td className="wrap-anywhere">
                            <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableScroll>
              )}
            </section>
          </>
        )}
      </QueryView>
    </>
  );
}

function AttributionTrace(props: { conversion: Conversion }) {
  const c = props.conversion;
  return (
    <div className="card trace">
      <h3>
        Attribution of the {c.kind} <span className="muted small">({c.attribution.method ? `by ${c.attribution.method}` : 'no affiliate'})</span>
      </h3>
      {c.attribution_explanation ? <p className="explanation">{c.attribution_explanation}</p> : null}
      {c.attribution.trace.length > 0 ? (
        <ol className="trace-steps">
          {c.attribution.trace.map((s, i) => (
            <li key={i} className={`trace-${s.result}`}>
              <span className={`badge ${s.result === 'hit' ? 'badge-active' : ''}`}>{s.result}</span> <strong>{s.step}</strong>: {s.detail}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">No step was recorded.</p>
      )}
    </div>
  );
}
