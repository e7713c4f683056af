/**
 * What each role of a project may do (docs/dashboard.md). One home for the decision: the /api/v1 guard, the
 * dashboard's member and invitation routes and the CLI all ask here.
 *  - owner: everything, and the only role that changes members and roles;
 *  - admin: every write of the API, invitations of admins and viewers, API keys;
 *  - viewer: reads only.
 */
export const ROLES = ['owner', 'admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Writes of the project's data through /api/v1 (any method but GET and HEAD). */
export function canWrite(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

/** Inviting someone with `invited`: owners invite any role, admins admins and viewers; viewers nobody. */
export function canInvite(role: Role, invited: Role): boolean {
  return role === 'owner' || (role === 'admin' && invited !== 'owner');
}

/** Changing roles and removing members. */
export function canManageMembers(role: Role): boolean {
  return role === 'owner';
}

/** Issuing and revoking the project's API keys: a key writes, so only roles that write. */
export function canManageApiKeys(role: Role): boolean {
  return canWrite(role);
}
