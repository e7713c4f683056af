import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import type { DailyRow } from '../api';
import { count, date, dayMonth } from '../format';
import { direction } from '../i18n';
import { TableWrap } from './common';
import { usePortal } from './context';

const COLORS = ['#2563eb', '#d97706', '#059669'];
const AXIS_FONT = '12px system-ui,sans-serif';

let library: Promise<typeof uPlot> | null = null;

/**
 * uPlot, imported from the server the first time a chart is drawn (scripts/build-portal.js): a third of the portal's
 * code, which a page without the daily chart never needs. A failed import is tried again by the next chart.
 */
function loadUPlot(base: string): Promise<typeof uPlot> {
  library ??= (import(`${base}/js/refwire-portal/uplot.js`) as Promise<{ default: typeof uPlot }>).then(
    (m) => m.default,
    (err: unknown) => {
      library = null;
      throw err;
    },
  );
  return library;
}

/**
 * The daily chart: uPlot on a canvas, which screen readers cannot read, so the canvas is one image with a summary
 * label and the same numbers follow in a table (behind a disclosure, for everyone).
 */
export function DailyChart(props: { daily: DailyRow[] }) {
  const { t, lang, api } = usePortal();
  // null while it loads; false when it could not be loaded: the numbers' table is then shown open
  const [lib, setLib] = useState<typeof uPlot | null | false>(null);
  useEffect(() => {
    let live = true;
    loadUPlot(api.base).then(
      (u) => live && setLib(() => u),
      () => live && setLib(false),
    );
    return () => {
      live = false;
    };
  }, [api.base]);
  // in Arabic and Hebrew time runs from right to left, and the values' axis stands on the right
  const rtl = direction(lang) === 'rtl';
  const box = useRef<HTMLDivElement>(null);
  const rows = props.daily;
  useEffect(() => {
    const el = box.current;
    if (!el || !lib || rows.length === 0) return;
    const xs = rows.map((r) => Date.parse(`${r.date}T00:00:00Z`) / 1000);
    const data: uPlot.AlignedData = [xs, rows.map((r) => r.clicks), rows.map((r) => r.signups), rows.map((r) => r.purchases)];
    const labels = [t('stat_clicks'), t('stat_signups'), t('stat_purchases')];
    const width = () => Math.max(200, Math.floor(el.getBoundingClientRect().width));
    // the room a date label needs on the time axis: the widest, in the axis's font, and a gap. uPlot's 50 px holds
    // "3 Dec" but not every language's day and month ("3. Nov.", Arabic's): at 360 px they ran into each other
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = AXIS_FONT;
    const xSpace = Math.max(50, ...xs.map((x) => ctx.measureText(dayMonth(x, lang)).width + 16));
    const plot = new lib(
      {
        width: width(),
        height: 220,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true, dir: rtl ? -1 : 1 }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
        axes: [
          { values: (_u, splits) => splits.map((s) => dayMonth(s, lang)), space: xSpace, font: AXIS_FONT, stroke: '#4b5563', grid: { stroke: '#f3f4f6' } },
          { values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? count(s, lang) : '')), stroke: '#4b5563', grid: { stroke: '#f3f4f6' }, size: 44, side: rtl ? 1 : 3 },
        ],
        series: [{}, ...labels.map((label, i) => ({ label, stroke: COLORS[i], width: 2, points: { show: rows.length <= 14 } }))],
      },
      data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [rows, lang, rtl, lib]);

  const first = rows[0]?.date;
  const last = rows[rows.length - 1]?.date;
  const label = t('chart_label', { from: date(first, lang), to: date(last, lang) });
  return (
    <div>
      <ul class="rw-legend" aria-hidden="true">
        {[t('stat_clicks'), t('stat_signups'), t('stat_purchases')].map((l, i) => (
          <li class={`rw-s${i}`} key={l}>
            <span>{l}</span>
          </li>
        ))}
      </ul>
      {lib === false ? <p class="rw-muted">{t('chart_unavailable')}</p> : <div class="rw-chart" ref={box} role="img" aria-label={label} aria-busy={lib === null} />}
      <details open={lib === false}>
        <summary>{t('chart_table')}</summary>
        <TableWrap label={t('daily_title')}>
          <table>
            <caption class="rw-sr">{label}</caption>
            <thead>
              <tr>
                <th scope="col">{t('col_date')}</th>
                <th scope="col" class="rw-num">{t('stat_clicks')}</th>
                <th scope="col" class="rw-num">{t('stat_signups')}</th>
                <th scope="col" class="rw-num">{t('stat_purchases')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.date}>
                  <th scope="row">{date(r.date, lang)}</th>
                  <td class="rw-num">{count(r.clicks, lang)}</td>
                  <td class="rw-num">{count(r.signups, lang)}</td>
                  <td class="rw-num">{count(r.purchases, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </details>
    </div>
  );
}
