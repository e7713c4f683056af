import { z } from 'zod';

const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** An ISO 4217 code, any case in, upper case out. */
export const currencyCode = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase())
  .refine((v) => ISO_CURRENCIES.has(v), { message: 'must be an ISO 4217 currency code such as "USD"' });
