import { z } from 'zod';
import { normalizedBic, normalizedIban } from '../util/iban';
import { mailboxField } from './fields';

/** How an affiliate is paid (PRODUCT.md §8, issue 8): the affiliate's preference and each payout's method. */
export const PAYOUT_METHODS = ['paypal', 'wise', 'bank_transfer', 'manual'] as const;
export type PayoutMethod = (typeof PAYOUT_METHODS)[number];

/**
 * A bank account to pay by transfer, as the affiliate (the portal) and the merchant (an affiliate's
 * `payout_details.bank`) both give it: the IBAN's ISO 13616 check digits and the BIC's form checked, both stored
 * normalized (upper case, no spaces), as a payout batch's Wise file writes them.
 */
export const bankField = z
  .object({
    account_holder: z.string().trim().min(1).max(200),
    iban: z.string().max(64).transform((v, ctx) => normalizedIban(v) ?? (ctx.addIssue({ code: 'custom', message: 'not a valid IBAN (its country, length or check digits do not match)' }), z.NEVER)),
    bic: z
      .string()
      .max(16)
      .transform((v, ctx) => normalizedBic(v) ?? (ctx.addIssue({ code: 'custom', message: 'not a valid BIC (8 or 11 letters and digits)' }), z.NEVER))
      .optional(),
  })
  .strict();

/**
 * Where PayPal or Wise sends the money. An address may begin with "-" or "+", but a batch file's cell beginning so
 * is one a spreadsheet runs as a formula, and the export guards it with a leading quote that no payment provider
 * can pay: such an address is refused when given, not written unpayable into a file.
 */
export const payoutEmailField = mailboxField.refine((email) => !/^[=+\-@]/.test(email), {
  message: 'must not begin with "=", "+", "-" or "@" (a spreadsheet would read the batch file\'s cell as a formula)',
});
