/**
 * The products a subscription was on, from when (`attribution_subjects.product_ids`: `[{ "at": ISO time, "ids": […] }]`),
 * for a provider whose renewals do not name their product: Lemon Squeezy's subscription invoices carry no product or
 * variant, its subscription events do. A renewal is rated by the product rule of what its subscription was on when it
 * was paid, whichever of the events arrived first.
 */
export type DatedProducts = { at: Date; ids: string[] }[];

export function asDatedProducts(value: unknown): DatedProducts {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const at = typeof entry?.at === 'string' ? new Date(entry.at) : null;
    const ids = Array.isArray(entry?.ids) ? entry.ids.filter((id: unknown): id is string => typeof id === 'string') : [];
    return at && !Number.isNaN(at.getTime()) && ids.length > 0 ? [{ at, ids }] : [];
  });
}

/**
 * Adds what a subscription event said it was on at `at`. Every time is kept (a plan changed and changed back is two
 * entries), in time order, one entry per time (the first report of it), so the list is the same in any arrival order.
 */
export function addDatedProducts(list: DatedProducts, at: Date, ids: readonly string[]): DatedProducts {
  if (ids.length === 0 || list.some((d) => d.at.getTime() === at.getTime())) return list;
  return [...list, { at, ids: [...ids] }].sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** What the subscription was on at `paidAt`: the last entry at or before it, else the first (a renewal reported before its plan). */
export function productsAt(list: DatedProducts, paidAt: Date): string[] {
  let found = list[0]?.ids ?? [];
  for (const d of list) if (d.at.getTime() <= paidAt.getTime()) found = d.ids;
  return found;
}
