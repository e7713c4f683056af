import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { acceptInvitation, describeInvitation, InvitationError } from '../access/invitations';
import { confirmPasswordReset, requestPasswordReset, ResetError } from '../access/password-resets';
import { hashPassword, passwordMatches, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../access/passwords';
import { csrfTokenOf, issueSession, revokeSession } from '../access/user-sessions';
import { createFirstOwner, findUserByEmail, FirstOwnerError, membershipsOf } from '../access/users';
import { ROLES } from '../access/roles';
import type { PrismaClient } from '../generated/prisma/client';
import { requireAdmin } from '../http/auth';
import { clearSessionCookie, requireSession, setSessionCookie, type SessionCookieOptions } from '../http/dashboard-session';
import { HttpError } from '../http/errors';
import { jsonBody } from '../http/json-body';
import type { Store } from 'express-rate-limit';
import { clientAddressLimit, keyedRateLimit, type FailedAuthLimit } from '../http/rate-limit';
import { createProject } from '../projects/projects';
import { currencyCode } from './currency';
import { instant, ok, uuid } from './envelope';
import { emailField, mailboxField, uuidField } from './fields';
import type { Operation } from './operation';

export const newPasswordField = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

const setupBody = z
  .object({
    email: mailboxField,
    password: newPasswordField,
    /** an existing project the owner gets */
    project_id: uuidField.optional(),
    /** or a new one */
    project_name: z.string().trim().min(1).max(200).optional(),
    currency: currencyCode.default('USD'),
  })
  .strict()
  .refine((b) => (b.project_id === undefined) !== (b.project_name === undefined), { message: 'give project_id (an existing project) or project_name (a new one), not both', path: ['project_id'] });
// a sign-in takes any stored password: the length rules are for new passwords
const loginBody = z.object({ email: emailField, password: z.string().min(1, 'is required').max(PASSWORD_MAX_LENGTH) }).strict();
const resetRequestBody = z.object({ email: emailField }).strict();
const tokenField = z.string().trim().min(1, 'is required').max(200);
const resetConfirmBody = z.object({ token: tokenField, password: newPasswordField }).strict();
const acceptBody = z.object({ token: tokenField, password: z.string().min(1, 'is required').max(PASSWORD_MAX_LENGTH) }).strict();
const describeBody = z.object({ token: tokenField }).strict();

/**
 * Budgets against guessing (PRODUCT.md §14): refused sign-ins per client address and per email, over a window;
 * password-reset requests per address and per email, an hour. Counted in each API process's memory unless
 * `stores` gives each limiter a shared one (Redis with REDIS_URL, src/main.ts): each needs a store of its own, as
 * their keys (an address, an email) would otherwise meet in one counter.
 */
export type DashboardLimits = {
  signInFailuresPerAddress: number;
  signInFailuresPerEmail: number;
  signInWindowMinutes: number;
  resetRequestsPerAddress: number;
  resetRequestsPerEmail: number;
  stores?: Partial<Record<DashboardLimiter, Store>>;
};
export const DASHBOARD_LIMITERS = ['signin-address', 'signin-email', 'reset-address', 'reset-email'] as const;
export type DashboardLimiter = (typeof DASHBOARD_LIMITERS)[number];
export const DEFAULT_DASHBOARD_LIMITS: DashboardLimits = { signInFailuresPerAddress: 30, signInFailuresPerEmail: 10, signInWindowMinutes: 15, resetRequestsPerAddress: 20, resetRequestsPerEmail: 5 };

const HOUR_MS = 3_600_000;

/** A budget per email named in the body; only failed answers count when `failuresOnly`. */
function perEmail(what: string, limit: number, windowMs: number, window: string, failuresOnly: boolean, store: Store | undefined): RequestHandler {
  return keyedRateLimit({
    name: what,
    limit,
    windowMs,
    failuresOnly,
    ...(store ? { store } : {}),
    key: (req) => {
      const email = emailField.safeParse(req.body?.email);
      return email.success ? email.data : null;
    },
    message: `too many attempts for this email: at most ${limit} ${window}; try again later`,
  });
}

function perAddress(limit: number, windowMs: number, window: string, failuresOnly: boolean, store: Store | undefined): RequestHandler {
  return clientAddressLimit({
    limit,
    windowMs,
    window,
    failuresOnly,
    ...(store ? { store } : {}),
    ...(failuresOnly ? { message: `too many refused attempts from this address: at most ${limit} ${window}; try again later` } : {}),
  });
}

/** A signed-in answer: who, their projects and roles, the CSRF token for writes. */
export const signedInResponse = z
  .strictObject({
    user: z.strictObject({ id: uuid, email: z.string() }),
    memberships: z.array(z.strictObject({ project_id: uuid, project_name: z.string(), currency: z.string(), role: z.enum(ROLES) })),
    csrf_token: z.string(),
    session_expires_at: instant,
  })
  .meta({ id: 'DashboardSession' });

function userView(user: { id: string; email: string }) {
  return { id: user.id, email: user.email };
}

/**
 * `/api/dashboard`: signing in and out of the merchant dashboard, the first owner's set-up, password resets and
 * accepting invitations (docs/dashboard.md).
 */
export function dashboardAuthRouter(
  prisma: PrismaClient,
  deps: SessionCookieOptions & { adminToken: string | null; failedAuth: FailedAuthLimit; limits: DashboardLimits },
): Router {
  const router = Router();
  const { clock, publicUrl, limits } = deps;
  const json = jsonBody({ limit: '16kb' });
  const signInWindowMs = limits.signInWindowMinutes * 60_000;
  const signInWindow = `per ${limits.signInWindowMinutes} minutes`;
  const signInPerAddress = perAddress(limits.signInFailuresPerAddress, signInWindowMs, signInWindow, true, limits.stores?.['signin-address']);
  const signInPerEmail = perEmail('signin', limits.signInFailuresPerEmail, signInWindowMs, signInWindow, true, limits.stores?.['signin-email']);
  const session = requireSession(prisma, deps);
  const link = (page: string) => (token: string) => `${publicUrl.replace(/\/+$/, '')}/dashboard/${page}#token=${encodeURIComponent(token)}`;

  /** Signs the browser in: the cookie, and the CSRF token the page sends back with every write. */
  async function signIn(res: Parameters<RequestHandler>[1], user: { id: string; email: string }, status = 200) {
    const issued = await issueSession(prisma, user.id, clock());
    setSessionCookie(res, issued.token, issued.expiresAt, publicUrl);
    res.status(status).json(ok({ user: userView(user), memberships: await membershipsOf(prisma, user.id), csrf_token: issued.csrfToken, session_expires_at: issued.expiresAt.toISOString() }));
  }

  router.get('/setup', async (_req, res) => {
    res.json(ok({ needed: (await prisma.user.count()) === 0 }));
  });

  router.post('/setup', requireAdmin(deps.adminToken, deps.failedAuth), json, async (req, res) => {
    const body = setupBody.parse(req.body ?? {});
    if ((await prisma.user.count()) > 0) throw new HttpError(409, new FirstOwnerError('users_exist').message);
    const passwordHash = await hashPassword(body.password);
    const project = body.project_id ? null : await createProject(prisma, { name: body.project_name!, currency: body.currency });
    const user = await createFirstOwner(prisma, { email: body.email, passwordHash, projectId: body.project_id ?? project!.id, at: clock() }).catch((err: unknown) => {
      if (err instanceof FirstOwnerError) throw new HttpError(err.reason === 'users_exist' ? 409 : 404, err.message);
      throw err;
    });
    const issued = await issueSession(prisma, user.id, clock());
    setSessionCookie(res, issued.token, issued.expiresAt, publicUrl);
    res.status(201).json(
      ok({
        user: userView(user),
        memberships: await membershipsOf(prisma, user.id),
        csrf_token: issued.csrfToken,
        session_expires_at: issued.expiresAt.toISOString(),
        // a project made here comes with its first API key, shown this once
        ...(project ? { project: { id: project.id, name: project.name, currency: project.currency, api_key: project.apiKey } } : {}),
      }),
    );
  });

  router.post('/login', signInPerAddress, json, signInPerEmail, async (req, res) => {
    const body = loginBody.parse(req.body ?? {});
    const user = await findUserByEmail(prisma, body.email);
    // an unknown email costs the same hash and gets the same answer as a wrong password
    const matches = await passwordMatches(user?.passwordHash ?? null, body.password);
    if (!user || !matches) throw new HttpError(401, 'wrong email or password');
    await signIn(res, user);
  });

  router.post('/logout', session, async (req, res) => {
    await revokeSession(prisma, req.dashboardUser!.sessionId, clock());
    clearSessionCookie(res, publicUrl);
    res.status(204).end();
  });

  router.get('/me', session, async (req, res) => {
    const user = req.dashboardUser!;
    res.json(ok({ user: userView(user), memberships: await membershipsOf(prisma, user.id), csrf_token: csrfTokenOf(user.sessionToken), session_expires_at: user.sessionExpiresAt.toISOString() }));
  });

  router.post(
    '/password-reset',
    perAddress(limits.resetRequestsPerAddress, HOUR_MS, 'an hour', false, limits.stores?.['reset-address']),
    json,
    perEmail('reset', limits.resetRequestsPerEmail, HOUR_MS, 'an hour', false, limits.stores?.['reset-email']),
    async (req, res) => {
      const body = resetRequestBody.parse(req.body ?? {});
      await requestPasswordReset(prisma, { email: body.email, at: clock(), resetUrl: link('reset-password') });
      // the same answer whether the address has an account or not
      res.status(202).json(ok({ email: body.email, status: 'sent_if_registered' }));
    },
  );

  router.post('/password-reset/confirm', signInPerAddress, json, async (req, res) => {
    const body = resetConfirmBody.parse(req.body ?? {});
    const done = await confirmPasswordReset(prisma, { token: body.token, password: body.password, at: clock() }).catch((err: unknown) => {
      if (err instanceof ResetError) throw new HttpError(err.status, err.message);
      throw err;
    });
    res.json(ok({ password_changed: true, sessions_ended: done.sessionsEnded }));
  });

  // what the link's holder is invited to, for the page that asks them to join (a POST: the token stays out of URLs)
  router.post('/invitations/describe', signInPerAddress, json, async (req, res) => {
    const body = describeBody.parse(req.body ?? {});
    const found = await describeInvitation(prisma, { token: body.token, at: clock() }).catch((err: unknown) => {
      if (err instanceof InvitationError) throw new HttpError(err.status, err.message);
      throw err;
    });
    res.json(
      ok({ email: found.email, project_name: found.projectName, role: found.role, invited_by: found.invitedBy, expires_at: found.expiresAt.toISOString(), account_exists: found.accountExists }),
    );
  });

  // an existing account proves itself with its password here: the same budget as sign-ins
  router.post('/invitations/accept', signInPerAddress, json, async (req, res) => {
    const body = acceptBody.parse(req.body ?? {});
    const accepted = await acceptInvitation(prisma, { token: body.token, password: body.password, at: clock() }).catch((err: unknown) => {
      if (err instanceof InvitationError) throw new HttpError(err.status, err.message);
      throw err;
    });
    await signIn(res, { id: accepted.userId, email: accepted.email });
  });

  return router;
}

export const dashboardAuthOperations: Operation[] = [
  { method: 'get', path: '/api/dashboard/setup', tag: 'Dashboard', access: 'public', summary: 'Whether the set-up page is needed: true while no dashboard user exists', response: z.strictObject({ needed: z.boolean() }) },
  {
    method: 'post',
    path: '/api/dashboard/setup',
    tag: 'Dashboard',
    access: 'admin',
    summary: 'Create the first dashboard user, owner of an existing project (project_id) or of a new one (project_name); only while no user exists. Signs in.',
    body: setupBody,
    status: 201,
    errors: [404, 409],
    response: z.strictObject({
      ...signedInResponse.shape,
      project: z.strictObject({ id: uuid, name: z.string(), currency: z.string(), api_key: z.string().describe('shown once') }).optional().describe('with project_name: the new project'),
    }),
  },
  {
    method: 'post',
    path: '/api/dashboard/login',
    tag: 'Dashboard',
    access: 'public',
    summary: 'Sign in with email and password: sets the refwire_session cookie and answers the CSRF token for writes',
    description: 'One answer (401 "wrong email or password") for an unknown email and a wrong password. Refused sign-ins are limited per client address and per email (429).',
    body: loginBody,
    errors: [401, 429],
    response: signedInResponse,
  },
  { method: 'post', path: '/api/dashboard/logout', tag: 'Dashboard', access: 'session', summary: 'Sign out: the session ends and the cookie is cleared', status: 204 },
  { method: 'get', path: '/api/dashboard/me', tag: 'Dashboard', access: 'session', summary: 'The signed-in user, their projects and roles, and the CSRF token', response: signedInResponse },
  {
    method: 'post',
    path: '/api/dashboard/password-reset',
    tag: 'Dashboard',
    access: 'public',
    summary: 'Email a password-reset link (valid 1 hour, once) when the address has an account; the same answer when not',
    body: resetRequestBody,
    status: 202,
    errors: [429],
    response: z.strictObject({ email: z.string(), status: z.literal('sent_if_registered') }),
  },
  {
    method: 'post',
    path: '/api/dashboard/password-reset/confirm',
    tag: 'Dashboard',
    access: 'public',
    summary: "Set a new password with the link's token; every session of the user ends",
    body: resetConfirmBody,
    errors: [404, 410, 429],
    response: z.strictObject({ password_changed: z.literal(true), sessions_ended: z.number().int() }),
  },
  {
    method: 'post',
    path: '/api/dashboard/invitations/describe',
    tag: 'Dashboard',
    access: 'public',
    summary: "What an invitation's token invites to, before joining: the address, project, role, who invited, and whether the address has an account (its password is then asked for)",
    body: describeBody,
    errors: [404, 410, 429],
    response: z.strictObject({ email: z.string(), project_name: z.string(), role: z.enum(['owner', 'admin', 'viewer']), invited_by: z.string(), expires_at: instant, account_exists: z.boolean() }),
  },
  {
    method: 'post',
    path: '/api/dashboard/invitations/accept',
    tag: 'Dashboard',
    access: 'public',
    summary: "Join a project with an invitation's token: a new address sets its password, an existing account gives its own. Signs in.",
    body: acceptBody,
    errors: [401, 404, 410, 429],
    response: signedInResponse,
  },
];
