/**
 * Groups calls made in the same turn of the event loop (up to `maxSize`) into one call of `flush`, which returns
 * one result per item, in order. Under load this turns N concurrent requests into one database statement or one
 * Redis round trip; alone, a call waits only for the current turn to end.
 */
export function microBatch<T, R>(flush: (items: T[]) => Promise<R[]>, maxSize = 100): (item: T) => Promise<R> {
  let pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;

  const run = () => {
    scheduled = false;
    while (pending.length > 0) {
      const batch = pending.slice(0, maxSize);
      pending = pending.slice(maxSize);
      flush(batch.map((p) => p.item)).then(
        (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
    }
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(run);
      }
    });
}
