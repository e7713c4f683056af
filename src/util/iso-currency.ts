/** ISO 4217 codes as ICU knows them, upper case (their minor-unit digits: src/domain/currency-digits.ts). */
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isIsoCurrency(code: string): boolean {
  return ISO_CURRENCIES.has(code);
}
