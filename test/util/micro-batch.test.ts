import { microBatch } from '../../src/util/micro-batch';

describe('microBatch', () => {
  it('groups calls of one turn into one flush and hands each caller its own result', async () => {
    const flushes: number[][] = [];
    const double = microBatch(async (items: number[]) => {
      flushes.push(items);
      return items.map((n) => n * 2);
    }, 3);
    expect(await Promise.all([1, 2, 3, 4, 5].map(double))).toEqual([2, 4, 6, 8, 10]);
    expect(flushes).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('with maxInFlight, gathers calls made while a flush runs into the next one', async () => {
    const flushes: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const call = microBatch(
      async (items: number[]) => {
        flushes.push(items);
        if (flushes.length === 1) await gate;
        return items;
      },
      100,
      1,
    );
    const first = call(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map(call);
    await new Promise((r) => setImmediate(r));
    expect(flushes).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
    expect(flushes).toEqual([[1], [2, 3, 4]]);
  });

  it('with lingerMs, gathers calls spread over that time into one flush, and flushes a full batch at once', async () => {
    const flushes: number[][] = [];
    const call = microBatch(
      async (items: number[]) => {
        flushes.push(items);
        return items;
      },
      4,
      1,
      30,
    );
    const first = call(1);
    await new Promise((r) => setTimeout(r, 5));
    const second = call(2);
    await new Promise((r) => setTimeout(r, 5));
    expect(flushes).toEqual([]);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(flushes).toEqual([[1, 2]]);
    const full = [3, 4, 5, 6].map(call);
    await new Promise((r) => setImmediate(r));
    expect(flushes).toEqual([[1, 2], [3, 4, 5, 6]]);
    expect(await Promise.all(full)).toEqual([3, 4, 5, 6]);
  });

  it('rejects every caller of a failed flush, and later calls still flush', async () => {
    let fail = true;
    const call = microBatch(async (items: number[]) => {
      if (fail) throw new Error('down');
      return items;
    });
    await expect(Promise.all([call(1), call(2)])).rejects.toThrow('down');
    fail = false;
    expect(await call(3)).toBe(3);
  });
});
