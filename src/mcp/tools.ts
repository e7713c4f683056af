import { z } from 'zod';
import { affiliateCreateBody, affiliateListQuery, affiliateUpdateBody } from '../api/affiliates';
import { conversionCreateBody, conversionListQuery, conversionUpdateBody } from '../api/conversions';
import { couponCreateBody, couponListQuery, couponUpdateBody } from '../api/coupons';
import { dailyQuery } from '../api/daily-report';
import { eventListQuery, eventReplayAllBody } from '../api/events';
import { emailField, minorAmountField, uuidField } from '../api/fields';
import { slugField } from '../api/links';
import { payoutBatchCreateBody } from '../api/payout-batches';
import { payoutCompleteBody, payoutCreateBody, payoutEligibleQuery, payoutFailBody, payoutListQuery } from '../api/payouts';
import { referralCreateBody, referralListQuery } from '../api/referrals';
import { reportHealthQuery, reportSummaryQuery } from '../api/reports';
import type { ApiCall } from './api-client';
import { listInput } from './pages';

/**
 * The MCP tools: Refgrow's 18 (`@refgrow/mcp`, under the same names and arguments), then Refwire's own. Each is
 * one REST call (a list asked for more than a page: one a page); its input schema is built from the zod schemas the
 * API validates that call with (exported by the api modules), made strict so an argument the API would not read is
 * refused by name instead of ignored.
 */
export type ToolDefinition = {
  name: string;
  description: string;
  input: z.ZodObject;
  annotations: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean };
  /** the REST call, from the arguments as the input schema parsed them */
  request(args: Record<string, unknown>): ApiCall;
  /** what the tool answers when the API answers 204 (a delete) */
  deleted?(args: Record<string, unknown>): string;
  /** a reason to refuse before calling anything, for an argument Refwire cannot honour */
  refuse?(args: Record<string, unknown>): string | null;
  /** a list: the API's page maximum, above which `limit` is read page after page (src/mcp/pages.ts) */
  paged?: number;
};

function tool<S extends z.ZodObject>(def: {
  name: string;
  description: string;
  input: S;
  annotations?: ToolDefinition['annotations'];
  request(args: z.output<S>): ApiCall;
  deleted?(args: z.output<S>): string;
  refuse?(args: z.output<S>): string | null;
  paged?: number;
}): ToolDefinition {
  return { ...def, input: def.input.strict(), annotations: def.annotations ?? {} } as unknown as ToolDefinition;
}

const READ = { readOnlyHint: true } as const;
const WRITE = { readOnlyHint: false, destructiveHint: false } as const;
const DELETE = { readOnlyHint: false, destructiveHint: true, idempotentHint: true } as const;

const enc = encodeURIComponent;
/** The parsed arguments without the path's key: what goes in the body or the query. */
function without<T extends Record<string, unknown>, K extends keyof T>(args: T, ...keys: K[]): Omit<T, K> {
  const rest = { ...args };
  for (const key of keys) delete rest[key];
  return rest;
}

const affiliateEmail = emailField.describe("the affiliate's email (its key in the API)");
const referralEmail = emailField.describe("the referred customer's email (its key in the API)");
const id = (what: string) => z.object({ id: uuidField.describe(`the ${what}'s id`) });

/**
 * Refgrow's partner slug has no field in Refwire: its short addresses are tracking links (`/r/<slug>`), which
 * also need the page they lead to. The argument is listed so a Refgrow client's call is answered with where to go.
 */
const partnerSlug = slugField
  .optional()
  .describe('Refgrow\'s partner slug. Not stored on the affiliate in Refwire: create a tracking link (/r/<slug>) with POST /api/v1/affiliates/{email}/links instead');
const partnerSlugRefused = (args: { partner_slug?: string }) =>
  args.partner_slug === undefined
    ? null
    : 'partner_slug: Refwire keeps no partner slug on an affiliate; its short addresses are tracking links (/r/<slug> to a page on the project\'s allowed_domains): POST /api/v1/affiliates/{email}/links with { "slug", "target_url" }';

