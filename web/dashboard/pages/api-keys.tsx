import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { Field, FormError, fieldErrors, SubmitButton } from '../ui/form';
import { formatDateTime } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { DataTable, Pager } from '../ui/table';
import { Empty, QueryView } from '../ui/states';
import { useUrlState } from '../ui/url-state';
import { CopyButton } from './api-keys-copy';

type ApiKey = components['schemas']['ApiKey'];
type PublishableKey = components['schemas']['PublishableKey'];

const PK_PAGE = 20;

/** Secret API keys (shown once, by prefix after) and publishable keys (pk_…, meant to be seen), each issued and revoked here. */
export function ApiKeysPage() {
  return (
    <>
      <PageHeader
        title="API keys"
        description="Secret API keys let your servers call /api/v1 as this project: keep them out of pages and repositories. Publishable keys are for your pages, and only work on public endpoints such as reporting a sale."
      />
      <SecretKeys />
      <PublishableKeys />
    </>
  );
}

function SecretKeys() {
  const { project_id: projectId, canWrite } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [created, setCreated] = useState<{ name: string | null; prefix: string; api_key: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  // the new key takes the focus (and its text the selection): left on Create, a second Enter made another key and
  // replaced this one's only showing
  const newKey = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (created) newKey.current?.focus();
  }, [created]);
  const [name, setName] = useState('');
  const keys = useQuery({
    queryKey: ['p', projectId, 'api-keys'],
    queryFn: () => unwrap(api.GET('/api/dashboard/projects/{projectId}/api-keys', { params: { path: { projectId } } })).then((a) => a.data),
  });
  const create = useMutation({
    mutationFn: (keyName: string) =>
      unwrap(api.POST('/api/dashboard/projects/{projectId}/api-keys', { params: { path: { projectId } }, body: keyName ? { name: keyName } : {} })).then((a) => a.data),
    onSuccess: (key) => {
      setCreated({ name: key.name, prefix: key.prefix, api_key: key.api_key });
      setName('');
      void client.invalidateQueries({ queryKey: ['p', projectId, 'api-keys'] });
      announce(`API key ${key.prefix} created. Copy it now: it is shown this once.`);
    },
  });
  const errors = fieldErrors(create.error);
  return (
    <section className="card" aria-labelledby="secret-keys-title">
      <h2 id="secret-keys-title">Secret API keys</h2>
      <WriteOnly>
        <form
          className="toolbar"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate(name.trim());
          }}
        >
          <Field label="Name of the new key" name="name" value={name} maxLength={200} placeholder="e.g. Production server" errors={errors} onChange={(e) => setName(e.currentTarget.value)} />
          <SubmitButton busy={create.isPending}>Create API key</SubmitButton>
        </form>
        <FormError error={create.error} fields={['name']} />
      </WriteOnly>
      {created ? (
        <div className="secret-once" role="region" aria-label="New API key">
          <p className="secret-once-text">
            <strong>Copy this key now: it is shown this once.</strong> Refwire keeps only its fingerprint; a lost key cannot be shown again, only revoked and replaced.
          </p>
          <label htmlFor="new-api-key">New API key{created.name ? ` (${created.name})` : ''}</label>
          <input id="new-api-key" ref={newKey} readOnly value={created.api_key} onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={created.api_key} label="Copy the API key" />
          <button type="button" className="button" onClick={() => setCreated(null)}>
            I have stored it
          </button>
        </div>
      ) : null}
      <QueryView query={keys} loadingLabel="Loading API keys…">
        {(rows) =>
          rows.length === 0 ? (
            <Empty title="No API keys.">
              <p>{canWrite ? 'Create one for each server that calls the API.' : 'An owner or admin can create them.'}</p>
            </Empty>
          ) : (
            <DataTable<ApiKey>
              caption="Secret API keys"
              rows={rows}
              rowKey={(k) => k.id}
              columns={[
                { header: 'Key', cell: (k) => <code>{k.prefix}…</code> },
                { header: 'Name', cell: (k) => k.name ?? <span className="muted">no name</span> },
                { header: 'Created', cell: (k) => formatDateTime(k.created_at) },
                { header: 'Status', cell: (k) => (k.revoked_at ? <span title={formatDateTime(k.revoked_at)}><StatusBadge status="revoked" /> {formatDateTime(k.revoked_at)}</span> : <StatusBadge status="active" />) },
                ...(canWrite
                  ? [
                      {
                        header: 'Actions',
                        cell: (k: ApiKey) =>
                          k.revoked_at ? null : (
                            <button type="button" className="button button-small" onClick={() => setRevoking(k)}>
                              Revoke <span className="visually-hidden">{k.prefix}</span>
                            </button>
                          ),
                      },
                    ]
                  : []),
              ]}
            />
          )
        }
      </QueryView>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the API key ${revoking?.prefix ?? ''}…?`}
        description={<p>Every request made with it is refused from now on. This cannot be undone: a server still using it needs a new key.</p>}
        confirmLabel="Revoke the key"
        danger
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          const key = revoking!;
          await unwrap(api.DELETE('/api/dashboard/projects/{projectId}/api-keys/{keyId}', { params: { path: { projectId, keyId: key.id } } }));
          await client.invalidateQueries({ queryKey: ['p', projectId, 'api-keys'] });
          if (created?.prefix === key.prefix) setCreated(null);
          announce(`API key ${key.prefix} revoked.`);
        }}
      />
    </section>
  );
}

function PublishableKeys() {
  const { project_id: projectId, canWrite } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [url, setUrl] = useUrlState(['pk_offset'] as const);
  const offset = Number(url.pk_offset) || 0;
  const [name, setName] = useState('');
  const [revoking, setRevoking] = useState<PublishableKey | null>(null);
  const keys = useQuery({
    queryKey: ['p', projectId, 'publishable-keys', { offset }],
    queryFn: () => unwrap(api.GET('/api/v1/publishable-keys', { params: { query: { limit: PK_PAGE, offset } } })),
  });
  const create = useMutation({
    mutationFn: (keyName: string) => unwrap(api.POST('/api/v1/publishable-keys', { body: keyName ? { name: keyName } : {} })).then((a) => a.data),
    onSuccess: (key) => {
      setName('');
      void client.invalidateQueries({ queryKey: ['p', projectId, 'publishable-keys'] });
      announce(`Publishable key ${key.key} created.`);
    },
  });
  const errors = fieldErrors(create.error);
  return (
    <section className="card" aria-labelledby="publishable-keys-title">
      <h2 id="publishable-keys-title">Publishable keys</h2>
      <p className="hint">
        Safe to put in a page: a publishable key (<code>pk_…</code>) is accepted only by public endpoints such as <code>POST /api/track/conversion</code>, never by <code>/api/v1</code>.
      </p>
      <WriteOnly>
        <form
          className="toolbar"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate(name.trim());
          }}
        >
          <Field label="Name of the new publishable key" name="name" value={name} maxLength={200} placeholder="e.g. Checkout page" errors={errors} onChange={(e) => setName(e.currentTarget.value)} />
          <SubmitButton busy={create.isPending}>Create publishable key</SubmitButton>
        </form>
        <FormError error={create.error} fields={['name']} />
      </WriteOnly>
      <QueryView query={keys} loadingLabel="Loading publishable keys…">
        {(page) =>
          page.data.length === 0 && offset === 0 ? (
            <Empty title="No publishable keys.">
              <p>{canWrite ? 'Create one to report sales from a page.' : 'An owner or admin can create them.'}</p>
            </Empty>
          ) : (
            <>
              <DataTable<PublishableKey>
                caption="Publishable keys"
                rows={page.data}
                rowKey={(k) => k.id}
                columns={[
                  {
                    header: 'Key',
                    cell: (k) =>
                      k.revoked_at ? (
                        <code>{k.key}</code>
                      ) : (
                        <span className="copy-inline">
                          <code>{k.key}</code> <CopyButton text={k.key} label={`Copy ${k.key}`} small />
                        </span>
                      ),
                  },
                  { header: 'Name', cell: (k) => k.name ?? <span className="muted">no name</span> },
                  { header: 'Created', cell: (k) => formatDateTime(k.created_at) },
                  { header: 'Status', cell: (k) => (k.revoked_at ? <><StatusBadge status="revoked" /> {formatDateTime(k.revoked_at)}</> : <StatusBadge status="active" />) },
                  ...(canWrite
                    ? [
                        {
                          header: 'Actions',
                          cell: (k: PublishableKey) =>
                            k.revoked_at ? null : (
                              <button type="button" className="button button-small" onClick={() => setRevoking(k)}>
                                Revoke <span className="visually-hidden">{k.key}</span>
                              </button>
                            ),
                        },
                      ]
                    : []),
                ]}
              />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setUrl({ pk_offset: o ? String(o) : null })} label="Publishable key pages" />
            </>
          )
        }
      </QueryView>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this publishable key?"
        description={<p>Pages using <code>{revoking?.key}</code> can no longer report sales with it. This cannot be undone.</p>}
        confirmLabel="Revoke the key"
        danger
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          const key = revoking!;
          await unwrap(api.DELETE('/api/v1/publishable-keys/{id}', { params: { path: { id: key.id } } }));
          await client.invalidateQueries({ queryKey: ['p', projectId, 'publishable-keys'] });
          announce(`Publishable key ${key.key} revoked.`);
        }}
      />
    </section>
  );
}
