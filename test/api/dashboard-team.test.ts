import request from 'supertest';
import { emailSettings } from '../../src/config/smtp';
import { EmailSender } from '../../src/email/sender';
import { asBrowser, browserOf, PASSWORD, setUpOwner, signIn, type Browser } from '../helpers/dashboard';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, silentLogger, type TestApp } from '../helpers/refwire';
import { TestSmtpServer } from '../helpers/smtp';

describe("dashboard team: invitations, members and roles, API keys (PRODUCT.md §14)", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let smtp: TestSmtpServer;
  let sender: EmailSender;
  let acme: string;
  let beta: string;
  let owner: Browser;
  const start = new Date('2026-12-01T12:00:00.000Z');
  const days = (n: number) => new Date(start.getTime() + n * 86_400_000);
  const team = (b: Browser, method: 'get' | 'post' | 'patch' | 'delete', path: string, projectId = acme) => asBrowser(t.app, b, method, `/api/dashboard/projects/${projectId}${path}`);
  /** delivers the outbox through the real SMTP server; the token of the newest invitation to `to` */
  const invitationTokenFor = async (to: string) => {
    await sender.runOnce();
    const mail = smtp.received.filter((m) => m.envelope.to.includes(to)).at(-1)!;
    return { mail, token: /#token=(rwinv_[A-Za-z0-9_-]+)/.exec(mail.parsed.text!)![1]! };
  };
  const accept = (token: string, password: string) => request(t.app).post('/api/dashboard/invitations/accept').send({ token, password });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    // a mail server is set (the test's own SMTP server): invitations are sent, their links not shown
    t = buildTestApp(tdb.db, { emailSending: true });
    t.clock.now = start;
    acme = (await createProjectViaApi(t.app, 'Acme')).id;
    beta = (await createProjectViaApi(t.app, 'Beta')).id;
    smtp = await new TestSmtpServer().start();
    sender = new EmailSender(tdb.db.sql, emailSettings(smtp.url(), 'Refwire <refwire@acme.test>'), silentLogger, {}, () => t.clock.now);
    owner = await setUpOwner(t.app, acme);
  });
  afterAll(async () => {
    await sender.stop();
    await smtp.stop();
    await t.runner.stop();
    await tdb.drop();
  });

  let admin: Browser;
  let viewer: Browser;

  it('an owner invites an admin by email; the invitee sets a password from the link and joins, signed in; the link works once', async () => {
    const created = await team(owner, 'post', '/invitations').send({ email: 'Ada@Acme.test', role: 'admin' }).expect(201);
    expect(created.body.data).toMatchObject({ email: 'ada@acme.test', role: 'admin', status: 'pending', invited_by: 'owner@acme.test', expires_at: days(7).toISOString(), accept_url: null });
    const { mail, token } = await invitationTokenFor('ada@acme.test');
    expect(mail.parsed.subject).toBe("You're invited to the Acme affiliate dashboard");
    expect(mail.parsed.text).toContain('owner@acme.test invited you');
    expect(mail.parsed.text).toContain(`https://refwire.example.com/dashboard/accept-invitation#token=${token}`);
    // the link is in no project's outbox: a viewer reading /api/v1/emails cannot take it
    expect(await tdb.db.prisma.email.count({ where: { template: 'user_invitation', projectId: { not: null } } })).toBe(0);

    expect((await accept(token, 'short').expect(400)).body.error).toBe('password: must be at least 10 characters');
    t.clock.now = new Date(start.getTime() + 60_000);
    const joined = await accept(token, 'ada long password').expect(200);
    expect(joined.body.data).toMatchObject({ user: { email: 'ada@acme.test' }, memberships: [{ project_id: acme, role: 'admin' }] });
    admin = browserOf(joined);
    await asBrowser(t.app, admin, 'get', '/api/v1/affiliates', acme).expect(200);
    expect((await accept(token, 'ada long password').expect(404)).body.error).toMatch(/not valid/);
    const listed = (await team(owner, 'get', '/invitations').expect(200)).body;
    expect(listed.data.map((i: any) => [i.email, i.status])).toEqual([['ada@acme.test', 'accepted']]);
    expect(listed.pagination).toEqual({ limit: 20, offset: 0, total: 1, has_more: false });
    // a member is not invited again
    expect((await team(owner, 'post', '/invitations').send({ email: 'ada@acme.test', role: 'viewer' }).expect(409)).body.error).toMatch(/already a member/);
  });

  it('admins invite admins and viewers, not owners; viewers invite nobody', async () => {
    expect((await team(admin, 'post', '/invitations').send({ email: 'boss@acme.test', role: 'owner' }).expect(403)).body.error).toBe('your role in this project is admin: it may not invite owners');
    await team(admin, 'post', '/invitations').send({ email: 'vic@acme.test', role: 'viewer' }).expect(201);
    t.clock.now = new Date(start.getTime() + 120_000);
    viewer = browserOf(await accept((await invitationTokenFor('vic@acme.test')).token, 'vic long password').expect(200));
    t.clock.now = start;
    expect((await team(viewer, 'post', '/invitations').send({ email: 'x@acme.test', role: 'viewer' }).expect(403)).body.error).toBe('your role in this project is viewer: it may not invite viewers');
    const members = (await team(viewer, 'get', '/members').expect(200)).body.data;
    expect(members.map((m: any) => [m.email, m.role])).toEqual([
      ['owner@acme.test', 'owner'],
      ['ada@acme.test', 'admin'],
      ['vic@acme.test', 'viewer'],
    ]);
  });

  it('a revoked or expired invitation cannot be accepted; a newer one replaces the pending one', async () => {
    const first = (await team(owner, 'post', '/invitations').send({ email: 'late@acme.test', role: 'viewer' }).expect(201)).body.data;
    const firstToken = (await invitationTokenFor('late@acme.test')).token;
    await team(viewer, 'delete', `/invitations/${first.id}`).expect(403);
    // an admin withdraws what an admin may issue, not an owner's invitation
    const ownerInvitation = (await team(owner, 'post', '/invitations').send({ email: 'partner@acme.test', role: 'owner' }).expect(201)).body.data;
    expect((await team(admin, 'delete', `/invitations/${ownerInvitation.id}`).expect(403)).body).toEqual({ success: false, error: 'your role in this project is admin: it may not revoke invitations of owners' });
    await team(owner, 'delete', `/invitations/${ownerInvitation.id}`).expect(204);
    await team(admin, 'delete', `/invitations/${first.id}`).expect(204);
    await team(owner, 'delete', `/invitations/${first.id}`).expect(404);
    await accept(firstToken, 'late long password').expect(404);

    await team(owner, 'post', '/invitations').send({ email: 'late@acme.test', role: 'viewer' }).expect(201);
    const replaced = (await invitationTokenFor('late@acme.test')).token;
    await team(owner, 'post', '/invitations').send({ email: 'late@acme.test', role: 'admin' }).expect(201);
    const newest = (await invitationTokenFor('late@acme.test')).token;
    await accept(replaced, 'late long password').expect(404);
    t.clock.now = days(7);
    expect((await accept(newest, 'late long password').expect(410)).body.error).toMatch(/expired/);
    t.clock.now = start;
    expect(await tdb.db.prisma.user.count({ where: { email: 'late@acme.test' } })).toBe(0);
  });

  it('an existing account joins another project with its own password, which the invitation does not change', async () => {
    // the owner of Acme makes Ada's account owner of Beta too (through the database: Beta has no dashboard owner yet)
    await tdb.db.prisma.projectMember.create({ data: { projectId: beta, userId: owner.userId, role: 'owner', createdAt: start } });
    t.clock.now = new Date(start.getTime() + 180_000);
    await team(owner, 'post', '/invitations', beta).send({ email: 'ada@acme.test', role: 'viewer' }).expect(201);
    const { token } = await invitationTokenFor('ada@acme.test');
    expect((await accept(token, 'not her password').expect(401)).body.error).toMatch(/already has a Refwire dashboard account/);
    const joined = (await accept(token, 'ada long password').expect(200)).body.data;
    expect(joined.memberships.map((m: any) => [m.project_name, m.role])).toEqual([
      ['Acme', 'admin'],
      ['Beta', 'viewer'],
    ]);
    t.clock.now = start;
    await signIn(t.app, 'ada@acme.test', 'ada long password');
  });

  it('only owners change roles and remove members; the last owner is never demoted or removed', async () => {
    const adaId = admin.userId;
    expect((await team(admin, 'patch', `/members/${viewer.userId}`).send({ role: 'admin' }).expect(403)).body.error).toMatch(/owners only/);
    await team(admin, 'delete', `/members/${viewer.userId}`).expect(403);
    expect((await team(owner, 'patch', `/members/${owner.userId}`).send({ role: 'admin' }).expect(409)).body.error).toBe('a project keeps at least one owner: make another member owner first');
    await team(owner, 'delete', `/members/${owner.userId}`).expect(409);
    await team(owner, 'patch', `/members/${adaId}`).send({ role: 'superuser' }).expect(400);
    await team(owner, 'patch', '/members/00000000-0000-4000-8000-000000000000').send({ role: 'admin' }).expect(404);

    const promoted = await team(owner, 'patch', `/members/${adaId}`).send({ role: 'owner' }).expect(200);
    expect(promoted.body.data).toMatchObject({ user_id: adaId, email: 'ada@acme.test', role: 'owner' });
    // two owners now: the first may step down
    await team(owner, 'patch', `/members/${owner.userId}`).send({ role: 'admin' }).expect(200);
    await team(owner, 'patch', `/members/${owner.userId}`).send({ role: 'owner' }).expect(403);
    await team(admin, 'patch', `/members/${owner.userId}`).send({ role: 'owner' }).expect(200);

    // a removed member's session opens this project no more
    await asBrowser(t.app, viewer, 'get', '/api/v1/affiliates', acme).expect(200);
    await team(owner, 'delete', `/members/${viewer.userId}`).expect(204);
    await asBrowser(t.app, viewer, 'get', '/api/v1/affiliates', acme).expect(403);
    await team(viewer, 'get', '/members').expect(404);
    expect((await team(owner, 'get', '/members').expect(200)).body.data.map((m: any) => m.email)).toEqual(['owner@acme.test', 'ada@acme.test']);
  });

  it('API keys: shown once on creation, listed by prefix, revoked; viewers only read the list', async () => {
    const created = (await team(owner, 'post', '/api-keys').send({ name: 'backend' }).expect(201)).body.data;
    expect(created).toMatchObject({ name: 'backend', prefix: created.api_key.slice(0, 10), revoked_at: null });
    await request(t.app).get('/api/v1/affiliates').set('Authorization', `Bearer ${created.api_key}`).expect(200);
    const listed = (await team(owner, 'get', '/api-keys').expect(200)).body.data;
    expect(listed.map((k: any) => k.name)).toEqual(['default', 'backend']);
    expect(JSON.stringify(listed)).not.toContain(created.api_key);
    expect(listed.every((k: any) => !('api_key' in k))).toBe(true);

    const betaViewer = await signIn(t.app, 'ada@acme.test', 'ada long password');
    await team(betaViewer, 'get', '/api-keys', beta).expect(200);
    expect((await team(betaViewer, 'post', '/api-keys', beta).send({}).expect(403)).body.error).toBe('your role in this project is viewer: it may not manage API keys');

    await team(owner, 'delete', `/api-keys/${created.id}`).expect(204);
    await request(t.app).get('/api/v1/affiliates').set('Authorization', `Bearer ${created.api_key}`).expect(401);
    await team(owner, 'delete', `/api-keys/${created.id}`).expect(404);
    // another project's key is not this project's to revoke
    const betaKey = (await team(owner, 'post', '/api-keys', beta).send({}).expect(201)).body.data;
    await team(owner, 'delete', `/api-keys/${betaKey.id}`).expect(404);
  });

  it("a project the user is not a member of is answered as if it did not exist", async () => {
    const gamma = (await createProjectViaApi(t.app, 'Gamma')).id;
    for (const path of ['/members', '/invitations', '/api-keys']) {
      expect((await team(owner, 'get', path, gamma).expect(404)).body).toEqual({ success: false, error: 'project not found (or you are not a member of it)' });
    }
    await team(owner, 'post', '/invitations', gamma).send({ email: 'x@y.test', role: 'owner' }).expect(404);
    await team(owner, 'get', '/members', 'not-a-uuid').expect(404);
    await request(t.app).get(`/api/dashboard/projects/${acme}/members`).expect(401);
    // a write without the CSRF token is refused before anything else
    expect((await request(t.app).post(`/api/dashboard/projects/${acme}/invitations`).set('Cookie', owner.cookie).send({ email: 'x@y.test', role: 'viewer' }).expect(403)).body.error).toMatch(/CSRF/);
  });

  it('the set-up password still signs the owner in', async () => {
    await signIn(t.app, 'owner@acme.test', PASSWORD);
  });
  it('without a mail server, whoever invites is given the one-time link to pass on, and it works', async () => {
    const kept = buildTestApp(tdb.db, { runner: false });
    const gamma = (await createProjectViaApi(kept.app, 'Gamma')).id;
    await tdb.db.prisma.projectMember.create({ data: { projectId: gamma, userId: owner.userId, role: 'owner', createdAt: start } });
    const created = (await asBrowser(kept.app, owner, 'post', `/api/dashboard/projects/${gamma}/invitations`).send({ email: 'kim@acme.test', role: 'viewer' }).expect(201)).body.data;
    expect(created.accept_url).toMatch(/^https:\/\/refwire\.example\.com\/dashboard\/accept-invitation#token=rwinv_/);
    const token = decodeURIComponent(/#token=(.+)$/.exec(created.accept_url)![1]!);
    // before joining, the link's holder reads what it invites to
    const described = (await request(kept.app).post('/api/dashboard/invitations/describe').send({ token }).expect(200)).body.data;
    expect(described).toEqual({ email: 'kim@acme.test', project_name: 'Gamma', role: 'viewer', invited_by: 'owner@acme.test', expires_at: expect.any(String), account_exists: false });
    expect((await request(kept.app).post('/api/dashboard/invitations/describe').send({ token: 'rwinv_not-a-real-token' }).expect(404)).body.success).toBe(false);
    const joined = await request(kept.app).post('/api/dashboard/invitations/accept').send({ token, password: 'kim long password' }).expect(200);
    expect(joined.body.data.memberships).toEqual([expect.objectContaining({ project_id: gamma, role: 'viewer' })]);
    // the list never shows it
    const listed = (await asBrowser(kept.app, owner, 'get', `/api/dashboard/projects/${gamma}/invitations`).expect(200)).body.data;
    expect(listed[0]).not.toHaveProperty('accept_url');
    // used, it describes nothing more
    expect((await request(kept.app).post('/api/dashboard/invitations/describe').send({ token }).expect(404)).body.error).toMatch(/not valid/);
  });
});
