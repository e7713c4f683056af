import type { i18n } from 'i18next';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, PortalApi, type Appearance, type Me, type PortalConfig } from '../api';
import { isoDay } from '../format';
import { createI18n, direction, pickLanguage, supported, switchLanguage, type Language } from '../i18n';
import { BLOCKS, type BlockProps } from './blocks';
import { ErrorState, Loading, useLoad } from './common';
import { PortalContext, usePortal, type Ctx, type PortalEvent } from './context';
import { SignIn } from './sign-in';

export type PortalProps = {
  base: string;
  projectId: string;
  /** hosted: Refwire's own page, signed in by code with a session cookie; embed: a merchant's page with a token */
  mode: 'hosted' | 'embed';
  token: string | null;
  /** data-lang or setLanguage(); otherwise the page's and the browser's languages decide */
  langOverride: string | null;
  emit: (event: PortalEvent, detail?: unknown) => void;
  /** Refwire.portal.setLanguage: the header's language picker switches every widget on the page, as it does */
  setLanguage: (lang: string) => void;
  applyTheme: (appearance: Appearance | undefined) => void;
};

// `ended`: signed out by a 401 while the dashboard was shown (expired, or signed out in another tab)
type Session = { state: 'checking' } | { state: 'signed-out'; ended?: boolean } | { state: 'expired' } | { state: 'in'; me: Me } | { state: 'error'; error: unknown };

const PERIODS = [7, 30, 90];

function candidates(override: string | null, mode: PortalProps['mode'], fallback: string | null | undefined): (string | null | undefined)[] {
  // the merchant's page says which language it is in; Refwire's own page has no say of its own
  const page = mode === 'embed' ? document.documentElement.lang : null;
  return [override, page, ...(navigator.languages ?? [navigator.language]), fallback];
}

export function Portal(props: PortalProps) {
  const api = useMemo(() => new PortalApi(props.base, props.projectId, props.token ? { kind: 'token', token: props.token } : { kind: 'cookie' }), [props.base, props.projectId, props.token]);
  const [i18n, setI18n] = useState<i18n | null>(null);
  const [lang, setLang] = useState<Language | null>(null);
  const config = useLoad<PortalConfig>(() => api.config(), [api]);
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const [meNonce, setMeNonce] = useState(0);
  const readyFor = useRef<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  // the api whose session has ended: the first 401 ends it, the others of that moment (every block's) add nothing
  const ended = useRef<PortalApi | null>(null);
  // every 401, from /me or any block's request, ends the session here: the hosted page's sign-in says so, and the
  // embed shows the expired notice and fires `unauthorized` for the merchant's page to identify() a fresh token
  api.onUnauthorized = () => {
    if (ended.current === api) return;
    ended.current = api;
    setSession(props.mode === 'embed' ? { state: 'expired' } : { state: 'signed-out', ended: readyFor.current !== null });
    readyFor.current = null;
    props.emit('unauthorized', { status: 401 });
  };

  useEffect(() => {
    void createI18n().then(setI18n);
  }, []);

  const wanted = pickLanguage(candidates(props.langOverride, props.mode, config.data?.portal.default_language));
  // the program's default language matters only when nothing before it is supported: then wait for the config
  const known = candidates(props.langOverride, props.mode, null).some((c) => supported(c) !== null);
  const [langAttempt, setLangAttempt] = useState(0);
  const [langFailed, setLangFailed] = useState(false);
  useEffect(() => {
    if (!i18n || (!known && !config.data && config.loading)) return;
    let live = true;
    switchLanguage(i18n, props.base, wanted).then(
      (got) => {
        if (!live) return;
        setLang(got);
        props.emit('language', { lang: got });
      },
      () => live && setLangFailed(true),
    );
    return () => {
      live = false;
    };
  }, [i18n, wanted, known || config.data !== undefined || !config.loading, langAttempt]);

  useEffect(() => {
    if (props.mode === 'embed' && !props.token) {
      setSession({ state: 'signed-out' });
      return;
    }
    let live = true;
    api.me().then(
      (me) => {
        if (!live) return;
        // `ready` once per sign-in, not on each refresh of the numbers (after a payout request, say)
        if (readyFor.current !== me.affiliate.id) props.emit('ready', { affiliate_id: me.affiliate.id });
        readyFor.current = me.affiliate.id;
        ended.current = null;
        setSession({ state: 'in', me });
      },
      (error) => {
        // a 401 went through api.onUnauthorized
        if (!live || (error instanceof ApiError && error.status === 401)) return;
        readyFor.current = null;
        setSession({ state: 'error', error });
        props.emit('error', { status: error instanceof ApiError ? error.status : 0 });
      },
    );
    return () => {
      live = false;
    };
  }, [api, meNonce]);

  const appearance = session.state === 'in' ? session.me.portal?.appearance : config.data?.portal.appearance;
  useEffect(() => props.applyTheme(appearance), [JSON.stringify(appearance ?? null)]);

  const announcer = useRef(0);
  if (!i18n || !lang) {
    // no catalog could be fetched, not even English's: the one message that cannot be translated
    return (
      <div class="rw">
        {langFailed ? (
          <div class="rw-alert" role="alert">
            <p>Could not reach the server. Check your connection and try again.</p>
            <button type="button" class="rw-btn rw-btn-quiet rw-btn-small" onClick={() => {
                setLangFailed(false);
                setLangAttempt((n) => n + 1);
              }}>
              Try again
            </button>
          </div>
        ) : (
          <p class="rw-state" role="status">
            …
          </p>
        )}
      </div>
    );
  }
  const t = i18n.getFixedT(lang);
  const ctx: Ctx = {
    t,
    lang,
    api,
    emit: props.emit,
    setLanguage: props.setLanguage,
    announce: (message) => {
      // the same words twice in a row must be read twice: empty the region first
      const n = ++announcer.current;
      setAnnouncement('');
      window.setTimeout(() => n === announcer.current && setAnnouncement(message), 50);
    },
  };
  const dir = direction(lang);
  if (props.mode === 'hosted') {
    document.documentElement.lang = lang;
    document.documentElement.dir = dir;
  }
  const programName = config.data?.project.name ?? '';

  let body;
  if (config.error) {
    const notFound = config.error instanceof ApiError && config.error.status === 404;
    body = notFound ? (
      <p class="rw-alert" role="alert">
        {t('error_not_found')}
      </p>
    ) : (
      <ErrorState error={config.error} retry={config.reload} />
    );
  } else if (config.loading || session.state === 'checking') {
    body = <Loading />;
  } else if (session.state === 'expired') {
    body = (
      <p class="rw-alert" role="alert" data-state="expired">
        {t('error_session')}
      </p>
    );
  } else if (session.state === 'error') {
    body = <ErrorState error={session.error} retry={() => setMeNonce((n) => n + 1)} />;
  } else if (session.state === 'signed-out') {
    body =
      props.mode === 'hosted' ? (
        <SignIn
          program={programName}
          ended={session.ended}
          onSignedIn={() => {
            props.emit('signin');
            setSession({ state: 'checking' });
            setMeNonce((n) => n + 1);
          }}
        />
      ) : (
        <div class="rw-card rw-signin" data-state="signed-out">
          <p>{t('not_signed_in')}</p>
          <a href={`${props.base}/portal/${encodeURIComponent(props.projectId)}`} target="_blank" rel="noopener">
            {t('open_portal')}
          </a>
        </div>
      );
  } else {
    body = (
      <Dashboard
        me={session.me}
        refreshMe={() => setMeNonce((n) => n + 1)}
        signOut={
          props.mode === 'hosted'
            ? async () => {
                await api.logout().catch(() => undefined);
                readyFor.current = null;
                props.emit('signout');
                setSession({ state: 'signed-out' });
              }
            : undefined
        }
      />
    );
  }
  const hideBranding = appearance?.hide_branding === true;
  return (
    <PortalContext.Provider value={ctx}>
      <div class="rw" dir={dir} lang={lang}>
        {body}
        {!hideBranding && (
          <p class="rw-footer">
            <a href="https://github.com/refwire/refwire" target="_blank" rel="noopener">
              {t('powered_by')}
            </a>
          </p>
        )}
        <div class="rw-sr" role="status" aria-live="polite" aria-atomic="true" data-live>
          {announcement}
        </div>
      </div>
    </PortalContext.Provider>
  );
}

