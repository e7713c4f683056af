/**
 * Keeps keyboard focus somewhere a person can go on from when a change takes it away: a row removed with the button
 * that was pressed (a commission rejected, an event replayed), a button disabled while its request runs. Left alone,
 * focus falls to the document's body and a keyboard user starts again from the top. Then, once the page has drawn the
 * change: the first field marked invalid when the answer was an error, else the button again once it is enabled,
 * else, when that button was in a table's row (or opened the dialog that took the focus), what is left of that row or
 * the row now in its place, so a keyboard user reviewing a list goes on from where they were; else the page's
 * heading. Focus a person moved themselves (a click on the page, another window) is left where it is.
 */
export function keepFocus(root: Document = document): () => void {
  let stopWaiting: (() => void) | null = null;
  // the last control focused in a table's row outside a dialog: a dialog it opened gives the focus back to it
  let lastInRow: RowPlace | null = null;
  const orphaned = () => root.activeElement === null || root.activeElement === root.body;
  const settle = (lost: HTMLElement) => {
    if (!orphaned()) return;
    const invalid = root.querySelector<HTMLElement>('main [aria-invalid="true"]');
    if (invalid) return invalid.focus();
    if (lost.isConnected && !isDisabled(lost)) return lost.focus();
    const near = lastInRow ? nearest(lastInRow) : null;
    if (near) return near.focus();
    const heading = root.getElementById('page-title');
    heading?.focus();
  };
  const onFocusIn = (e: FocusEvent) => {
    const el = e.target;
    if (!(el instanceof HTMLElement) || el.closest('[role="dialog"]')) return;
    lastInRow = placeInRow(el);
  };
  const onFocusOut = (e: FocusEvent) => {
    if (e.relatedTarget) return;
    const lost = e.target;
    if (!(lost instanceof HTMLElement)) return;
    // disabled as it lost the focus: its request took it (a click elsewhere leaves it enabled)
    const tookByRequest = isDisabled(lost);
    // the page first draws what took the focus (a removed row, a disabled button)
    setTimeout(() => {
      if (!orphaned()) return;
      if (lost.isConnected && !isDisabled(lost)) {
        // its request already answered, before this turn: what the answer marked, or the button again
        if (tookByRequest) settle(lost);
        return; // else a click on the page itself: the person's choice
      }
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
  root.addEventListener('focusin', onFocusIn, true);
  return () => {
    stopWaiting?.();
    root.removeEventListener('focusout', onFocusOut, true);
    root.removeEventListener('focusin', onFocusIn, true);
  };
}

type RowPlace = { el: HTMLElement; row: HTMLTableRowElement; body: HTMLTableSectionElement; rowIndex: number; controlIndex: number };

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
const controlsOf = (row: HTMLTableRowElement) => [...row.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !isDisabled(el));

function placeInRow(el: HTMLElement): RowPlace | null {
  const row = el.closest('tr');
  const body = row?.parentElement;
  if (!row || !(body instanceof HTMLTableSectionElement) || body.tagName !== 'TBODY') return null;
  return { el, row, body, rowIndex: [...body.rows].indexOf(row), controlIndex: controlsOf(row).indexOf(el) };
}

/**
 * The control in the same place: itself; else its row's control at its position (or the nearest before it); else,
 * the row gone or left without controls, the next row's (the one now in its place), or the last row's.
 */
function nearest(p: RowPlace): HTMLElement | null {
  if (p.el.isConnected && !isDisabled(p.el)) return p.el;
  const inRow = (row: HTMLTableRowElement) => {
    const controls = controlsOf(row);
    return controls[Math.min(Math.max(p.controlIndex, 0), controls.length - 1)] ?? null;
  };
  if (p.row.isConnected) {
    const own = inRow(p.row);
    if (own) return own;
  }
  if (!p.body.isConnected) return null;
  const rows = [...p.body.rows];
  const from = p.row.isConnected ? rows.indexOf(p.row) + 1 : p.rowIndex;
  const order = [...rows.slice(from), ...rows.slice(0, from).reverse()];
  for (const row of order) {
    const control = inRow(row);
    if (control) return control;
  }
  return null;
}

function isDisabled(el: HTMLElement): boolean {
  return (el as HTMLButtonElement).disabled === true || el.getAttribute('aria-disabled') === 'true';
}
