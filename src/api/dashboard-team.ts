import { Router, type Request } from 'express';
import { z } from 'zod';
import { invitationStatus, invite, InvitationError, type InvitationRow } from '../access/invitations';
import { changeRole, listMembers, MemberError, removeMember } from '../access/members';
import { canInvite, canManageApiKeys, canManageMembers, ROLES, type Role } from '../access/roles';
import type { PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { issueApiKey, NotFoundError, revokeApiKey } from '../projects/projects';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import { idFromPath, mailboxField } from './fields';
import type { Operation } from './operation';

const inviteBody = z.object({ email: mailboxField, role: z.enum(ROLES) }).strict();
const roleBody = z.object({ role: z.enum(ROLES) }).strict();
const createKeyBody = z.object({ name: z.string().trim().min(1).max(200).optional() }).strict().default({});
const listQuery = z.object(paginationQuery);

function roleOf(req: Request): Role {
  if (!req.projectRole) throw new Error('route is not behind requireMembership');
  return req.projectRole;
}

function refuseUnless(allowed: boolean, role: Role, what: string): void {
  if (!allowed) throw new HttpError(403, `your role in this project is ${role}: it may not ${what}`);
}

const memberResponse = z.strictObject({ user_id: uuid, email: z.string(), role: z.enum(ROLES), joined_at: instant }).meta({ id: 'Member' });

const invitationResponse = z
  .strictObject({
    id: uuid,
    email: z.string(),
    role: z.enum(ROLES),
    status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
    invited_by: z.string(),
    expires_at: instant,
    accepted_at: instant.nullable(),
    revoked_at: instant.nullable(),
    created_at: instant,
  })
  .meta({ id: 'Invitation' });

const apiKeyResponse = z
  .strictObject({ id: uuid, name: z.string().nullable(), prefix: z.string(), created_at: instant, revoked_at: instant.nullable() })
  .meta({ id: 'ApiKey' });

function invitationView(i: InvitationRow, at: Date) {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    status: invitationStatus(i, at),
    invited_by: i.invitedByEmail,
    expires_at: i.expiresAt.toISOString(),
    accepted_at: i.acceptedAt?.toISOString() ?? null,
    revoked_at: i.revokedAt?.toISOString() ?? null,
    created_at: i.createdAt.toISOString(),
  };
}

function keyView(k: { id: string; name: string | null; prefix: string; createdAt: Date; revokedAt: Date | null }) {
  return { id: k.id, name: k.name, prefix: k.prefix, created_at: k.createdAt.toISOString(), revoked_at: k.revokedAt?.toISOString() ?? null };
}

/**
 * `/api/dashboard/projects/:projectId`: a project's people and keys, for its members (behind requireSession and
 * requireMembership). Everyone reads; owners change roles and remove members; owners and admins invite and manage
 * API keys (src/access/roles.ts).
 */
