import { z } from 'zod';
import { isIsoCurrency } from '../util/iso-currency';

/** An ISO 4217 code, any case in, upper case out. */
export const currencyCode = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase())
  .refine(isIsoCurrency, { message: 'must be an ISO 4217 currency code such as "USD"' });
