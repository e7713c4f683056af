import { electronicFormatIBAN, isValidBIC, isValidIBAN } from 'ibantools';

/**
 * An IBAN as stored: upper case without spaces, when it is one under ISO 13616 — a country of the IBAN registry,
 * that country's length and account format, and the check digits (mod 97), which catch every single mistyped
 * character and nearly every swap of two — else null. The registry is ibantools'.
 */
export function normalizedIban(input: string): string | null {
  const iban = electronicFormatIBAN(input.replace(/-/g, ''));
  return iban && isValidIBAN(iban) ? iban : null;
}

/** A BIC (ISO 9362): 8 or 11 characters with a real country code, upper case; else null. */
export function normalizedBic(input: string): string | null {
  const bic = input.replace(/\s+/g, '').toUpperCase();
  return isValidBIC(bic) ? bic : null;
}
