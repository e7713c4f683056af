import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { dayStart, formatDateTime } from '../ui/format';
import { PageHeader } from '../ui/page';
import { DataTable, Pager } from '../ui/table';
import { Empty, ErrorState, Loading } from '../ui/states';
import { useUrlState } from '../ui/url-state';

type Entry = components['schemas']['AuditLogEntry'];

const PAGE = 50;
const KEYS = ['actor', 'actor_type', 'from', 'to', 'offset'] as const;

function who(e: Entry) {
  if (e.actor.type === 'user') return e.actor.email ?? <span className="muted">a deleted user</span>;
  return (
    <>
      API key <code>{e.actor.api_key_prefix ?? '?'}…</code>
    </>
  );
}

function statusClass(status: number): string {
  return status >= 500 ? 'failed' : status >= 400 ? 'rejected' : 'completed';
}

/** Every write to the project (GET /api/v1/audit-log): who, what, when, newest first, filtered and paged in the address. */
export function AuditLogPage() {
  const { project_id: projectId } = useProject();
  const [url, setUrl] = useUrlState(KEYS);
  const offset = Number(url.offset) || 0;
  const [actor, setActor] = useState(url.actor);
  const actorType: 'user' | 'api_key' | undefined = url.actor_type === 'user' || url.actor_type === 'api_key' ? (url.actor_type as 'user' | 'api_key') : undefined;
  const query = {
    limit: PAGE,
    offset,
    ...(url.actor ? { actor: url.actor } : {}),
    ...(actorType ? { actor_type: actorType } : {}),
    ...(dayStart(url.from) ? { from: dayStart(url.from) } : {}),
    ...(dayStart(url.to, 1) ? { to: dayStart(url.to, 1) } : {}),
  };
  const log = useQuery({
    queryKey: ['p', projectId, 'audit-log', query],
    queryFn: () => unwrap(api.GET('/api/v1/audit-log', { params: { query } })),
    placeholderData: (prev) => prev,
  });
  const filtered = Boolean(url.actor || url.actor_type || url.from || url.to);

  return (
    <>
      <PageHeader title="Audit log" description="Every change made to this project, through the dashboard or an API key, whatever its outcome: who made it, what it was, and when. Reads are not recorded." />
      <form
        className="toolbar"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setUrl({ actor: actor.trim() || null, offset: null });
        }}
      >
        <div className="field">
          <label htmlFor="audit-actor">Who</label>
          <input id="audit-actor" type="search" value={actor} placeholder="email or key prefix" aria-describedby="audit-actor-hint" onChange={(e) => setActor(e.currentTarget.value)} />
          <p className="visually-hidden" id="audit-actor-hint">
            A user’s email or id, or an API key’s prefix or id. Press Enter to filter.
          </p>
        </div>
        <div className="field">
          <label htmlFor="audit-type">Made with</label>
          <select id="audit-type" value={url.actor_type} onChange={(e) => setUrl({ actor_type: e.currentTarget.value || null, offset: null })}>
            <option value="">The dashboard or an API key</option>
            <option value="user">The dashboard (a user)</option>
            <option value="api_key">An API key</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From (UTC day)</label>
          <input id="audit-from" type="date" value={url.from} onChange={(e) => setUrl({ from: e.currentTarget.value || null, offset: null })} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To (UTC day, included)</label>
          <input id="audit-to" type="date" value={url.to} onChange={(e) => setUrl({ to: e.currentTarget.value || null, offset: null })} />
        </div>
        <button type="submit" className="button">
          Filter
        </button>
        {filtered ? (
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              setActor('');
              setUrl({ actor: null, actor_type: null, from: null, to: null, offset: null });
            }}
          >
            Clear filters
          </button>
        ) : null}
      </form>
      {log.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : log.isError ? (
        <ErrorState error={log.error} retry={() => void log.refetch()} />
      ) : log.data.data.length === 0 && offset === 0 ? (
        <Empty title={filtered ? 'No change matches these filters.' : 'No changes recorded yet.'}>
          <p>{filtered ? 'Clear the filters to see every change.' : 'Each change made through the dashboard or the API will be listed here.'}</p>
        </Empty>
      ) : (
        <>
          <DataTable<Entry>
            caption="Changes to the project, newest first"
            rows={log.data.data}
            rowKey={(e) => e.id}
            columns={[
              { header: 'When', cell: (e) => <time dateTime={e.created_at}>{formatDateTime(e.created_at)}</time> },
              { header: 'Who', cell: who },
              {
                header: 'What',
                cell: (e) => (
                  <span className="audit-what">
                    <span className="method">{e.method}</span> <code>{e.path}</code>
                  </span>
                ),
              },
              { header: 'Status', cell: (e) => <span className={`badge badge-${statusClass(e.status)}`}>{e.status}</span> },
              { header: 'Target', cell: (e) => (e.target ? <code className="audit-target">{e.target}</code> : '—') },
            ]}
          />
          <Pager pagination={log.data.pagination} shown={log.data.data.length} onOffset={(o) => setUrl({ offset: o ? String(o) : null })} label="Audit log pages" />
        </>
      )}
    </>
  );
}