export const REFGROW_TOOLS: readonly ToolDefinition[] = [
  tool({
    name: 'list_affiliates',
    description: 'List the project\'s affiliates with their clicks, signups, purchases and earnings (held, eligible, paid, per currency), oldest first. Filter by status; paginate with limit and offset.',
    ...listInput(affiliateListQuery),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/affiliates', query: args }),
  }),
  tool({
    name: 'get_affiliate_details',
    description: 'One affiliate by email, with its stats and earnings.',
    input: z.object({ email: affiliateEmail }),
    annotations: READ,
    request: ({ email }) => ({ method: 'GET', path: `/affiliates/${enc(email)}` }),
  }),
  tool({
    name: 'create_affiliate',
    description: 'Create an affiliate. referral_code is generated when left out; a commission override (commission_type with commission_value), a group and payout preferences are optional.',
    input: affiliateCreateBody.extend({ partner_slug: partnerSlug }),
    annotations: WRITE,
    refuse: partnerSlugRefused,
    request: (args) => ({ method: 'POST', path: '/affiliates', body: without(args, 'partner_slug') }),
  }),
  tool({
    name: 'update_affiliate',
    description: 'Change an affiliate found by its current email: new_email, referral_code, status, its commission override, group or payout preferences. Only the arguments given change.',
    input: affiliateUpdateBody.omit({ email: true }).extend({
      email: emailField.describe('the current email of the affiliate to change'),
      new_email: affiliateUpdateBody.shape.email.describe('its new email'),
      partner_slug: partnerSlug,
    }),
    annotations: WRITE,
    refuse: partnerSlugRefused,
    request: (args) => {
      const { email, new_email, ...rest } = without(args, 'partner_slug');
      return { method: 'PUT', path: `/affiliates/${enc(email)}`, body: { ...rest, ...(new_email !== undefined ? { email: new_email } : {}) } };
    },
  }),
  tool({
    name: 'delete_affiliate',
    description: 'Delete an affiliate by email. Refused (409) when it has earned commissions: the ledger keeps earned money; set its status to inactive instead.',
    input: z.object({ email: affiliateEmail }),
    annotations: DELETE,
    request: ({ email }) => ({ method: 'DELETE', path: `/affiliates/${enc(email)}` }),
    deleted: ({ email }) => `affiliate ${email} deleted`,
  }),
  tool({
    name: 'list_referrals',
    description: 'List referred customers (by email), oldest first. Filter by affiliate_id or status; paginate with limit and offset.',
    ...listInput(referralListQuery),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/referrals', query: args }),
  }),
  tool({
    name: 'get_referral_details',
    description: 'One referred customer by email.',
    input: z.object({ email: referralEmail }),
    annotations: READ,
    request: ({ email }) => ({ method: 'GET', path: `/referrals/${enc(email)}` }),
  }),
  tool({
    name: 'create_referral',
    description: "Record a referred customer by email, linked to an affiliate; that customer's payments are then attributed to it, those already received included.",
    input: referralCreateBody,
    annotations: WRITE,
    request: (args) => ({ method: 'POST', path: '/referrals', body: args }),
  }),
  tool({
    name: 'list_conversions',
    description: 'List conversions (signups, purchases, renewals, refunds), newest first, each with its commission, status and attribution. Filter by type or kind, affiliate_id, referred_user_id, paid, and a from/to period (ISO 8601); paginate with limit and offset.',
    ...listInput(conversionListQuery),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/conversions', query: args }),
  }),
  tool({
    name: 'get_conversion',
    description: 'One conversion by id, with its commission, status and attribution trace.',
    input: id('conversion'),
    annotations: READ,
    request: ({ id }) => ({ method: 'GET', path: `/conversions/${enc(id)}` }),
  }),
  tool({
    name: 'create_conversion',
    description: "Record a signup or purchase by hand. Name the affiliate by affiliate_id or referral_code. Without value, a purchase's commission is computed from base_value with the rules in force (affiliate, product, group, project). Amounts are in major units; a reference is unique in the project.",
    input: conversionCreateBody,
    annotations: WRITE,
    request: (args) => ({ method: 'POST', path: '/conversions', body: args }),
  }),
  tool({
    name: 'update_conversion',
    description:
      'Change a conversion: mark it paid or unpaid; on a conversion recorded by hand also its value, base_value, reference, referred_user_id or coupon_code_used. ' +
      'A conversion derived from provider events only changes paid. type and base_value_currency are fixed once recorded: the API refuses a change of them (400 naming the field); a field sent as the conversion shows it is no change.',
    // Refgrow's type and base_value_currency are taken and sent, so the caller hears the API's reason rather than "unrecognized key"
    input: conversionUpdateBody.extend({
      ...id('conversion').shape,
      type: z.enum(['signup', 'purchase']).optional().describe("Refgrow's new conversion type: a change is refused by the API, a conversion's type is fixed once recorded"),
      base_value_currency: z.string().optional().describe("Refgrow's new currency: a change is refused by the API, a conversion's currency is fixed once recorded"),
    }),
    annotations: WRITE,
    request: (args) => ({ method: 'PUT', path: `/conversions/${enc(args.id)}`, body: without(args, 'id') }),
  }),
  tool({
    name: 'delete_conversion',
    description: 'Delete a conversion recorded by hand. Conversions derived from provider events, and those in a payout, cannot be deleted.',
    input: id('conversion'),
    annotations: DELETE,
    request: ({ id }) => ({ method: 'DELETE', path: `/conversions/${enc(id)}` }),
    deleted: ({ id }) => `conversion ${id} deleted`,
  }),
  tool({
    name: 'list_coupons',
    description: "List coupons with their affiliate's email and referral code. Filter by status, affiliate_id, or part of coupon_code; paginate with limit and offset.",
    ...listInput(couponListQuery),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/coupons', query: args }),
  }),
  tool({
    name: 'get_coupon',
    description: 'One coupon by id.',
    input: id('coupon'),
    annotations: READ,
    request: ({ id }) => ({ method: 'GET', path: `/coupons/${enc(id)}` }),
  }),
  tool({
    name: 'create_coupon',
    description: "Link a coupon code to an affiliate, with the providers' own ids of it (stripe_coupon_id, lemonsqueezy_discount_code, paddle_discount_id, polar_discount_id) so a payment that used it is attributed to that affiliate.",
    input: couponCreateBody,
    annotations: WRITE,
    request: (args) => ({ method: 'POST', path: '/coupons', body: args }),
  }),
  tool({
    name: 'update_coupon',
    description: "Change a coupon's code, affiliate, provider ids (null removes one) or status.",
    input: couponUpdateBody.extend(id('coupon').shape),
    annotations: WRITE,
    request: (args) => ({ method: 'PUT', path: `/coupons/${enc(args.id)}`, body: without(args, 'id') }),
  }),
  tool({
    name: 'delete_coupon',
    description: 'Delete a coupon from Refwire (the coupon in the payment provider is left as it is).',
    input: id('coupon'),
    annotations: DELETE,
    request: ({ id }) => ({ method: 'DELETE', path: `/coupons/${enc(id)}` }),
    deleted: ({ id }) => `coupon ${id} deleted`,
  }),
];

