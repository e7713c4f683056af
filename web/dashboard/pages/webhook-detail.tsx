import { Disclosure, DisclosureButton, DisclosurePanel } from '@headlessui/react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { FormError } from '../ui/form';
import { formatDateTime } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, ErrorState, Loading, QueryView } from '../ui/states';
import { Pager, TableScroll } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { JsonBlock } from './events-shared';
import { EndpointForm, type EndpointInput } from './webhooks-form';

type Endpoint = components['schemas']['WebhookEndpoint'];
type Delivery = components['schemas']['WebhookDelivery'];
const KEYS = ['status', 'offset', 'edit'] as const;
const PAGE_SIZE = 20;
/** how often, and how long, the deliveries are asked again after a redelivery, until its attempt shows */
const REDELIVERY_POLL_MS = 1000;
const REDELIVERY_POLL_FOR_MS = 30_000;
const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export function WebhookDetailPage() {
  const { id } = useParams<{ id: string }>();
  const { project_id } = useProject();
  const endpoint = useQuery({ queryKey: ['p', project_id, 'webhooks', 'detail', id], queryFn: () => unwrap(api.GET('/api/v1/webhooks/{id}', { params: { path: { id } } })) });
  return (
    <>
      <p className="breadcrumb">
        <Link href="/webhooks">← Outbound webhooks</Link>
      </p>
      <QueryView query={endpoint} loadingLabel="Loading the endpoint…">
        {({ data: e }) => <EndpointView endpoint={e} />}
      </QueryView>
    </>
  );
}

function EndpointView(props: { endpoint: Endpoint }) {
  const e = props.endpoint;
  const { project_id, canWrite } = useProject();
  const [url, setUrl] = useUrlState(KEYS);
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [deleting, setDeleting] = useState(false);
  const update = useMutation({
    mutationFn: (body: EndpointInput) => unwrap(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id: e.id } }, body })),
    onSuccess: async () => {
      setUrl({ edit: null });
      await client.invalidateQueries({ queryKey: ['p', project_id, 'webhooks'] });
      announce('Endpoint saved');
    },
  });
  const editing = canWrite && url.edit === '1';
  return (
    <>
      <PageHeader
        title="Outbound endpoint"
        description={<span className="wrap-anywhere">{e.url}</span>}
        actions={
          <WriteOnly>
            {editing ? null : (
              <button type="button" className="button" onClick={() => (update.reset(), setUrl({ edit: '1' }))}>
                Edit
              </button>
            )}
            <button type="button" className="button button-danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          </WriteOnly>
        }
      />
      {e.status === 'disabled' ? (
        <p className="callout" role="note">
          This endpoint is disabled{e.disabled_reason ? `: ${e.disabled_reason}` : ''}. It receives nothing until it is turned on again, and its deliveries cannot be sent again until then.
        </p>
      ) : e.consecutive_failures > 0 ? (
        <p className="callout" role="note">
          Its last {e.consecutive_failures} deliveries failed. Refwire keeps retrying; see the attempts below.
        </p>
      ) : null}
      {editing ? (
        <section className="card" aria-labelledby="edit-endpoint">
          <h2 id="edit-endpoint">Edit the endpoint</h2>
          <EndpointForm endpoint={e} busy={update.isPending} error={update.error} submitLabel="Save" onSubmit={(body) => update.mutate(body)} onCancel={() => setUrl({ edit: null })} />
        </section>
      ) : (
        <div className="card">
          <dl className="details-list">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={e.status} />
            </dd>
            <dt>Description</dt>
            <dd>{e.description ?? '—'}</dd>
            <dt>Events</dt>
            <dd>
              <ul className="event-names">
                {e.events.map((x) => (
                  <li key={x}>
                    <code>{x}</code>
                  </li>
                ))}
              </ul>
            </dd>
            <dt>Payload format</dt>
            <dd>{e.payload_format}</dd>
            <dt>Signing secret</dt>
            <dd>
              <code>{e.secret_hint}</code> <span className="muted small">(shown in full once, when the endpoint was created)</span>
            </dd>
            <dt>Created</dt>
            <dd>{formatDateTime(e.created_at)}</dd>
          </dl>
        </div>
      )}
      <Deliveries endpoint={e} />
      <ConfirmDialog
        open={deleting}
        title="Delete this endpoint?"
        description={<p>{e.url} receives nothing more from Refwire.</p>}
        confirmLabel="Delete"
        danger
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await unwrap(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: e.id } } }));
          client.removeQueries({ queryKey: ['p', project_id, 'webhooks', 'detail', e.id] });
          await client.invalidateQueries({ queryKey: ['p', project_id, 'webhooks'] });
          announce(`Endpoint ${e.url} deleted`);
          navigate('/webhooks');
        }}
      />
    </>
  );
}

