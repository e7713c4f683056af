import { Description } from '@headlessui/react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog, FormDialog } from '../ui/dialog';
import { DialogActions, Field, fieldErrors, FormError, SubmitButton } from '../ui/form';
import { formatCount } from '../ui/format';
import { WriteOnly } from '../ui/page';
import { Empty, QueryView } from '../ui/states';
import { DataTable, Pager, type Column } from '../ui/table';
import { useUrlState } from '../ui/url-state';
import { offsetOf, type Affiliate } from './affiliates-shared';

type TrackingLink = components['schemas']['TrackingLink'];
const SECTION_PAGE = 10;
const KEYS = ['links'] as const;
const LINK_FIELDS = ['target_url', 'slug'] as const;

/**
 * The affiliate's tracking links with their counts, a page at a time (`/api/v1/affiliates/{email}/links`); writers
 * create one, change its target or slug, deactivate or activate it in place, and delete it after a confirmation.
 */
export function LinksSection(props: { affiliate: Affiliate }) {
  const a = props.affiliate;
  const { project_id, canWrite } = useProject();
  const [q, setQ] = useUrlState(KEYS);
  const offset = offsetOf(q.links);
  const client = useQueryClient();
  const announce = useAnnounce();
  const [editing, setEditing] = useState<TrackingLink | null>(null);
  const [deleting, setDeleting] = useState<TrackingLink | null>(null);
  const links = useQuery({
    queryKey: ['p', project_id, 'links', a.email, { offset }],
    queryFn: () => unwrap(api.GET('/api/v1/affiliates/{email}/links', { params: { path: { email: a.email }, query: { offset, limit: SECTION_PAGE } } })),
    placeholderData: keepPreviousData,
  });
  const path = (l: TrackingLink) => ({ params: { path: { email: a.email, slug: l.slug } } });
  const toggle = useMutation({
    mutationFn: (l: TrackingLink) => unwrap(api.PATCH('/api/v1/affiliates/{email}/links/{slug}', { ...path(l), body: { active: !l.active } })),
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id, 'links', a.email] });
      announce(`Link ${answer.data.slug} ${answer.data.active ? 'activated' : 'deactivated'}.`);
    },
    onError: (err, l) => announce(`Link ${l.slug} was not changed: ${err instanceof ApiError ? err.message : 'try again'}.`, 'error'),
  });

  const columns: Column<TrackingLink>[] = [
    { header: 'Link', cell: (l) => <code className="wrap-anywhere">{l.url}</code> },
    { header: 'Target', cell: (l) => <span className="wrap-anywhere">{l.target_url}</span> },
    { header: 'Active', cell: (l) => (l.active ? 'Yes' : 'No') },
    { header: 'Clicks', numeric: true, cell: (l) => formatCount(l.clicks) },
    { header: 'Signups', numeric: true, cell: (l) => formatCount(l.signups) },
    { header: 'Conversions', numeric: true, cell: (l) => formatCount(l.conversions) },
  ];
  if (canWrite) {
    columns.push({
      header: 'Actions',
      cell: (l) => {
        const busy = toggle.isPending && toggle.variables?.id === l.id;
        return (
          <div className="row-actions">
            <button type="button" className="button" onClick={() => setEditing(l)} aria-label={`Edit the link ${l.slug}`}>
              Edit
            </button>
            <button type="button" className="button" onClick={() => toggle.mutate(l)} disabled={busy} aria-busy={busy || undefined} aria-label={`${l.active ? 'Deactivate' : 'Activate'} the link ${l.slug}`}>
              {l.active ? 'Deactivate' : 'Activate'}
            </button>
            <button type="button" className="button" onClick={() => setDeleting(l)} aria-label={`Delete the link ${l.slug}`}>
              Delete
            </button>
          </div>
        );
      },
    });
  }

  return (
    <section className="card detail-section" aria-labelledby="links-heading">
      <h2 id="links-heading">Links</h2>
      <p className="hint section-hint">Tracking links: /r/&lt;slug&gt; records a click and redirects to the target with the referral code. An inactive link answers “not found” and records nothing.</p>
      <WriteOnly>
        <NewLinkForm affiliate={a} />
      </WriteOnly>
      <QueryView query={links} loadingLabel="Loading links…">
        {(page) =>
          page.data.length === 0 ? (
            <Empty title={offset > 0 ? 'No links on this page.' : 'No links yet.'} />
          ) : (
            <>
              <DataTable caption={`Tracking links of ${a.email}`} rowKey={(l) => l.id} rows={page.data} columns={columns} />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setQ({ links: o ? String(o) : null })} label="Link pages" />
            </>
          )
        }
      </QueryView>

      {editing ? <LinkDialog affiliate={a} link={editing} onClose={() => setEditing(null)} /> : null}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the link ${deleting?.slug ?? ''}`}
        description={
          <p>
            {deleting?.url ?? 'The link'} stops working at once (it answers “not found”). Its clicks stay, without the link; deactivate it instead to keep its counts here.
          </p>
        }
        confirmLabel="Delete"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const l = deleting!;
          await unwrap(api.DELETE('/api/v1/affiliates/{email}/links/{slug}', path(l)));
          await client.invalidateQueries({ queryKey: ['p', project_id, 'links', a.email] });
          announce(`Link ${l.slug} deleted.`);
        }}
      />
    </section>
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
      <FormError error={create.error} fields={LINK_FIELDS} />
    </form>
  );
}

/** Point a link at another target, or give it another slug (its old /r/ address then stops working). */
function LinkDialog(props: { affiliate: Affiliate; link: TrackingLink; onClose(): void }) {
  const { affiliate: a, link: l } = props;
  const { project_id } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [target, setTarget] = useState(l.target_url);
  const [slug, setSlug] = useState(l.slug);
  const save = useMutation({
    mutationFn: () => {
      const body = {
        ...(target.trim() !== l.target_url ? { target_url: target.trim() } : {}),
        ...(slug.trim() !== l.slug ? { slug: slug.trim() } : {}),
      };
      return unwrap(api.PATCH('/api/v1/affiliates/{email}/links/{slug}', { params: { path: { email: a.email, slug: l.slug } }, body }));
    },
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['p', project_id, 'links', a.email] });
      announce(`Link ${answer.data.slug} saved: it leads to ${answer.data.target_url}.`);
      props.onClose();
    },
  });
  const errors = fieldErrors(save.error);
  const close = () => {
    if (!save.isPending) props.onClose();
  };
  return (
    <FormDialog title={<>Edit the link {l.slug}</>} onClose={close}>
      <Description as="div">
        <p className="hint dialog-intro">Clicks from now on go to the new target. A new slug gives the link a new address: the old one stops working.</p>
      </Description>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field label="Target URL" name="target_url" type="url" value={target} onChange={(e) => setTarget(e.currentTarget.value)} errors={errors} required autoComplete="off" spellCheck={false} hint="On one of the program’s allowed domains." />
        <Field label="Slug" name="slug" value={slug} onChange={(e) => setSlug(e.currentTarget.value)} errors={errors} required autoComplete="off" spellCheck={false} hint="3–64 letters, digits, - and _." />
        <FormError error={save.error} fields={LINK_FIELDS} />
        <DialogActions busy={save.isPending} onCancel={close} />
      </form>
    </FormDialog>
  );
}
