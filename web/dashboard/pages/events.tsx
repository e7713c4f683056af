import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { FormError } from '../ui/form';
import { dayStart, formatDateTime } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, ErrorState, Loading } from '../ui/states';
import { CursorPager, DataTable } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { EVENT_STATUSES, PROVIDERS, providerLabel, type EventStatus, type Provider } from './events-shared';
import { EVENT_FILTERS, eventsList, LIST_PAGE_SIZE } from './list-queries';

type Event = components['schemas']['Event'];

const KEYS = EVENT_FILTERS;

export function EventsPage() {
  const { project_id } = useProject();
  const [url, setUrl] = useUrlState(KEYS);
  const cursors = url.cursors ? url.cursors.split(',') : [];
  const provider = PROVIDERS.some((p) => p.name === url.provider) ? (url.provider as Provider) : undefined;
  const status = (EVENT_STATUSES as string[]).includes(url.status) ? (url.status as EventStatus) : undefined;
  const origin = url.origin === 'webhook' || url.origin === 'reconciled' ? (url.origin as 'webhook' | 'reconciled') : undefined;
  const query = {
    limit: LIST_PAGE_SIZE,
    ...(provider ? { provider } : {}),
    ...(status ? { status } : {}),
    ...(url.type ? { type: url.type } : {}),
    ...(origin ? { origin } : {}),
    ...(dayStart(url.from) ? { from: dayStart(url.from) } : {}),
    ...(dayStart(url.to, 1) ? { to: dayStart(url.to, 1) } : {}),
    // keyset from the first page on ('start'): no page of the log counts its rows
    cursor: cursors.length ? cursors[cursors.length - 1] : 'start',
  };
  const list = useQuery({ ...eventsList(project_id, query), placeholderData: (prev) => prev });
  const filter = (patch: Partial<Record<(typeof KEYS)[number], string | null>>) => setUrl({ ...patch, cursors: null });
  const filtered = Boolean(provider || status || url.type || origin || url.from || url.to);

  return (
    <>
      <PageHeader title="Events" description="Every webhook your payment providers sent (and every event reconciliation recovered), newest first: what Refwire made of it, and why." />
      <form
        className="toolbar events-toolbar"
        role="search"
        aria-label="Filter events"
        onSubmit={(e) => {
          e.preventDefault();
          const type = (new FormData(e.currentTarget).get('type') as string | null)?.trim() ?? '';
          filter({ type: type || null });
        }}
      >
        <div className="field">
          <label htmlFor="events-provider">Provider</label>
          <select id="events-provider" value={provider ?? ''} onChange={(e) => filter({ provider: e.currentTarget.value })}>
            <option value="">Any</option>
            {PROVIDERS.map((p) => (
              <option key={p.name} value={p.name}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="events-status">Status</label>
          <select id="events-status" value={status ?? ''} onChange={(e) => filter({ status: e.currentTarget.value })}>
            <option value="">Any</option>
            {EVENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="events-origin">Origin</label>
          <select id="events-origin" value={origin ?? ''} onChange={(e) => filter({ origin: e.currentTarget.value })}>
            <option value="">Any</option>
            <option value="webhook">webhook</option>
            <option value="reconciled">reconciled</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="events-from">Received from</label>
          <input id="events-from" type="date" value={url.from} onChange={(e) => filter({ from: e.currentTarget.value })} />
        </div>
        <div className="field">
          <label htmlFor="events-to">Received until</label>
          <input id="events-to" type="date" value={url.to} onChange={(e) => filter({ to: e.currentTarget.value })} />
        </div>
        <div className="field">
          <label htmlFor="events-type">Event type</label>
          <input id="events-type" name="type" key={url.type} defaultValue={url.type} placeholder="invoice.paid" spellCheck={false} />
        </div>
        <button type="submit" className="button">
          Apply
        </button>
        {filtered ? (
          <button type="button" className="button button-quiet" onClick={() => setUrl({ provider: null, status: null, type: null, origin: null, from: null, to: null, cursors: null })}>
            Clear filters
          </button>
        ) : null}
      </form>
      <WriteOnly>{status === 'failed' || !status ? <ReplayFailed provider={provider} /> : null}</WriteOnly>
      {list.isPending ? (
        <Loading label="Loading the events…" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : list.data.data.length === 0 ? (
        filtered ? (
          <Empty title="No event matches these filters." />
        ) : (
          <Empty title="No event received yet.">
            <p>
              Events arrive when your payment provider sends webhooks. <Link href="/integrations">Connect a provider</Link> and send a test event.
            </p>
          </Empty>
        )
      ) : (
        <>
          <EventTable rows={list.data.data} />
          <CursorPager cursors={cursors} nextCursor={list.data.pagination.next_cursor} onChange={(next) => setUrl({ cursors: next.join(',') || null })} label="Event pages" />
        </>
      )}
    </>
  );
}

function EventTable(props: { rows: Event[] }) {
  const { canWrite } = useProject();
  return (
    <DataTable
      caption="Received events, newest first"
      rows={props.rows}
      rowKey={(e) => e.id}
      columns={[
        {
          header: 'Received',
          // named by what it is too: a list of links named only by their times says nothing out of the table
          cell: (e) => (
            <Link href={`/events/${e.id}`} className="nowrap">
              {formatDateTime(e.received_at)}
              <span className="visually-hidden">
                : {providerLabel(e.provider)} {e.type}
              </span>
            </Link>
          ),
        },
        { header: 'Provider', cell: (e) => providerLabel(e.provider) },
        {
          header: 'Type',
          cell: (e) => (
            <>
              <code>{e.type}</code>
              <div className="muted small">{e.provider_event_id}</div>
            </>
          ),
        },
        {
          header: 'Status',
          cell: (e) => (
            <>
              <StatusBadge status={e.status} />
              {e.status_reason ? <div className="muted small status-reason">{e.status_reason}</div> : null}
            </>
          ),
        },
        { header: 'Attempts', numeric: true, cell: (e) => e.attempts },
        { header: 'Origin', cell: (e) => e.origin },
        ...(canWrite ? [{ header: 'Actions', cell: (e: Event) => (e.status === 'failed' ? <ReplayButton event={e} /> : null) }] : []),
      ]}
    />
  );
}

/** Processes one event again; every write is keyed, so it never doubles an effect. */
export function ReplayButton(props: { event: Pick<Event, 'id' | 'type'>; className?: string; label?: string }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const replay = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/events/{id}/replay', { params: { path: { id: props.event.id } } })),
    onSuccess: async (r) => {
      await client.invalidateQueries({ queryKey: ['p', project_id] });
      const e = r.data;
      announce(
        e.status === 'failed' ? `Replayed ${e.type}: it failed again (${e.status_reason ?? 'no reason given'})` : `Replayed ${e.type}: ${e.status}`,
        e.status === 'failed' ? 'error' : 'success',
      );
    },
    onError: (err) => announce(`Could not replay ${props.event.type}: ${err.message}`, 'error'),
  });
  return (
    <>
      <button type="button" className={props.className ?? 'button'} disabled={replay.isPending} aria-busy={replay.isPending || undefined} onClick={() => replay.mutate()}>
        {props.label ?? 'Replay'}
        {props.label ? null : <span className="visually-hidden"> {props.event.type}</span>}
      </button>
      <FormError error={replay.error} />
    </>
  );
}

/** Replays every failed event (of the chosen provider), oldest first: POST /api/v1/events/replay. */
function ReplayFailed(props: { provider: Provider | undefined }) {
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [open, setOpen] = useState(false);
  const query = { status: 'failed' as const, limit: 1, ...(props.provider ? { provider: props.provider } : {}) };
  const failed = useQuery({ queryKey: ['p', project_id, 'events', 'list', query], queryFn: () => unwrap(api.GET('/api/v1/events', { params: { query } })) });
  const count = failed.data?.pagination.total ?? 0;
  if (count === 0) return null;
  const scope = props.provider ? `${providerLabel(props.provider)} ` : '';
  return (
    <div className="bulk-bar">
      <span>
        {count} {scope}event{count === 1 ? '' : 's'} failed processing.
      </span>
      <button type="button" className="button button-primary" onClick={() => setOpen(true)}>
        Replay all failed
      </button>
      <ConfirmDialog
        open={open}
        title={`Replay ${count} failed ${scope}event${count === 1 ? '' : 's'}?`}
        description={<p>Each is processed again, oldest first (up to 1,000 at a time). A replay never doubles a commission.</p>}
        confirmLabel="Replay them"
        onClose={() => setOpen(false)}
        onConfirm={async () => {
          const r = await unwrap(api.POST('/api/v1/events/replay', { body: { status: 'failed', ...(props.provider ? { provider: props.provider } : {}) } }));
          await client.invalidateQueries({ queryKey: ['p', project_id] });
          const o = r.data.outcomes;
          announce(
            `Replayed ${r.data.replayed}: ${o.processed} processed, ${o.ignored} ignored, ${o.failed} failed again${o.retry ? `, ${o.retry} to retry` : ''}${r.data.remaining ? `; ${r.data.remaining} remain` : ''}.`,
            o.failed > 0 ? 'error' : 'success',
          );
        }}
      />
    </div>
  );
}