/** Beyond Refgrow: the event log and replay, payouts, reports and the ledger check. */
export const REFWIRE_TOOLS: readonly ToolDefinition[] = [
  tool({
    name: 'list_events',
    description: "The webhook event log, newest first: each provider event's type and processing status. Filter by provider, status, type and a from/to period of receipt.",
    ...listInput(eventListQuery),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/events', query: args }),
  }),
  tool({
    name: 'get_event',
    description: 'One webhook event: its payload, status, and the conversions it produced with their attribution trace (why an affiliate was, or was not, credited).',
    input: id('event'),
    annotations: READ,
    request: ({ id }) => ({ method: 'GET', path: `/events/${enc(id)}` }),
  }),
  tool({
    name: 'replay_event',
    description: 'Process a stored webhook event again, for instance after fixing a referral or a coupon. Every effect is keyed, so a replay never doubles a commission.',
    input: id('event'),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    request: ({ id }) => ({ method: 'POST', path: `/events/${enc(id)}/replay` }),
  }),
  tool({
    name: 'replay_failed_events',
    description: 'Process every failed webhook event again (of one provider, or all), oldest first, up to limit a call; answers how each ended and how many remain. Never doubles a commission.',
    input: eventReplayAllBody,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    request: (args) => ({ method: 'POST', path: '/events/replay', body: args }),
  }),
  tool({
    name: 'list_payouts',
    description: 'List payouts, newest first. Filter by status (pending, completed, failed) and affiliate_id.',
    ...listInput(payoutListQuery),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/payouts', query: args }),
  }),
  tool({
    name: 'get_payout',
    description: 'One payout with the conversions it pays.',
    input: id('payout'),
    annotations: READ,
    request: ({ id }) => ({ method: 'GET', path: `/payouts/${enc(id)}` }),
  }),
  tool({
    name: 'create_payout',
    description: "Take an affiliate's whole eligible balance in one currency into a pending payout. Refused when nothing is eligible or the balance is below minimum_payout.",
    input: payoutCreateBody,
    annotations: WRITE,
    request: (args) => ({ method: 'POST', path: '/payouts', body: args }),
  }),
  tool({
    name: 'approve_payout',
    description: "Approve an affiliate's payout request: it stays pending until completed or failed. A payout the merchant made was approved when made.",
    input: id('payout'),
    annotations: WRITE,
    request: ({ id }) => ({ method: 'POST', path: `/payouts/${enc(id)}/approve`, body: {} }),
  }),
  tool({
    name: 'complete_payout',
    description: "Mark a pending payout as sent, with the transfer's reference: its conversions become paid.",
    input: payoutCompleteBody.extend(id('payout').shape),
    annotations: WRITE,
    request: (args) => ({ method: 'POST', path: `/payouts/${enc(args.id)}/complete`, body: without(args, 'id') }),
  }),
  tool({
    name: 'fail_payout',
    description: 'Mark a pending payout as failed, with a reason: its conversions are eligible again.',
    input: payoutFailBody.extend(id('payout').shape),
    annotations: WRITE,
    request: (args) => ({ method: 'POST', path: `/payouts/${enc(args.id)}/fail`, body: without(args, 'id') }),
  }),
  tool({
    name: 'list_eligible_payouts',
    description: 'What is payable now, per affiliate and currency: the eligible amount, whether it reaches the minimum (and why not), and whether the payout details are there.',
    // the route reads the minimum from the query's text; as a tool argument it is the JSON integer the batch takes
    ...listInput(payoutEligibleQuery.extend({ minimum_minor: minorAmountField.optional() })),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/payouts/eligible', query: args }),
  }),
  tool({
    name: 'create_payout_batch',
    description: "Take every active affiliate's whole eligible balance that reaches the minimum into one pending payout each, grouped in a batch (for a PayPal or Wise bulk file). Refused when nothing is payable.",
    input: payoutBatchCreateBody,
    annotations: WRITE,
    request: (args) => ({ method: 'POST', path: '/payout-batches', body: args }),
  }),
  tool({
    name: 'get_payout_batch',
    description: "A payout batch with its lines (affiliate, amount, method, status) and the lines missing payout details.",
    input: id('payout batch'),
    annotations: READ,
    request: ({ id }) => ({ method: 'GET', path: `/payout-batches/${enc(id)}` }),
  }),
  tool({
    name: 'get_report_summary',
    description: "The program over a from/to period: clicks, signups, purchases, refunds, revenue and commission per currency, and the top affiliates.",
    // numbers only, as the schema the tools list says: the route's own query coerces the text of a URL ("5", [7])
    input: reportSummaryQuery.extend({ top: z.number().int().min(1).max(100).default(10).describe('how many top affiliates, 1 to 100') }),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/reports/summary', query: args }),
  }),
  tool({
    name: 'get_daily_report',
    description: 'Day by day (UTC) clicks, signups, purchases, revenue and commission, for the project or one affiliate_id; from and to are whole days (YYYY-MM-DD), to excluded.',
    input: dailyQuery,
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/reports/daily', query: args }),
  }),
  tool({
    name: 'get_health',
    description: 'What needs attention now: failed webhook events and failing or given-up outbound deliveries, in total and in the last 24 hours, with the newest of each.',
    input: reportHealthQuery.extend({ newest: z.number().int().min(0).max(50).default(5).describe('how many of the newest failures of each kind, 0 to 50') }),
    annotations: READ,
    request: (args) => ({ method: 'GET', path: '/reports/health', query: args }),
  }),
  tool({
    name: 'verify_ledger',
    description: "Check the ledger's invariants (balances, refunds, payouts); each failed check lists the rows that break it.",
    input: z.object({}),
    annotations: READ,
    request: () => ({ method: 'GET', path: '/ledger/verify' }),
  }),
];

export const TOOLS: readonly ToolDefinition[] = [...REFGROW_TOOLS, ...REFWIRE_TOOLS];
