import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useProject, useSession, type Role } from '../session';
import { useAnnounce } from '../ui/announce';
import { ConfirmDialog } from '../ui/dialog';
import { Field, FormError, fieldErrors, SubmitButton } from '../ui/form';
import { formatDate, formatDateTime } from '../ui/format';
import { PageHeader, StatusBadge, WriteOnly } from '../ui/page';
import { DataTable, Pager, TableScroll } from '../ui/table';
import { Empty, QueryView } from '../ui/states';
import { useUrlState } from '../ui/url-state';

type Member = components['schemas']['Member'];
type Invitation = components['schemas']['Invitation'];

const INVITATIONS_PAGE = 20;
const ROLES: Role[] = ['owner', 'admin', 'viewer'];

/** What a role may do, said where a role is given. */
const ROLE_NOTES: Record<Role, string> = {
  owner: 'An owner does everything, members and roles included.',
  admin: 'An admin makes every change but to members and roles.',
  viewer: 'A viewer reads and changes nothing.',
};

/** "an owner", "an admin", "a viewer": a role after its article, as a sentence reads it. */
function withArticle(role: string): string {
  return `${/^[aeiou]/i.test(role) ? 'an' : 'a'} ${role}`;
}

/** docs/dashboard.md's role table, as the page explains it. */
const ROLE_RIGHTS: { role: Role; reads: string; writes: string; invites: string; keys: string; members: string }[] = [
  { role: 'owner', reads: 'Yes', writes: 'Yes', invites: 'Any role', keys: 'Create, revoke', members: 'Yes' },
  { role: 'admin', reads: 'Yes', writes: 'Yes', invites: 'Admins, viewers', keys: 'Create, revoke', members: 'No' },
  { role: 'viewer', reads: 'Yes', writes: 'No', invites: 'No', keys: 'See the list', members: 'No' },
];

