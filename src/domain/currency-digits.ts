/**
 * The digits of a currency's minor unit: what the providers count amounts in and what Refwire writes as major units
 * (`"8.00"` USD, `"800"` JPY, `"2.469"` KWD), for the server, the dashboard and the portal alike. ISO 4217's
 * exponents, kept here rather than read from ICU: ICU's currency digits are the ones it displays, and it shows
 * HUF, IDR, COP, PKR, IQD and others without decimals, while ISO 4217 and the providers (Stripe, Paddle, Lemon
 * Squeezy, Polar) count them in hundredths (thousandths for IQD): read through ICU, a HUF payout was exported
 * 100 times too large. One deliberate difference: MGA, which ISO gives 2 digits, has none here, as Stripe
 * counts it in whole ariary.
 */
const ZERO = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
const FOUR = new Set(['CLF', 'UYW']);

/** Minor-unit digits of an ISO 4217 code (upper case): 2 for USD and HUF, 0 for JPY, 3 for KWD. */
export function minorUnitDigits(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO.has(code)) return 0;
  if (THREE.has(code)) return 3;
  if (FOUR.has(code)) return 4;
  return 2;
}