function Deliveries(props: { endpoint: Endpoint }) {
  const { project_id } = useProject();
  const [url, setUrl] = useUrlState(KEYS);
  const offset = Math.max(0, Number(url.offset) || 0);
  const status = (DELIVERY_STATUSES as readonly string[]).includes(url.status) ? (url.status as (typeof DELIVERY_STATUSES)[number]) : undefined;
  const query = { limit: PAGE_SIZE, offset, ...(status ? { status } : {}) };
  // deliveries sent again: their attempts when asked, until a later attempt shows (polled meanwhile, for a while)
  const [awaiting, setAwaiting] = useState<ReadonlyMap<string, { attempts: number; until: number }>>(new Map());
  const list = useQuery({
    queryKey: ['p', project_id, 'webhooks', 'deliveries', props.endpoint.id, query],
    queryFn: () => unwrap(api.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id: props.endpoint.id }, query } })),
    placeholderData: (prev) => prev,
    refetchInterval: awaiting.size > 0 ? REDELIVERY_POLL_MS : false,
  });
  const rows = list.data?.data;
  useEffect(() => {
    if (awaiting.size === 0) return;
    const now = Date.now();
    const next = new Map([...awaiting].filter(([id, w]) => w.until > now && (rows?.find((d) => d.id === id)?.attempts ?? Infinity) <= w.attempts));
    if (next.size !== awaiting.size) setAwaiting(next);
  }, [rows, awaiting, list.dataUpdatedAt]);
  const redelivered = (d: Delivery) => setAwaiting((m) => new Map(m).set(d.id, { attempts: d.attempts, until: Date.now() + REDELIVERY_POLL_FOR_MS }));
  return (
    <section aria-labelledby="deliveries-heading">
      <h2 id="deliveries-heading">Deliveries</h2>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="delivery-status">Status</label>
          <select id="delivery-status" value={status ?? ''} onChange={(e) => setUrl({ status: e.currentTarget.value || null, offset: null })}>
            <option value="">Any</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      {list.isPending ? (
        <Loading label="Loading the deliveries…" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : list.data.data.length === 0 ? (
        <Empty title={status ? `No ${status} delivery.` : 'Nothing delivered yet.'}>{status ? null : <p>Deliveries appear here when one of the endpoint's events happens.</p>}</Empty>
      ) : (
        <>
          <ul className="delivery-list" aria-label="Deliveries, newest first">
            {list.data.data.map((d) => (
              <DeliveryItem key={d.id} endpointId={props.endpoint.id} endpointOff={props.endpoint.status !== 'active'} delivery={d} sending={awaiting.has(d.id)} onRedelivered={redelivered} />
            ))}
          </ul>
          <Pager pagination={list.data.pagination} shown={list.data.data.length} onOffset={(o) => setUrl({ offset: o ? String(o) : null })} label="Delivery pages" />
        </>
      )}
    </section>
  );
}

/**
 * One delivery and its attempts. Redeliver answers 202 before the attempt is made (the dispatcher makes it): the row
 * shows the answer at once (pending again) and the list is asked again until a new attempt shows (`sending`).
 */
function DeliveryItem(props: { endpointId: string; endpointOff: boolean; delivery: Delivery; sending: boolean; onRedelivered(d: Delivery): void }) {
  const d = props.delivery;
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const redeliver = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id: props.endpointId, deliveryId: d.id } } })),
    onSuccess: async (answer) => {
      client.setQueriesData<{ data: Delivery[] }>({ queryKey: ['p', project_id, 'webhooks', 'deliveries', props.endpointId] }, (page) =>
        page ? { ...page, data: page.data.map((x) => (x.id === answer.data.id ? answer.data : x)) } : page,
      );
      props.onRedelivered(answer.data);
      announce(`${d.event} queued to be sent again`);
      await client.invalidateQueries({ queryKey: ['p', project_id, 'webhooks'] });
    },
  });
  const shownStatus = d.status === 'pending' && d.attempts > 0 ? 'retrying' : d.status === 'succeeded' ? 'delivered' : d.status;
  return (
    <li className="card delivery">
      <Disclosure>
        <div className="delivery-summary">
          <DisclosureButton className="link-button delivery-toggle">
            <code>{d.event}</code>
            <span className="visually-hidden">, created {formatDateTime(d.created_at)}: show its attempts</span>
          </DisclosureButton>
          <StatusBadge status={shownStatus} />
          <span className="muted small">
            {formatDateTime(d.created_at)} · {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
            {d.last_status_code !== null ? ` · HTTP ${d.last_status_code}` : ''}
            {d.status === 'pending' && props.endpointOff ? ' · waits until the endpoint is turned on' : d.next_attempt_at && d.status === 'pending' && !props.sending ? ` · next try ${formatDateTime(d.next_attempt_at)}` : ''}
            {props.sending ? ' · sending again…' : ''}
          </span>
          <span className="topbar-spacer" />
          {/* a disabled endpoint is sent nothing: the API refuses a redelivery to it (409) */}
          {props.endpointOff ? null : (
            <WriteOnly>
              <button type="button" className="button" disabled={redeliver.isPending} aria-busy={redeliver.isPending || undefined} onClick={() => redeliver.mutate()}>
                Redeliver<span className="visually-hidden"> {d.event} of {formatDateTime(d.created_at)}</span>
              </button>
            </WriteOnly>
          )}
        </div>
        {d.last_error ? <p className="field-error small">{d.last_error}</p> : null}
        <FormError error={redeliver.error} />
        <DisclosurePanel className="delivery-panel">
          {d.attempt_log.length === 0 ? (
            <p className="muted">Not attempted yet.</p>
          ) : (
            <TableScroll label="Attempts of this delivery">
              <table className="table">
                <caption className="visually-hidden">Attempts of this delivery</caption>
                <thead>
                  <tr>
                    <th scope="col">Attempted</th>
                    <th scope="col" className="numeric">
                      Response
                    </th>
                    <th scope="col">Error</th>
                    <th scope="col" className="numeric">
                      Time
                    </th>
                    <th scope="col">Response body</th>
                  </tr>
                </thead>
                <tbody>
                  {d.attempt_log.map((a, i) => (
                    <tr key={i}>
                      <td>{formatDateTime(a.attempted_at)}</td>
                      <td className="numeric">{a.status_code ?? '—'}</td>
                      <td>{a.error ?? '—'}</td>
                      <td className="numeric">{a.duration_ms} ms</td>
                      <td className="wrap-anywhere">{a.response_excerpt ? <code>{a.response_excerpt}</code> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
          <p className="small muted">
            webhook-id <code>{d.webhook_id}</code> · {d.payload_format}
          </p>
          <JsonBlock value={d.payload} label={`Payload of ${d.event}`} />
        </DisclosurePanel>
      </Disclosure>
    </li>
  );
}
