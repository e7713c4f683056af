/**
 * An IBAN as stored: upper case without spaces, when its shape and ISO 13616 check digits (mod 97) hold; else
 * null. The check digits catch every single mistyped character and nearly every swap of two, which is what a
 * person entering their account number gets wrong.
 */
export function normalizedIban(input: string): string | null {
  const iban = input.replace(/[\s-]+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return null;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const digits = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1 ? iban : null;
}

/** A BIC (ISO 9362): 8 or 11 characters, upper case; else null. */
export function normalizedBic(input: string): string | null {
  const bic = input.replace(/\s+/g, '').toUpperCase();
  return /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.test(bic) ? bic : null;
}
