import { formatMajor } from '../domain/currency-digits';

/** The emails Refwire writes (PRODUCT.md §12, §13, §14). */
export const EMAIL_TEMPLATES = [
  'one_time_code',
  'application_received',
  'application_approved',
  'application_rejected',
  'affiliate_suspended',
  'affiliate_reactivated',
  'payout_completed',
  'user_invitation',
  'password_reset',
] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

/** What each template needs. Everything here is data: it is escaped in the HTML, never taken as markup. */
export type TemplateData = {
  /** the 6-digit code the caller generated, valid `validMinutes` (10 unless said) */
  one_time_code: { projectName: string; code: string; purpose: 'application' | 'sign_in'; validMinutes?: number };
  /** to the merchant: someone applied to the program */
  application_received: {
    projectName: string;
    applicantName: string;
    applicantEmail: string;
    website?: string | null;
    message?: string | null;
    /** what the checks noticed (a disposable address, a duplicate application), shown, never blocking */
    flags?: readonly string[];
    /** where the merchant reviews it, when there is such a page */
    reviewUrl?: string | null;
    /** the project's auto_approve made the applicant an active affiliate already: nothing waits for review */
    autoApproved?: boolean;
  };
  application_approved: { projectName: string; affiliateName?: string | null; referralCode: string; referralLink?: string | null; portalUrl?: string | null };
  /** member: the affiliate was in the program (active, inactive or suspended), not an applicant, when turned away */
  application_rejected: { projectName: string; affiliateName?: string | null; reason: string | null; member?: boolean };
  /** earns nothing from now on and payouts wait; what was earned before stays theirs */
  affiliate_suspended: { projectName: string; affiliateName?: string | null; reason: string | null };
  affiliate_reactivated: { projectName: string; affiliateName?: string | null; referralCode: string; portalUrl?: string | null };
  payout_completed: {
    projectName: string;
    affiliateName?: string | null;
    amountMinor: bigint;
    currency: string;
    /** the payment's reference (a PayPal or bank transfer id), when the merchant gave one */
    reference: string | null;
    portalUrl?: string | null;
  };
  /** to someone invited to a project's dashboard: the link carries the one-time token */
  user_invitation: { projectName: string; inviterEmail: string; role: string; acceptUrl: string; validDays: number };
  /** to a dashboard user who asked to reset their password: the link carries the one-time token */
  password_reset: { resetUrl: string; validMinutes: number };
};

export type RenderedEmail = { subject: string; text: string; html: string };

/** Text safe inside HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A subject is one header line: no line breaks, no control characters, a sane length. */
function subjectLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** One line of text (names, codes): line breaks would let a value forge the layout of a plain-text email. */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** Only http(s) URLs become links. */
function safeUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** The pieces an email is made of; `text` and `html` are rendered from the same list, so they say the same. */
type Block =
  | { kind: 'p'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'quote'; text: string }
  | { kind: 'fields'; rows: [label: string, value: string][] }
  | { kind: 'link'; label: string; url: string };

function greeting(name: string | null | undefined): Block {
  return { kind: 'p', text: name && oneLine(name) ? `Hello ${oneLine(name)},` : 'Hello,' };
}

function linkBlock(label: string, url: string | null | undefined): Block[] {
  const safe = safeUrl(url);
  return safe ? [{ kind: 'link', label, url: safe }] : [];
}

function toText(blocks: Block[]): string {
  const parts = blocks.map((b) => {
    switch (b.kind) {
      case 'p':
        return b.text;
      case 'code':
        return `    ${b.text}`;
      case 'quote':
        return b.text
          .split(/\r?\n/)
          .map((l) => `> ${l}`)
          .join('\n');
      case 'fields':
        return b.rows.map(([k, v]) => `${k}: ${v}`).join('\n');
      case 'link':
        return `${b.label}: ${b.url}`;
    }
  });
  return `${parts.join('\n\n')}\n`;
}

const STYLE = {
  body: 'margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2328;',
  card: 'max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px;line-height:1.5;',
  code: 'font-size:28px;font-weight:700;letter-spacing:6px;font-family:Menlo,Consolas,monospace;margin:16px 0;',
  quote: 'margin:0;padding:8px 12px;border-left:3px solid #d0d7de;color:#57606a;white-space:pre-wrap;',
  th: 'text-align:left;padding:2px 12px 2px 0;color:#57606a;font-weight:normal;vertical-align:top;',
  link: 'display:inline-block;padding:8px 16px;background:#1f6feb;color:#ffffff;border-radius:6px;text-decoration:none;',
  footer: 'max-width:560px;margin:12px auto 0;color:#8c959f;font-size:12px;text-align:center;',
};

