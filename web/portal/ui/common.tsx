import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { usePortal } from './context';

/** A block: one card, named by its heading for assistive technology's landmarks list. */
export function Card(props: { id: string; title: string; wide: boolean; children: ComponentChildren; headerExtra?: ComponentChildren }) {
  const headingId = `rw-h-${props.id}`;
  return (
    <section class={`rw-card${props.wide ? ' rw-wide' : ''}`} aria-labelledby={headingId} data-block={props.id}>
      <div class="rw-topbar">
        <h2 id={headingId}>{props.title}</h2>
        {props.headerExtra}
      </div>
      {props.children}
    </section>
  );
}

async function writeClipboard(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  throw new Error('no clipboard');
}

/** A copy button for one value; `what` names it for screen readers ("Copy referral link"). */
export function CopyButton(props: { text: string; what: string }) {
  const { t, announce, emit } = usePortal();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<number>();
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await writeClipboard(props.text);
      setState('copied');
      announce(t('copied_announcement'));
      emit('copy', { text: props.text });
    } catch {
      setState('failed');
      announce(t('copy_failed'));
    }
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setState('idle'), 2500);
  };
  return (
    <button type="button" class="rw-btn rw-btn-quiet rw-btn-small" onClick={copy} aria-label={t('copy_label', { what: props.what })} data-copy={props.text}>
      {state === 'copied' ? t('copied') : t('copy')}
    </button>
  );
}

/** A value the affiliate copies: shown whole to screen readers, ellipsized on narrow screens. */
export function CopyField(props: { value: string; label: string }) {
  return (
    <div class="rw-copy">
      <output class="rw-input" aria-label={props.label} title={props.value}>
        {props.value}
      </output>
      <CopyButton text={props.value} what={props.label} />
    </div>
  );
}

export function Loading() {
  const { t } = usePortal();
  return (
    <p class="rw-state" role="status" aria-live="polite">
      {t('loading')}
    </p>
  );
}

/**
 * The API's refusals an affiliate can meet, by the words of its English message, in the affiliate's language: the
 * raw text (field names, "allowed_domains") is the merchant's vocabulary, and English in every language.
 */
const REFUSALS: [RegExp, string, ((m: RegExpExecArray) => Record<string, unknown>)?][] = [
  [/^slug\b/, 'slug_invalid'],
  // src/tracking/allowed-domains.ts: the site refused, and the program's
  [/^target_url: (\S+) is not on the project's allowed_domains \((.*)\)$/, 'link_target_domain', (m) => ({ host: m[1], allowed: m[2] })],
  [/^target_url: the project has no allowed_domains/, 'link_target_none'],
  [/^target_url\b/, 'link_target_hint'],
  // the payout details' refusals (src/api/payout-methods.ts), by the field they name
  [/^(paypal_email|wise_email)\b/, 'details_email_invalid'],
  [/^bank\.account_holder\b/, 'details_holder_invalid'],
  [/^bank\.iban\b/, 'details_iban_invalid'],
  [/^bank\.bic\b/, 'details_bic_invalid'],
  [/^nothing eligible|nothing to pay/, 'payout_nothing'],
  [/below minimum_payout/, 'payout_minimum'],
  // before "suspended": a suspended affiliate's link is refused as not active ("…; this account is suspended")
  [/only an active|inactive/, 'not_active'],
  [/suspended/, 'error_suspended'],
  [/^no payout method|^the payout method is/, 'payout_needs_details'],
];

/** What went wrong, for the affiliate; `vars` fill a refusal's sentence (payout_minimum's amount). */
export function errorMessage(t: (k: string, o?: Record<string, unknown>) => string, lang: string, err: unknown, vars?: Record<string, unknown>): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('error_network');
    if (err.status === 401) return t('error_session');
    if (err.status === 429) {
      // Retry-After (exposed to the embed's origin too, src/api/portal/index.ts), or a minute without it
      const s = err.retryAfter ?? 60;
      const when = new Intl.RelativeTimeFormat(lang).format(s < 60 ? s : Math.ceil(s / 60), s < 60 ? 'second' : 'minute');
      return t('error_rate_limit', { when });
    }
    for (const [words, key, named] of REFUSALS) {
      const m = words.exec(err.message);
      if (m) return t(key, { ...vars, ...named?.(m) });
    }
  }
  return t('error_generic');
}

/**
 * A form's submit: busy while its work runs, its error cleared first and, when the work throws, set to what `fail`
 * makes of it. One shape for the sign-in's and the application's steps.
 */
export function useSubmit<Err>(setError: (error: Err | null) => void) {
  const [busy, setBusy] = useState(false);
  const submit = (work: () => Promise<unknown>, fail: (err: unknown) => Err) => async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(fail(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, submit };
}

export function ErrorState(props: { error: unknown; retry?: () => void }) {
  const { t, lang } = usePortal();
  return (
    <div class="rw-alert" role="alert">
      <p>{errorMessage(t, lang, props.error)}</p>
      {props.retry && (
        <button type="button" class="rw-btn rw-btn-quiet rw-btn-small" onClick={props.retry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="rw-state">{props.children}</p>;
}

/**
 * What a block shows of a load, the same in every block: "Loading" until the first answer, the error with a retry
 * (over what an earlier answer showed), `empty`'s text when the answer holds nothing, else what `children` draws.
 */
export function Loaded<T>(props: { load: Load<T>; empty: (data: T) => string | false; children: (data: T) => ComponentChildren }) {
  const { data, error } = props.load;
  if (props.load.loading && data === undefined) return <Loading />;
  if (error || data === undefined) return <ErrorState error={error} retry={props.load.reload} />;
  const empty = props.empty(data);
  return empty ? <Empty>{empty}</Empty> : <>{props.children(data)}</>;
}

export type Load<T> = { data: T | undefined; error: unknown; loading: boolean; reload: () => void };

/** Loads data for a block; `reload` runs the loader again (after a change the block made). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Load<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [nonce, ...deps]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setNonce((n) => n + 1) };
}

/**
 * Tables scroll sideways on a narrow screen; the wrapper is focusable so keyboard users can scroll it too. A group,
 * not a region: a landmark named as the section around it ("Payouts" in "Payouts") is one landmark too many.
 */
export function TableWrap(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="rw-table-wrap" tabIndex={0} role="group" aria-label={props.label}>
      {props.children}
    </div>
  );
}

export function Badge(props: { kind: string; children: ComponentChildren }) {
  return <span class={`rw-badge rw-badge-${props.kind}`}>{props.children}</span>;
}
