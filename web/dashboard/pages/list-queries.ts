import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';

/**
 * The conversions' and the events' list requests, in the shell: their pages use them, and main.tsx starts an
 * unfiltered first page from the address alone, as it does the overview's (overview-queries.ts). A query's absent
 * filters are left out of its key, so the page's query, whose unset filters are undefined, finds the same entry.
 */
export const LIST_PAGE_SIZE = 25;

/** The address's query parameters that filter each list or move it past its first page. */
export const CONVERSION_FILTERS = ['type', 'kind', 'paid', 'review', 'affiliate', 'customer', 'from', 'to', 'cursors'] as const;
export const EVENT_FILTERS = ['provider', 'status', 'type', 'origin', 'from', 'to', 'cursors'] as const;

/** Headers a request of the shell adds (the project, before one is current); a page's own requests add none. */
export type Headers = Record<string, string>;
export type ConversionsQuery = NonNullable<paths['/api/v1/conversions']['get']['parameters']['query']>;
export type EventsQuery = NonNullable<paths['/api/v1/events']['get']['parameters']['query']>;

export function conversionsList(projectId: string, query: ConversionsQuery, headers: Headers = {}) {
  return {
    queryKey: ['p', projectId, 'conversions', query],
    queryFn: () => unwrap(api.GET('/api/v1/conversions', { params: { query }, headers })),
  } as const;
}

export function eventsList(projectId: string, query: EventsQuery, headers: Headers = {}) {
  return {
    queryKey: ['p', projectId, 'events', 'list', query],
    queryFn: () => unwrap(api.GET('/api/v1/events', { params: { query }, headers })),
  } as const;
}

/** True when the address's query sets none of `filters`: the page then shows its unfiltered first page. */
export function unfiltered(search: URLSearchParams, filters: readonly string[]): boolean {
  return filters.every((k) => !search.get(k));
}
