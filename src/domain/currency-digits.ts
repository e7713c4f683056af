/**
 * The digits of a currency's minor unit: what the providers count amounts in and what Refwire writes as major units
 * (`"8.00"` USD, `"800"` JPY, `"2.469"` KWD), for the server, the dashboard and the portal. ISO 4217's
 * exponents, kept here rather than read from ICU: ICU's currency digits are the ones it displays, and it shows
 * HUF, IDR, COP, PKR, IQD and others without decimals, while ISO 4217 and the providers (Stripe, Paddle, Lemon
 * Squeezy, Polar) count them in hundredths (thousandths for IQD): read through ICU, a HUF payout was exported
 * 100 times too large. Where Stripe counts a currency otherwise, its count wins, since its amounts arrive as they
 * are: MGA, which ISO gives 2 digits, has none here (Stripe counts whole ariary), and ISK, which ISO gives none,
 * has 2 (Stripe still counts hundredths of a króna, always a multiple of 100, so 500 ISK arrives as 50000).
 */
// Each ISO 4217 code whose minor unit is not two digits, followed by its digits: a three-letter window of this text
// is all letters only where a code starts, so only a whole code matches.
const NOT_TWO = 'BIF0CLP0DJF0GNF0JPY0KMF0KRW0MGA0PYG0RWF0UGX0UYI0VND0VUV0XAF0XOF0XPF0BHD3IQD3JOD3KWD3LYD3OMR3TND3CLF4UYW4';

/** Minor-unit digits of an ISO 4217 code: 2 for USD and HUF, 0 for JPY, 3 for KWD. */
export function minorUnitDigits(currency: string): number {
  const at = NOT_TWO.indexOf(currency.toUpperCase());
  return currency.length === 3 && at % 4 === 0 ? Number(NOT_TWO[at + 3]) : 2;
}

/**
 * "1234.50" for 123450n USD, "800" for 800n JPY: minor units written in major units with the currency's digits,
 * from the integer's text, never through a float (Refgrow's string form of money; the dashboard and the portal
 * show it through Intl, which formats a decimal string exactly).
 */
export function formatMajor(minor: bigint, currency: string): string {
  const exp = minorUnitDigits(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exp + 1, '0');
  const cut = digits.length - exp;
  return `${negative ? '-' : ''}${digits.slice(0, cut)}${exp ? `.${digits.slice(cut)}` : ''}`;
}
