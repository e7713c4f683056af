import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, unwrap } from '../api/client';
import { settingsQuery } from '../api/settings-query';
import type { components } from '../api/schema';
import { useProject } from '../session';

export type PortalSettings = components['schemas']['PortalSettings'];
type Settings = components['schemas']['Settings'];

const PREVIEW_TOKEN_MINUTES = 9; // embed tokens live 10 minutes: a fresh one a minute before

/**
 * The widget itself, beside the form, with the settings as they are being edited: a frame of
 * `/portal/:projectId/preview` (src/pages/portal-preview.ts), which the dashboard's policy allows (`frame-src 'self'`).
 * The unsaved settings go to it by postMessage (same origin both ways). It shows sample data until the user asks to
 * see the project's first affiliate's real account: that mints an embed token (a credential to that affiliate's
 * portal, and a write in the audit log), so it is asked for, not done on every visit to the page.
 */
export function PortalPreview(props: { draft: PortalSettings }) {
  const { project_id: projectId, project_name, currency, canWrite } = useProject();
  const frame = useRef<HTMLIFrameElement>(null);
  const [ready, setReady] = useState(0);
  const [asAffiliate, setAsAffiliate] = useState(false);

  const firstAffiliate = useQuery({
    queryKey: ['p', projectId, 'portal-preview', 'first-affiliate'],
    queryFn: () => unwrap(api.GET('/api/v1/affiliates', { params: { query: { limit: 1 } } })),
  });
  const affiliate = firstAffiliate.data?.data[0] ?? null;
  const token = useQuery({
    queryKey: ['p', projectId, 'portal-preview-token', affiliate?.email ?? null],
    enabled: asAffiliate && canWrite && affiliate !== null,
    queryFn: () => unwrap(api.POST('/api/v1/affiliates/{email}/embed-tokens', { params: { path: { email: affiliate!.email } } })).then((a) => a.data.token),
    staleTime: PREVIEW_TOKEN_MINUTES * 60_000,
    refetchInterval: PREVIEW_TOKEN_MINUTES * 60_000,
    retry: false,
  });
  const settings = useQuery(settingsQuery(projectId));

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (e.origin !== location.origin || e.source !== frame.current?.contentWindow) return;
      const type = (e.data as { type?: unknown } | null)?.type;
      if (type === 'refwire-portal-preview-ready') setReady((n) => n + 1);
      if (type === 'refwire-portal-preview-expired') void token.refetch();
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [token]);

  const realToken = token.data ?? null;
  const note = realToken
    ? `Preview as ${affiliate!.email}, with their real numbers. Edits show here before you save them.`
    : firstAffiliate.isPending || token.isFetching
      ? 'Loading the preview…'
      : affiliate === null
        ? 'Sample data: this project has no affiliates yet, so the preview shows a made-up affiliate. Edits show here before you save them.'
        : !canWrite
          ? 'Sample data: a viewer cannot open an affiliate’s own view, so the preview shows a made-up affiliate.'
          : asAffiliate
            ? 'Sample data: the affiliate’s view could not be opened. Edits show here before you save them.'
            : 'Sample data: a made-up affiliate. Edits show here before you save them.';

  useEffect(() => {
    const win = frame.current?.contentWindow;
    if (!win || ready === 0) return;
    win.postMessage(
      {
        type: 'refwire-portal-preview',
        settings: props.draft,
        project: { name: project_name, currency },
        terms: settings.data ? termsOf(settings.data) : null,
        token: realToken,
        note,
      },
      location.origin,
    );
  }, [props.draft, ready, realToken, note, settings.data, project_name, currency]);

  return (
    <section className="portal-preview" aria-labelledby="portal-preview-title">
      <h2 id="portal-preview-title">Live preview</h2>
      <p className="hint" id="portal-preview-hint">
        What an affiliate sees in the hosted page <a href={`/portal/${projectId}`}>/portal/{projectId.slice(0, 8)}…</a> and the embedded widget, with your changes as you make them.
      </p>
      {canWrite && affiliate !== null ? (
        <p className="portal-preview-as">
          {asAffiliate ? (
            <button type="button" className="button" onClick={() => setAsAffiliate(false)}>
              Show sample data
            </button>
          ) : (
            <button type="button" className="button" onClick={() => setAsAffiliate(true)} aria-describedby="portal-preview-as-hint">
              Preview as {affiliate.email}
            </button>
          )}{' '}
          {asAffiliate ? null : (
            <span className="hint" id="portal-preview-as-hint">
              Their real numbers; it opens their portal with a 10-minute token, recorded in the audit log.
            </span>
          )}
        </p>
      ) : null}
      <iframe
        ref={frame}
        className="portal-preview-frame"
        title="Portal preview"
        aria-describedby="portal-preview-hint"
        src={`/portal/${encodeURIComponent(projectId)}/preview`}
        onLoad={() => setReady((n) => n + 1)}
      />
    </section>
  );
}

/** The program's default terms, as the portal's `commission` shows them, for the sample affiliate. */
function termsOf(s: Settings) {
  return {
    type: s.commission_type ?? 'percentage',
    rate_bp: s.commission_rate_bp,
    amount_minor: s.commission_value_minor,
    duration: s.commission_duration,
    duration_months: s.commission_months,
    hold_days: s.hold_days,
    cookie_days: s.cookie_days,
    payout_minimum_minor: s.minimum_payout_minor,
  };
}