function toHtml(subject: string, blocks: Block[], footer: string): string {
  const body = blocks
    .map((b) => {
      switch (b.kind) {
        case 'p':
          return `<p>${escapeHtml(b.text)}</p>`;
        case 'code':
          return `<p style="${STYLE.code}">${escapeHtml(b.text)}</p>`;
        case 'quote':
          return `<blockquote style="${STYLE.quote}">${escapeHtml(b.text)}</blockquote>`;
        case 'fields':
          return `<table role="presentation">${b.rows.map(([k, v]) => `<tr><th style="${STYLE.th}">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
        case 'link':
          return `<p><a href="${escapeHtml(b.url)}" style="${STYLE.link}">${escapeHtml(b.label)}</a></p>`;
      }
    })
    .join('\n');
  return [
    '<!doctype html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>`,
    `<body style="${STYLE.body}">`,
    `<div style="${STYLE.card}">`,
    body,
    '</div>',
    `<p style="${STYLE.footer}">${escapeHtml(footer)}</p>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function compose(subject: string, blocks: Block[], footer: string): RenderedEmail {
  const line = subjectLine(subject);
  return { subject: line, text: `${toText(blocks)}\n-- \n${footer}\n`, html: toHtml(line, blocks, footer) };
}

type Renderers = { [T in EmailTemplate]: (data: TemplateData[T]) => RenderedEmail };

const RENDER: Renderers = {
  one_time_code(d) {
    if (!/^\d{6}$/.test(d.code)) throw new Error('one_time_code: the code must be 6 digits');
    const minutes = d.validMinutes ?? 10;
    const project = oneLine(d.projectName);
    const what = d.purpose === 'application' ? `confirm your application to the ${project} affiliate program` : `sign in to your ${project} affiliate dashboard`;
    return compose(
      `${d.code} is your ${project} verification code`,
      [
        { kind: 'p', text: 'Hello,' },
        { kind: 'p', text: `Enter this code to ${what}:` },
        { kind: 'code', text: d.code },
        { kind: 'p', text: `It is valid for ${minutes} minutes and can be used once.` },
        { kind: 'p', text: 'If you did not ask for it, you can ignore this email: nothing happens without the code.' },
      ],
      `${project} affiliate program`,
    );
  },

  application_received(d) {
    const project = oneLine(d.projectName);
    const applicant = oneLine(d.applicantName);
    const rows: [string, string][] = [
      ['Name', applicant],
      ['Email', oneLine(d.applicantEmail)],
      ...(d.website ? [['Website', oneLine(d.website)] as [string, string]] : []),
      ...(d.flags && d.flags.length > 0 ? [['Flags', d.flags.map(oneLine).join(', ')] as [string, string]] : []),
    ];
    return compose(
      d.autoApproved ? `New affiliate for ${project}: ${applicant}` : `New affiliate application for ${project}: ${applicant}`,
      [
        {
          kind: 'p',
          text: d.autoApproved
            ? `Someone applied to the ${project} affiliate program, confirmed their email address and was approved at once: the program approves applications automatically (auto_approve).`
            : `Someone applied to the ${project} affiliate program and confirmed their email address.`,
        },
        { kind: 'fields', rows },
        ...(d.message ? [{ kind: 'p', text: 'Their message:' } as Block, { kind: 'quote', text: d.message.trim() } as Block] : []),
        {
          kind: 'p',
          text: d.autoApproved
            ? 'They can sign in and share their link now. To stop them earning, suspend them from the dashboard or the API (POST /api/v1/affiliates/:email/suspend).'
            : 'Approve or reject the application from the dashboard or the API (POST /api/v1/affiliates/:email/approve or /reject).',
        },
        ...linkBlock(d.autoApproved ? 'See the affiliate' : 'Review the application', d.reviewUrl),
      ],
      `Refwire, for the ${project} affiliate program`,
    );
  },

  application_approved(d) {
    const project = oneLine(d.projectName);
    return compose(
      `You're in: your ${project} affiliate application was approved`,
      [
        greeting(d.affiliateName),
        { kind: 'p', text: `Your application to the ${project} affiliate program was approved. Welcome aboard!` },
        { kind: 'fields', rows: [['Your referral code', oneLine(d.referralCode)]] },
        ...linkBlock('Your referral link', d.referralLink),
        ...linkBlock('Open your affiliate dashboard', d.portalUrl),
      ],
      `${project} affiliate program`,
    );
  },

  application_rejected(d) {
    const project = oneLine(d.projectName);
    return compose(
      d.member ? `Your ${project} affiliate account was closed` : `Your ${project} affiliate application`,
      [
        greeting(d.affiliateName),
        d.member
          ? { kind: 'p', text: `Your account in the ${project} affiliate program was closed. Sales referred from now on earn no commission, and you can no longer sign in to the affiliate dashboard.` }
          : { kind: 'p', text: `Thank you for applying to the ${project} affiliate program. We are not able to approve your application.` },
        ...(d.reason && d.reason.trim() ? [{ kind: 'p', text: 'The reason given:' } as Block, { kind: 'quote', text: d.reason.trim() } as Block] : []),
      ],
      `${project} affiliate program`,
    );
  },

  affiliate_suspended(d) {
    const project = oneLine(d.projectName);
    return compose(
      `Your ${project} affiliate account was suspended`,
      [
        greeting(d.affiliateName),
        { kind: 'p', text: `Your account in the ${project} affiliate program was suspended. Sales referred from now on earn no commission, and payouts are paused until it is reactivated. What you earned before stays yours.` },
        ...(d.reason && d.reason.trim() ? [{ kind: 'p', text: 'The reason given:' } as Block, { kind: 'quote', text: d.reason.trim() } as Block] : []),
        { kind: 'p', text: 'Reply to this email if you think this is a mistake.' },
      ],
      `${project} affiliate program`,
    );
  },

  affiliate_reactivated(d) {
    const project = oneLine(d.projectName);
    return compose(
      `Your ${project} affiliate account is active again`,
      [
        greeting(d.affiliateName),
        { kind: 'p', text: `Your account in the ${project} affiliate program is active again: sales you refer from now on earn commission, and payouts resume.` },
        { kind: 'fields', rows: [['Your referral code', oneLine(d.referralCode)]] },
        ...linkBlock('Open your affiliate dashboard', d.portalUrl),
      ],
      `${project} affiliate program`,
    );
  },

  payout_completed(d) {
    const project = oneLine(d.projectName);
    const amount = `${formatMajor(d.amountMinor, d.currency)} ${d.currency.toUpperCase()}`;
    return compose(
      `Your ${project} payout of ${amount} was sent`,
      [
        greeting(d.affiliateName),
        { kind: 'p', text: `Your affiliate payout from ${project} was sent.` },
        { kind: 'fields', rows: [['Amount', amount], ...(d.reference ? [['Reference', oneLine(d.reference)] as [string, string]] : [])] },
        ...linkBlock('See your payouts', d.portalUrl),
      ],
      `${project} affiliate program`,
    );
  },

  user_invitation(d) {
    const project = oneLine(d.projectName);
    const url = safeUrl(d.acceptUrl);
    if (!url) throw new Error('user_invitation: the link must be an http(s) URL');
    const article = /^[aeiou]/i.test(d.role) ? 'an' : 'a';
    return compose(
      `You're invited to the ${project} affiliate dashboard`,
      [
        { kind: 'p', text: 'Hello,' },
        { kind: 'p', text: `${oneLine(d.inviterEmail)} invited you to the ${project} affiliate program's dashboard on Refwire, as ${article} ${oneLine(d.role)}.` },
        { kind: 'link', label: 'Accept the invitation', url },
        { kind: 'p', text: `The link is valid for ${d.validDays} days and works once. If you have no Refwire account yet, you choose your password there.` },
        { kind: 'p', text: 'If you did not expect this invitation, you can ignore this email.' },
      ],
      `Refwire, for the ${project} affiliate program`,
    );
  },

  password_reset(d) {
    const url = safeUrl(d.resetUrl);
    if (!url) throw new Error('password_reset: the link must be an http(s) URL');
    return compose(
      'Reset your Refwire dashboard password',
      [
        { kind: 'p', text: 'Hello,' },
        { kind: 'p', text: 'Someone asked to reset the password of the Refwire dashboard account of this address. Choose a new password here:' },
        { kind: 'link', label: 'Choose a new password', url },
        { kind: 'p', text: `The link is valid for ${d.validMinutes} minutes and works once. Setting a new password signs every browser out of this account.` },
        { kind: 'p', text: 'If you did not ask for it, you can ignore this email: your password stays as it is.' },
      ],
      'Refwire',
    );
  },
};

/** The subject and the plain-text and HTML bodies of one email. */
export function renderEmail<T extends EmailTemplate>(template: T, data: TemplateData[T]): RenderedEmail {
  return (RENDER[template] as (d: TemplateData[T]) => RenderedEmail)(data);
}
