/**
 * A one-dimensional array of text as a query parameter in PostgreSQL's binary format: a header (dimensions, whether
 * any element is NULL, the element type, the length and lower bound), then each element's length and UTF-8 bytes.
 * Both database drivers send a Buffer parameter as a binary value. In text format an array is quoted and escaped
 * element by element in JavaScript (node-postgres: two regular-expression replaces per element), then parsed back
 * character by character by PostgreSQL: for a batch's arrays of JSON texts (payments' hints and attribution, with a
 * quote every few characters), most of the parameters' cost. The statement must declare the parameter `::text[]`
 * (or `::varchar[]` with `VARCHAR_OID`): PostgreSQL refuses an array whose element type is not the declared one.
 */
export const TEXT_OID = 25;
export const VARCHAR_OID = 1043;

export function textArray(values: readonly (string | null | undefined)[], elementOid: number = TEXT_OID): Buffer {
  const elements = values.map((e) => (e === null || e === undefined ? null : Buffer.from(e, 'utf8')));
  const header = elements.length === 0 ? 12 : 20;
  let size = header;
  for (const e of elements) size += 4 + (e?.length ?? 0);
  const bytes = Buffer.allocUnsafe(size);
  bytes.writeInt32BE(elements.length === 0 ? 0 : 1, 0); // dimensions
  bytes.writeInt32BE(elements.includes(null) ? 1 : 0, 4);
  bytes.writeInt32BE(elementOid, 8);
  if (elements.length > 0) {
    bytes.writeInt32BE(elements.length, 12);
    bytes.writeInt32BE(1, 16); // the lower bound
  }
  let at = header;
  for (const e of elements) {
    if (e === null) {
      at = bytes.writeInt32BE(-1, at);
    } else {
      at = bytes.writeInt32BE(e.length, at);
      at += e.copy(bytes, at);
    }
  }
  return bytes;
}

/** Values as their JSON texts, in one binary `text[]` parameter: how the batch statements send hints and attributions. */
export function jsonTexts(values: readonly unknown[]): Buffer {
  return textArray(values.map((v) => JSON.stringify(v)));
}
