import { api, unwrap } from './client';

/**
 * The program's settings as every page keeps them in the query cache: one key, one shape (the answer's `data`). Pages
 * that kept different shapes under one key broke each other (the settings page after an affiliate's, and back).
 */
export function settingsQuery(projectId: string) {
  return {
    queryKey: ['p', projectId, 'settings'] as const,
    queryFn: () => unwrap(api.GET('/api/v1/settings')).then((a) => a.data),
  };
}
