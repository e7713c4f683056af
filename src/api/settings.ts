import { Router } from 'express';
import { z } from 'zod';
import { majorNumber } from '../commission/money';
import { formatMajor } from '../domain/currency-digits';
import type { Project, PrismaClient } from '../generated/prisma/client';
import { projectIdOf } from '../http/auth';
import { HttpError } from '../http/errors';
import { lockRules, recordRuleChange } from '../ledger/rule-versions';
import { projectRuleState } from '../projects/settings';
import { allowedDomainsField } from '../tracking/allowed-domains';
import { currencyCode } from './currency';
import { amountField, commissionTypeField, commissionValueField, mailboxField, moneyField, ruleColumns } from './fields';
import { commissionFields, commissionView } from '../views/present';
import { majorText, minor, ok } from './envelope';
import type { Operation } from './operation';

const patchBody = z
  .object({
    currency: currencyCode,
    commission_type: commissionTypeField,
    commission_value: commissionValueField,
    commission_duration: z.enum(['lifetime', 'first_payment', 'months']),
    commission_months: z.number().int().min(1).max(120).nullable(),
    hold_days: z.number().int().min(0).max(365),
    cookie_days: z.number().int().min(1).max(730),
    minimum_payout: moneyField,
    /** manual: each new commission waits as pending until approved or rejected */
    commission_review: z.enum(['auto', 'manual']),
    allowed_domains: allowedDomainsField,
    click_retention_days: z.number().int().min(1).max(3650),
    /** a verified application becomes an active affiliate at once (else pending, for the merchant to decide) */
    auto_approve: z.boolean(),
    /** where the merchant is emailed of each verified application; null: nobody */
    notification_email: mailboxField.nullable(),
  })
  .partial()
  .strict();

const settingsResponse = z
  .strictObject({
    currency: z.string(),
    ...commissionFields,
    commission_duration: z.enum(['lifetime', 'first_payment', 'months']),
    commission_months: z.number().int().nullable(),
    hold_days: z.number().int(),
    cookie_days: z.number().int(),
    commission_review: z.enum(['auto', 'manual']),
    minimum_payout: z.number().describe('major units'),
    minimum_payout_minor: minor,
    minimum_payout_formatted: majorText,
    allowed_domains: z.array(z.string()),
    click_retention_days: z.number().int(),
    auto_approve: z.boolean(),
    notification_email: z.string().nullable(),
  })
  .meta({ id: 'Settings' });

export function settingsView(p: Project) {
  return {
    currency: p.currency,
    ...commissionView(p, p.currency),
    commission_duration: p.commissionDuration,
    commission_months: p.commissionMonths,
    hold_days: p.holdDays,
    cookie_days: p.cookieDays,
    commission_review: p.commissionReview,
    minimum_payout: majorNumber(p.minimumPayoutMinor, p.currency),
    minimum_payout_minor: Number(p.minimumPayoutMinor),
    minimum_payout_formatted: formatMajor(p.minimumPayoutMinor, p.currency),
    allowed_domains: p.allowedDomains,
    click_retention_days: p.clickRetentionDays,
    auto_approve: p.autoApprove,
    notification_email: p.notificationEmail,
  };
}

/**
 * Amounts are kept in minor units of the project's currency, with no exchange rate to carry them into another: read
 * in the new one they changed by themselves (a minimum of 1000 JPY became 10.00 USD, a fixed 5.00 rule ¥500). So the
 * currency changes only with every amount still set restated in the same request (minimum_payout, the default rule's
 * commission_value) or none left: fixed amounts of groups, affiliates and product rules are the merchant's to change
 * or clear first.
 */
async function checkAmountsFollow(
  tx: Pick<PrismaClient, 'affiliate' | 'affiliateGroup' | 'productRule'>,
  project: Project,
  currency: string,
  body: { minimum_payout?: unknown; commission_type?: string; commission_value?: unknown },
): Promise<void> {
  const kept: string[] = [];
  if (project.minimumPayoutMinor > 0n && body.minimum_payout === undefined) kept.push(`minimum_payout ${formatMajor(project.minimumPayoutMinor, project.currency)}`);
  const stillFixed = (body.commission_type ?? project.commissionType) === 'fixed';
  if (project.commissionType === 'fixed' && stillFixed && body.commission_value === undefined) {
    kept.push(`commission_value ${formatMajor(project.commissionAmountMinor ?? 0n, project.currency)}`);
  }
  const fixed = { projectId: project.id, commissionType: 'fixed' };
  const [affiliates, groups, products] = await Promise.all([tx.affiliate.count({ where: fixed }), tx.affiliateGroup.count({ where: fixed }), tx.productRule.count({ where: fixed })]);
  for (const [n, what] of [
    [affiliates, 'affiliate overrides'],
    [groups, 'groups'],
    [products, 'product rules'],
  ] as const) {
    if (n > 0) kept.push(`${n} ${what} with a fixed amount`);
  }
  if (kept.length > 0) {
    throw new HttpError(
      409,
      `currency: amounts are set in ${project.currency} (${kept.join('; ')}): give minimum_payout and commission_value in ${currency} in the same request, and change or clear the other fixed amounts first`,
    );
  }
}

