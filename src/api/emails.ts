import { Router, type Request } from 'express';
import { canWrite } from '../access/roles';
import { z } from 'zod';
import { EMAIL_STATUSES } from '../email/outbox';
import { EMAIL_TEMPLATES } from '../email/templates';
import type { Email, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { instant, ok, page, paginationQuery, uuid } from './envelope';
import { emailField, idFromPath } from './fields';
import type { Operation } from './operation';

const listQuery = z.object({
  ...paginationQuery,
  status: z.enum(EMAIL_STATUSES).optional(),
  to: emailField.optional(),
  template: z.enum(EMAIL_TEMPLATES).optional(),
});

const emailResponse = z
  .strictObject({
    id: uuid,
    to: z.string(),
    template: z.string().describe(EMAIL_TEMPLATES.join(' | ')),
    subject: z.string(),
    status: z.enum(EMAIL_STATUSES),
    attempts: z.number().int(),
    next_attempt_at: instant.nullable(),
    last_error: z.string().nullable(),
    sent_at: instant.nullable(),
    message_id: z.string().nullable(),
    smtp_response: z.string().nullable(),
    created_at: instant,
  })
  .meta({ id: 'Email' });

/**
 * A sign-in or application code lets whoever reads it act as that affiliate in the portal (change their payout
 * details, request payouts): who may only read the project (a viewer) reads that such an email was sent, not its
 * code. An API key and owners and admins, who can mint the affiliate an embed token anyway, read it whole.
 */
const CODE_TEMPLATES: readonly string[] = ['one_time_code'];
const mayReadCodes = (req: Request) => req.projectRole === undefined || canWrite(req.projectRole);
const hidesCode = (req: Request, e: Email) => CODE_TEMPLATES.includes(e.template) && !mayReadCodes(req);
const HIDDEN_SUBJECT = 'Verification code (hidden: your role may read the project, not act for its affiliates)';

function emailView(e: Email, hidden = false) {
  return {
    id: e.id,
    to: e.toAddress,
    template: e.template,
    subject: hidden ? HIDDEN_SUBJECT : e.subject,
    status: e.status,
    attempts: e.attempts,
    next_attempt_at: e.nextAttemptAt?.toISOString() ?? null,
    last_error: e.lastError,
    sent_at: e.sentAt?.toISOString() ?? null,
    message_id: e.messageId,
    smtp_response: e.smtpResponse,
    created_at: e.createdAt.toISOString(),
  };
}

/**
 * `/api/v1/emails`: the project's email outbox (docs/email.md), newest first. Without SMTP_URL this is where the
 * emails are read (status `kept`); with it, what was sent and what failed. The list leaves the bodies out; one
 * email has them. Operator mail (no project) is never listed.
 */
export function emailsRouter(prisma: PrismaClient): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const where = {
      projectId: projectIdOf(req),
      ...(q.status ? { status: q.status } : {}),
      ...(q.template ? { template: q.template } : {}),
      // stored lowercased (queueEmail), and emailField lowercases: plain equality (Prisma's case-insensitive
      // equals is an ILIKE, where `_` and `%` would match other addresses)
      ...(q.to ? { toAddress: q.to } : {}),
    };
    const [rows, total] = await Promise.all([
      prisma.email.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: q.offset, take: q.limit }),
      prisma.email.count({ where }),
    ]);
    res.json(page(rows.map((e) => emailView(e, hidesCode(req, e))), q.limit, q.offset, total));
  });

  router.get('/:id', async (req, res) => {
    const row = await prisma.email.findFirst({ where: { projectId: projectIdOf(req), id: idFromPath(req.params.id, 'email') } });
    if (!row) throw new HttpError(404, 'email not found');
    const hidden = hidesCode(req, row);
    res.json(ok({ ...emailView(row, hidden), text: hidden ? null : row.textBody, html: hidden ? null : row.htmlBody }));
  });

  return router;
}

export const emailOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/emails',
    tag: 'Emails',
    access: 'api_key',
    summary: "The project's email outbox, newest first (without the bodies)",
    description:
      'status: pending (to be sent), sent, failed (every attempt failed, or the server refused it), kept (no SMTP_URL: ' +
      'recorded here, never sent). to: the recipient, exactly (case-insensitive).',
    query: listQuery,
    answer: 'list',
    response: emailResponse,
  },
  {
    method: 'get',
    path: '/api/v1/emails/{id}',
    tag: 'Emails',
    access: 'api_key',
    summary: 'One email with its subject, plain-text and HTML bodies, and what became of it',
    description: "A sign-in or application code (template one_time_code) is hidden from a dashboard viewer: its subject says so, and text and html are null.",
    response: z.strictObject({ ...emailResponse.shape, text: z.string().nullable(), html: z.string().nullable() }),
  },
];
