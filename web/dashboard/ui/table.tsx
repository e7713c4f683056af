import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A table's box, scrolled sideways when the table is wider than the screen (a phone). While it is, the box is a
 * named region in the tab order, so a keyboard can scroll it too (WCAG 2.1.1); a table that fits adds no tab stop.
 */
export function TableScroll(props: { label: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setScrolls(element.scrollWidth > element.clientWidth + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return (
    <div ref={box} className="table-wrap" {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-label': `${props.label} (scrolls sideways)` } : {})}>
      {props.children}
    </div>
  );
}

export type Column<T> = {
  /** the column heading */
  header: string;
  cell: (row: T) => ReactNode;
  /** right-aligned (amounts, counts) */
  numeric?: boolean;
};

/**
 * A list as a real table (a caption for screen readers, headings by scope). With `selection`, a checkbox per row
 * and one for the page, for the bulk actions the page shows above it.
 */
export function DataTable<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  selection?: { selected: Set<string>; onChange(next: Set<string>): void; selectable?: (row: T) => boolean; label: (row: T) => string };
}) {
  const { selection } = props;
  const selectable = selection ? props.rows.filter((r) => selection.selectable?.(r) ?? true) : [];
  const allSelected = selection !== undefined && selectable.length > 0 && selectable.every((r) => selection.selected.has(props.rowKey(r)));
  return (
    <TableScroll label={props.caption}>
      <table className="table">
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {selection ? (
              <th scope="col" className="select-cell">
                <input
                  type="checkbox"
                  aria-label="Select every row on this page"
                  checked={allSelected}
                  disabled={selectable.length === 0}
                  onChange={(e) => selection.onChange(new Set(e.currentTarget.checked ? selectable.map(props.rowKey) : []))}
                />
              </th>
            ) : null}
            {props.columns.map((c) => (
              <th key={c.header} scope="col" className={c.numeric ? 'numeric' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => {
            const key = props.rowKey(row);
            const can = selection ? (selection.selectable?.(row) ?? true) : false;
            return (
              <tr key={key} className={selection?.selected.has(key) ? 'selected' : undefined}>
                {selection ? (
                  <td className="select-cell">
                    {can ? (
                      <input
                        type="checkbox"
                        aria-label={`Select ${selection.label(row)}`}
                        checked={selection.selected.has(key)}
                        onChange={(e) => {
                          const next = new Set(selection.selected);
                          if (e.currentTarget.checked) next.add(key);
                          else next.delete(key);
                          selection.onChange(next);
                        }}
                      />
                    ) : null}
                  </td>
                ) : null}
                {props.columns.map((c) => (
                  <td key={c.header} className={c.numeric ? 'numeric' : undefined}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}

export type OffsetPagination = { limit: number; offset: number; total: number | null; has_more: boolean; next_cursor?: string | null };

/** Previous / next by offset (the API's `limit`/`offset`), with "21–40 of 312" when the total is known. */
export function Pager(props: { pagination: OffsetPagination; shown: number; onOffset(offset: number): void; label?: string }) {
  const { limit, offset, total, has_more } = props.pagination;
  if (offset === 0 && !has_more) return null;
  const from = props.shown === 0 ? 0 : offset + 1;
  const to = offset + props.shown;
  return (
    <nav className="pager" aria-label={props.label ?? 'Pages'}>
      <button type="button" className="button" disabled={offset === 0} onClick={() => props.onOffset(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span aria-live="polite">
        {from}–{to}
        {total !== null ? ` of ${total}` : ''}
      </span>
      <button type="button" className="button" disabled={!has_more} onClick={() => props.onOffset(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

/**
 * Previous / next by keyset cursor (the API's `cursor` and `next_cursor`): the cursors of the pages already seen
 * are kept in the address, so "Previous" goes back without counting rows — what keeps a list fast at 100,000 rows.
 */
export function CursorPager(props: { cursors: string[]; nextCursor: string | null | undefined; onChange(cursors: string[]): void; label?: string }) {
  if (props.cursors.length === 0 && !props.nextCursor) return null;
  return (
    <nav className="pager" aria-label={props.label ?? 'Pages'}>
      <button type="button" className="button" disabled={props.cursors.length === 0} onClick={() => props.onChange(props.cursors.slice(0, -1))}>
        Previous
      </button>
      <span aria-live="polite">Page {props.cursors.length + 1}</span>
      <button type="button" className="button" disabled={!props.nextCursor} onClick={() => props.nextCursor && props.onChange([...props.cursors, props.nextCursor])}>
        Next
      </button>
    </nav>
  );
}