export function dashboardTeamRouter(prisma: PrismaClient, deps: { clock: () => Date; publicUrl: string; emailSending?: boolean }): Router {
  const router = Router({ mergeParams: true });
  const acceptUrl = (token: string) => `${deps.publicUrl.replace(/\/+$/, '')}/dashboard/accept-invitation#token=${encodeURIComponent(token)}`;

  router.get('/members', async (req, res) => {
    res.json(ok(await listMembers(prisma, projectIdOf(req))));
  });

  router.patch('/members/:userId', async (req, res) => {
    const role = roleOf(req);
    refuseUnless(canManageMembers(role), role, 'change roles (owners only)');
    const userId = idFromPath(req.params.userId, 'member');
    const body = roleBody.parse(req.body ?? {});
    await changeRole(prisma, { projectId: projectIdOf(req), userId, role: body.role }).catch(memberError);
    const member = (await listMembers(prisma, projectIdOf(req))).find((m) => m.user_id === userId)!;
    res.json(ok({ id: member.user_id, ...member }));
  });

  router.delete('/members/:userId', async (req, res) => {
    const role = roleOf(req);
    refuseUnless(canManageMembers(role), role, 'remove members (owners only)');
    await removeMember(prisma, { projectId: projectIdOf(req), userId: idFromPath(req.params.userId, 'member') }).catch(memberError);
    res.status(204).end();
  });

  router.get('/invitations', async (req, res) => {
    const q = listQuery.parse(req.query);
    const where = { projectId: projectIdOf(req) };
    const [rows, total] = await Promise.all([
      prisma.userInvitation.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: q.offset, take: q.limit }),
      prisma.userInvitation.count({ where }),
    ]);
    const at = deps.clock();
    res.json(page(rows.map((r) => invitationView(r, at)), q.limit, q.offset, total));
  });

  router.post('/invitations', async (req, res) => {
    const role = roleOf(req);
    const body = inviteBody.parse(req.body ?? {});
    refuseUnless(canInvite(role, body.role), role, `invite ${body.role}s`);
    const at = deps.clock();
    const user = req.dashboardUser!;
    const made = await invite(prisma, { projectId: projectIdOf(req), email: body.email, role: body.role, by: { id: user.id, email: user.email }, at, acceptUrl }).catch((err: unknown) => {
      if (err instanceof InvitationError) throw new HttpError(err.status, err.message);
      throw err;
    });
    // without a mail server the email is only kept: the one who invited is given the link to pass on (the
    // invitation's email is in no project's outbox, so nobody else reads it)
    res.status(201).json(ok({ ...invitationView(made.row, at), accept_url: deps.emailSending ? null : made.acceptUrl }));
  });

  router.delete('/invitations/:invitationId', async (req, res) => {
    const role = roleOf(req);
    refuseUnless(role !== 'viewer', role, 'revoke invitations');
    const open = { id: idFromPath(req.params.invitationId, 'invitation'), projectId: projectIdOf(req), acceptedAt: null, revokedAt: null };
    const invitation = await prisma.userInvitation.findFirst({ where: open, select: { role: true } });
    if (!invitation) throw new HttpError(404, 'invitation not found (or already accepted or revoked)');
    // whoever may not issue an invitation may not withdraw it either: an admin leaves an owner's invitation alone
    refuseUnless(canInvite(role, invitation.role as Role), role, `revoke invitations of ${invitation.role}s`);
    const { count } = await prisma.userInvitation.updateMany({ where: open, data: { revokedAt: deps.clock() } });
    if (count === 0) throw new HttpError(404, 'invitation not found (or already accepted or revoked)');
    res.status(204).end();
  });

  router.get('/api-keys', async (req, res) => {
    const rows = await prisma.apiKey.findMany({ where: { projectId: projectIdOf(req) }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    res.json(ok(rows.map(keyView)));
  });

  router.post('/api-keys', async (req, res) => {
    const role = roleOf(req);
    refuseUnless(canManageApiKeys(role), role, 'manage API keys');
    const body = createKeyBody.parse(req.body ?? {});
    const key = await issueApiKey(prisma, projectIdOf(req), body.name ?? null);
    res.status(201).json(ok({ ...keyView({ ...key, revokedAt: null }), api_key: key.apiKey }));
  });

  router.delete('/api-keys/:keyId', async (req, res) => {
    const role = roleOf(req);
    refuseUnless(canManageApiKeys(role), role, 'manage API keys');
    await revokeApiKey(prisma, projectIdOf(req), idFromPath(req.params.keyId, 'API key')).catch((err: unknown) => {
      if (err instanceof NotFoundError) throw new HttpError(404, err.message);
      throw err;
    });
    res.status(204).end();
  });

  return router;
}

function memberError(err: unknown): never {
  if (err instanceof MemberError) throw new HttpError(err.reason === 'not_found' ? 404 : 409, err.message);
  throw err;
}

const base = { tag: 'Dashboard team', access: 'session' as const };
const P = '/api/dashboard/projects/{projectId}';
export const dashboardTeamOperations: Operation[] = [
  { ...base, method: 'get', path: `${P}/members`, summary: "The project's members and their roles", response: z.array(memberResponse) },
  { ...base, method: 'patch', path: `${P}/members/{userId}`, summary: "Change a member's role (owners only; the last owner keeps the role)", body: roleBody, errors: [403, 409], response: z.strictObject({ id: uuid, ...memberResponse.shape }) },
  { ...base, method: 'delete', path: `${P}/members/{userId}`, summary: 'Remove a member (owners only; never the last owner)', status: 204, errors: [403, 409] },
  { ...base, method: 'get', path: `${P}/invitations`, summary: 'Invitations, newest first, with their status (pending, accepted, revoked, expired)', query: listQuery, answer: 'list', response: invitationResponse },
  {
    ...base,
    method: 'post',
    path: `${P}/invitations`,
    summary: 'Invite an email with a role: an email with a one-time link valid 7 days (owners invite any role, admins admins and viewers)',
    body: inviteBody,
    status: 201,
    errors: [403, 409],
    response: invitationResponse.extend({
      accept_url: z
        .string()
        .nullable()
        .describe('without a mail server (no SMTP_URL), the one-time link to pass on to the invitee, shown to whoever invited only; null when the email is sent'),
    }),
  },
  { ...base, method: 'delete', path: `${P}/invitations/{invitationId}`, summary: 'Revoke a pending invitation (owners; admins those of admins and viewers)', status: 204, errors: [403] },
  { ...base, method: 'get', path: `${P}/api-keys`, summary: "The project's API keys by prefix (the keys themselves are never shown again)", response: z.array(apiKeyResponse) },
  { ...base, method: 'post', path: `${P}/api-keys`, summary: 'Issue an API key, shown once (owners and admins)', body: createKeyBody, status: 201, errors: [403], response: z.strictObject({ ...apiKeyResponse.shape, api_key: z.string().describe('shown once') }) },
  { ...base, method: 'delete', path: `${P}/api-keys/{keyId}`, summary: 'Revoke an API key (owners and admins)', status: 204, errors: [403] },
];