/** Blocks that read well at half width */
const NARROW = new Set(['coupon_code', 'stats', 'payment_methods', 'commission_levels']);

/**
 * Which blocks span the whole row on a wide screen: a block that can be half width is, only beside another such
 * block, so the merchant's order never leaves a hole (and visual order stays the reading and focus order).
 */
export function pairing(ids: string[]): boolean[] {
  const wide = ids.map(() => true);
  for (let i = 0; i + 1 < ids.length; i++) {
    if (NARROW.has(ids[i]!) && NARROW.has(ids[i + 1]!)) {
      wide[i] = wide[i + 1] = false;
      i++;
    }
  }
  return wide;
}

function Dashboard(props: { me: Me; refreshMe: () => void; signOut?: () => void }) {
  const { t, api } = usePortal();
  const [days, setDays] = useState(30);
  const range = useMemo(() => {
    // [from, to) in UTC days: the last `days` days, today included
    const now = Date.now();
    return { from: isoDay(new Date(now - (days - 1) * 86_400_000)), to: isoDay(new Date(now + 86_400_000)) };
  }, [days]);
  const stats = useLoad(() => api.stats(range.from, range.to), [range.from, range.to, props.me]);
  const blocks = [...(props.me.portal?.blocks ?? [])].filter((b) => b.enabled && BLOCKS[b.id]).sort((a, b) => a.order - b.order);
  // one period control for both blocks that show the period, in the first of them
  const periodHost = blocks.find((b) => b.id === 'stats' || b.id === 'daily_stats')?.id;
  const period = (
    <div class="rw-row rw-period">
      <label for="rw-period">{t('period_label')}</label>
      <select id="rw-period" class="rw-input" value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
        {PERIODS.map((d) => (
          <option value={String(d)} key={d}>
            {t('period_days', { count: d })}
          </option>
        ))}
      </select>
    </div>
  );
  const wide = pairing(blocks.map((b) => b.id));
  return (
    <div>
      {props.signOut && (
        <div class="rw-topbar rw-end">
          <button type="button" class="rw-btn rw-btn-quiet rw-btn-small" onClick={props.signOut}>
            {t('sign_out')}
          </button>
        </div>
      )}
      <div class="rw-grid">
        {blocks.map((b, i) => {
          const Block = BLOCKS[b.id]!;
          const p: BlockProps = { block: b, me: props.me, refreshMe: props.refreshMe, stats, days, wide: wide[i]!, extra: b.id === periodHost ? period : undefined };
          return <Block key={b.id} {...p} />;
        })}
      </div>
    </div>
  );
}

