/**
 * Groups calls into one call of `flush`, which returns one result per item, in order. Under load this turns N
 * concurrent requests into one database statement or one Redis round trip; alone, a call waits only for the
 * current turn of the event loop to end.
 *
 * With `maxInFlight`, at most that many flushes run at once and calls made meanwhile wait and go together into
 * the next one: the busier the flush, the larger the batches (how a worker gathers the events it holds).
 *
 * With `lingerMs`, a flush that would take fewer than `maxSize` items waits that long first, so that calls
 * spread over that time go together: for flushes whose cost is mostly per call, not per item.
 */
export function microBatch<T, R>(flush: (items: T[]) => Promise<R[]>, maxSize = 100, maxInFlight = Infinity, lingerMs = 0): (item: T) => Promise<R> {
  let pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  let inFlight = 0;
  let lingering: NodeJS.Timeout | null = null;

  const schedule = () => {
    if (pending.length === 0) return;
    const full = pending.length >= maxSize;
    // a batch that filled while lingering goes at once
    if (scheduled && !(full && lingering)) return;
    if (lingering) clearTimeout(lingering);
    lingering = null;
    scheduled = true;
    if (lingerMs > 0 && !full) lingering = setTimeout(run, lingerMs);
    else setImmediate(run);
  };

  const run = () => {
    scheduled = false;
    lingering = null;
    while (pending.length > 0 && inFlight < maxInFlight) {
      const batch = pending.slice(0, maxSize);
      pending = pending.slice(maxSize);
      inFlight += 1;
      flush(batch.map((p) => p.item))
        .then(
          (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
          (err: unknown) => batch.forEach((p) => p.reject(err)),
        )
        .finally(() => {
          inFlight -= 1;
          schedule();
        });
    }
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      schedule();
    });
}