/**
 * `/api/v1/settings`: the program's defaults. A change of the commission rule or duration applies to payments
 * that occur after it; the rule it replaces is kept as a version for the payments before (rule-versions.ts).
 */
export function settingsRouter(prisma: PrismaClient, clock: () => Date): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json(ok(settingsView(await prisma.project.findUniqueOrThrow({ where: { id: projectIdOf(req) } }))));
  });

  router.patch('/', async (req, res) => {
    const body = patchBody.parse(req.body ?? {});
    const projectId = projectIdOf(req);
    const updated = await prisma.$transaction(async (tx) => {
      await lockRules(tx, projectId);
      const project = await tx.project.findUniqueOrThrow({ where: { id: projectId } });
      const currency = body.currency ?? project.currency;
      if (currency !== project.currency && (await tx.conversion.count({ where: { projectId } })) > 0) {
        throw new HttpError(409, 'currency cannot change once conversions exist');
      }
      if (currency !== project.currency) await checkAmountsFollow(tx, project, currency, body);
      const data: Partial<Project> = { currency };
      if (body.commission_type !== undefined || body.commission_value !== undefined) {
        const current = commissionView(project, project.currency);
        // a percent is no money amount, nor the reverse: a new type takes a value of its own
        if (body.commission_type && body.commission_type !== current.commission_type && body.commission_value === undefined) {
          throw new HttpError(400, `commission_value: required to change commission_type from ${current.commission_type} to ${body.commission_type}`);
        }
        Object.assign(
          data,
          ruleColumns(body.commission_type ?? (current.commission_type as 'percentage' | 'fixed'), body.commission_value ?? current.commission_value, currency, false),
        );
      }
      const duration = body.commission_duration ?? project.commissionDuration;
      const months = body.commission_months !== undefined ? body.commission_months : project.commissionMonths;
      if (duration === 'months' && !months) throw new HttpError(400, 'commission_months: required when commission_duration is "months"');
      data.commissionDuration = duration;
      data.commissionMonths = duration === 'months' ? months : null;
      if (body.hold_days !== undefined) data.holdDays = body.hold_days;
      if (body.cookie_days !== undefined) data.cookieDays = body.cookie_days;
      if (body.commission_review !== undefined) data.commissionReview = body.commission_review;
      if (body.allowed_domains !== undefined) data.allowedDomains = body.allowed_domains;
      if (body.click_retention_days !== undefined) data.clickRetentionDays = body.click_retention_days;
      if (body.auto_approve !== undefined) data.autoApprove = body.auto_approve;
      if (body.notification_email !== undefined) data.notificationEmail = body.notification_email;
      if (body.minimum_payout !== undefined) {
        const minor = amountField('minimum_payout', body.minimum_payout, currency);
        if (minor < 0n) throw new HttpError(400, 'minimum_payout: must not be negative');
        data.minimumPayoutMinor = minor;
      }
      const row = await tx.project.update({ where: { id: projectId }, data });
      await recordRuleChange(tx, { projectId, scope: 'project', subjectId: '', before: projectRuleState(project), after: projectRuleState(row), at: clock() });
      return row;
    });
    res.json(ok(settingsView(updated)));
  });

  return router;
}

export const settingsOperations: Operation[] = [
  { method: 'get', path: '/api/v1/settings', tag: 'Settings', access: 'api_key', summary: "The program's defaults", response: settingsResponse },
  { method: 'patch', path: '/api/v1/settings', tag: 'Settings', access: 'api_key', summary: "Change the program's defaults: a new commission rule or duration rates payments that occur from now on", body: patchBody, errors: [409], response: settingsResponse },
];
