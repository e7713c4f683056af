/**
 * One CSV field (RFC 4180): text a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
 * return) is prefixed with a quote (CSV injection); then quoted when it holds a comma, a quote or a line break.
 * Numbers are written as they are, and so is text that is only a decimal number (an amount in major units,
 * "-3.45"): a negative amount is data, not a formula, and a quote before it made a spreadsheet read it as text and
 * leave the refunds out of a column's sum.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^-\d+(?:\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV line of fields, ended by CRLF as RFC 4180 asks. */
export function csvLine(fields: readonly unknown[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