/** The project's members and roles, and the invitations to join it. */
export function UsersPage() {
  const { role } = useProject();
  return (
    <>
      <PageHeader title="Users" description="Who can use this project's dashboard, and with which role. People join by invitation: an email with a link valid 7 days, once." />
      <Members />
      <Invitations />
      <section className="card" aria-labelledby="roles-title">
        <h2 id="roles-title">What each role may do</h2>
        <p className="hint">
          You are <strong>{withArticle(role)}</strong> here (your row is marked). A project always keeps an owner: the last owner cannot be demoted or removed.
        </p>
        <TableScroll label="Roles and their rights">
          <table className="table">
            <caption className="visually-hidden">Roles and their rights</caption>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Reads everything</th>
                <th scope="col">Changes data</th>
                <th scope="col">Invites</th>
                <th scope="col">API keys</th>
                <th scope="col">Changes roles, removes members</th>
              </tr>
            </thead>
            <tbody>
              {ROLE_RIGHTS.map((r) => (
                <tr key={r.role} className={r.role === role ? 'selected' : undefined} aria-current={r.role === role ? 'true' : undefined}>
                  <th scope="row">
                    {r.role}
                    {r.role === role ? <span className="badge badge-you">you</span> : null}
                  </th>
                  <td>{r.reads}</td>
                  <td>{r.writes}</td>
                  <td>{r.invites}</td>
                  <td>{r.keys}</td>
                  <td>{r.members}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </section>
    </>
  );
}

function Members() {
  const { project_id: projectId, role } = useProject();
  const { me, refresh } = useSession();
  const client = useQueryClient();
  const announce = useAnnounce();
  const isOwner = role === 'owner';
  const [removing, setRemoving] = useState<Member | null>(null);
  // a role chosen in a member's list waits for a confirmation: an arrow key in the list changes its value at once
  const [changing, setChanging] = useState<{ member: Member; role: Role } | null>(null);
  const [roleError, setRoleError] = useState<{ userId: string; error: unknown } | null>(null);
  const members = useQuery({
    queryKey: ['p', projectId, 'members'],
    queryFn: () => unwrap(api.GET('/api/dashboard/projects/{projectId}/members', { params: { path: { projectId } } })).then((a) => a.data),
  });
  const changeRole = useMutation({
    mutationFn: (v: { member: Member; role: Role }) =>
      unwrap(api.PATCH('/api/dashboard/projects/{projectId}/members/{userId}', { params: { path: { projectId, userId: v.member.user_id } }, body: { role: v.role } })).then((a) => a.data),
    onMutate: () => setRoleError(null),
    onSuccess: async (m, v) => {
      await client.invalidateQueries({ queryKey: ['p', projectId, 'members'] });
      announce(`${m.email} is now ${withArticle(m.role)}.`);
      // my own role changed: what the pages let me do changes with it
      if (v.member.user_id === me.user.id) await refresh();
    },
    onError: (error, v) => {
      setRoleError({ userId: v.member.user_id, error });
      announce(`The role of ${v.member.email} did not change.`, 'error');
    },
  });
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {!isOwner ? <p className="hint">Only owners change roles and remove members.</p> : null}
      <QueryView query={members} loadingLabel="Loading members…">
        {(rows) =>
          rows.length === 0 ? (
            <Empty title="No members." />
          ) : (
            <DataTable<Member>
              caption="Members of the project"
              rows={rows}
              rowKey={(m) => m.user_id}
              columns={[
                {
                  header: 'Email',
                  cell: (m) => (
                    <>
                      {m.email}
                      {m.user_id === me.user.id ? <span className="badge badge-you">you</span> : null}
                    </>
                  ),
                },
                {
                  header: 'Role',
                  cell: (m) =>
                    isOwner ? (
                      <div className="role-cell">
                        <label className="visually-hidden" htmlFor={`role-${m.user_id}`}>
                          Role of {m.email}
                        </label>
                        <select
                          id={`role-${m.user_id}`}
                          value={m.role}
                          disabled={changeRole.isPending}
                          aria-invalid={roleError?.userId === m.user_id || undefined}
                          aria-describedby={roleError?.userId === m.user_id ? `role-error-${m.user_id}` : undefined}
                          onChange={(e) => setChanging({ member: m, role: e.currentTarget.value as Role })}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </select>
                        {roleError?.userId === m.user_id ? (
                          <p className="field-error" id={`role-error-${m.user_id}`} role="alert">
                            {roleError.error instanceof ApiError ? roleError.error.message : 'The role did not change. Try again.'}
                          </p>
                        ) : null}
                      </div>
                    ) : (
                      <span className="badge">{m.role}</span>
                    ),
                },
                { header: 'Joined', cell: (m) => formatDate(m.joined_at) },
                ...(isOwner
                  ? [
                      {
                        header: 'Actions',
                        cell: (m: Member) => (
                          <button type="button" className="button button-small" onClick={() => setRemoving(m)}>
                            Remove <span className="visually-hidden">{m.email}</span>
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
        open={changing !== null}
        title={changing ? `Make ${changing.member.email} ${withArticle(changing.role)}?` : ''}
        description={
          changing ? (
            <p>
              {ROLE_NOTES[changing.role]}
              {changing.member.user_id === me.user.id ? ' This is your own role: what you may do here changes at once.' : ''}
            </p>
          ) : null
        }
        confirmLabel="Change the role"
        danger={changing?.member.user_id === me.user.id}
        onClose={() => setChanging(null)}
        onConfirm={() => changeRole.mutateAsync(changing!)}
      />
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.email ?? ''} from the project?`}
        description={<p>They lose access to this project at once. They can come back only with a new invitation.</p>}
        confirmLabel="Remove"
        danger
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          const m = removing!;
          await unwrap(api.DELETE('/api/dashboard/projects/{projectId}/members/{userId}', { params: { path: { projectId, userId: m.user_id } } }));
          await client.invalidateQueries({ queryKey: ['p', projectId, 'members'] });
          announce(`${m.email} was removed from the project.`);
          if (m.user_id === me.user.id) await refresh();
        }}
      />
    </section>
  );
}

function Invitations() {
  const { project_id: projectId, role, canManageTeam } = useProject();
  const client = useQueryClient();
  const announce = useAnnounce();
  const [url, setUrl] = useUrlState(['inv_offset'] as const);
  const offset = Number(url.inv_offset) || 0;
  const [email, setEmail] = useState('');
  const [inviteRole, setInviteRole] = useState<Role>('viewer');
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  // without a mail server, the link the email would have carried: shown once, to whoever invited
  const [keptLink, setKeptLink] = useState<{ email: string; url: string } | null>(null);
  const invitable = ROLES.filter((r) => role === 'owner' || r !== 'owner');
  const invitations = useQuery({
    queryKey: ['p', projectId, 'invitations', { offset }],
    queryFn: () => unwrap(api.GET('/api/dashboard/projects/{projectId}/invitations', { params: { path: { projectId }, query: { limit: INVITATIONS_PAGE, offset } } })),
  });
  const invite = useMutation({
    mutationFn: () => unwrap(api.POST('/api/dashboard/projects/{projectId}/invitations', { params: { path: { projectId } }, body: { email: email.trim(), role: inviteRole } })).then((a) => a.data),
    onSuccess: (inv) => {
      setEmail('');
      setUrl({ inv_offset: null });
      void client.invalidateQueries({ queryKey: ['p', projectId, 'invitations'] });
      setKeptLink(inv.accept_url ? { email: inv.email, url: inv.accept_url } : null);
      announce(inv.accept_url ? `Invitation made for ${inv.email} as ${inv.role}; no mail server is set, so pass the link on yourself.` : `Invitation sent to ${inv.email} as ${inv.role}.`);
    },
  });
  const errors = fieldErrors(invite.error);
  return (
    <section className="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      {canManageTeam ? (
        <form
          className="toolbar"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            invite.mutate();
          }}
        >
          <Field label="Email to invite" name="email" type="email" autoComplete="off" value={email} errors={errors} onChange={(e) => setEmail(e.currentTarget.value)} />
          <Field label="Role" name="role" as="select" value={inviteRole} errors={errors} onChange={(e) => setInviteRole(e.currentTarget.value as Role)}>
            {invitable.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </Field>
          <SubmitButton busy={invite.isPending}>Send invitation</SubmitButton>
        </form>
      ) : (
        <p className="hint">Owners and admins invite people.</p>
      )}
      <FormError error={invite.error} fields={['email', 'role']} />
      {keptLink ? (
        <div className="notice" role="status">
          <p>
            No mail server is set (<code>SMTP_URL</code>), so no email went to {keptLink.email}. Send them this one-time link yourself; it is shown only now and works for 7 days:
          </p>
          <p>
            <label className="visually-hidden" htmlFor="invitation-link">
              Invitation link for {keptLink.email}
            </label>
            <input id="invitation-link" className="code-field" readOnly value={keptLink.url} onFocus={(e) => e.currentTarget.select()} />
          </p>
        </div>
      ) : null}
      <QueryView query={invitations} loadingLabel="Loading invitations…">
        {(page) =>
          page.data.length === 0 && offset === 0 ? (
            <Empty title="No invitations yet.">{canManageTeam ? <p>Invite someone by email above.</p> : null}</Empty>
          ) : (
            <>
              <DataTable<Invitation>
                caption="Invitations, newest first"
                rows={page.data}
                rowKey={(i) => i.id}
                columns={[
                  { header: 'Email', cell: (i) => i.email },
                  { header: 'Role', cell: (i) => i.role },
                  { header: 'Status', cell: (i) => <StatusBadge status={i.status} /> },
                  { header: 'Invited by', cell: (i) => i.invited_by },
                  { header: 'Sent', cell: (i) => formatDateTime(i.created_at) },
                  {
                    header: 'Until',
                    cell: (i) => (i.status === 'accepted' ? `accepted ${formatDateTime(i.accepted_at)}` : i.status === 'revoked' ? `revoked ${formatDateTime(i.revoked_at)}` : formatDateTime(i.expires_at)),
                  },
                  ...(canManageTeam
                    ? [
                        {
                          header: 'Actions',
                          cell: (i: Invitation) =>
                            // an admin revokes only what it may send (an owner's invitation is left to owners)
                            i.status === 'pending' && invitable.includes(i.role) ? (
                              <button type="button" className="button button-small" onClick={() => setRevoking(i)}>
                                Revoke <span className="visually-hidden">the invitation of {i.email}</span>
                              </button>
                            ) : null,
                        },
                      ]
                    : []),
                ]}
              />
              <Pager pagination={page.pagination} shown={page.data.length} onOffset={(o) => setUrl({ inv_offset: o ? String(o) : null })} label="Invitation pages" />
            </>
          )
        }
      </QueryView>
      <WriteOnly>
        <ConfirmDialog
          open={revoking !== null}
          title={`Revoke the invitation of ${revoking?.email ?? ''}?`}
          description={<p>Its link stops working at once. You can invite the address again later.</p>}
          confirmLabel="Revoke the invitation"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            const i = revoking!;
            await unwrap(api.DELETE('/api/dashboard/projects/{projectId}/invitations/{invitationId}', { params: { path: { projectId, invitationId: i.id } } }));
            await client.invalidateQueries({ queryKey: ['p', projectId, 'invitations'] });
            announce(`The invitation of ${i.email} was revoked.`);
          }}
        />
      </WriteOnly>
    </section>
  );
}
