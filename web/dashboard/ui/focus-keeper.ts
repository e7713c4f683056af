/**
 * Keeps keyboard focus somewhere a person can go on from when a change takes it away: a row removed with the button
 * that was pressed (a commission rejected, an event replayed), a button disabled while its request runs. Left alone,
 * focus falls to the document's body and a keyboard user starts again from the top. Then, once the page has drawn the
 * change: the first field marked invalid when the answer was an error, else the button again once it is enabled,
 * else the page's heading. Focus a person moved themselves (a click on the page, another window) is left where it is.
 */
export function keepFocus(root: Document = document): () => void {
  let stopWaiting: (() => void) | null = null;
  const orphaned = () => root.activeElement === null || root.activeElement === root.body;
  const settle = (lost: HTMLElement) => {
    if (!orphaned()) return;
    const invalid = root.querySelector<HTMLElement>('main [aria-invalid="true"]');
    if (invalid) return invalid.focus();
    if (lost.isConnected && !isDisabled(lost)) return lost.focus();
    const heading = root.getElementById('page-title');
    heading?.focus();
  };
  const onFocusOut = (e: FocusEvent) => {
    if (e.relatedTarget) return;
    const lost = e.target;
    if (!(lost instanceof HTMLElement)) return;
    // the page first draws what took the focus (a removed row, a disabled button)
    setTimeout(() => {
      if (!orphaned()) return;
      if (lost.isConnected && !isDisabled(lost)) return; // a click on the page itself: the person's choice
      if (lost.isConnected && isDisabled(lost)) {
        // a request under way: back to the button, or to what its answer marked, when it ends
        stopWaiting?.();
        const observer = new MutationObserver(() => {
          if (!lost.isConnected || !isDisabled(lost)) {
            stopWaiting?.();
            setTimeout(() => settle(lost), 0);
          }
        });
        observer.observe(root.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled', 'aria-disabled'] });
        const timer = setTimeout(() => stopWaiting?.(), 30_000);
        const abandon = () => stopWaiting?.();
        root.addEventListener('focusin', abandon, true);
        stopWaiting = () => {
          observer.disconnect();
          clearTimeout(timer);
          root.removeEventListener('focusin', abandon, true);
          stopWaiting = null;
        };
        return;
      }
      settle(lost);
    }, 0);
  };
  root.addEventListener('focusout', onFocusOut, true);
  return () => {
    stopWaiting?.();
    root.removeEventListener('focusout', onFocusOut, true);
  };
}

function isDisabled(el: HTMLElement): boolean {
  return (el as HTMLButtonElement).disabled === true || el.getAttribute('aria-disabled') === 'true';
}
