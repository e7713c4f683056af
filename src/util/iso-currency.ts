/** ISO 4217 codes as ICU knows them (the same source currencyExponent() reads), upper case. */
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isIsoCurrency(code: string): boolean {
  return ISO_CURRENCIES.has(code);
}
