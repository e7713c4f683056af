import { createElement, lazy, type ComponentType } from 'react';

/**
 * The project's pages, each a chunk of its own (scripts/build-dashboard.js splits them out): the first screen fetches
 * the shell and its own page only, and main.tsx starts fetching that page's chunk before it knows who is signed in.
 * Another page's chunk is fetched when a link to it is pointed at or focused (layout.tsx), or else when it is opened.
 */
function page<K extends string>(path: string, load: () => Promise<Record<K, ComponentType>>, name: K) {
  let loaded: ComponentType | null = null;
  const fetchChunk = () => load().then((m): ComponentType => (loaded = m[name]));
  const Lazy: ComponentType = lazy(() => fetchChunk().then((component) => ({ default: component })));
  // A chunk already here is drawn at once: through lazy() alone, the first drawing of each page would suspend for a
  // moment, and React holds back what a suspended boundary reveals by up to 300 ms.
  function Page(props: object) {
    return createElement(loaded ?? Lazy, props);
  }
  return { path, load: fetchChunk, component: Page };
}

export const PAGES = [
  page('/overview', () => import('./pages/overview'), 'OverviewPage'),
  page('/applications', () => import('./pages/applications'), 'ApplicationsPage'),
  page('/affiliates', () => import('./pages/affiliates'), 'AffiliatesPage'),
  page('/affiliates/:email', () => import('./pages/affiliate-detail'), 'AffiliateDetailPage'),
  page('/groups', () => import('./pages/groups'), 'GroupsPage'),
  page('/conversions', () => import('./pages/conversions'), 'ConversionsPage'),
  page('/conversions/:id', () => import('./pages/conversion-detail'), 'ConversionDetailPage'),
  page('/payouts', () => import('./pages/payouts'), 'PayoutsPage'),
  page('/payouts/batches/:id', () => import('./pages/payout-batch'), 'PayoutBatchPage'),
  page('/integrations', () => import('./pages/integrations'), 'IntegrationsPage'),
  page('/events', () => import('./pages/events'), 'EventsPage'),
  page('/events/:id', () => import('./pages/event-detail'), 'EventDetailPage'),
  page('/webhooks', () => import('./pages/webhooks'), 'WebhooksPage'),
  page('/webhooks/:id', () => import('./pages/webhook-detail'), 'WebhookDetailPage'),
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
 * `/dashboard/projects/<id>/overview`); what it fetched is what the page's component loads. A failure is left to the
 * page to show.
 */
export function preloadPage(path: string): void {
  const inProject = /^\/dashboard\/projects\/[^/]+(\/.*)$/.exec(path)?.[1] ?? path;
  pageAt(inProject)
    ?.load()
    .catch(() => undefined);
}
