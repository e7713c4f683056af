import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { formatDateTime } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { Empty, ErrorState, Loading } from '../ui/states';
import { DataTable, Pager } from '../ui/table';
import { usePanelFocus } from '../ui/panel-focus';
import { useUrlState } from '../ui/url-state';
import { CopyField } from './events-shared';
import { EndpointForm, type EndpointInput } from './webhooks-form';

type Endpoint = components['schemas']['WebhookEndpoint'];
const KEYS = ['offset', 'new'] as const;
const PAGE_SIZE = 20;

export function WebhooksPage() {
  const { project_id, canWrite } = useProject();
  const [url, setUrl] = useUrlState(KEYS);
  const offset = Math.max(0, Number(url.offset) || 0);
  const client = useQueryClient();
  const announce = useAnnounce();
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  const list = useQuery({
    queryKey: ['p', project_id, 'webhooks', 'list', { limit: PAGE_SIZE, offset }],
    queryFn: () => unwrap(api.GET('/api/v1/webhooks', { params: { query: { limit: PAGE_SIZE, offset } } })),
    placeholderData: (prev) => prev,
  });
  const create = useMutation({
    mutationFn: (body: EndpointInput) => unwrap(api.POST('/api/v1/webhooks', { body })),
    onSuccess: async (r) => {
      setCreated({ url: r.data.url, secret: r.data.secret });
      setUrl({ new: null });
      await client.invalidateQueries({ queryKey: ['p', project_id, 'webhooks'] });
      announce('Endpoint created: copy its signing secret now, it is shown once');
    },
  });
  const showForm = canWrite && url.new === '1';
  const { opener, panel } = usePanelFocus(showForm);

  return (
    <>
      <PageHeader
        title="Outbound webhooks"
        description="Endpoints of yours that Refwire tells, signed, when referrals, commissions and payouts happen."
        actions={
          <WriteOnly>
            {showForm ? null : (
              <button ref={opener} type="button" className="button button-primary" onClick={() => (create.reset(), setUrl({ new: '1' }))}>
                Add an endpoint
              </button>
            )}
          </WriteOnly>
        }
      />
      {created ? (
        <div className="secret-once-box" role="region" aria-label="New endpoint's signing secret">
          <p>
            <strong>Signing secret of {created.url}</strong>: copy it now into your receiver, Refwire shows it only once.
          </p>
          <CopyField label="Signing secret" id="new-endpoint-secret" value={created.secret} className="secret-once" />
          <button type="button" className="button" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      ) : null}
      {showForm ? (
        <section ref={panel} className="card" aria-labelledby="new-endpoint">
          <h2 id="new-endpoint">New endpoint</h2>
          <EndpointForm busy={create.isPending} error={create.error} submitLabel="Create the endpoint" onSubmit={(body) => create.mutate(body)} onCancel={() => setUrl({ new: null })} />
        </section>
      ) : null}
      {list.isPending ? (
        <Loading label="Loading the endpoints…" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : list.data.data.length === 0 ? (
        <Empty title="No endpoint yet.">
          <p>Add one to have your systems told about new referrals, conversions, commissions and payouts.</p>
        </Empty>
      ) : (
        <>
          <DataTable
            caption="Outbound webhook endpoints"
            rows={list.data.data}
            rowKey={(w) => w.id}
            columns={[
              {
                header: 'Endpoint',
                cell: (w) => (
                  <>
                    <Link href={`/webhooks/${w.id}`} className="wrap-anywhere">
                      {w.url}
                    </Link>
                    {w.description ? <div className="muted small">{w.description}</div> : null}
                  </>
                ),
              },
              { header: 'Events', cell: (w) => (w.events.length > 3 ? `${w.events.slice(0, 3).join(', ')} +${w.events.length - 3}` : w.events.join(', ')) },
              { header: 'Format', cell: (w) => <span className="nowrap">{w.payload_format}</span> },
              {
                header: 'Status',
                cell: (w) => (
                  <>
                    <StatusBadge status={w.status} />
                    {w.consecutive_failures > 0 ? <div className="field-error small">{w.consecutive_failures} failures in a row</div> : null}
                  </>
                ),
              },
              { header: 'Created', cell: (w) => <span className="nowrap">{formatDateTime(w.created_at)}</span> },
              ...(canWrite
                ? [
                    {
                      header: 'Actions',
                      cell: (w: Endpoint) => (
                        <button type="button" className="button button-quiet" onClick={() => setDeleting(w)}>
                          Delete<span className="visually-hidden"> {w.url}</span>
                        </button>
                      ),
                    },
                  ]
                : []),
            ]}
          />
          <Pager pagination={list.data.pagination} shown={list.data.data.length} onOffset={(o) => setUrl({ offset: o ? String(o) : null })} label="Endpoint pages" />
        </>
      )}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this endpoint?"
        description={<p>{deleting?.url} receives nothing more from Refwire.</p>}
        confirmLabel="Delete"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const w = deleting!;
          await unwrap(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: w.id } } }));
          await client.invalidateQueries({ queryKey: ['p', project_id, 'webhooks'] });
          announce(`Endpoint ${w.url} deleted`);
        }}
      />
    </>
  );
}
