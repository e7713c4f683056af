import { useLayoutEffect, useRef } from 'react';

const FIELD = 'input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])';

/**
 * A panel a button opens in the page (a form to add something): opened, its first field takes the focus once it is
 * drawn (a form may wait for data first); closed, the focus goes back to the button that opened it, when nothing
 * else holds it. Left alone, the focus fell to the page's heading both ways, and a keyboard user started over.
 */
export function usePanelFocus<O extends HTMLElement = HTMLButtonElement, P extends HTMLElement = HTMLElement>(open: boolean) {
  const opener = useRef<O>(null);
  const panel = useRef<P>(null);
  const wasOpen = useRef(open);
  useLayoutEffect(() => {
    const before = wasOpen.current;
    wasOpen.current = open;
    if (open === before) return;
    if (!open) {
      const active = document.activeElement;
      if (active === null || active === document.body) opener.current?.focus();
      return;
    }
    const focusField = () => {
      const field = panel.current?.querySelector<HTMLElement>(FIELD);
      if (!field) return false;
      field.focus();
      return true;
    };
    if (focusField() || !panel.current) return;
    const observer = new MutationObserver(() => focusField() && stop());
    const timer = setTimeout(() => stop(), 5_000);
    const stop = () => {
      observer.disconnect();
      clearTimeout(timer);
    };
    observer.observe(panel.current, { childList: true, subtree: true });
    return stop;
  }, [open]);
  return { opener, panel };
}
