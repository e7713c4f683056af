import type { SqlSession } from '../db/sql';
import { renderEmail, type EmailTemplate, type TemplateData } from './templates';

/**
 * What an email row's status means:
 *  - `pending`: to be sent when `next_attempt_at` comes (a failed attempt sets the next one);
 *  - `sent`: the SMTP server accepted it (`sent_at`, `message_id`, `smtp_response`);
 *  - `failed`: every attempt failed, or the server refused the recipient or the message for good (`last_error`);
 *  - `kept`: no SMTP_URL was configured: recorded in the outbox, readable through the API, never sent.
 */
export const EMAIL_STATUSES = ['pending', 'sent', 'failed', 'kept'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** One email to queue: whose (null for the operator's own mail), to whom, and the template with its data. */
export type EmailToQueue = {
  [T in EmailTemplate]: { projectId: string | null; to: string; template: T; data: TemplateData[T] };
}[EmailTemplate];

const ADDRESS = /^[^\s<>@",;]+@[^\s<>@",;]+$/;

/**
 * Writes an email to the outbox in the caller's transaction, rendered now: it exists exactly when the change
 * that sends it committed, and it says what was true then (like the outbound webhooks of src/outbound/emit.ts).
 * The sender (src/email/sender.ts) delivers it, or marks it `kept` when no SMTP server is configured.
 * `at` is the caller's clock: the email is due then. The address is stored lowercased. Returns the email's id.
 */
export async function queueEmail(tx: SqlSession, email: EmailToQueue, at: Date): Promise<string> {
  // lowercased, as every address in Refwire is: the API filters on it exactly
  const to = email.to.trim().toLowerCase();
  if (!ADDRESS.test(to) || to.length > 320) throw new Error('queueEmail: the recipient must be one email address');
  const rendered = renderEmail(email.template, email.data);
  const [row] = await tx.query<{ id: string }>(
    `INSERT INTO emails (project_id, to_address, template, subject, text_body, html_body, status, next_attempt_at, created_at, updated_at)
     VALUES ($1::uuid, $2, $3, $4, $5, $6, 'pending', $7::timestamptz, $7::timestamptz, $7::timestamptz)
     RETURNING id`,
    [email.projectId, to, email.template, rendered.subject, rendered.text, rendered.html, at],
  );
  return row!.id;
}
