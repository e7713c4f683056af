/*! Refwire affiliate portal: the hosted page and the embeddable widget (docs/portal.md). */
import { render } from 'preact';
import type { Appearance } from './api';
import { supported } from './i18n';
import { themeCss } from './theme';
import { Portal, type PortalProps } from './ui/app';
import type { PortalEvent } from './ui/context';
import baseCss from './styles.css';

type Listener = (detail: unknown) => void;
type PortalApiGlobal = {
  identify(token: string): void;
  setLanguage(lang: string): void;
  on(event: PortalEvent, fn: Listener): () => void;
  mount(element?: Element): void;
};
type RefwireGlobal = { portal?: PortalApiGlobal } & Record<string, unknown>;

// Only readable while the script first runs: the Refwire origin the API and the language catalogs live at.
const script = document.currentScript as HTMLScriptElement | null;
const BASE = script?.src ? new URL(script.src, location.href).origin : location.origin;

const w = window as unknown as { Refwire?: RefwireGlobal };
// The tracking script (/js/refwire.js) may have made window.Refwire already: add to it, never replace it.
const refwire: RefwireGlobal = w.Refwire ?? (w.Refwire = {});

if (!refwire.portal) {
  const listeners = new Map<string, Set<Listener>>();
  const emit = (event: PortalEvent, detail?: unknown) => {
    for (const fn of listeners.get(event) ?? []) {
      try {
        fn(detail);
      } catch (err) {
        // a merchant's listener failing must not break the widget
        setTimeout(() => {
          throw err;
        });
      }
    }
  };

  const supportsAdopted = 'adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype;
  let shared: CSSStyleSheet | null = null;
  const baseSheet = () => {
    if (!shared) {
      shared = new CSSStyleSheet();
      shared.replaceSync(baseCss);
    }
    return shared;
  };

  type Widget = { root: ShadowRoot; mountPoint: HTMLElement; props: PortalProps };
  const widgets = new Map<Element, Widget>();
  let token: string | null = null;
  let lang: string | null = null;

  /**
   * Styles go in as constructed stylesheets: a strict Content-Security-Policy (no 'unsafe-inline' in style-src)
   * blocks <style> elements and style attributes, but not stylesheets built from script.
   */
  const themer = (root: ShadowRoot) => {
    let theme: CSSStyleSheet | HTMLStyleElement | null = null;
    return (appearance: Appearance | undefined) => {
      const css = themeCss(appearance);
      if (supportsAdopted) {
        if (!theme) {
          theme = new CSSStyleSheet();
          root.adoptedStyleSheets = [baseSheet(), theme];
        }
        (theme as CSSStyleSheet).replaceSync(css);
      } else {
        if (!theme) {
          theme = document.createElement('style');
          root.appendChild(theme);
        }
        (theme as HTMLStyleElement).textContent = css;
      }
    };
  };

  const draw = (wgt: Widget) => render(<Portal {...wgt.props} />, wgt.mountPoint);

  /** Refwire.portal.setLanguage, and what each header's language picker calls: every widget, now and later */
  const setLanguage = (next: string) => {
    // a language the portal does not have changes nothing (it would fall back to the page's or the browser's)
    if (!supported(String(next))) return;
    lang = String(next);
    for (const wgt of widgets.values()) {
      wgt.props = { ...wgt.props, langOverride: lang };
      draw(wgt);
    }
  };

  const mountOne = (el: Element) => {
    if (widgets.has(el) || !(el instanceof HTMLElement)) return;
    const projectId = el.dataset.projectId;
    if (!projectId) {
      console.error('Refwire portal: data-project-id is missing on', el);
      return;
    }
    const root = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
    if (supportsAdopted) root.adoptedStyleSheets = [baseSheet()];
    else {
      const style = document.createElement('style');
      style.textContent = baseCss;
      root.appendChild(style);
    }
    const mountPoint = document.createElement('div');
    root.appendChild(mountPoint);
    // Refwire's own page (GET /portal/:projectId) is the widget alone: its page margins are the widget's to set
    if (el.dataset.mode === 'hosted' && supportsAdopted) {
      const page = new CSSStyleSheet();
      page.replaceSync('body{margin:0;background:#f9fafb}main{max-inline-size:1200px;margin-inline:auto}');
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, page];
    }
    const wgt: Widget = {
      root,
      mountPoint,
      props: {
        base: BASE,
        projectId,
        mode: el.dataset.mode === 'hosted' ? 'hosted' : 'embed',
        token: token ?? el.dataset.token ?? null,
        langOverride: lang ?? el.dataset.lang ?? null,
        emit,
        setLanguage,
        applyTheme: themer(root),
      },
    };
    widgets.set(el, wgt);
    draw(wgt);
  };

  const mountAll = () => document.querySelectorAll('[data-refwire-portal]').forEach(mountOne);

  refwire.portal = {
    /** A fresh embed token from the merchant's backend (say, after `unauthorized`): every widget signs in with it. */
    identify(next: string) {
      token = String(next);
      mountAll();
      for (const wgt of widgets.values()) {
        wgt.props = { ...wgt.props, token };
        draw(wgt);
      }
    },
    setLanguage,
    on(event: PortalEvent, fn: Listener) {
      const set = listeners.get(event) ?? new Set<Listener>();
      set.add(fn);
      listeners.set(event, set);
      return () => set.delete(fn);
    },
    /** Widgets are found at load and whenever the page adds one; this mounts one the page made some other way. */
    mount(element?: Element) {
      if (element) mountOne(element);
      else mountAll();
    },
  };

  const start = () => {
    mountAll();
    // single-page apps render the widget's element after the script ran
    let pending = false;
    new MutationObserver(() => {
      if (pending) return;
      pending = true;
      queueMicrotask(() => {
        pending = false;
        mountAll();
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
}
