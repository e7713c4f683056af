import type { QueryClient } from '@tanstack/react-query';
import { createElement, lazy, type ComponentType } from 'react';
import { CONVERSION_FILTERS, conversionsList, EVENT_FILTERS, eventsList, LIST_PAGE_SIZE, unfiltered } from './pages/list-queries';
import { periodDays, periodOf, periodQueries, statusQueries } from './pages/overview-queries';

/** Starts a page's first requests from its address: the project in the path, the filters in the query. */
type Prefetch = (client: QueryClient, projectId: string, search: URLSearchParams) => void;

/** Before the session is known no project is current: the request names the address's. */
const projectHeader = (projectId: string) => ({ 'X-Refwire-Project': projectId });

/**
 * Starts requests into the cache the page's queries read. A refusal (signed out, not a member) stays there as an
 * error without data: the page's query fetches again when it mounts and shows itself as loading meanwhile, not as the
 * error (test/dashboard/ops.test.ts).
 */
function start(client: QueryClient, queries: readonly { queryKey: readonly unknown[]; queryFn: () => Promise<unknown> }[]): void {
  for (const q of queries) void client.prefetchQuery<unknown>(q);
}

/**
 * The project's pages, each a chunk of its own (scripts/build-dashboard.js splits them out): the first screen fetches
 * the shell and its own page only, and main.tsx starts fetching that page's chunk before it knows who is signed in.
 * Another page's chunk is fetched when a link to it is pointed at or focused (layout.tsx), or else when it is opened.
 */
function page<K extends string>(path: string, load: () => Promise<Record<K, ComponentType>>, name: K, prefetch?: Prefetch) {
  let loaded: ComponentType | null = null;
  const fetchChunk = () => load().then((m): ComponentType => (loaded = m[name]));
  const Lazy: ComponentType = lazy(() => fetchChunk().then((component) => ({ default: component })));
  // A chunk already here is drawn at once: through lazy() alone, the first drawing of each page would suspend for a
  // moment, and React holds back what a suspended boundary reveals by up to 300 ms.
  function Page(props: object) {
    return createElement(loaded ?? Lazy, props);
  }
  return { path, load: fetchChunk, component: Page, prefetch };
}

export const PAGES = [
  page('/overview', () => import('./pages/overview'), 'OverviewPage', (client, projectId, search) => {
    const headers = projectHeader(projectId);
    start(client, [...Object.values(periodQueries(projectId, periodOf(periodDays(search.get('period'))), headers)), ...Object.values(statusQueries(projectId, headers))]);
  }),
  page('/applications', () => import('./pages/applications'), 'ApplicationsPage'),
  page('/affiliates', () => import('./pages/affiliates'), 'AffiliatesPage'),
  page('/affiliates/:email', () => import('./pages/affiliate-detail'), 'AffiliateDetailPage'),
  page('/groups', () => import('./pages/groups'), 'GroupsPage'),
  page('/product-rules', () => import('./pages/products'), 'ProductRulesPage'),
  page('/coupons', () => import('./pages/coupons'), 'CouponsPage'),
  page('/referrals', () => import('./pages/referrals'), 'ReferralsPage'),
  page('/conversions', () => import('./pages/conversions'), 'ConversionsPage', (client, projectId, search) => {
    if (unfiltered(search, CONVERSION_FILTERS))
      start(client, [conversionsList(projectId, { limit: LIST_PAGE_SIZE, cursor: 'start' }, projectHeader(projectId))]);
  }),
  page('/conversions/:id', () => import('./pages/conversion-detail'), 'ConversionDetailPage'),
  page('/payouts', () => import('./pages/payouts'), 'PayoutsPage'),
  page('/payouts/batches/:id', () => import('./pages/payout-batch'), 'PayoutBatchPage'),
  page('/integrations', () => import('./pages/integrations'), 'IntegrationsPage'),
  page('/events', () => import('./pages/events'), 'EventsPage', (client, projectId, search) => {
    if (unfiltered(search, EVENT_FILTERS))
      start(client, [eventsList(projectId, { limit: LIST_PAGE_SIZE, cursor: 'start' }, projectHeader(projectId))]);
  }),
  page('/events/:id', () => import('./pages/event-detail'), 'EventDetailPage'),
  page('/webhooks', () => import('./pages/webhooks'), 'WebhooksPage'),
  page('/webhooks/:id', () => import('./pages/webhook-detail'), 'WebhookDetailPage'),
  page('/emails', () => import('./pages/emails'), 'EmailsPage'),
  page('/portal', () => import('./pages/portal-settings'), 'PortalSettingsPage'),
  page('/settings', () => import('./pages/settings'), 'SettingsPage'),
  page('/api-keys', () => import('./pages/api-keys'), 'ApiKeysPage'),
  page('/users', () => import('./pages/users'), 'UsersPage'),
  page('/audit-log', () => import('./pages/audit-log'), 'AuditLogPage'),
];

/** The page of an address inside a project (`/conversions/123`), or null. */
function pageAt(path: string) {
  return PAGES.find((p) => new RegExp(`^${p.path.replace(/:\w+/g, '[^/]+')}/?$`).test(path)) ?? null;
}

/**
 * Starts fetching the chunk of the page at `path` (a project's page, `/overview`, or a whole address,
 * `/dashboard/projects/<id>/overview`); what it fetched is what the page's component loads. With `client`, a page that
 * names its first requests has them started too, into the cache its queries read. A failure is left to the page to
 * show.
 */
export function preloadPage(path: string, data?: { client: QueryClient; search: string }): void {
  const match = /^\/dashboard\/projects\/([^/]+)(\/.*)$/.exec(path);
  const found = pageAt(match?.[2] ?? path);
  found?.load().catch(() => undefined);
  if (!found?.prefetch || !match || !data) return;
  let projectId: string;
  try {
    projectId = decodeURIComponent(match[1]!);
  } catch {
    return; // an address no project has: the page says so
  }
  found.prefetch(data.client, projectId, new URLSearchParams(data.search));
}
