import { useCallback, useMemo } from 'react';
import { useLocation, useSearch } from 'wouter';

/**
 * A page's filters and page number, kept in the address's query so a reload, the back button or a shared link
 * shows the same list. Empty values are left out of the address.
 */
export function useUrlState<K extends string>(keys: readonly K[]): [Record<K, string>, (patch: Partial<Record<K, string | null>>) => void] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const values = useMemo(() => {
    const params = new URLSearchParams(search);
    return Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ''])) as Record<K, string>;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search, keys.join(',')]);
  const set = useCallback(
    (patch: Partial<Record<K, string | null>>) => {
      const params = new URLSearchParams(search);
      for (const [k, v] of Object.entries(patch) as [K, string | null | undefined][]) {
        if (v === null || v === undefined || v === '') params.delete(k);
        else params.set(k, v);
      }
      const q = params.toString();
      navigate(q ? `${location}?${q}` : location, { replace: true });
    },
    [search, location, navigate],
  );
  return [values, set];
}
