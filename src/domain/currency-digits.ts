/**
 * The digits of a currency's minor unit: what the providers count amounts in and what Refwire writes as major units
 * (`"8.00"` USD, `"800"` JPY, `"2.469"` KWD), for the server and the dashboard. ISO 4217's
 * exponents, kept here rather than read from ICU: ICU's currency digits are the ones it displays, and it shows
 * HUF, IDR, COP, PKR, IQD and others without decimals, while ISO 4217 and the providers (Stripe, Paddle, Lemon
 * Squeezy, Polar) count them in hundredths (thousandths for IQD): read through ICU, a HUF payout was exported
 * 100 times too large. Where Stripe counts a currency otherwise, its count wins, since its amounts arrive as they
 * are: MGA, which ISO gives 2 digits, has none here (Stripe counts whole ariary), and ISK, which ISO gives none,
 * has 2 (Stripe still counts hundredths of a króna, always a multiple of 100, so 500 ISK arrives as 50000).
 */
// Each ISO 4217 code whose minor unit is not two digits, followed by its digits (only a match at a code's place
// counts). The affiliate portal still reads ICU's digits: this table does not yet fit its 60 KB budget.
const NOT_TWO = 'BIF0CLP0DJF0GNF0JPY0KMF0KRW0MGA0PYG0RWF0UGX0UYI0VND0VUV0XAF0XOF0XPF0BHD3IQD3JOD3KWD3LYD3OMR3TND3CLF4UYW4';

/** Minor-unit digits of an ISO 4217 code: 2 for USD and HUF, 0 for JPY, 3 for KWD. */
export function minorUnitDigits(currency: string): number {
  const at = NOT_TWO.indexOf(currency.toUpperCase());
  return currency.length === 3 && at % 4 === 0 ? Number(NOT_TWO[at + 3]) : 2;
}
