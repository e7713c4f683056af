import { money } from '../../web/portal/format';

/**
 * The widget shows amounts with the currency's ISO 4217 decimals (src/domain/currency-digits.ts, as the API and the
 * dashboard do), not with the digits Intl shows by default, which drop HUF's and IQD's.
 */
describe("the portal's money", () => {
  it.each([
    ['200050', 'HUF', 'HUF\u00a02,000.50'],
    [6170, 'IQD', 'IQD\u00a06.170'],
    [389_700, 'ISK', 'ISK\u00a03,897.00'],
    [1234, 'JPY', '¥1,234'],
    [2469, 'KWD', 'KWD\u00a02.469'],
    ['900719925474099312', 'USD', '$9,007,199,254,740,993.12'],
    [-392, 'USD', '-$3.92'],
  ])('%s %s is "%s"', (minor, currency, shown) => {
    expect(money(minor, currency, 'en')).toBe(shown);
  });

  it('shows an amount that is not an integer as zero rather than breaking the widget', () => {
    expect(money('12.5', 'USD', 'en')).toBe('$0.00');
    expect(money(null, 'EUR', 'en')).toBe('€0.00');
  });
});
