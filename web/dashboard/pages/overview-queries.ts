import { api, unwrap } from '../api/client';
import type { Headers } from './list-queries';

/**
 * The overview's requests, in the shell: its page uses them, and main.tsx starts them from the address alone, beside
 * the page's chunk and the session, so the five answers are on their way while the scripts run (docs/dashboard.md).
 */
export const PERIODS = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
] as const;
const DAY = 86_400_000;

/** The period the address's `period` names, 30 days unless it names another. */
export function periodDays(param: string | null): number {
  return PERIODS.find((p) => String(p.days) === param)?.days ?? 30;
}

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/** [from, to) of whole UTC days: the last `days` days, today included. */
export function periodOf(days: number): { from: string; to: string } {
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: isoDay(today - (days - 1) * DAY), to: isoDay(today + DAY) };
}

/**
 * The period's totals and days. `projectId` is in each key; `headers` carries it in the request too where no project
 * is current yet (before the session is known).
 */
export function periodQueries(projectId: string, range: { from: string; to: string }, headers: Headers = {}) {
  return {
    summary: {
      queryKey: ['p', projectId, 'reports', 'summary', range],
      queryFn: () => unwrap(api.GET('/api/v1/reports/summary', { params: { query: { from: `${range.from}T00:00:00.000Z`, to: `${range.to}T00:00:00.000Z`, top: 5 } }, headers })),
    },
    daily: {
      queryKey: ['p', projectId, 'reports', 'daily', range],
      queryFn: () => unwrap(api.GET('/api/v1/reports/daily', { params: { query: range }, headers })),
    },
  } as const;
}

/**
 * What the getting-started card and the health section ask for, whatever the period. The card asks which providers
 * are connected, not for the integrations themselves: their activity counts the last day's events, which costs in
 * proportion to them (docs/performance.md).
 */
export function statusQueries(projectId: string, headers: Headers = {}) {
  return {
    providers: {
      queryKey: ['p', projectId, 'integrations', 'providers'],
      queryFn: () => unwrap(api.GET('/api/v1/integrations/providers', { headers })),
    },
    health: {
      queryKey: ['p', projectId, 'reports', 'health'],
      queryFn: () => unwrap(api.GET('/api/v1/reports/health', { params: { query: { newest: 5 } }, headers })),
    },
    latest: {
      queryKey: ['p', projectId, 'events', 'list', { limit: 1 }],
      queryFn: () => unwrap(api.GET('/api/v1/events', { params: { query: { limit: 1 } }, headers })),
    },
  } as const;
}
